"""Vertical CJK page layouts: a plain page of columns (`plan_plain`) and the classical book
layout, one printed leaf of a thread-bound book (`plan`).

A woodblock leaf is printed as one sheet and folded down its middle, so a page image shows:

* a bordered frame (版框), single or double-ruled (a thick outer and a thin inner line);
* the fold-centre strip (版心) down the middle, with the book's title in its upper part and the
  leaf number (in Chinese numerals) in its lower part, between "fishtail" marks (魚尾);
* on each side of it a grid of equal columns separated by thin column rules (界行); text runs top
  to bottom in each column and the columns run right to left, the right half first;
* headings set as columns of their own, lowered by a few characters (低格) or at the top;
* on half of the leaves, notes set inside a column in half-size characters on two sub-columns
  (warichu 割注, `synth.scenes.warichu`), each half a `ttb` line of its own.

Lines keep `ttb` direction and logical order; their order is reading order: the strip's title
(role `header`), the right half's columns right to left, the left half's, and the leaf number
(role `page-number`, a footer in the layout view). Each half is its own column for blocks, so a
paragraph continued over the fold becomes two layout regions, never one box across the strip.
Handwritten paragraphs keep to the grid (the hand font no larger than a column allows).

The record (`record["classical"]`) holds every choice; planning and drawing read only it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from synth.layout import PlannedLine
from synth.opencv import cv2
from synth.render import pick
from synth.scenes import warichu
from synth.typesetting import HAND_PITCH

if TYPE_CHECKING:
    from synth.layout import DocumentPlanner

CLASSICAL_SHARE = 0.5  # vertical CJK pages set as a classical leaf
NUMERALS = "〇一二三四五六七八九"
INNER_GAP = 3  # px between a double frame's outer line and its thin inner line
RULE_CLEAR = 3.0  # px kept clear between a column rule (1 px, antialiased) and a title's em


def chinese_number(n: int) -> str:
    """1..99 the way leaf numbers are printed: 十二, 二十, 三十五."""
    tens, ones = divmod(int(n), 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens] + "十")
    return head + (NUMERALS[ones] if ones or not head else "")


def sample(rng: np.random.Generator, title: str) -> dict[str, Any] | None:
    """The leaf's furniture, or None for a plain vertical page."""
    if rng.random() >= CLASSICAL_SHARE:
        return None
    double, border = bool(rng.random() < 0.6), int(rng.integers(2, 5))
    drop, cut = int(pick(rng, (0, 1, 2, 3))), int(rng.integers(4, 9))
    record = {
        "double_border": double,
        "border_width": border,
        "heading_drop": drop,  # characters a heading is lowered by
        # the strip carries a short title whole (a cut one read 世界人権宣); a long one is cut
        "title": title if len(title) <= 8 else title[:cut],
        "leaf": chinese_number(int(rng.integers(1, 100))),
        "strip": round(float(rng.uniform(1.8, 2.4)), 3),  # strip width in small-type ems
    }
    notes = warichu.sample(rng)  # drawn last: the leaf's other choices stay as they were
    if notes is not None:
        record["warichu"] = notes
    return record


def _frame(record: dict[str, Any], width: int, height: int) -> tuple[float, float, float, float]:
    left, top, right, bottom = record["margins"]
    return left, top, width - right, height - bottom


def plan_plain(planner: DocumentPlanner) -> list[PlannedLine]:
    """Vertical CJK: columns top to bottom, placed right to left (handwritten paragraphs in
    the page's handwriting font, on a wider pitch like horizontal ones)."""
    left, top, right, bottom = planner.r["margins"]
    x, x_end = planner.width - right, left
    y0, y1 = top, planner.height - bottom
    out: list[PlannedLine] = []
    colours = planner.r["colours"]
    for pos, item in enumerate(planner.r["paragraphs"]):
        kind = item["kind"]
        role = {"heading": "heading", "list-item": "list-item", "title": "title"}.get(
            kind, "paragraph")
        hand = item.get("hand")
        if hand is not None and hand["kind"] != "font":
            hand = None  # imitation distorts rows; a vertical hand is a handwriting font
        style = planner.style(role, hand)
        text = planner.text_of(item)
        if kind == "list-item":
            text = f"{item['marker']} {text}"
        pitch = style.size * planner.r["line_spacing"] * 1.15 * (HAND_PITCH if hand else 1.0)
        colour = colours["accent"] if kind in ("title", "heading") else colours["body"]
        for line_text in planner.engine.wrap(text, style, y1 - y0):
            if x - pitch < x_end:
                return out
            out.append(PlannedLine(line_text, style, role, x - pitch / 2, y0, colour, pos, 0,
                                   hand=hand))
            x -= pitch
        if out and out[-1].paragraph == pos:
            out[-1].last = True
        x -= pitch * planner.r["paragraph_gap"]
    return out


def _border_inset(book: dict[str, Any]) -> float:
    """Pixels from the frame's outer line to the inside edge of the border: half the outer
    line's width, or the inner line of a double frame (`INNER_GAP` inside), plus a pixel
    of antialiasing. Columns are ruled inside it, as a woodblock leaf's are."""
    width = float(book["border_width"])
    return (width + INNER_GAP + 1.5) if book["double_border"] else (width / 2 + 1.5)


def geometry(planner: DocumentPlanner) -> dict[str, Any]:
    """Frame, strip and the two halves' column grid (x of every rule), in page pixels.

    The grid and the text's top and bottom (`text_span`) lie inside the border, not on the
    frame line: ruled from the frame line, the outermost columns held the double frame's inner
    line inside their em box at tight line spacing (title and heading columns, at 0.8 of the
    pitch, even at loose spacing)."""
    record = planner.r
    book = record["classical"]
    x0, y0, x1, y1 = _frame(record, planner.width, planner.height)
    inset = _border_inset(book)
    small = planner.style("page-number").size
    strip = book["strip"] * small
    centre = (x0 + x1) / 2
    body = planner.style("paragraph")
    pitch = body.size * float(record["line_spacing"]) * 1.15
    halves = []
    for lo, hi in ((centre + strip / 2, x1 - inset), (x0 + inset, centre - strip / 2)):
        count = max(1, int((hi - lo) // pitch))
        step = (hi - lo) / count
        halves.append([hi - k * step for k in range(count + 1)])  # rules, right to left
    pad = 0.4 * body.size
    return {"frame": (x0, y0, x1, y1), "strip": (centre - strip / 2, centre + strip / 2),
            "halves": halves, "pad": pad, "text_span": (y0 + inset + pad, y1 - inset - pad),
            "pitch": min((r[0] - r[1]) for r in halves if len(r) > 1)}


def _column_fit(pitch: float) -> int:
    """The largest even size a title or hand column may take in a column `pitch` wide: 0.8 of
    it, and RULE_CLEAR px clear of each rule (rounded down: `even_size` rounding 0.8 of a
    26.5 px pitch up to 22 px put the rules' antialiasing inside the em box)."""
    return max(10, 2 * int(min(0.8 * pitch, pitch - 2 * RULE_CLEAR) // 2))


def plan(planner: DocumentPlanner) -> list[PlannedLine]:
    """Every line of the leaf in reading order (see the module docstring)."""
    record, book = planner.r, planner.r["classical"]
    grid = geometry(planner)
    top, bottom = grid["text_span"]
    colours = record["colours"]
    out: list[PlannedLine] = []
    small = planner.style("header")
    s0, s1 = grid["strip"]
    band = (bottom - top) * 0.45  # the strip's upper part, above the fishtail
    title = planner.engine.wrap(book["title"], small, band)[:1]
    if title:
        out.append(PlannedLine(title[0], small, "header", (s0 + s1) / 2, top + small.size,
                               colours["small"], -1, 2))
    slots = [((a + b) / 2, half) for half, rules in enumerate(grid["halves"])
             for a, b in zip(rules, rules[1:], strict=False)]
    slot = 0
    notes = warichu.stream(book)
    for pos, item in enumerate(record["paragraphs"]):
        kind = item["kind"]
        role = {"heading": "heading", "list-item": "list-item", "title": "title"}.get(
            kind, "paragraph")
        hand = item.get("hand") if role in ("paragraph", "list-item") else None
        if hand is not None and hand["kind"] != "font":
            hand = None  # imitation distorts rows; a vertical hand is a handwriting font
        style = planner.style(role, hand)
        fit = _column_fit(grid["pitch"])
        if style.size > fit and (role in ("heading", "title") or hand is not None):
            style = replace(style, size=fit)  # titles and hands keep to the ruled grid
        drop = book["heading_drop"] * style.size if role in ("heading", "title") else 0.0
        text = planner.text_of(item)
        if kind == "list-item":
            text = f"{item['marker']} {text}"
        colour = colours["accent"] if role in ("title", "heading") else colours["body"]
        choice = warichu.draw_choice(notes, book["warichu"]["share"]) if notes is not None \
            else None
        if role != "paragraph" or hand is not None:
            choice = None  # notes go in printed running text
        for column in warichu.columns(planner.engine, text, style, bottom - top - drop, choice):
            if slot >= len(slots):
                return _with_leaf(out, planner, grid, top, bottom)
            x, half = slots[slot]
            out.extend(PlannedLine(piece, piece_style, role, x + dx, top + drop + dy, colour,
                                   pos, half, hand=hand)
                       for piece, piece_style, dx, dy in column)
            slot += 1
        if out and out[-1].paragraph == pos:
            out[-1].last = True
    return _with_leaf(out, planner, grid, top, bottom)


def _with_leaf(out: list[PlannedLine], planner: DocumentPlanner, grid: dict[str, Any],
               top: float, bottom: float) -> list[PlannedLine]:
    """The leaf number in the strip's lower part (last in reading order)."""
    style = planner.style("page-number")
    leaf = planner.r["classical"]["leaf"]
    s0, s1 = grid["strip"]
    length = planner.engine.width(leaf, style)
    y = top + (bottom - top) * 0.62
    if y + length < bottom:
        out.append(PlannedLine(leaf, style, "page-number", (s0 + s1) / 2, y,
                               planner.r["colours"]["small"], -1, 3))
    return out


def draw(canvas: np.ndarray, planner: DocumentPlanner) -> None:
    """Frame, column rules, strip edges and fishtails (drawn before the text)."""
    record, book = planner.r, planner.r["classical"]
    grid = geometry(planner)
    colour = tuple(int(c) for c in record["colours"]["body"])
    x0, y0, x1, y1 = (int(round(v)) for v in grid["frame"])
    width = int(book["border_width"])
    cv2.rectangle(canvas, (x0, y0), (x1, y1), colour, width, cv2.LINE_AA)
    inner = width + INNER_GAP
    if book["double_border"]:
        cv2.rectangle(canvas, (x0 + inner, y0 + inner), (x1 - inner, y1 - inner), colour, 1,
                      cv2.LINE_AA)
    for rules in grid["halves"]:
        for x in rules[1:-1]:
            cv2.line(canvas, (int(round(x)), y0), (int(round(x)), y1), colour, 1, cv2.LINE_AA)
    s0, s1 = (int(round(v)) for v in grid["strip"])
    for x in (s0, s1):
        cv2.line(canvas, (x, y0), (x, y1), colour, 1, cv2.LINE_AA)
    top, bottom = grid["text_span"]
    for y in (top + (bottom - top) * 0.47, top + (bottom - top) * 0.58):  # fishtails
        _fishtail(canvas, s0, s1, int(round(y)), colour)


def _fishtail(canvas: np.ndarray, s0: int, s1: int, y: int, colour: tuple[int, ...]) -> None:
    """A black fishtail (魚尾) across the strip: a band with a notch cut into its lower edge."""
    depth = max(3, (s1 - s0) // 3)
    mid = (s0 + s1) // 2
    points = np.array([[s0, y], [s1, y], [s1, y + depth], [mid, y + depth // 3],
                       [s0, y + depth]], np.int32)
    cv2.fillPoly(canvas, [points], colour, cv2.LINE_AA)
