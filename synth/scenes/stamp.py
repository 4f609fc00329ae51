"""Rubber stamps: a tilted, unevenly inked frame with one line of text, on some pages.

The first region kind built on `synth.page.Region`: the scene records the stamp (`sample`),
draws it over the finished page and appends a `stamp` region whose polygon is the rotated frame
and whose text is exactly the drawn line (`apply`). Nothing else knows stamps: the point map
moves the region with the page, rows store it generically, the views that want it read it.
The words are Latin capitals (real stamps on non-English papers often are), drawn left to right
whatever the page's direction, so the label is what the ink says.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from synth.page import Page, Region
from synth.rng import child_rng

SHARE = 0.12  # of the pages of a scene that stamps
WORDS = ("PAID", "APPROVED", "RECEIVED", "COPY", "VERIFIED", "ORIGINAL", "CONFIDENTIAL",
         "CANCELLED", "DRAFT", "CHECKED")
INKS = ((196, 32, 44), (32, 64, 172), (112, 44, 148), (36, 112, 64))
SHAPES = ("box", "double-box")


def sample(rng: np.random.Generator, width: int, height: int) -> dict[str, Any] | None:
    """The stamp record of a page, or None for most pages.

    Draws from its own child Generator, taken after the scene's last draw, so a page without a
    stamp is the page it was before stamps existed.
    """
    rng = child_rng(rng, "stamp")
    if rng.random() >= SHARE:
        return None
    text = WORDS[int(rng.integers(len(WORDS)))]
    if rng.random() < 0.5:
        day = int(rng.integers(1, 29))
        month = int(rng.integers(1, 13))
        text = f"{text} {day:02d}.{month:02d}.{int(rng.integers(2015, 2028))}"
    size = int(round(min(width, height) * float(rng.uniform(0.028, 0.045))))
    return {
        "text": text,
        "size": max(12, size),
        "centre": [round(float(rng.uniform(0.3, 0.8)) * width, 1),
                   round(float(rng.uniform(0.45, 0.9)) * height, 1)],
        "angle": round(float(rng.uniform(-25, 25)), 2),
        "ink": [int(c) for c in INKS[int(rng.integers(len(INKS)))]],
        "shape": SHAPES[int(rng.integers(len(SHAPES)))],
        "strength": round(float(rng.uniform(0.55, 0.9)), 3),
        "texture_seed": int(rng.integers(0, 2**31 - 1)),
    }


def _stamp_mask(record: dict[str, Any], ctx: Any, language: str) -> tuple[np.ndarray, str]:
    """The upright stamp as a coverage mask (frame + text), and the text drawn."""
    size = int(record["size"])
    style = ctx.style(language, size, "sans", direction="ltr")
    layout = ctx.engine.layout_line(record["text"], style)
    ascent, descent = ctx.engine.metrics(style)
    pad = int(round(size * 0.45))
    frame = 2 if record["shape"] == "box" else 5
    w = int(np.ceil(layout.advance)) + 2 * (pad + frame)
    h = int(ascent + descent) + 2 * (pad + frame)
    mask = np.zeros((h, w), np.uint8)
    thick = max(2, size // 8)
    cv2.rectangle(mask, (0, 0), (w - 1, h - 1), 255, thick)
    if record["shape"] == "double-box":
        inner = thick + 3
        cv2.rectangle(mask, (inner, inner), (w - 1 - inner, h - 1 - inner), 255, max(1, thick // 2))
    ctx.engine.draw_line(mask, layout, (pad + frame, pad + frame + ascent), colour=(255,))
    return mask, record["text"]


def _inside_shift(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """The shift that moves a stamp's corners into the page (centred where it cannot fit)."""
    shift = np.zeros(2)
    for axis, size in ((0, width), (1, height)):
        lo, hi = points[:, axis].min(), points[:, axis].max()
        if hi - lo > size:
            shift[axis] = size / 2 - (lo + hi) / 2
        elif lo < 0:
            shift[axis] = -lo
        elif hi > size:
            shift[axis] = size - hi
    return shift


def apply(page: Page, record: dict[str, Any] | None, ctx: Any) -> Page:
    """Draw the stamp of `record` over `page` (in place) and append its `stamp` region."""
    if not record:
        return page
    mask, text = _stamp_mask(record, ctx, page.language)
    h, w = mask.shape
    cx, cy = record["centre"]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), float(record["angle"]), 1.0)
    turn[:, 2] += [cx - w / 2, cy - h / 2]  # upright centre -> page centre
    height, width = page.image.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    turn[:, 2] += _inside_shift(corners @ turn[:, :2].T + turn[:, 2], width, height)
    cover8 = cv2.warpAffine(mask, turn, (width, height), flags=cv2.INTER_LINEAR)
    texture = np.random.default_rng(int(record["texture_seed"])).random((height // 4 + 1, width // 4 + 1))
    texture = cv2.resize(texture.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    # only the stamp's box changes (alpha is 0 elsewhere, and there the arithmetic gives each
    # pixel back): the float passes run on it, not on the whole page (~20 ms a stamp)
    x, y, bw, bh = cv2.boundingRect(cover8)
    if bw and bh:
        box = (slice(y, y + bh), slice(x, x + bw))
        alpha = (cover8[box].astype(np.float32) / 255.0) * float(record["strength"]) * np.clip(
            0.55 + texture[box], 0.0, 1.0)
        ink = np.asarray(record["ink"], np.float32)
        image = page.image[box].astype(np.float32)
        image += (np.minimum(image, ink) - image) * alpha[..., None]  # ink darkens, never lightens
        page.image = page.image.copy()
        page.image[box] = np.clip(image + 0.5, 0, 255).astype(np.uint8)
    polygon = (corners @ turn[:, :2].T + turn[:, 2]).round(2).tolist()
    page.regions.append(Region(kind="stamp", polygon=polygon, text=text, attributes={
        "ink": list(record["ink"]), "shape": record["shape"], "angle": record["angle"]}))
    return page
