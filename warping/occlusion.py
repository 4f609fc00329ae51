"""Fingers over the page: a hand holding the sheet or the phone's user pinning it down.

A photometric step by where it runs (after the camera, the occluder is in the frame's own
coordinates), but it hides text, so labels learn about it: every line and word loses the
share of its outline a finger covers from `visible` (`occlude_labels`), and with it its
legibility. Fingers are capsules (convex: a rectangle with a round tip) entering from one
border of the frame, drawn in a skin tone with shading across the finger, a darker rim and a
soft edge (the finger is much nearer the lens than the page, so it is out of focus).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synth.opencv import cv2
from synth.page import Page, make_clockwise
from warping import params as P
from warping.kernels import wide_blur
from warping.lighting import drawable
from warping.params import Ranges

# sRGB skin tones, light to dark (means of common photographic skin classes)
SKIN = [(233, 196, 170), (221, 176, 145), (198, 144, 108), (160, 110, 78), (112, 74, 52)]
_TIP_POINTS = 9  # points on a finger's round tip


def sample_fingers(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    """1-4 parallel fingers from one border, at a random place along it."""
    short = float(min(w, h))
    side = P.integer(rng, [0, 3])
    count = P.integer(rng, r["count"])
    width = P.uniform(rng, r["width"], 4) * short
    along = P.uniform(rng, [0.15, 0.85], 3)
    tilt = P.signed(rng, [0.0, 25.0], 2)
    fingers = []
    for k in range(count):
        reach = P.uniform(rng, r["reach"], 4) * short * (1.0 - 0.15 * abs(k - (count - 1) / 2))
        offset = (k - (count - 1) / 2) * width * 1.05
        fingers.append(_capsule(side, along, offset, reach, width, tilt, w, h))
    return {
        "fingers": fingers,
        "skin": [int(v) for v in SKIN[P.integer(rng, [0, len(SKIN) - 1])]],
        "blur": P.uniform(rng, r["blur"], 3),
    }


def _capsule(side: int, along: float, offset: float, reach: float, width: float, tilt: float,
             w: int, h: int) -> list[list[float]]:  # fmt: skip
    """A finger's outline (clockwise, frame px) from border `side` (0 top, 1 right, 2 bottom,
    3 left) at fraction `along` of it, shifted `offset` px along it, `reach` px long."""
    a = np.deg2rad(tilt)
    inward = {0: (0.0, 1.0), 1: (-1.0, 0.0), 2: (0.0, -1.0), 3: (1.0, 0.0)}[side]
    d = np.array([inward[0] * np.cos(a) - inward[1] * np.sin(a),
                  inward[0] * np.sin(a) + inward[1] * np.cos(a)])  # fmt: skip
    n = np.array([-d[1], d[0]])
    base = {0: (along * w, 0.0), 1: (float(w), along * h), 2: (along * w, float(h)),
            3: (0.0, along * h)}[side]  # fmt: skip
    start = np.array(base) + n * offset - d * width  # from beyond the border
    tip = start + d * (reach + width)
    half = width / 2
    arc = np.linspace(-np.pi / 2, np.pi / 2, _TIP_POINTS)
    tip_pts = [tip + d * (half * np.cos(t)) + n * (half * np.sin(t)) for t in arc]
    ring = make_clockwise(np.array([start - n * half, *tip_pts, start + n * half]))
    return [[round(float(x), 2), round(float(y), 2)] for x, y in ring]


def apply_fingers(img: np.ndarray, rec: dict[str, Any], ctx: Any = None) -> np.ndarray:
    """Skin over the frame where the fingers are: shaded across each finger (rounder = lighter
    in the middle), soft edged. Each finger is drawn in its own box (frames are megapixels,
    fingers a few percent of them)."""
    h, w = img.shape[:2]
    out = drawable(img, ctx)
    sigma = max(0.5, rec["blur"] * min(h, w) / 200.0)
    skin = np.asarray(rec["skin"], np.float32)
    for ring in rec["fingers"]:
        pts = np.asarray(ring, np.float64)
        pad = int(np.ceil(3 * sigma)) + 2
        x0, y0 = (np.floor(pts.min(axis=0)).astype(int) - pad).tolist()
        x1, y1 = (np.ceil(pts.max(axis=0)).astype(int) + pad).tolist()
        bx0, by0, bx1, by1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if bx1 <= bx0 or by1 <= by0:
            continue
        local = np.round((pts - [x0, y0]) * 4).astype(np.int32)
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(mask, [local], 1.0, cv2.LINE_AA, shift=2)
        inside = (mask > 0.5).astype(np.uint8)
        width = max(1.0, float(np.linalg.norm(pts[0] - pts[-1])))
        dist = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
        shade = np.sqrt(np.clip(dist / (0.5 * width), 0.0, 1.0))
        mask = wide_blur(mask, sigma)  # sigma 5-20 px on a wild frame: at reduced size
        shade = wide_blur(shade, sigma)
        crop = (slice(by0 - y0, by1 - y0), slice(bx0 - x0, bx1 - x0))
        alpha = mask[crop][..., None]
        colour = skin[None, None, :] * (0.55 + 0.45 * shade[crop])[..., None]
        window = out[by0:by1, bx0:bx1].astype(np.float32)
        out[by0:by1, bx0:bx1] = np.clip(window * (1 - alpha) + colour * alpha + 0.5, 0, 255)
    return out


def covered_fraction(polygons: list[list[list[float]]], fingers: list[list[list[float]]]
                     ) -> np.ndarray:  # fmt: skip
    """Share of each polygon's convex hull that the fingers cover (fingers do not overlap
    much; overlaps are counted once per finger, capped at 1)."""
    out = np.zeros(len(polygons))
    hulls = [cv2.convexHull(np.asarray(f, np.float32)) for f in fingers]
    boxes = [cv2.boundingRect(hull) for hull in hulls]
    for i, poly in enumerate(polygons):
        if len(poly) < 3:
            continue
        hull = cv2.convexHull(np.asarray(poly, np.float32))
        area = abs(cv2.contourArea(hull))
        if area <= 0:
            continue
        x, y, bw, bh = cv2.boundingRect(hull)
        hidden = 0.0
        for finger, (fx, fy, fw, fh) in zip(hulls, boxes, strict=True):
            if fx > x + bw or x > fx + fw or fy > y + bh or y > fy + fh:
                continue
            inter, _ = cv2.intersectConvexConvex(hull, finger)
            hidden += float(inter)
        out[i] = min(1.0, hidden / area)
    return out


def occlude_labels(page: Page, photometric: list[dict[str, Any]]) -> Page:
    """Lines, words and regions lose the share of their outline a finger hides from
    `visible`."""
    fingers = [f for rec in photometric if rec["step"] == "fingers" for f in rec["fingers"]]
    if not fingers or (not page.lines and not page.regions):
        return page
    regions = [_seen(r, c) for r, c in zip(
        page.regions, covered_fraction([r.polygon for r in page.regions], fingers).tolist(),
        strict=True)]  # fmt: skip
    if not page.lines:
        return replace(page, regions=regions)
    line_cover = covered_fraction([ln.polygon for ln in page.lines], fingers).tolist()
    word_cover = covered_fraction([wd.polygon for wd in page.words], fingers).tolist()
    lines, k = [], 0
    for ln, c in zip(page.lines, line_cover, strict=True):
        words = [_seen(wd, word_cover[k + j]) for j, wd in enumerate(ln.words)]
        k += len(ln.words)
        line = _seen(ln, c)
        line.words = words
        lines.append(line)
    return replace(page, lines=lines, regions=regions)


def _seen(label: Any, hidden: float) -> Any:
    """A copy of a label with `hidden` of it taken off `visible` (the input page's labels are
    shared with the caller when nothing moved)."""
    new = object.__new__(type(label))
    new.__dict__ = {**label.__dict__, "visible": round(label.visible * (1.0 - hidden), 4)}
    return new


DEFAULTS = {"count": [1, 3], "width": [0.05, 0.09], "reach": [0.06, 0.2], "blur": [0.5, 2.0]}
