"""Ink-against-paper contrast of label boxes (`warping.legibility`'s contrast term).

The term is p95 - p5 of the grey image after lighting inside each label's box. The boxes are
read when that grey image is made (`Contrasts.of`, called by the photometric stage through
`warping.apply_warp`), so the grey frame (7 MB on a 7 MP wild frame) is freed at once instead
of living through every later photometric step, the hiding and the legibility pass (it sat
under every one of those steps' peaks). Label polygons do not change after the geometric
stage (hiding lowers `visible` only), so the values are those read at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synth.adaptive_edges import ring_points
from synth.opencv import cv2
from synth.page import Page, Polygon

_SAMPLE_PIXELS = 2048  # contrast from at most this many pixels of a box (strided)


@dataclass(frozen=True)
class Contrasts:
    """`box_contrasts` of a page's lines, words (reading order) and regions."""

    lines: np.ndarray
    words: np.ndarray
    regions: np.ndarray

    @classmethod
    def of(cls, gray: np.ndarray, page: Page) -> Contrasts:
        """All three kinds from one pass over the boxes (a box's value is its own)."""
        lines = [ln.polygon for ln in page.lines]
        words = [wd.polygon for ln in page.lines for wd in ln.words]
        every = box_contrasts(gray, [*lines, *words, *(r.polygon for r in page.regions)])
        a, b = len(lines), len(lines) + len(words)
        return cls(every[:a], every[a:b], every[b:])

    @classmethod
    def of_rgb(cls, rgb: np.ndarray, page: Page) -> Contrasts:
        """`of` the grey image of the RGB frame `rgb`, converted only inside the boxes'
        bounding box (`rgb_box_contrasts`): the same values."""
        lines = [ln.polygon for ln in page.lines]
        words = [wd.polygon for ln in page.lines for wd in ln.words]
        every = rgb_box_contrasts(rgb, [*lines, *words, *(r.polygon for r in page.regions)])
        a, b = len(lines), len(lines) + len(words)
        return cls(every[:a], every[a:b], every[b:])

    def of_kind(self, kind: str, count: int) -> np.ndarray:
        """The values of `kind` ("lines", "words", "regions"), checked against the count the
        caller has (the labels were read off another page otherwise)."""
        values: np.ndarray = getattr(self, kind)
        if len(values) != count:
            raise ValueError(f"contrasts hold {len(values)} {kind}, the page has {count}")
        return values


def _flat_rings(rings: list[Polygon]) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(indices of the rings with an area, their point counts, all their points as one (n, 2)
    array): one array from one flat list, where a numpy conversion per ring cost ~4x more."""
    keep = [i for i, r in enumerate(rings) if len(r) >= 3]
    counts = [len(rings[i]) for i in keep]
    # fromiter over the chained floats: ~2x the nested list + np.array (~1.5 ms a wild row)
    pts = ring_points([rings[i] for i in keep], sum(counts))
    return keep, np.array(counts, np.int64), pts




def box_contrast(gray: np.ndarray, ring: Polygon) -> float:
    """p95 - p5 grey of the ring's box (strided to `_SAMPLE_PIXELS`); 0 when off the frame."""
    return float(box_contrasts(gray, [ring])[0])


def box_contrasts(gray: np.ndarray, rings: list[Polygon]) -> np.ndarray:
    """`box_contrast` of every ring, the percentiles of all of them read at once.

    A page has hundreds of words; one call per ring made ~8 numpy calls on a few hundred
    pixels each (~12 ms a wild row in all). Here the boxes come from one array of all points,
    each box's strided pixels make one 256-bin row of a histogram table, and the percentiles
    are read off the per-ring cumulative histograms together: the same pixels, the same
    counts and the same ranks, so the same values."""
    return _spreads(gray, _boxes(rings, *gray.shape), len(rings))


def rgb_box_contrasts(rgb: np.ndarray, rings: list[Polygon]) -> np.ndarray:
    """`box_contrasts` of the grey image of the RGB frame `rgb` (OpenCV's RGB2GRAY, per
    pixel), that grey made only inside the bounding box of the rings' boxes: on wild frames
    the text covers part of the frame, and the whole frame's grey plane was a fresh 4-7 MB
    array a row (~1.9 CPU ms with its page faults). The boxes are read at the same pixels."""
    boxes = _boxes(rings, *rgb.shape[:2])
    if not boxes:
        return np.zeros(len(rings))
    left, top = min(b[1] for b in boxes), min(b[2] for b in boxes)
    right, bottom = max(b[3] for b in boxes), max(b[4] for b in boxes)
    crop = rgb[top:bottom, left:right]  # rows stay contiguous: OpenCV reads it in place
    if crop.strides[-1] != crop.itemsize or crop.strides[-2] != 3 * crop.itemsize:
        crop = np.ascontiguousarray(crop)
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    moved = [(i, a - left, b - top, c - left, d - top) for i, a, b, c, d in boxes]
    return _spreads(gray, moved, len(rings))


Box = tuple[int, int, int, int, int]  # ring index, x0, y0, x1, y1 (clipped, non-empty)


def _boxes(rings: list[Polygon], h: int, w: int) -> list[Box]:
    """The pixel box of each ring with an area inside an h x w frame."""
    keep, sizes, pts = _flat_rings(rings)
    if not keep:
        return []
    starts = np.cumsum(sizes) - sizes
    x0 = np.maximum(0, np.trunc(np.minimum.reduceat(pts[:, 0], starts))).astype(np.int64)
    y0 = np.maximum(0, np.trunc(np.minimum.reduceat(pts[:, 1], starts))).astype(np.int64)
    x1 = np.minimum(w, np.ceil(np.maximum.reduceat(pts[:, 0], starts))).astype(np.int64)
    y1 = np.minimum(h, np.ceil(np.maximum.reduceat(pts[:, 1], starts))).astype(np.int64)
    return [(i, a, b, c, d) for i, a, b, c, d in zip(
        keep, x0.tolist(), y0.tolist(), x1.tolist(), y1.tolist(), strict=True)
        if c - a >= 1 and d - b >= 1]


def _spreads(gray: np.ndarray, boxes: list[Box], count: int) -> np.ndarray:
    """p95 - p5 of each box's strided pixels of `gray` (0 for the rings without a box)."""
    out = np.zeros(count)
    chunks, rows = [], []
    for i, a, b, c, d in boxes:
        stride = max(1, int(math.sqrt((c - a) * (d - b) / _SAMPLE_PIXELS)))
        chunks.append(gray[b:d:stride, a:c:stride].ravel())
        rows.append(i)
    if not rows:
        return out
    # percentiles of 8-bit values from each box's histogram (~8x faster than a partition).
    # One bincount a box: all boxes tagged into one bincount held ~2 M int64 tags on a 7 MP
    # page (~50 MiB of temporaries) and, in groups, was ~20 % slower (5.6 vs 4.7 ms a page)
    hist = np.empty((len(chunks), 256), np.int64)
    for j, chunk in enumerate(chunks):
        hist[j] = np.bincount(chunk, minlength=256)
    cum = np.cumsum(hist, axis=1, out=hist)
    n = cum[:, -1:].astype(np.float64)
    # searchsorted(cum, t, side="right") counts the entries <= t
    lo = (cum <= 0.05 * (n - 1)).sum(axis=1)
    hi = (cum <= 0.95 * (n - 1)).sum(axis=1)
    spread = (hi - lo).astype(np.float64)
    out[rows] = spread
    return out
