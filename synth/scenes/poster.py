"""`poster`: advertisements and artistic text — big display lines with outlines, shadows and
gradient fills, headlines on arcs and waves, lines at angles, mixed sizes, over gradient or
colour-field backgrounds with shapes.

Ads carry a price, a date or a phone number in plainer type (`scene_group` ads); art posters
are mostly display text (`art`). Bent lines' polygons follow their baselines (`synth.scenes.fx`).
`extras["display_lines"]` lists the lines in display treatments (bent, outlined, gradient) so
OCR checks can leave them out, as plain-text readers are not expected to read them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.backgrounds import backgrounds_of
from synth.money import format_money
from synth.scenes import kit
from synth.scenes.builder import Builder
from synth.scenes.stage import apply_stage, background_preview

PALETTES = (
    ((250, 230, 90), (230, 60, 40), (20, 20, 30)),
    ((30, 40, 90), (250, 250, 250), (250, 190, 40)),
    ((240, 240, 235), (20, 20, 20), (200, 30, 60)),
    ((20, 120, 100), (250, 245, 230), (250, 170, 60)),
    ((120, 30, 120), (250, 220, 250), (40, 220, 200)),
)


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    width, height = int(spec.width), int(spec.height)
    b = Builder(spec, rng, ctx, width, height, spec.font_style or kit.pick(rng, ("sans", "serif")))
    group = kit.option(spec, "kind", kit.pick(rng, ("ads", "ads", "art")), ("ads", "art"))
    bg, ink, accent = (list(c) for c in PALETTES[int(rng.integers(len(PALETTES)))])
    background = ({"kind": "vgrad", "top": bg, "bottom": [int(v * 0.7) for v in bg]} if rng.random() < 0.6 else
                  {"kind": "field", "seed": int(rng.integers(0, 2**31 - 1)), "colour": bg, "cells": 3,
                   "spread": 25.0, "blocks": 0, "blur": 0})
    source = backgrounds_of(spec, ctx)  # user photos (--backgrounds) behind half the posters
    if source is not None and rng.random() < 0.5:
        background = source.sample(rng, width, height, zoom=(1.0, 1.3))
    grounds = _ends(background, width, height)
    body_ink = readable_ink(ink, grounds)
    title_ink = readable_ink(ink, grounds, need=3.0)  # WCAG's figure for large text
    display: list[int] = []
    y = height * float(rng.uniform(0.08, 0.16))
    head = float(np.clip(width / rng.uniform(7, 11), 24, 200))
    # the headline: one or two big display lines, maybe bent
    for _ in range(int(rng.integers(1, 3))):
        text = b.fit(b.sentence(3) if group == "art" else b.word(), head, width * 0.86, bold=True)
        a, d = b.metrics(head)
        path = _path(rng, width, head)
        y += a + (head * 0.6 if path and path["kind"] == "arc" else 0)
        index = b.text(text, width / 2, y, head, anchor="center", colour=title_ink, role="title", bold=True,
                       fx=_fx(rng, head, accent, grounds), path=path)
        b.block("title", [index])
        display.append(index)
        y += d + head * (0.5 if path else 0.25)
    # sub-lines in plainer type
    body = head * float(rng.uniform(0.3, 0.45))
    a, d = b.metrics(body)
    pitch = (a + d) * 1.3
    lines = []
    for text in b.wrap(b.sentence(16), body, width * 0.8)[: int(rng.integers(1, 4))]:
        y += a
        lines.append(b.text(text, width / 2, y, body, anchor="center", colour=body_ink, role="paragraph"))
        y += pitch - a
    b.block("paragraph", lines)
    if group == "ads":
        _offer(b, rng, width, height, y, head, body_ink, accent)
    else:
        _art_words(b, rng, y, head, readable_ink(accent, grounds, need=3.0), ink, grounds, display)
    _shapes(b, rng, accent, [_box(b, i) for i in range(len(b.lines)) if i not in display])
    return b.record(background, scene_group=group, extras={"display_lines": sorted(display)})


def _art_words(b: Builder, rng: np.random.Generator, y: float, head: float, word_ink: list[int],
               ink: list[int], grounds: list[list[int]], display: list[int]) -> None:
    """A few rotated words scattered below the text, in the accent where it stands out. Each
    keeps clear of the others and of every line above (words drawn over words made labels of
    text nobody could see); one without room after six tries is left out."""
    taken = [_box(b, i) for i in range(len(b.lines))]
    for _ in range(int(rng.integers(1, 4))):
        s = head * float(rng.uniform(0.4, 0.7))
        word = b.fit(b.word(), s, b.width * 0.4, bold=True)
        reach = float(np.hypot(b.width_of(word, s, bold=True) / 2, s)) + s * 0.2  # at any angle
        for _try in range(6):
            cx = float(rng.uniform(0.3, 0.7)) * b.width
            cy = float(rng.uniform(max(y, b.height * 0.5), b.height * 0.92))
            box = (cx - reach, cy - reach, cx + reach, cy + reach)
            if not any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in taken):
                break
        else:
            continue
        taken.append(box)
        index = b.text(word, cx, cy, s, anchor="center", colour=word_ink, role="caption", bold=True,
                       path={"kind": "rotate", "angle": round(float(rng.uniform(-25, 25)), 1)},
                       fx=_fx(rng, s, ink, grounds))
        b.block("caption", [index])
        display.append(index)


def _ends(background: dict[str, Any], width: int, height: int) -> list[list[int]]:
    """Colours the background runs between (a gradient's ends; a field's base +- its spread;
    a photo's darkest and brightest twentieth)."""
    if background["kind"] == "image":
        pixels = background_preview(background, width, height).reshape(-1, 3)
        luma = pixels @ np.array([0.299, 0.587, 0.114], np.float32)
        lo, hi = np.percentile(luma, [5, 95])
        return [[int(v) for v in pixels[np.argmin(np.abs(luma - t))]] for t in (lo, hi)]
    if background["kind"] == "vgrad":
        return [background["top"], background["bottom"]]
    spread = float(background.get("spread", 0))
    base = background["colour"]
    return [[int(min(255, v + spread)) for v in base], [int(max(0, v - spread)) for v in base]]


def _luminance(colour: Any) -> float:
    """WCAG relative luminance of an sRGB colour."""
    c = np.asarray(colour, np.float64) / 255.0
    lin = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ (0.2126, 0.7152, 0.0722))


def contrast(a: Any, b: Any) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def readable_ink(ink: list[int], grounds: list[list[int]], need: float = 4.5) -> list[int]:
    """The palette's ink for body text where it keeps WCAG AA contrast (4.5:1) with every
    ground it sits on, else near-black or near-white, whichever contrasts more: designers set
    small print for reading, the display lines carry the palette."""
    if min(contrast(ink, g) for g in grounds) >= need:
        return list(ink)
    dark, light = [20, 20, 24], [250, 250, 250]
    worst = {tuple(c): min(contrast(c, g) for g in grounds) for c in (dark, light)}
    return list(max(worst, key=worst.__getitem__))


def _box(b: Builder, index: int) -> tuple[float, float, float, float]:
    """The page box a (centred) line order takes, with a little air."""
    o = b.lines[index]
    a, d = b.metrics(o["size"])
    half = b.width_of(o["text"], o["size"], bold=o.get("bold", False)) / 2 + o["size"] * 0.3
    return o["x"] - half, o["y"] - a - o["size"] * 0.2, o["x"] + half, o["y"] + d + o["size"] * 0.2


def _fx(rng: np.random.Generator, size: float, other: list[int],
        grounds: list[list[int]]) -> dict[str, Any] | None:
    """Outline or shadow, and maybe a gradient fill; a gradient whose ends lose the large-text
    contrast (3:1) against the background is left out (it drew dark-on-dark headlines)."""
    fx: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.35:
        fx["outline"] = [max(1, int(round(size / 18))), other]
    elif roll < 0.6:
        off = max(2, int(round(size / 16)))
        fx["shadow"] = [off, off, [int(v * 0.4) for v in other]]
    if rng.random() < 0.3:
        top = [int(v) for v in rng.integers(0, 256, 3)]
        ends = [top, [int(v * 0.5) for v in top]]
        if min(contrast(e, g) for e in ends for g in grounds) >= 3.0:
            fx["gradient"] = ends
    return fx or None


def _path(rng: np.random.Generator, width: int, size: float) -> dict[str, Any] | None:
    roll = rng.random()
    if roll < 0.35:
        return {"kind": "arc", "radius": round(float(rng.choice([-1, 1]) * rng.uniform(0.6, 1.5) * width), 1)}
    if roll < 0.55:
        return {"kind": "wave", "amplitude": round(float(rng.uniform(0.08, 0.2)) * size, 2),
                "wavelength": round(float(rng.uniform(0.3, 0.7)) * width, 1), "phase": round(float(rng.uniform(0, 6.28)), 3)}
    if roll < 0.7:
        return {"kind": "rotate", "angle": round(float(rng.uniform(-8, 8)), 1)}
    return None


def _shapes(b: Builder, rng: np.random.Generator, accent: list[int],
            keep_clear: list[tuple[float, float, float, float]]) -> None:
    """Decorative circles and triangles behind everything, kept off the plain lines (body,
    price, contact: a rule through small print makes it unreadable); display lines may sit on
    them. Drawn first, so the price badge stays on top."""
    shapes = []
    for _ in range(int(rng.integers(1, 5))):
        for _try in range(6):
            cx, cy = float(rng.uniform(0, b.width)), float(rng.uniform(0, b.height))
            r = float(rng.uniform(0.05, 0.25)) * b.width
            if not any(cx - r < x1 and x0 < cx + r and cy - r < y1 and y0 < cy + r for x0, y0, x1, y1 in keep_clear):
                break
        else:
            continue
        if rng.random() < 0.5:
            shapes.append({"kind": "circle", "centre": [cx, cy], "radius": r, "colour": accent,
                           "thickness": int(rng.choice([-1, 4, 10]))})
        else:
            shapes.append({"kind": "poly", "points": [[cx, cy - r], [cx + r, cy + r], [cx - r, cy + r]],
                           "colour": accent, "thickness": int(rng.choice([-1, 6]))})
        b.region("shape", kit.box(cx - r, cy - r, cx + r, cy + r))
    b.graphics[:0] = shapes


def _offer(b: Builder, rng: np.random.Generator, width: int, height: int, y: float, head: float,
           ink: list[int], accent: list[int]) -> None:
    """The ad's price burst and contact line; the burst fits between the body and the contact
    line (a burst over small print hides it), shrinking the price type when space is short."""
    price = format_money(int(rng.integers(100, 99999)), b.money)
    small = head * 0.3
    a2, d2 = b.metrics(small)
    contact_base = height - head * 0.3 - d2
    top, bottom = y + head * 0.2, contact_base - a2 - head * 0.2
    s = head * 0.6
    r = b.width_of(price, s, bold=True) / 2 + s * 0.8
    room = max(4.0, (bottom - top) / 2)
    if r > room:  # the price type shrinks with the burst, to a floor of 40 % of the size
        s *= max(0.4, room / r)
        r = b.width_of(price, s, bold=True) / 2 + s * 0.8
    cy = float(np.clip(height * 0.62, top + r, max(top + r, bottom - r)))
    b.shape("circle", centre=[width / 2, cy], radius=r, colour=accent)
    b.region("badge", kit.box(width / 2 - r, cy - r, width / 2 + r, cy + r), text=price)
    a, d = b.metrics(s)
    on_badge = [20, 20, 20] if sum(accent) > 380 else [250, 250, 250]
    b.block("paragraph", [b.text(price, width / 2, cy + (a - d) / 2, s, anchor="center", colour=on_badge,
                                 role="paragraph", bold=True)])
    contact = b.fit(b.source.phone() if rng.random() < 0.5 else b.source.address(), small, width * 0.9)
    b.block("footer", [b.text(contact, width / 2, contact_base, small, anchor="center", colour=ink,
                              role="footer")])


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return apply_stage(record, ctx)
