"""A light run whose paper and table sides still differ after a lift, applied band by band.

That happens when a side term follows a lift: a glare (paper only, a screen towards white)
after a backlight, or a glare as the run's first lift with a drop shadow or crease shading
before it. The two sides' gain and lift are then blended by the page coverage (alpha), so
the light stops exactly at the page edge. `warping.lightpass` used to blend them at page size
in float32 (a gain and a lift field, ~28 MB each on a 7 MP wild frame, and their uint16 and
front products beside them: +120 MB above the frame, the largest transient of a worker).
Here each band of rows enlarges the sides' lattices (cell-centred, as `lightpass._band`),
blends them with that band's coverage, multiplies in the fronts and rounds once to uint16, so
the output frame is the only page-size buffer. Values differ from the page-size version in
the last level or two (the lattices are enlarged cell-centred instead of stretched corner to
corner, and the gain bound is the larger side's peak), so rows through this path change.
"""

from __future__ import annotations

import numpy as np

from synth.opencv import cv2
from warping.lighting import Field

_UNIT = 65535.0  # the gain's bound in its uint16 band (as `lightpass`)
_BAND = 96  # rows per band (as `lightpass`)
Affine = tuple[Field, Field]  # (gain, lift)


def _lattice(reduce: int, w: int, h: int) -> tuple[int, int]:
    return -(-h // reduce), -(-w // reduce)


def _peak(field: Field) -> float:
    return float(field.max()) if isinstance(field, np.ndarray) else float(field)


def _peaks(factors: tuple[Field, ...]) -> float:
    return float(np.prod([_peak(f) for f in factors]))


class _Bands:
    """Rows y0..y1 of lattice fields enlarged to the page (float32), one band at a time."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self._stretched: dict[int, np.ndarray] = {}  # fields on no 1/k lattice: enlarged once

    def rows(self, field: Field, y0: int, y1: int) -> Field:
        if not isinstance(field, np.ndarray):
            return float(field)
        w, h = self.w, self.h
        field = np.asarray(field, np.float32)
        rows, cols = field.shape
        if (rows, cols) == (h, w):
            return field[y0:y1]
        k = max(1, round(h / rows))
        if k == 1 or _lattice(k, w, h) != (rows, cols):
            full = self._stretched.get(id(field))
            if full is None:
                full = self._stretched[id(field)] = cv2.resize(
                    field, (w, h), interpolation=cv2.INTER_LINEAR)
            return full[y0:y1]
        r0, r1 = max(0, y0 // k - 1), min(rows, -(-y1 // k) + 1)
        slab = field[r0:r1]
        wide = cv2.resize(slab, (cols * k, (r1 - r0) * k), interpolation=cv2.INTER_LINEAR)
        return wide[y0 - r0 * k : y1 - r0 * k, :w]

    def product(self, factors: tuple[Field, ...], y0: int, y1: int) -> Field:
        out: Field = 1.0
        for factor in factors:
            out = out * self.rows(factor, y0, y1)
        return out


def _mix(paper: Field, table: Field, cover: np.ndarray) -> Field:
    """table + (paper - table) * cover, per pixel (cover 0..1); equal scalars stay scalars."""
    if not isinstance(paper, np.ndarray) and not isinstance(table, np.ndarray) and paper == table:
        return paper
    return np.float32(table) + (np.float32(paper) - np.float32(table)) * cover


def _plane(value: Field, shape: tuple[int, int]) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value, np.float32)
    return np.full(shape, value, np.float32)


def _three(plane: np.ndarray, factors: list[float], dst: np.ndarray) -> np.ndarray:
    """uint8 channels plane * factor_c (rounded, saturated), as one three-channel image."""
    first = cv2.convertScaleAbs(plane, alpha=factors[0])
    if all(f == factors[0] for f in factors):
        return cv2.cvtColor(first, cv2.COLOR_GRAY2RGB, dst=dst)
    planes = [first, *(cv2.convertScaleAbs(plane, alpha=f) for f in factors[1:])]
    return cv2.merge(planes, dst=dst)


def apply_sided(
    image: np.ndarray,
    paper: Affine,
    table: Affine,
    colour: np.ndarray,
    front: tuple[tuple[Field, ...], tuple[Field, ...]],
    alpha: np.ndarray,
) -> np.ndarray:
    """clip(colour_c * (front * gain * x_c + lift)) with gain and lift blended between the
    paper's and the table's by the coverage `alpha` (uint8), and `front` the paper's front
    gains where alpha >= 128 and the table's elsewhere (as `lightpass._affine`)."""
    h, w = image.shape[:2]
    cols = [float(c) for c in colour]
    gain_peak = max(_peak(paper[0]), _peak(table[0]))  # a blend never exceeds both sides
    front_peak = max(_peaks(front[0]), _peaks(front[1]))
    bound = gain_peak * front_peak * max(cols)
    if bound <= 0.0:
        return np.zeros_like(image)
    unit = _UNIT / (gain_peak * front_peak)
    factors = [c * 255.0 / (_UNIT * max(cols)) for c in cols]
    lifted = isinstance(paper[1], np.ndarray) or isinstance(table[1], np.ndarray) or bool(
        float(paper[1]) or float(table[1]))
    bands = _Bands(w, h)
    out = np.empty_like(image)
    band3 = np.empty((min(_BAND, h), w, 3), np.uint8)
    for y0 in range(0, h, _BAND):
        y1 = min(h, y0 + _BAND)
        shape = (y1 - y0, w)
        three = band3[: y1 - y0]
        cover8 = alpha[y0:y1]
        cover = cover8.astype(np.float32) * np.float32(1.0 / 255.0)
        gain = _plane(_mix(bands.rows(paper[0], y0, y1), bands.rows(table[0], y0, y1), cover),
                      shape)
        on_page = bands.product(front[0], y0, y1)
        off_page = bands.product(front[1], y0, y1)
        fronts = np.where(cover8 >= 128, on_page, off_page).astype(np.float32, copy=False)
        gain16 = cv2.multiply(gain, _plane(fronts, shape), scale=unit, dtype=cv2.CV_16U)
        _three(gain16, factors, three)
        cv2.multiply(image[y0:y1], three, dst=out[y0:y1], scale=bound / 255.0)
        if not lifted:
            continue
        lift = _mix(bands.rows(paper[1], y0, y1), bands.rows(table[1], y0, y1), cover)
        lift16 = cv2.multiply(_plane(lift, shape), 256.0, dtype=cv2.CV_16U)
        if cv2.countNonZero(lift16):
            _three(lift16, [c / 256.0 for c in cols], three)
            cv2.add(out[y0:y1], three, dst=out[y0:y1])
    return out
