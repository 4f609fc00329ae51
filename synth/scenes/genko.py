"""Paper ruled for vertical writing under a plain vertical CJK page: genkō yōshi or a letter pad.

Vertical pages sat on plain paper only (paper ruled for horizontal writing crossed every column,
#16). Two kinds of paper are ruled for vertical writing, and the text is set to match:

* `genko` (原稿用紙, 稿紙): manuscript paper, a grid of square cells, typically 20 rows by 20
  columns with a centre fold strip (版心) between the two halves of 10 columns, sometimes a
  narrow strip between columns for ruby. One character per cell, centred in it (the font's em
  box on the cell's centre, so the vertical forms of 、。 sit at the cell's upper right in
  Japanese and centred in Traditional Chinese, as each font draws them); a run of one or two
  ASCII digits (tate-chu-yoko) shares one cell; a space is a blank cell. The conventions of
  writing on it: the title in the first column lowered two or three cells, headings lowered,
  every paragraph in a new column with a one-cell indent (two in Traditional Chinese); a
  closing mark never starts a column (the character before it moves along with it, 追い出し).
* `columns` (縦罫, a 便箋 letter pad): vertical rules at one fixed pitch; every column of text
  sits centred between two rules, paragraphs start a new column.

The rules are paper, not text: printed in a pale colour before the text and never labelled.
Each column of text is one `ttb` line in reading order (right to left); a paragraph continued
over the fold becomes two layout regions, as on a classical leaf. The record
(`record["tategaki"]`) holds every choice; planning and drawing read only it and the page's
record.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth.layout import PlannedLine
from synth.opencv import cv2
from synth.render import pick
from synth.text import LineLayout, Piece
from synth.text.vertical import TCY, orientation_runs
from synth.typesetting import even_size

if TYPE_CHECKING:
    from synth.layout import DocumentPlanner

GENKO_SHARE = 0.35  # plain vertical pages on manuscript paper
COLUMNS_SHARE = 0.3  # plain vertical pages on a letter pad ruled in columns
HAND_SHARE = 0.4  # pages written by hand (when the language has a hand font)
# manuscript-paper inks: vermilion, green, blue-grey, sepia; letter-pad rules: blue, grey
GENKO_COLOURS = ((215, 85, 55), (70, 140, 90), (90, 110, 165), (150, 110, 80))
COLUMN_COLOURS = ((90, 130, 200), (120, 150, 190), (130, 130, 130), (110, 150, 120))
# characters that never start a column (kinsoku): closing marks, small kana, prolonged sound
NO_START = frozenset("、。，．,.：；！？!?」』）〕】〉》］｝ー・ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
NO_END = frozenset("「『（〔【〈《［｛")
# Why pale: Tesseract's vertical models read a cell rule crossing the column between two
# characters as ー, 一 or | (jpn_vert, 7 ja pages, 135 columns: pooled CER 16.0 % with rules
# blended at alpha 0.5, 6.1 % at GRID_DEPTH, 5.7 % without rules)
GRID_DEPTH = 32.0
FOLD = 1.6  # width of the centre fold strip, in cells
MIN_FONT = 10  # px


def sample(rng: np.random.Generator, record: dict[str, Any], has_hand_font: bool,
           kind: str | None = None) -> dict[str, Any] | None:
    """The paper of a plain vertical page, or None for plain paper; `kind` forces one.

    Sets the page's sizes to what the grid allows (one size for every role on manuscript
    paper) and, on a share of pages, writes every paragraph by hand."""
    roll = rng.random()
    if kind is None:
        kind = "genko" if roll < GENKO_SHARE else (
            "columns" if roll < GENKO_SHARE + COLUMNS_SHARE else None)
    if kind is None:
        return None
    if kind == "columns":
        pad = {"kind": "columns", "colour": list(pick(rng, COLUMN_COLOURS)),
               "alpha": round(float(rng.uniform(0.45, 0.8)), 3),
               "edges": bool(rng.random() < 0.7)}  # rules across the top and bottom
        _hands(rng, record, has_hand_font)  # a letter written on the pad
        return pad
    if kind != "genko":
        raise PolyglyphError(f"unknown vertical paper {kind!r}; use genko or columns")
    paper = {"kind": "genko", "rows": 20,
             "columns": 20,  # 400字詰: type of 24-32 px on a 1024 px page (10 columns'
             # 44 px type read at 10 % in chi_tra_vert against 5 % at 20 columns)
             "ruby": round(float(rng.uniform(0.2, 0.35)), 3) if rng.random() < 0.5 else 0.0,
             # font size / cell: at 0.64-0.76 jpn_vert read the spaced columns at 11 % against
             # 6 % at 0.8-0.88 (the same pages); print on manuscript paper fills its cells
             "fill": round(float(rng.uniform(0.8, 0.88)), 3),
             "colour": list(pick(rng, GENKO_COLOURS)),
             "frame": int(rng.integers(1, 3)),
             "title_drop": int(rng.integers(2, 4)),
             "indent": 2 if record["language"].startswith("zh") else 1}
    paper["fold"] = True
    # pale print: the rules darken white paper by at most GRID_DEPTH levels in any channel
    paper["alpha"] = round(float(rng.uniform(0.5, 1.0)) * GRID_DEPTH
                           / (255.0 - min(paper["colour"])), 3)
    size = font_size(paper, grid(paper, record)["cell"])
    record["sizes"].update(body=size, title=size, heading=size)
    record["latin"] = "upright"  # a letter or digit to a cell, never turned sideways
    _hands(rng, record, has_hand_font)
    return paper


def _hands(rng: np.random.Generator, record: dict[str, Any], has_hand_font: bool) -> None:
    """On HAND_SHARE of the pages (languages with a hand font) every paragraph is written by
    one hand, as manuscripts and letters are; imitated hands are dropped (they distort rows, and
    a vertical hand is a hand font)."""
    hand = has_hand_font and rng.random() < HAND_SHARE
    ink = pick(rng, ((20, 40, 140), (25, 25, 30), (40, 40, 45)))
    for item in record["paragraphs"]:
        if hand:
            item["hand"] = {"kind": "font", "ink": list(ink)}
        elif item.get("hand") is not None and item["hand"]["kind"] != "font":
            item.pop("hand")


def vertical_paper(record: dict[str, Any]) -> None:
    """No paper ruled for horizontal writing under vertical columns (as receipts and tickets
    drop ruling): its rows crossed every column every 29-46 px, which no vertical book,
    newspaper or letter pad (縦罫, ruled down the page) does, and on those pages Tesseract's
    vertical models read 20 % of the characters wrong against 5-6 % on plain or grid paper
    (#16, zh-Hant 1024x1448). A classical leaf prints its own frame and column rules and a page
    on paper ruled for vertical writing (`record["tategaki"]`) its own grid or rules, so those
    keep no paper ruling at all. Grid and dotted paper stay on plain vertical pages. Changes
    the record only, not a random draw."""
    paper = record["background"].get("paper")
    if paper is None:
        return
    ruling = paper["ruling"]
    own = record.get("classical") or record.get("tategaki")
    if ruling["kind"] == "ruled" or own and ruling["kind"] != "none":
        ruling["kind"] = "none"


def font_size(paper: dict[str, Any], cell: float) -> int:
    """The even font size whose em fills `fill` of a cell (never more than the cell)."""
    return max(MIN_FONT, min(even_size(cell * float(paper["fill"])), 2 * int(cell * 0.88 // 2)))


def grid(paper: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Manuscript-paper geometry in page pixels: the cell size, every column's (x0, x1) right to
    left, every row's top, and which half (0 right, 1 left) each column is in. The grid is
    centred in the page's margins; cells are square."""
    left, top, right, bottom = record["margins"]
    w, h = float(record["width"]), float(record["height"])
    cols, rows, ruby = int(paper["columns"]), int(paper["rows"]), float(paper["ruby"])
    fold = bool(paper["fold"])
    across = cols + ruby * (cols - (2 if fold else 1)) + (FOLD if fold else 0.0)
    cell = min((w - left - right) / across, (h - top - bottom) / rows)
    x = left + (w - left - right + across * cell) / 2  # right edge of the grid
    y0 = top + (h - top - bottom - rows * cell) / 2
    spans, halves = [], []
    for k in range(cols):
        spans.append((x - cell, x))
        halves.append(int(fold and k >= cols // 2))
        x -= cell
        if fold and k == cols // 2 - 1:
            x -= FOLD * cell
        elif k < cols - 1:
            x -= ruby * cell
    return {"cell": cell, "columns": spans, "halves": halves,
            "rows": [y0 + r * cell for r in range(rows)], "bottom": y0 + rows * cell}


def units(text: str) -> list[tuple[int, int]]:
    """(start, end) of each cell's text: a character, or a run of one or two ASCII digits
    between other characters (tate-chu-yoko, two to a cell), as a column with upright Latin
    cuts it (`synth.text.vertical.orientation_runs`)."""
    out: list[tuple[int, int]] = []
    for start, end, kind in orientation_runs(text, True):
        if kind == TCY:
            out.append((start, end))
        else:
            out.extend((k, k + 1) for k in range(start, end))
    return out


def cell_layout(planner: DocumentPlanner, text: str, style: Any, pitch: float) -> LineLayout:
    """`text` laid out one cell unit per `pitch` down the column, each em centred on its cell:
    the engine's layout cut into one piece per unit (fonts, words and orientation kept)."""
    engine = planner.engine
    base = engine.layout_line(text, style)
    pieces: list[Piece] = []
    for piece in base.pieces:
        cuts = [(piece.start, piece.end)] if piece.direction == TCY else [
            (k, k + 1) for k in range(piece.start, piece.end)]
        for start, end in cuts:
            part = text[start:end]
            adv = engine.advance(part, piece.face, style.size, piece.direction,
                                 style.shaping_language, style.bold)
            offset = len(pieces) * pitch + (pitch - adv) / 2
            pieces.append(Piece(start, end, part, piece.face, piece.direction, offset, adv,
                                piece.word))
    return LineLayout(text=text, style=style, pieces=pieces, advance=len(pieces) * pitch,
                      words=base.words)


def _columns_of(cells: list[str], first: int, rows: int) -> list[tuple[int, int, int]]:
    """Break a paragraph's cell units into columns: (start unit, end unit, first row); the
    first column starts at row `first`. A unit in NO_START never starts a column and one in
    NO_END never ends one: the column before gives up its last units to the next."""
    out: list[tuple[int, int, int]] = []
    k, row = 0, first
    while k < len(cells):
        while k < len(cells) and out and cells[k] == " ":
            k += 1  # a space at a column's head is dropped
        end = min(len(cells), k + rows - row)
        back = end
        while back < len(cells) and back - k > 2 and (
                cells[back] in NO_START or cells[back - 1] in NO_END):
            back -= 1
        end = back if back - k > 2 else end
        if k < end:
            out.append((k, end, row))
        k, row = end, 0
    return out


def plan(planner: DocumentPlanner) -> list[PlannedLine]:
    """Every column of the page in reading order, on the page's ruled paper."""
    paper = planner.r["tategaki"]
    return _plan_genko(planner, paper) if paper["kind"] == "genko" else \
        _plan_columns(planner, paper)


def _role_and_hand(item: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """A planned paragraph's line role, and its hand when a handwriting font writes it."""
    role = {"heading": "heading", "list-item": "list-item", "title": "title"}.get(
        item["kind"], "paragraph")
    hand = item.get("hand")
    return role, hand if hand and hand.get("kind") == "font" else None


def _plan_genko(planner: DocumentPlanner, paper: dict[str, Any]) -> list[PlannedLine]:
    record = planner.r
    geo = grid(paper, record)
    cell, rows, spans = geo["cell"], int(paper["rows"]), geo["columns"]
    size = font_size(paper, cell)
    colours = record["colours"]
    out: list[PlannedLine] = []
    slot = 0
    for pos, item in enumerate(record["paragraphs"]):
        kind = item["kind"]
        role, hand = _role_and_hand(item)
        style = replace(planner.style(role, hand), size=size, upright_latin=True)
        text = planner.text_of(item)
        if kind == "list-item":
            text = f"{item['marker']}{text}"
        first = {"title": int(paper["title_drop"]), "heading": int(paper["indent"]) + 1,
                 "list-item": 0}.get(role, int(paper["indent"]))
        spans_of = units(text)
        cells = [text[a:b] for a, b in spans_of]
        colour = colours["accent"] if role in ("title", "heading") else colours["body"]
        for start, end, row in _columns_of(cells, first, rows):
            if slot >= len(spans):
                return out
            line = text[spans_of[start][0]:spans_of[end - 1][1]].rstrip()
            if not line.strip():
                continue
            x0, x1 = spans[slot]
            out.append(PlannedLine(line, style, role, (x0 + x1) / 2, geo["rows"][row], colour,
                                   pos, geo["halves"][slot], hand=hand,
                                   layout=cell_layout(planner, line, style, cell)))
            slot += 1
        if out and out[-1].paragraph == pos:
            out[-1].last = True
        if role == "title":
            slot += 1  # the writer's name would go in the next column: left blank
    return out


def column_rules(record: dict[str, Any]) -> list[float]:
    """x of every vertical rule of a letter pad, right to left, from the right margin; the
    pitch is a plain vertical page's (`classical.plan_plain`) for the body size."""
    pitch = float(record["sizes"]["body"]) * float(record["line_spacing"]) * 1.15
    left, _, right, _ = record["margins"]
    x1 = float(record["width"]) - right
    count = max(1, int((x1 - left) // pitch))
    return [x1 - k * pitch for k in range(count + 1)]


def _plan_columns(planner: DocumentPlanner, paper: dict[str, Any]) -> list[PlannedLine]:
    """Columns centred between the pad's rules; titles, headings and hands keep to the pitch
    (0.8 of it at most); a paragraph starts a new column."""
    record = planner.r
    _, top, _, bottom = record["margins"]
    y0, y1 = top, planner.height - bottom
    rules = column_rules(record)
    pitch = rules[0] - rules[1]
    fit = max(MIN_FONT, 2 * int(min(0.8 * pitch, pitch - 6.0) // 2))
    colours = record["colours"]
    out: list[PlannedLine] = []
    slot = 0
    for pos, item in enumerate(record["paragraphs"]):
        kind = item["kind"]
        role, hand = _role_and_hand(item)
        style = planner.style(role, hand)
        if style.size > fit:
            style = replace(style, size=fit)
        text = planner.text_of(item)
        if kind == "list-item":
            text = f"{item['marker']} {text}"
        colour = colours["accent"] if role in ("title", "heading") else colours["body"]
        for line in planner.engine.wrap(text, style, y1 - y0):
            if slot + 1 >= len(rules):
                return out
            out.append(PlannedLine(line, style, role, (rules[slot] + rules[slot + 1]) / 2, y0,
                                   colour, pos, 0, hand=hand))
            slot += 1
        if out and out[-1].paragraph == pos:
            out[-1].last = True
    return out


def draw(canvas: np.ndarray, planner: DocumentPlanner) -> None:
    """The paper's rules, blended at the record's alpha before any text is drawn."""
    record = planner.r
    paper = record["tategaki"]
    colour = tuple(int(c) for c in paper["colour"])
    overlay = canvas.copy()
    if paper["kind"] == "genko":
        _draw_grid(overlay, paper, grid(paper, record), colour)
    else:
        _, top, _, bottom = record["margins"]
        rules = column_rules(record)
        y0, y1 = int(round(top - 0.3 * (rules[0] - rules[1]))), \
            int(round(planner.height - bottom + 0.3 * (rules[0] - rules[1])))
        for x in rules:
            cv2.line(overlay, (int(round(x)), y0), (int(round(x)), y1), colour, 1, cv2.LINE_AA)
        if paper["edges"]:
            for y in (y0, y1):
                cv2.line(overlay, (int(round(rules[-1])), y), (int(round(rules[0])), y), colour,
                         1, cv2.LINE_AA)
    alpha = float(paper["alpha"])
    cv2.addWeighted(overlay, alpha, canvas, 1.0 - alpha, 0.0, dst=canvas)


def _draw_grid(image: np.ndarray, paper: dict[str, Any], geo: dict[str, Any],
               colour: tuple[int, ...]) -> None:
    """Cells (thin), each half framed (thicker), a fold mark in the strip's middle."""
    top, bottom = geo["rows"][0], geo["bottom"]
    frame = int(paper["frame"]) + 1
    halves: dict[int, list[tuple[float, float]]] = {}
    for (x0, x1), half in zip(geo["columns"], geo["halves"], strict=True):
        halves.setdefault(half, []).append((x0, x1))
        for x in (x0, x1):
            cv2.line(image, (int(round(x)), int(round(top))), (int(round(x)), int(round(bottom))),
                     colour, 1, cv2.LINE_AA)
        for y in geo["rows"][1:]:
            cv2.line(image, (int(round(x0)), int(round(y))), (int(round(x1)), int(round(y))),
                     colour, 1, cv2.LINE_AA)
    pad = max(2.0, 0.12 * geo["cell"])
    for spans in halves.values():
        x0, x1 = min(s[0] for s in spans) - pad, max(s[1] for s in spans) + pad
        cv2.rectangle(image, (int(round(x0)), int(round(top - pad))),
                      (int(round(x1)), int(round(bottom + pad))), colour, frame, cv2.LINE_AA)
    if paper["fold"]:
        cols = geo["columns"]
        mid = (cols[len(cols) // 2 - 1][0] + cols[len(cols) // 2][1]) / 2
        r = 0.25 * geo["cell"]
        for y in (top + 0.25 * (bottom - top), top + 0.75 * (bottom - top)):
            diamond = np.array([[mid, y - r], [mid + r, y], [mid, y + r], [mid - r, y]])
            cv2.fillPoly(image, [np.round(diamond).astype(np.int32)], colour, cv2.LINE_AA)
