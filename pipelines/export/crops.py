"""Line crops: a labelled line cut out of its page and rectified to an upright strip.

A row's line carries a `polygon` (the ink box carried through every warp, first point = the
line's own top-left in its writing frame, densified along curls) and a `quad` (the min-area
rectangle of that polygon, clockwise from the corner nearest the image's top-left). The quad
alone cannot say which way is up: a line turned a quarter (vertical Latin/Mongolian pages) has
its quad start on the wrong corner. So the quad is rolled to start at the corner nearest the
polygon's first point, and each quad corner is then replaced by the polygon point nearest it,
which follows a perspective-foreshortened line better than the rectangle does. The four corners
(top-left, top-right, bottom-right, bottom-left in the line's own frame) go through one
perspective transform to a strip as tall as the line is (no resampling to a fixed height unless
asked), with a margin of `pad` line heights on every side.

Vertical (`ttb`) lines with upright glyphs (CJK columns) come out as tall columns; `rotate_ttb`
turns such a column 90 degrees counter-clockwise so the crop reads left to right (the
convention of PaddleOCR and most CRNN line recognizers; the label stays the logical text).
Lines that were laid out horizontally and then turned (vertical Latin or Mongolian) are always
returned with their glyphs upright, reading left to right.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synth.opencv import cv2

Points = Sequence[Sequence[float]]


def line_corners(polygon: Points, quad: Points) -> np.ndarray | None:
    """Top-left, top-right, bottom-right, bottom-left of a line in its own writing frame.

    None when the geometry is unusable (too few points, non-finite, zero area).
    """
    poly = _as_points(polygon)
    box = _as_points(quad)
    if box is None or len(box) != 4:
        if poly is None or len(poly) < 3:
            return None
        box = _min_area_rect(poly)
    if poly is None or len(poly) < 3:
        poly = box
    start = int(np.argmin(((box - poly[0]) ** 2).sum(axis=1)))
    box = np.roll(box, -start, axis=0)
    if len(poly) == 4:
        corners = poly.copy()
    else:
        nearest = np.argmin(((poly[None, :, :] - box[:, None, :]) ** 2).sum(axis=2), axis=1)
        corners = poly[nearest]
    if _area(corners) <= 1.0 or len({tuple(p) for p in corners.round(3).tolist()}) < 4:
        corners = box
    if _area(corners) <= 1.0:
        return None
    return corners


def strip_size(corners: np.ndarray) -> tuple[float, float]:
    """(length along the writing direction, height across it) of a corner quadrilateral."""
    tl, tr, br, bl = corners
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(width), float(height)


def rectify(
    image: np.ndarray,
    corners: np.ndarray,
    *,
    pad: float = 0.15,
    height: int = 0,
    vertical: bool = False,
    rotate_ttb: bool = True,
) -> np.ndarray:
    """The line as an upright strip (H x W [x C], same dtype as `image`).

    `pad` is the margin in line heights (of the text's short side); `height` > 0 scales the
    strip to that many pixels across the text (0 keeps the line's own size). `vertical` marks
    a top-to-bottom column (its short side is the width); such a column is turned 90 degrees
    counter-clockwise when `rotate_ttb`.
    """
    width, tall = strip_size(corners)
    thickness = width if vertical and tall > width else tall
    margin = pad * thickness
    src = _expand(corners, margin)
    out_w = max(1, int(round(width + 2 * margin)))
    out_h = max(1, int(round(tall + 2 * margin)))
    scale = 1.0
    if height > 0:
        scale = height / max(thickness + 2 * margin, 1e-6)
        out_w, out_h = max(1, int(round(out_w * scale))), max(1, int(round(out_h * scale)))
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src.astype(np.float32), dst)
    border = _border_value(image)
    crop = cv2.warpPerspective(image, matrix, (out_w, out_h), flags=cv2.INTER_AREA
                               if scale < 1 else cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    if vertical and rotate_ttb and crop.shape[0] > crop.shape[1]:
        crop = np.ascontiguousarray(np.rot90(crop, k=1))
    return crop


def _expand(corners: np.ndarray, margin: float) -> np.ndarray:
    """Move each corner `margin` pixels outward along both of the quadrilateral's axes."""
    tl, tr, br, bl = corners.astype(np.float64)
    along = _unit((tr - tl) + (br - bl))
    across = _unit((bl - tl) + (br - tr))
    return np.array([
        tl - margin * along - margin * across,
        tr + margin * along - margin * across,
        br + margin * along + margin * across,
        bl - margin * along + margin * across,
    ])


def _border_value(image: np.ndarray) -> tuple[float, ...]:
    """Pixels past the page edge: the page's median colour, so a margin never looks like ink."""
    flat = image.reshape(-1, image.shape[2] if image.ndim == 3 else 1)
    step = max(1, len(flat) // 4096)
    med = np.median(flat[::step], axis=0)
    return tuple(float(v) for v in np.atleast_1d(med))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else np.array([1.0, 0.0])


def _as_points(points: Points | None) -> np.ndarray | None:
    if points is None or len(points) == 0:
        return None
    arr = np.asarray([list(p)[:2] for p in points], dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.all(np.isfinite(arr)):
        return None
    return arr


def _min_area_rect(points: np.ndarray) -> np.ndarray:
    corners = cv2.boxPoints(cv2.minAreaRect(points.astype(np.float32))).astype(np.float64)
    centre = corners.mean(axis=0)
    order = np.argsort(np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0]))
    ordered = corners[order]
    return np.roll(ordered, -int(np.argmin(ordered.sum(axis=1))), axis=0)


def _area(corners: np.ndarray) -> float:
    x, y = corners[:, 0], corners[:, 1]
    return abs(0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
