"""Label fidelity, geometry only: do warped polygons cover exactly the warped ink?

Filled shapes of many sizes are drawn (exact area coverage) on a blank page, each also recorded as a
label polygon (and its grid cell as a block). After a geometry-only warp, each label polygon is
rasterised and compared with the ink inside its warped cell. Two measures, both with the
polygon's pixel coverage taken from a 4x4 supersampled fill: `hard` binarises both sides at half
coverage (ink darker than mid-grey vs polygon over half the pixel); `soft` compares fractional
coverage (ink darkness vs polygon coverage) without thresholds. Shared by tests and bench.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from synth.page import Block, Line, Page, box_polygon
from warping import geometry_only

__all__ = ["forced_profile", "geometry_only", "shape_ious", "shapes_page"]


def _raster(polygon: list[list[float]], width: int, height: int) -> np.ndarray:
    """Pixels whose centre is inside the polygon (continuous coords: centre of pixel i is i+.5)."""
    mask = np.zeros((height, width), np.uint8)
    pts = np.round((np.asarray(polygon, np.float64) - 0.5) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def _shape(rng: np.random.Generator, cx: float, cy: float, size: float) -> np.ndarray:
    kind = int(rng.integers(0, 3))
    if kind == 0:  # rotated rectangle, text-line like aspect
        w, h = size, size * float(rng.uniform(0.35, 0.8))
        a = float(rng.uniform(-0.6, 0.6))
        corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        pts = corners @ rot.T
    elif kind == 1:  # triangle
        ang = (
            float(rng.uniform(0, 2 * np.pi))
            + np.arange(3) * 2 * np.pi / 3
            + rng.uniform(-0.3, 0.3, 3)
        )
        pts = np.stack([np.cos(ang), np.sin(ang)], axis=1) * size / 2
    else:  # convex blob (ellipse sampled at 12 points)
        ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
        pts = np.stack([np.cos(ang), np.sin(ang) * float(rng.uniform(0.5, 1.0))], axis=1) * size / 2
    pts = pts + [cx, cy]
    area = 0.5 * (
        np.dot(pts[:, 0], np.roll(pts[:, 1], -1)) - np.dot(pts[:, 1], np.roll(pts[:, 0], -1))
    )
    return pts if area > 0 else pts[::-1]


def shapes_page(
    width: int = 1024, height: int = 1448, seed: int = 0, cols: int = 6, rows: int = 9
) -> Page:
    """A white page with one black shape per grid cell, sizes 28-150 px (the smallest about a 12 px text line); labels = shapes."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 255, np.uint8)
    margin = 0.06
    cw = width * (1 - 2 * margin) / cols
    ch = height * (1 - 2 * margin) / rows
    lines, blocks = [], []
    for r in range(rows):
        for c in range(cols):
            x0, y0 = width * margin + c * cw, height * margin + r * ch
            size = float(np.exp(rng.uniform(np.log(28), np.log(min(cw, ch) * 0.8))))
            pts = _shape(rng, x0 + cw / 2, y0 + ch / 2, size)
            bx0, by0 = int(pts[:, 0].min()) - 2, int(pts[:, 1].min()) - 2
            bw, bh = int(pts[:, 0].max()) + 3 - bx0, int(pts[:, 1].max()) + 3 - by0
            cover = _coverage(pts.tolist(), bx0, by0, bw, bh)  # exact area coverage, 4x4 samples
            window = image[by0 : by0 + bh, bx0 : bx0 + bw]
            window[:] = np.round(window * (1.0 - cover[..., None])).astype(np.uint8)
            poly = pts.round(3).tolist()
            lines.append(
                Line(
                    text=f"s{r}.{c}",
                    polygon=poly,
                    quad=poly[:4],
                    language="zxx",
                    script="Zyyy",
                    direction="ltr",
                )
            )
            blocks.append(
                Block(role="cell", polygon=box_polygon(x0 + 2, y0 + 2, x0 + cw - 2, y0 + ch - 2))
            )
    return Page(
        image=image,
        language="zxx",
        script="Zyyy",
        direction="ltr",
        scene="document",
        lines=lines,
        blocks=blocks,
    )


def _coverage(
    polygon: list[list[float]], x0: int, y0: int, w: int, h: int, ss: int = 4
) -> np.ndarray:
    """Fraction of each pixel of the window (x0, y0, w, h) covered by the polygon."""
    mask = np.zeros((h * ss, w * ss), np.uint8)
    pts = (np.asarray(polygon, np.float64) - [x0, y0]) * ss - 0.5
    cv2.fillPoly(mask, [np.round(pts * 16).astype(np.int32)], 255, lineType=cv2.LINE_8, shift=4)
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def shape_ious(warped: Page, soft: bool = True) -> list[float]:
    """IoU of each fully visible label polygon with the ink inside its warped cell."""
    h, w = warped.height, warped.width
    gray = cv2.cvtColor(warped.image, cv2.COLOR_RGB2GRAY)
    out = []
    for line, block in zip(warped.lines, warped.blocks, strict=True):
        if line.visible < 0.999 or not block.polygon:
            continue
        cell = _raster(block.polygon, w, h)
        ys, xs = np.nonzero(cell)
        if len(xs) == 0:
            continue
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        inside = cell[y0:y1, x0:x1]
        if soft:
            ink = (255.0 - gray[y0:y1, x0:x1].astype(np.float32)) / 255.0 * inside
            label = _coverage(line.polygon, int(x0), int(y0), int(x1 - x0), int(y1 - y0))
            union = float(np.maximum(ink, label).sum())
            inter = float(np.minimum(ink, label).sum())
        else:
            ink_b = (gray[y0:y1, x0:x1] < 128) & inside
            label_b = _coverage(line.polygon, int(x0), int(y0), int(x1 - x0), int(y1 - y0)) > 0.5
            union = float(np.count_nonzero(ink_b | label_b))
            inter = float(np.count_nonzero(ink_b & label_b))
        if union:
            out.append(inter / union)
    return out


def forced_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile with every geometric step made certain (p = 1): the hardest geometry."""
    return {**profile, "geometric": [{**s, "p": 1.0} for s in profile["geometric"]]}
