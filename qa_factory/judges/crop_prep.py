"""What a crop goes through before Tesseract reads it: PNG encoding, re-setting vertical CJK
columns as rows, painting out rulings, and zooming small text.

Kept apart from the judge (`tesseract.py`) because these are pure image functions that other
judges share (the OpenAI-compatible judge sends the same PNG bytes).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def encode_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def vertical_to_horizontal(image: np.ndarray) -> np.ndarray:
    """Re-set a vertical (ttb) CJK line crop as a horizontal row of upright glyphs.

    Without the `*_vert` packs Tesseract cannot read a vertical column, but CJK glyphs in a
    vertical line are upright, so cutting the column at the blank rows between glyphs
    (merging pieces of one glyph, such as the strokes of 二, up to one em) and laying the
    pieces side by side gives a horizontal line it reads well.
    """
    gray = np.asarray(image, dtype=np.float32)
    gray = gray.mean(axis=2) if gray.ndim == 3 else gray
    lo, hi = np.percentile(gray, [2, 98])
    if hi - lo < 8:
        return image
    ink = gray < (lo + hi) / 2
    cols = np.flatnonzero(ink.any(axis=0))
    em = float(cols[-1] - cols[0] + 1)
    rows = ink.any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], rows.astype(np.int8), [0]])))
    runs = list(zip(edges[::2], edges[1::2], strict=True))
    cells: list[tuple[int, int]] = []
    for start, stop in runs:
        if cells and stop - cells[-1][0] <= em * 1.1:
            cells[-1] = (cells[-1][0], stop)
        else:
            cells.append((int(start), int(stop)))
    size, gap = int(np.ceil(em * 1.1)) + 4, max(2, int(em * 0.15))
    canvas = np.full((size + 2 * gap, len(cells) * (size + gap) + gap), 255, dtype=np.uint8)
    band = np.clip((gray - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)[
        :, cols[0] : cols[-1] + 1
    ]
    for k, (start, stop) in enumerate(cells):
        glyph = band[start:stop][:size, :size]
        top = gap + (size - glyph.shape[0]) // 2
        left = gap + k * (size + gap) + (size - glyph.shape[1]) // 2
        canvas[top : top + glyph.shape[0], left : left + glyph.shape[1]] = glyph
    scale = max(1, int(round(48 / max(em, 1.0))))  # Tesseract reads CJK best near 40-50 px
    if scale > 1:
        canvas = np.asarray(
            Image.fromarray(canvas).resize(
                (canvas.shape[1] * scale, canvas.shape[0] * scale), Image.LANCZOS
            )
        )
    return np.repeat(canvas[:, :, None], 3, axis=2)


def remove_rulings(image: np.ndarray, min_fraction: float = 0.2) -> np.ndarray:
    """Paint table rulings, box edges and underlines with the paper colour before reading.

    Tesseract reads rulings as letters ('|', '[', 'l') and, in one-block mode, loses whole
    ruled tables. Only straight strokes longer than `min_fraction` of the page side are taken
    (the headline of a Bengali or Devanagari word is shorter), found by a morphological opening,
    plus the shorter straight strokes joined to them: the sides of a form's value box (40 px)
    came back as a '|' in front of every value.
    """
    from synth.opencv import cv2

    gray = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.uint8), cv2.COLOR_RGB2GRAY)
    ink = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )
    height, width = gray.shape
    kernels = [(max(20, int(width * min_fraction)), 1), (1, max(20, int(height * min_fraction)))]
    mask = np.zeros_like(ink)
    for size in kernels:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        mask |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    if not mask.any():
        return image
    short = max(12, int(min(width, height) * 0.012))
    strokes = mask.copy()
    for size in ((short, 1), (1, short)):
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        strokes |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    _, labels = cv2.connectedComponents(strokes, connectivity=8)
    joined = np.unique(labels[mask > 0])
    mask = np.where(np.isin(labels, joined[joined > 0]), 255, 0).astype(np.uint8)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    out = np.array(image, dtype=np.uint8, copy=True)
    out[mask > 0] = np.median(out.reshape(-1, out.shape[-1]), axis=0).astype(np.uint8)
    return out


def zoom_for(text_height: float | None, min_height: float) -> float:
    """Tesseract misreads text under ~20 px tall (11 px table print: 'Qty' -> 'ary'); zoom it."""
    if not text_height or text_height >= min_height:
        return 1.0
    return float(min(3.0, 1.4 * min_height / text_height))


def zoom(image: np.ndarray, scale: float) -> np.ndarray:
    if scale <= 1.0:
        return image
    pil = Image.fromarray(np.asarray(image, dtype=np.uint8))
    size = (int(round(pil.width * scale)), int(round(pil.height * scale)))
    return np.asarray(pil.resize(size, Image.LANCZOS))
