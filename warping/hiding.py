"""Labels learn what covers them: the share of a line, word or region that a mask hides.

Steps that put something over the text (table clutter, ink smudges, fingers) or take the
paper away (torn edges, holes) describe it as a coverage mask: 0 where the text shows, 255
where nothing of it can be seen. Every label's `visible` is multiplied by the share of its
outline left uncovered (`hide`), so `warping.legibility`'s visibility term, and with it
`legible`, follow (and `warping.glyphs` checks each word letter by letter under the union of
the masks, the frame edge included: one letter gone is a word not read). A mask is read in
the coordinates its labels are in: the frame (clutter, smudges, fingers) or the flat page
(tears, whose labels then move with the one point map like the paper does).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from synth.adaptive_edges import ring_points
from synth.opencv import cv2
from synth.page import Page, Polygon


def covered_share(
    polygons: list[Polygon], mask: np.ndarray, rect: tuple[int, int, int, int] | None = None
) -> np.ndarray:
    """Mean coverage (0-1) of `mask` (uint8, 255 = hidden) over each polygon's pixels. Only
    boxes the mask touches are rasterised (most labels of a page are clear of any cover).

    The boxes of all polygons come from one array of their points, and only those that meet
    the box of the mask's non-zero pixels are looked at: a page's few hundred clear labels
    cost no numpy call each (they cost ~10 us each, in three passes a row). `rect`: that box
    (`cv2.boundingRect(mask)`) when the caller has it: each scan of a wild frame's mask
    costs ~0.6 ms."""
    out = np.zeros(len(polygons))
    keep = [i for i, poly in enumerate(polygons) if len(poly) >= 3]
    if not keep:
        return out
    h, w = mask.shape[:2]
    sizes = np.array([len(polygons[i]) for i in keep])
    pts = ring_points([polygons[i] for i in keep], int(sizes.sum()))
    starts = np.cumsum(sizes) - sizes
    x0 = np.maximum(0, np.floor(np.minimum.reduceat(pts[:, 0], starts))).astype(np.int64)
    y0 = np.maximum(0, np.floor(np.minimum.reduceat(pts[:, 1], starts))).astype(np.int64)
    x1 = np.minimum(w, np.ceil(np.maximum.reduceat(pts[:, 0], starts)) + 1).astype(np.int64)
    y1 = np.minimum(h, np.ceil(np.maximum.reduceat(pts[:, 1], starts)) + 1).astype(np.int64)
    mx, my, mw, mh = cv2.boundingRect(mask) if rect is None else rect  # its non-zero pixels
    near = (x1 > np.maximum(x0, mx)) & (y1 > np.maximum(y0, my))
    near &= (np.minimum(x1, mx + mw) > x0) & (np.minimum(y1, my + mh) > y0)
    for j in np.flatnonzero(near).tolist():
        bx0, by0, bx1, by1 = int(x0[j]), int(y0[j]), int(x1[j]), int(y1[j])
        crop = mask[by0:by1, bx0:bx1]
        if not crop.any():
            continue
        inside = np.zeros(crop.shape, np.uint8)
        start = int(starts[j])
        local = np.round((pts[start : start + int(sizes[j])] - [bx0, by0]) * 4).astype(np.int32)
        cv2.fillPoly(inside, [local], 1, cv2.LINE_8, shift=2)
        n = int(inside.sum())
        if n:
            out[keep[j]] = float(crop[inside > 0].sum()) / (255.0 * n)
    return out


def hide(page: Page, mask: np.ndarray, reference: Page | None = None) -> Page:
    """`page` with every line, word and region's `visible` lowered by the share `mask` covers.
    Coverage is measured on `reference`'s labels (the flat page, for masks drawn on it) or on
    `page`'s own; label objects are copied, never changed in place."""
    ref = reference or page
    if not page.lines and not page.regions:
        return page
    rect = cv2.boundingRect(mask)  # one scan of the mask for all three label kinds
    if rect[2] == 0 or rect[3] == 0:  # nothing covered
        return page
    line_cover = covered_share([ln.polygon for ln in ref.lines], mask, rect)
    word_cover = covered_share([wd.polygon for wd in ref.words], mask, rect)
    region_cover = covered_share([r.polygon for r in ref.regions], mask, rect)
    lines, k = [], 0
    for ln, c in zip(page.lines, line_cover, strict=True):
        words = [_less(wd, float(word_cover[k + j])) for j, wd in enumerate(ln.words)]
        k += len(ln.words)
        line = _less(ln, float(c))
        line.words = words
        lines.append(line)
    out = copy.copy(page)
    out.lines = lines
    out.regions = [_less(r, float(c)) for r, c in zip(page.regions, region_cover, strict=True)]
    return out


def _less(label: Any, hidden: float) -> Any:
    new = object.__new__(type(label))
    new.__dict__ = {**label.__dict__,
                    "visible": round(label.visible * (1.0 - min(1.0, hidden)), 4)}  # fmt: skip
    return new


def cover_of(records: list[dict[str, Any]], shape: tuple[int, int], ctx: Any = None
             ) -> np.ndarray | None:  # fmt: skip
    """The union of the masks of every photometric record whose step hides text (a `cover`
    method: clutter, smudges), or None when none does."""
    from warping.steps import PHOTOMETRIC

    union: np.ndarray | None = None
    for rec in records:
        cover = getattr(PHOTOMETRIC.get(rec["step"]), "cover", None)
        if cover is None:
            continue
        mask = cover(rec, shape, ctx)
        union = mask if union is None else np.maximum(union, mask)
    return union
