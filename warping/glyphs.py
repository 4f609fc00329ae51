"""A word cannot be read when one of its letters is gone, however small its share of the word.

`visible` is an area share: ΟΙΚΟΥΜΕΝΙΚΗ with its Μ wholly under a fingertip is still ~0.9
visible, and a frame edge or a tear cutting off the last letter of a long word leaves as
much. A reader (and Tesseract, on `wild`) drops that letter: the label claims text that is
not in the picture. A sliver along the top of every letter costs as much area and leaves the
word readable. What tells the two apart is where the cover lies along the writing direction.

`least_visible_stretch` measures, for every word something covers, the visible share of the
least visible stretch of it one character wide: the word's flat outline (writing frame of
the flat page: along its top edge for ltr and rtl, down its side for ttb) is sampled on a
grid of `ALONG` columns per character and `ACROSS` rows; each sample is visible when it is
on the paper (tears, holes: `paper`, flat page), maps into the frame (the one point map:
frame edges, lens) and is not under a cover (fingers, clutter, smudges: `cover`, frame px).
A window of `ALONG` consecutive columns slides along the word; its mean is the stretch's
visible share. The character width is the word's length over its characters (marks and
format characters draw no cell of their own: Devanagari vowel signs, Arabic harakat, ZWJ;
a CJK word's characters are full ems, and so is its average), the average a proportional
font's letters scatter around. All occluders go through this one function, and
`warping.legibility.score` turns its result into a factor (`GLYPH_VISIBLE`).

Only words whose `visible` is below 1 are looked at (nothing covers the others): a few dozen
on a `wild` page, ~24 points a character through the point map.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import numpy as np

from synth.opencv import cv2
from synth.page import Page, Polygon

ALONG = 4  # sample columns per character cell (the window slides by a quarter character)
ACROSS = 6  # sample rows across the word's height
MAX_CHARS = 64  # longer words (URLs, formulas) are sampled as if this long
_NO_CELL = frozenset({"Mn", "Mc", "Me", "Cf", "Zs", "Cc"})

PointMap = Callable[[np.ndarray], np.ndarray]


def char_cells(text: str) -> int:
    """Characters of `text` that take a cell of their own along the line (>= 1). Inline math
    (`$...$`, whose source is not what is drawn) counts as one."""
    if len(text) > 2 and text.startswith("$") and text.endswith("$"):
        return 1
    n = sum(1 for ch in text if unicodedata.category(ch) not in _NO_CELL)
    return max(1, min(MAX_CHARS, n))


def writing_frame(polygon: Polygon, direction: str) -> np.ndarray | None:
    """Four corners (start-top, end-top, end-bottom, start-bottom) of the word's outline in
    its writing frame: a 4-point outline (top-left, top-right, bottom-right, bottom-left, as
    drawn) gives its own; a longer one (text on a path) its min-area rectangle, long side
    along. The reading direction along the cells does not matter (a minimum over all of
    them), so rtl words need no flip; ttb words run down their left edge."""
    pts = np.asarray(polygon, np.float64).reshape(-1, 2)
    if len(pts) < 3:
        return None
    if len(pts) != 4:
        box = cv2.boxPoints(cv2.minAreaRect(pts.astype(np.float32))).astype(np.float64)
        if np.hypot(*(box[1] - box[0])) < np.hypot(*(box[2] - box[1])):
            box = np.roll(box, -1, axis=0)
        return box
    if direction == "ttb":  # along p0 -> p3, across p0 -> p1
        return pts[[0, 3, 2, 1]]
    return pts


def _samples(corners: np.ndarray, cells: int) -> np.ndarray:
    """(cells * ALONG, ACROSS, 2) flat points: a bilinear grid over the corners."""
    s = (np.arange(cells * ALONG) + 0.5) / (cells * ALONG)
    t = (np.arange(ACROSS) + 0.5) / ACROSS
    p0, p1, p2, p3 = corners
    top = p0 + s[:, None] * (p1 - p0)  # (C, 2)
    bottom = p3 + s[:, None] * (p2 - p3)
    return top[:, None, :] + t[None, :, None] * (bottom - top)[:, None, :]


def _read(mask: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Mask values (0-1) at points (nearest pixel); 0 outside the mask."""
    h, w = mask.shape[:2]
    x = np.floor(pts[:, 0])
    y = np.floor(pts[:, 1])
    ok = np.isfinite(x) & np.isfinite(y) & (x >= 0) & (x < w) & (y >= 0) & (y < h)
    out = np.zeros(len(pts))
    out[ok] = mask[y[ok].astype(np.int64), x[ok].astype(np.int64)] / 255.0
    return out


def least_visible_stretch(
    flat: Page,
    warped: Page,
    point_map: PointMap | None,
    frame: tuple[int, int],
    paper: np.ndarray | None = None,
    cover: np.ndarray | None = None,
) -> np.ndarray:
    """Per word of `warped` (reading order, as `Page.words`): the visible share of its least
    visible stretch one character wide (1.0 for words nothing covers). `flat` is the same
    page before the warp (its word outlines are the writing frames); `point_map` maps flat
    points into the frame of size `frame` (w, h) (None: the identity); `paper` is the flat
    page's paper mask (255 paper), `cover` the frame's cover (255 hidden)."""
    words = warped.words
    out = np.ones(len(words))
    todo: list[tuple[int, int]] = []  # (word index, cells)
    chunks: list[np.ndarray] = []
    k = 0
    for fl, ln in zip(flat.lines, warped.lines, strict=True):
        for fw, wd in zip(fl.words, ln.words, strict=True):
            if wd.visible <= 0.0:
                out[k] = 0.0
            elif wd.visible < 1.0:
                corners = writing_frame(fw.polygon, ln.direction)
                if corners is not None:
                    cells = char_cells(wd.text)
                    todo.append((k, cells))
                    chunks.append(_samples(corners, cells).reshape(-1, 2))
            k += 1
    if not todo:
        return out
    pts = np.concatenate(chunks)
    seen = np.ones(len(pts))
    if paper is not None:
        seen *= _read(paper, pts)
    q = pts if point_map is None else np.asarray(point_map(pts), np.float64).reshape(-1, 2)
    w, h = frame
    seen *= np.isfinite(q).all(axis=1) & (q[:, 0] >= 0) & (q[:, 0] <= w)
    seen *= (q[:, 1] >= 0) & (q[:, 1] <= h)
    if cover is not None:
        seen *= 1.0 - _read(cover, q)
    at = 0
    for j, cells in todo:
        n = cells * ALONG * ACROSS
        columns = seen[at : at + n].reshape(cells * ALONG, ACROSS).mean(axis=1)
        at += n
        window = np.convolve(columns, np.full(ALONG, 1.0 / ALONG), mode="valid")
        out[j] = round(float(window.min()), 4)
    return out
