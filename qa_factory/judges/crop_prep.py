"""What a crop goes through before a judge reads it: cutting a line out of the page (rectified
when it does not lie level), PNG encoding, re-setting vertical CJK columns as rows, painting out
rulings, and zooming small text.

Kept apart from the judge (`tesseract.py`) because these are pure image functions that other
judges share (the OpenAI-compatible judge sends the same PNG bytes).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from synth.geometry import axis_box

# A line whose quad leans less than this (degrees) is cut out as an axis-aligned box, as
# before rectification existed: clean pages read exactly as they did.
LEVEL_DEGREES = 1.5


def crop_box(
    polygon: Sequence[Sequence[float]], width: int, height: int, margin: float = 0.2
) -> list[float]:
    """The polygon's axis box grown by `margin` of the line's thickness, clipped to the page."""
    x0, y0, x1, y1 = axis_box(polygon)
    pad = max(2.0, min(x1 - x0, y1 - y0) * margin)  # by the line's thickness, also for ttb
    return [
        max(0.0, x0 - pad),
        max(0.0, y0 - pad),
        min(float(width), x1 + pad),
        min(float(height), y1 + pad),
    ]


def _corners(polygon: Sequence[Sequence[float]]) -> np.ndarray:
    """(top-left, top-right, bottom-right, bottom-left) of the text of a line polygon.

    A 4-point ring is the line's own quad (perspective kept). A longer ring (a curved, densified
    line) gives its min-area rectangle, turned so that its first corner is the one nearest the
    ring's first point, which is where the line's top-left was drawn.
    """
    from synth.opencv import cv2

    pts = np.asarray(polygon, dtype=np.float32).reshape(-1, 2)
    if len(pts) == 4:
        return pts.astype(np.float64)
    box = cv2.boxPoints(cv2.minAreaRect(pts)).astype(np.float64)
    start = int(np.argmin(((box - pts[0]) ** 2).sum(axis=1)))
    box = np.roll(box, -start, axis=0)
    (ax, ay), (bx, by) = box[1] - box[0], box[3] - box[0]
    if ax * by - ay * bx < 0:  # keep it clockwise (y down)
        box = box[[0, 3, 2, 1]]
    return box


def line_crop(
    image: np.ndarray, polygon: Sequence[Sequence[float]], direction: str = "ltr",
    margin: float = 0.2,
) -> np.ndarray:
    """The crop a judge reads for one line: its axis box when it lies level, else the line's
    quad warped flat (a rotated or foreshortened line on a photo, whose axis box also holds
    parts of the lines above and below it). `margin` of the line's thickness is kept around."""
    from synth.opencv import cv2

    height, width = image.shape[:2]
    quad = _corners(polygon)
    top, side = quad[1] - quad[0], quad[3] - quad[0]
    long_edge = side if direction == "ttb" else top
    lean = abs(np.degrees(np.arctan2(long_edge[0] if direction == "ttb" else long_edge[1],
                                     long_edge[1] if direction == "ttb" else long_edge[0])))
    if len(polygon) < 3 or lean < LEVEL_DEGREES:
        x0, y0, x1, y1 = (int(round(v)) for v in crop_box(polygon, width, height, margin))
        return np.ascontiguousarray(image[y0 : max(y0 + 1, y1), x0 : max(x0 + 1, x1)])
    out_w = max(2.0, (np.linalg.norm(top) + np.linalg.norm(quad[2] - quad[3])) / 2)
    out_h = max(2.0, (np.linalg.norm(side) + np.linalg.norm(quad[2] - quad[1])) / 2)
    pad = max(2.0, min(out_w, out_h) * margin)
    target = np.array(
        [[pad, pad], [pad + out_w, pad], [pad + out_w, pad + out_h], [pad, pad + out_h]]
    )
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target.astype(np.float32))
    size = (int(round(out_w + 2 * pad)), int(round(out_h + 2 * pad)))
    return cv2.warpPerspective(
        np.ascontiguousarray(image), matrix, size, flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


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


# Tesseract reads best near 30-40 px text and a larger crop costs time in proportion to its
# area, so headings and posters are scaled down to this text height. Rare on documents: of the
# ~900 line crops of bench_qa's 24 clean rows one was taller, and it read the same either way.
MAX_LINE_HEIGHT = 48.0


def line_scale(image: np.ndarray, min_text_height: float) -> np.ndarray:
    """A horizontal line crop zoomed up when its text is small, down when it is large."""
    text_height = image.shape[0] / 1.4  # a line crop is about 1.4 text heights tall
    if image.shape[0] > MAX_LINE_HEIGHT * 1.4:
        scale = MAX_LINE_HEIGHT * 1.4 / image.shape[0]
        pil = Image.fromarray(np.asarray(image, dtype=np.uint8))
        size = (max(1, int(round(pil.width * scale))), max(1, int(round(pil.height * scale))))
        return np.asarray(pil.resize(size, Image.BILINEAR))
    return zoom(image, zoom_for(text_height, min_text_height))


def light_paper(image: np.ndarray) -> np.ndarray:
    """The crop as dark text on light paper: inverted when its border (the paper around the
    line) is dark and its lightest pixels are much lighter (light print on a dark card)."""
    gray = np.asarray(image, dtype=np.float32)
    gray = gray.mean(axis=2) if gray.ndim == 3 else gray
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return image
    paper = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))
    if paper >= 110 or float(np.percentile(gray, 95)) - paper < 40:
        return image
    return (255 - np.asarray(image, dtype=np.uint8)).astype(np.uint8)
