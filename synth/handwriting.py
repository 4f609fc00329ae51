"""Imitation handwriting: turn a line drawn with a print font into something pen-like.

Most scripts have no handwriting font, so the line is drawn with its print font into a mask and
then distorted here: glyph-scale horizontal jitter, baseline wobble, size jitter, slant, stroke
thickness and pen pressure. The distortion is one analytic, invertible map, returned as a point
map, so the caller moves every line and word polygon with exactly the function that moved the
ink (pixels are pulled through its inverse with cv2.remap).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from synth.geometry import Polygon, map_rings
from synth.opencv import cv2
from synth.text.paint import blend_colour

PointMap = Callable[[np.ndarray], np.ndarray]

# Pen inks (RGB): blue ballpoints, black gel, blue-black fountain, a dark pencil grey.
INKS = (
    (20, 40, 140),
    (25, 50, 170),
    (10, 20, 90),
    (25, 25, 30),
    (40, 40, 45),
    (60, 62, 70),
)


def sample_handwriting(rng: np.random.Generator, size: float, *, ink: list[int] | None = None) -> dict[str, Any]:
    """Draw the distortion record for one line written at `size` pixels per em.

    Amplitudes are stored in pixels (scaled by `size` here) so that `apply_handwriting` needs
    nothing but the record and the mask.
    """
    em = max(4.0, float(size))
    colour = ink if ink is not None else list(INKS[int(rng.integers(len(INKS)))])
    thickness = int(rng.choice([-1, 0, 0, 1, 1, 2])) if em >= 28 else int(rng.choice([0, 0, 1]))
    return {
        "em": round(em, 2),
        "slant": round(float(rng.normal(0.14, 0.1)), 4),  # shear dx/dy, rightward lean mostly
        "wobble_amplitude": round(float(rng.uniform(0.0, 0.07) * em), 3),
        "wobble_wavelength": round(float(rng.uniform(4.0, 14.0) * em), 3),
        "wobble_phase": round(float(rng.uniform(0, 2 * np.pi)), 4),
        "jitter_x": round(float(rng.uniform(0.0, 0.06) * em), 3),
        "jitter_y": round(float(rng.uniform(0.0, 0.06) * em), 3),
        "jitter_scale": round(float(rng.uniform(0.0, 0.08)), 4),
        "jitter_step": round(float(rng.uniform(0.45, 0.8) * em), 3),  # about one glyph
        "jitter_seed": int(rng.integers(0, 2**31 - 1)),
        "thickness": thickness,
        "pressure": round(float(rng.uniform(0.0, 0.25)), 4),
        "ink": [int(c) for c in colour],
    }


def _knot_curve(gen: np.random.Generator, length: int, step: float, amplitude: float) -> np.ndarray:
    """A smooth random curve sampled at every integer x in [0, length)."""
    n = int(np.ceil(length / max(step, 1.0))) + 2
    knots = gen.standard_normal(n) * amplitude
    return np.interp(np.arange(length, dtype=np.float64), np.arange(n) * step, knots)


class _Distortion:
    """The analytic forward map and its exact inverse for one record and mask size.

    Forward, in order: x1 = x + h(x); y1 = y + b(x1); y2 = yc + (y1 - yc)(1 + g(x1));
    x2 = x1 + s (yc - y2); then shift by the padding. Each step is invertible in closed form
    (h through a monotone 1-D table), so pixels (inverse) and points (forward) agree.
    """

    def __init__(self, record: dict[str, Any], width: int, height: int) -> None:
        gen = np.random.Generator(np.random.PCG64(int(record["jitter_seed"])))
        self.yc = height * 0.5
        self.slant = float(record["slant"])
        margin = int(np.ceil(2 * float(record["em"]))) + 4
        self.x0 = -margin  # curves are tabulated over [x0, width + margin)
        span = width + 2 * margin
        step = float(record["jitter_step"])
        h = _knot_curve(gen, span, step, float(record["jitter_x"]))
        slope_limit = 0.5  # keeps x + h(x) strictly increasing, so h is invertible
        h = np.concatenate([[h[0]], h[0] + np.cumsum(np.clip(np.diff(h), -slope_limit, slope_limit))])
        self.grid = np.arange(span, dtype=np.float64) + self.x0
        self.h_grid = self.grid + h
        wob = float(record["wobble_amplitude"]) * np.sin(
            2 * np.pi * self.grid / max(float(record["wobble_wavelength"]), 1.0)
            + float(record["wobble_phase"])
        )
        self.b = wob + _knot_curve(gen, span, step, float(record["jitter_y"]))
        self.g = np.clip(_knot_curve(gen, span, step, float(record["jitter_scale"])), -0.3, 0.3)
        max_dy = float(np.abs(self.b).max() + np.abs(self.g).max() * height * 0.5)
        self.pad_y = int(np.ceil(max_dy)) + 3
        self.pad_x = int(np.ceil(abs(self.slant) * (height * 0.5 + self.pad_y) + np.abs(h).max())) + 3
        self.out_w = width + 2 * self.pad_x
        self.out_h = height + 2 * self.pad_y

    def _at(self, table: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.grid, table)

    def forward(self, pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        x, y = pts[:, 0], pts[:, 1]
        x1 = np.interp(x, self.grid, self.h_grid)
        y1 = y + self._at(self.b, x1)
        y2 = self.yc + (y1 - self.yc) * (1.0 + self._at(self.g, x1))
        x2 = x1 + self.slant * (self.yc - y2)
        return np.stack([x2 + self.pad_x, y2 + self.pad_y], axis=1)

    def inverse_maps(self) -> tuple[np.ndarray, np.ndarray]:
        """Source coordinates for every output pixel (cv2.remap maps)."""
        # rows and columns broadcast (the same float64 operations as on full index grids)
        y2 = np.arange(self.out_h, dtype=np.float64)[:, None] - self.pad_y
        x1 = (np.arange(self.out_w, dtype=np.float64) - self.pad_x)[None, :] - self.slant * (
            self.yc - y2)
        y1 = self.yc + (y2 - self.yc) / (1.0 + self._at(self.g, x1))
        y = y1 - self._at(self.b, x1)
        x = np.interp(x1, self.h_grid, self.grid)
        return x.astype(np.float32), y.astype(np.float32)


def apply_handwriting(mask: np.ndarray, record: dict[str, Any]) -> tuple[np.ndarray, PointMap]:
    """Distort an ink mask (H x W uint8, 255 = full ink) the way a pen would have drawn it.

    Returns the new mask (larger by a padding that holds the slanted, wobbling ink) and the
    point map from input-mask coordinates to output-mask coordinates.
    """
    if mask.ndim != 2:
        raise ValueError("apply_handwriting expects a single-channel ink mask")
    h, w = mask.shape
    dist = _Distortion(record, w, h)
    map_x, map_y = dist.inverse_maps()
    out = cv2.remap(mask, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    k = int(record["thickness"])
    if k != 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(k) + 1, abs(k) + 1))
        out = cv2.dilate(out, kernel) if k > 0 else cv2.erode(out, kernel)
    pressure = float(record["pressure"])
    if pressure > 0:
        gen = np.random.Generator(np.random.PCG64(int(record["jitter_seed"]) + 1))
        cell = max(2, int(float(record["em"]) * 0.7))
        small = gen.uniform(1.0 - pressure, 1.0, (out.shape[0] // cell + 2, out.shape[1] // cell + 2))
        field = cv2.resize(small.astype(np.float32), (out.shape[1], out.shape[0]))
        product = out.astype(np.float32)
        product *= field  # in [0, 255] while pressure < 1 (the field stays within (0, 1])
        if pressure >= 1.0:
            np.clip(product, 0, 255, out=product)
        out = product.astype(np.uint8)
    return out, dist.forward


def map_polygon(point_map: PointMap, polygon: Polygon, step: float) -> Polygon:
    """Move one polygon (mask coordinates, no frame) with a point map, through the one point
    mapper (`synth.geometry.map_rings`): densified so curved maps bend its edges, clockwise."""
    moved, _ = map_rings([polygon], point_map, None, step)
    return moved[0][0]


def composite_ink(image: np.ndarray, mask: np.ndarray, ink: list[int] | tuple[int, ...], x: int, y: int) -> None:
    """Blend `ink` into `image` (uint8 RGB, in place) through `mask` placed with its top-left
    at (x, y); parts outside the image are cut off."""
    ih, iw = image.shape[:2]
    mh, mw = mask.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(iw, x + mw), min(ih, y + mh)
    if x1 <= x0 or y1 <= y0:
        return
    alpha = np.ascontiguousarray(mask[y0 - y : y1 - y, x0 - x : x1 - x])
    blend_colour(image, x0, y0, alpha, ink)  # integer maths, as printed lines are blended
