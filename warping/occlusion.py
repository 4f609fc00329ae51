"""Fingers over the page: a hand holding the sheet or the phone's user pinning it down.

A photometric step by where it runs (after the camera, the occluder is in the frame's own
coordinates), but it hides text, so labels learn about it: every line and word loses the
share of it a finger hides from `visible` (`occlude_labels`), and with it its legibility.
Fingers are capsules (convex: a rectangle with a round tip) entering from one border of the
frame, drawn in a skin tone with shading across the finger, a darker rim and a soft edge (the
finger is much nearer the lens than the page, so it is out of focus).

What a finger hides is where its skin is opaque enough to wipe the ink out (`finger_cover`):
the skin is blended over the page with the soft alpha it is drawn with, which leaves (1 - a)
of the ink's contrast, so text counts hidden over `warping.legibility.WIPES` of that alpha,
as under a smear. The soft edge is wide (sigma 0.25-1 % of the frame's short side, 3-13 px on
`wild`, about an x-height): at the outline the alpha is 0.5 and the text shows through at half
contrast. Counting the hard outline instead called words hidden that Tesseract read whole
(`wild`, seeds 3-5: "другу," at visible 0.68, "facebook." at 0.65, read at CER 0.00).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from synth.page import Page, make_clockwise
from warping import params as P
from warping.hiding import hide
from warping.kernels import wide_blur
from warping.legibility import WIPES
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
    sigma = _sigma(rec, h, w)
    skin = np.asarray(rec["skin"], np.float32)
    for ring in rec["fingers"]:
        pts = np.asarray(ring, np.float64)
        x0, y0, x1, y1, mask = _outline(pts, sigma)
        bx0, by0, bx1, by1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if bx1 <= bx0 or by1 <= by0:
            continue
        inside = (mask > 0.5).astype(np.uint8)
        width = max(1.0, float(np.linalg.norm(pts[0] - pts[-1])))
        dist = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
        shade = np.sqrt(np.clip(dist / (0.5 * width), 0.0, 1.0))
        mask = wide_blur(mask, sigma)  # sigma 5-20 px on a wild frame: at reduced size
        shade = wide_blur(shade, sigma)
        # blended in bands of rows: the same elementwise float32 ops, with three-channel
        # temporaries of a band instead of the finger's box (~17 MB at once on a 7 MP frame)
        for top in range(by0, by1, _BLEND_ROWS):
            end = min(by1, top + _BLEND_ROWS)
            crop = (slice(top - y0, end - y0), slice(bx0 - x0, bx1 - x0))
            alpha = mask[crop][..., None]
            colour = skin[None, None, :] * (0.55 + 0.45 * shade[crop])[..., None]
            window = out[top:end, bx0:bx1].astype(np.float32)
            out[top:end, bx0:bx1] = np.clip(window * (1 - alpha) + colour * alpha + 0.5, 0, 255)
    return out


_BLEND_ROWS = 64


def _sigma(rec: dict[str, Any], h: int, w: int) -> float:
    """The soft edge's Gaussian sigma in frame px (the finger is out of focus)."""
    return max(0.5, float(rec["blur"]) * min(h, w) / 200.0)


def _outline(pts: np.ndarray, sigma: float) -> tuple[int, int, int, int, np.ndarray]:
    """(x0, y0, x1, y1, mask): a finger's filled outline (float32, 1 inside, antialiased) in
    its box padded by the blur's reach, which may run past the frame."""
    pad = int(np.ceil(3 * sigma)) + 2
    x0, y0 = (np.floor(pts.min(axis=0)).astype(int) - pad).tolist()
    x1, y1 = (np.ceil(pts.max(axis=0)).astype(int) + pad).tolist()
    mask = np.zeros((max(0, y1 - y0), max(0, x1 - x0)), np.float32)
    local = np.round((pts - [x0, y0]) * 4).astype(np.int32)
    cv2.fillPoly(mask, [local], 1.0, cv2.LINE_AA, shift=2)
    return x0, y0, x1, y1, mask


def finger_cover(rec: dict[str, Any], shape: tuple[int, int]) -> np.ndarray:
    """255 where the fingers of a `fingers` record wipe the text out, 0 where it shows, a ramp
    between (uint8, frame px): the alpha they are drawn with (`apply_fingers`) through
    `WIPES`, as a smear's cover does with its strength."""
    h, w = shape
    cover = np.zeros((h, w), np.uint8)
    sigma = _sigma(rec, h, w)
    lo, hi = WIPES
    for ring in rec["fingers"]:
        x0, y0, x1, y1, mask = _outline(np.asarray(ring, np.float64), sigma)
        bx0, by0, bx1, by1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if bx1 <= bx0 or by1 <= by0:
            continue
        alpha = wide_blur(mask, sigma)[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0]
        t = np.clip((alpha - lo) / (hi - lo), 0.0, 1.0)
        here = (t * t * (3 - 2 * t) * 255 + 0.5).astype(np.uint8)
        np.maximum(cover[by0:by1, bx0:bx1], here, out=cover[by0:by1, bx0:bx1])
    return cover


def occlude_labels(page: Page, photometric: list[dict[str, Any]], shape: tuple[int, int]
                   ) -> Page:  # fmt: skip
    """Lines, words and regions lose the share of them the fingers hide (`finger_cover`, in a
    frame of `shape` (h, w)) from `visible` (`warping.hiding.hide`)."""
    if not page.lines and not page.regions:
        return page
    cover = fingers_cover(photometric, shape)
    return page if cover is None else hide(page, cover)


def fingers_cover(photometric: list[dict[str, Any]], shape: tuple[int, int]
                  ) -> np.ndarray | None:  # fmt: skip
    """The union of `finger_cover` over every `fingers` record, or None when there is none."""
    cover: np.ndarray | None = None
    for rec in photometric:
        if rec["step"] == "fingers" and rec["fingers"]:
            mask = finger_cover(rec, shape)
            cover = mask if cover is None else np.maximum(cover, mask)
    return cover


DEFAULTS = {"count": [1, 3], "width": [0.05, 0.09], "reach": [0.06, 0.2], "blur": [0.5, 2.0]}
