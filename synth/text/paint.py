"""Ink masks of shaped pieces and blending them into a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from synth.opencv import cv2


@dataclass(frozen=True)
class Ink:
    """A piece's coverage mask cropped to its ink, placed relative to the pen position."""

    mask: np.ndarray | None  # uint8 coverage, None when the piece draws nothing (spaces)
    x: int
    y: int


def composite(canvas: np.ndarray, ink: Ink, x: int, y: int, colour: Sequence[int],
              opacity: float = 1.0) -> None:
    """Blend `colour` through the ink mask into `canvas` (in place) with its pen at (x, y)."""
    if ink.mask is None:
        return
    h, w = ink.mask.shape
    x0, y0 = x + ink.x, y + ink.y
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    if cx1 <= cx0 or cy1 <= cy0:
        return
    alpha = ink.mask[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0].astype(np.float32)
    alpha *= opacity / 255.0
    region = canvas[cy0:cy1, cx0:cx1].astype(np.float32)
    colour_arr = np.asarray(colour, dtype=np.float32)
    if canvas.ndim == 2:  # a coverage mask (e.g. for handwriting imitation): colour is a level
        region += (colour_arr.reshape(-1)[0] - region) * alpha
    else:
        region += (colour_arr - region) * alpha[:, :, None]
    canvas[cy0:cy1, cx0:cx1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def paint_pieces(canvas: np.ndarray, placed: list[tuple[Ink, int, int]], colour: Sequence[int],
                 opacity: float) -> None:
    """Blend the pieces of one line into `canvas` (RGB page or single-channel mask).

    The pieces' masks are united (max) into one coverage map over the line's region, which is
    blended once with integer OpenCV arithmetic: one call per line instead of a numpy float
    blend (or a Pillow paste) per piece.
    """
    if canvas.ndim == 3 and canvas.shape[2] != 3:
        for ink, px, py in placed:
            composite(canvas, ink, px, py, colour, opacity)
        return
    height, width = canvas.shape[:2]
    union = union_masks([(ink.mask, px + ink.x, py + ink.y) for ink, px, py in placed],
                        width, height)
    if union is None:
        return
    alpha, x0, y0 = union
    if opacity != 1.0:
        alpha = cv2.convertScaleAbs(alpha, alpha=float(opacity))
    blend_colour(canvas, x0, y0, alpha, colour)


def union_masks(
    placed: Sequence[tuple[np.ndarray, int, int]], width: int | None = None,
    height: int | None = None,
) -> tuple[np.ndarray, int, int] | None:
    """Max-union of uint8 masks with their top-left at integer (x, y): the union over their
    bounding box and that box's top-left, cut to a (width, height) frame when given (None
    when nothing is left). Glyphs make a piece's ink this way, pieces a line's coverage."""
    x0 = y0 = 1 << 30
    x1 = y1 = -(1 << 30)
    for mask, gx, gy in placed:
        h, w = mask.shape
        if gx < x0:
            x0 = gx
        if gy < y0:
            y0 = gy
        if gx + w > x1:
            x1 = gx + w
        if gy + h > y1:
            y1 = gy + h
    inside = True
    if width is not None and height is not None:
        inside = x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    out = np.zeros((y1 - y0, x1 - x0), np.uint8)
    if inside:  # the common case (every glyph of a piece, most lines): nothing to cut
        for mask, gx, gy in placed:
            h, w = mask.shape
            view = out[gy - y0 : gy - y0 + h, gx - x0 : gx - x0 + w]
            np.maximum(view, mask, out=view)
        return out, x0, y0
    for mask, gx, gy in placed:
        h, w = mask.shape
        gx, gy = gx - x0, gy - y0
        sx, sy = max(0, -gx), max(0, -gy)  # parts outside the frame are cut off
        ex, ey = min(w, x1 - x0 - gx), min(h, y1 - y0 - gy)
        if ex > sx and ey > sy:
            view = out[gy + sy : gy + ey, gx + sx : gx + ex]
            np.maximum(view, mask[sy:ey, sx:ex], out=view)
    return out, x0, y0


def blend_colour(canvas: np.ndarray, x0: int, y0: int, alpha: np.ndarray,
                 colour: Sequence[int]) -> None:
    """canvas = canvas * (255 - a) / 255 + colour * a / 255 under `alpha` (uint8, inside the
    canvas) with its top-left at (x0, y0); integer OpenCV maths, each product rounded (error
    at most one level). RGB pages or single-channel masks.

    The ink term takes one table look-up per channel: OpenCV's multiply by a scalar ran ~5x
    slower than by an array, and the tables hold exactly what that multiply gave."""
    h, w = alpha.shape
    region = canvas[y0 : y0 + h, x0 : x0 + w]
    if canvas.ndim == 3:
        ink = cv2.merge([cv2.LUT(alpha, table) for table in
                         _ink_levels(tuple(float(c) for c in colour[:3]))])
        inverse = cv2.cvtColor(cv2.bitwise_not(alpha), cv2.COLOR_GRAY2RGB)
    else:
        ink = cv2.LUT(alpha, _ink_levels((float(colour[0]),))[0])
        inverse = cv2.bitwise_not(alpha)
    kept = cv2.multiply(region, inverse, scale=1.0 / 255.0)
    cv2.add(kept, ink, dst=region)  # a strided view of the canvas: written in place


@lru_cache(maxsize=256)
def _ink_levels(colour: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """colour * a / 255 for every coverage level a (one 1x256 table per channel), made by the
    very `cv2.multiply` call that used to blend, so every level is rounded as it was."""
    levels = np.arange(256, dtype=np.uint8).reshape(1, 256)
    if len(colour) == 1:
        return (cv2.multiply(levels, (colour[0], 0.0, 0.0, 0.0), scale=1.0 / 255.0),)
    table = cv2.multiply(cv2.cvtColor(levels, cv2.COLOR_GRAY2RGB), (*colour, 0.0),
                         scale=1.0 / 255.0)
    return tuple(np.ascontiguousarray(table[:, :, k]) for k in range(3))
