"""Illumination fields, blur kernels and plane reductions of the photometric stage, as small
pure functions.

These used to be taken from albumentations 2.0.8, whose import cost each worker ~58 MiB RSS
(scipy, pydantic, ~580 modules) for five formulas. The records written since then mean what
albumentations computed from their parameters, so these functions reproduce it, quirks
included (noted where they are), bit for bit except where albumentations itself was not
deterministic (the corner field). `tests/test_warping_kernels.py` checks them against
albumentations over the parameter ranges: that is where the dependency stays in use.
`wide_blur` and `shrink` (area-averaged reductions of soft masks and page-size planes) are
polyglyph's own.

Fields are one-channel float32 gains on a (height, width) lattice, clipped to [0, 1] as
albumentations clipped its float results: an illumination field here only ever darkens.
"""

from __future__ import annotations

import math

import numpy as np

from synth.opencv import cv2

__all__ = [
    "corner_illumination",
    "defocus_kernel",
    "gaussian_illumination",
    "linear_illumination",
    "motion_kernel",
    "shrink",
    "wide_blur",
]


def _unit_gain(field: np.ndarray) -> np.ndarray:
    return np.clip(field, 0.0, 1.0, out=field)


def _times(values: np.ndarray, factor: float) -> np.ndarray:
    """float32 values times a double, rounded once to float32.

    The fields are evaluated in float32 in the reference's order of operations (this rounding
    for products with a constant, float32 sums), which makes the linear and gaussian fields
    bit-identical to albumentations' and the pages' pixels unchanged by the switch.
    """
    return (values.astype(np.float64) * factor).astype(np.float32)


def linear_illumination(height: int, width: int, intensity: float, angle_deg: float) -> np.ndarray:
    """A ramp `1 - |i| + 2 |i| g` with g = x cos(a) + y sin(a) over [0, 1] x [0, 1] lattice
    coordinates, rescaled to [0, 1] over the lattice (reversed, 1 - g, for a negative
    intensity): the half of the page where g < 0.5 darkens, down to 1 - |i|, for any angle.
    At 0 and 90 degrees this is albumentations' field bit for bit; elsewhere albumentations
    left g unscaled, so most angles darkened everything or nothing (2026-11-23).
    """
    a = math.radians(angle_deg)
    across = _times(np.linspace(0.0, 1.0, width, dtype=np.float32), math.cos(a))
    down = _times(np.linspace(0.0, 1.0, height, dtype=np.float32), math.sin(a))
    ramp = down[:, None] + across[None, :]
    low, high = float(ramp.min()), float(ramp.max())
    if high - low > 1e-6 and (low, high) != (0.0, 1.0):  # a flat ramp (1-cell axis) stays
        ramp = ((ramp - np.float32(low)) / np.float32(high - low)).astype(np.float32)
    if intensity < 0:
        ramp = np.float32(1.0) - ramp
    strength = abs(intensity)
    return _unit_gain(_times(ramp, 2.0 * strength) + np.float32(1.0 - strength))


def gaussian_illumination(
    height: int, width: int, intensity: float, center: tuple[float, float], sigma: float
) -> np.ndarray:
    """`1 + i exp(-d^2 / (2 s^2))`, d from (center_x * width, center_y * height) in lattice
    pixel indices (not pixel centres), s = sigma * the longer side. Clipped to <= 1, so a
    positive intensity (a bright spot) leaves the page as it was."""
    dx = np.arange(width, dtype=np.float32) - np.float32(width * center[0])
    dy = np.arange(height, dtype=np.float32) - np.float32(height * center[1])
    d2 = (dy * dy)[:, None] + (dx * dx)[None, :]
    bump = cv2.exp(_times(d2, -1.0 / (2.0 * (max(height, width) * sigma) ** 2)))
    return _unit_gain(_times(bump, intensity) + np.float32(1.0))


_CORNERS = ((0, 0), (0, 1), (1, 1), (1, 0))  # (row, col) as 0 / last: TL, TR, BR, BL


def corner_illumination(height: int, width: int, intensity: float, corner: int) -> np.ndarray:
    """`1 - i d / diagonal`, d the Euclidean distance (in lattice pixels) from the centre of
    the corner's pixel (0 top-left, then clockwise). Clipped to <= 1: a negative intensity
    does nothing.

    d is exact here; albumentations took it from cv2.distanceTransform, which is off by a
    float32 ulp in places and, multi-threaded, not even the same from call to call.
    """
    row, col = (c * (n - 1) for c, n in zip(_CORNERS[corner], (height, width), strict=True))
    dist = np.hypot(np.arange(height)[:, None] - row, np.arange(width)[None, :] - col)
    slope = -intensity / math.hypot(height, width)
    return _unit_gain(_times(dist.astype(np.float32), slope) + np.float32(1.0))


def motion_kernel(size: int, angle_deg: float, direction: float) -> np.ndarray:
    """Binary size x size kernel: a segment through the centre at `angle_deg`, stretched
    towards its forward end for direction > 0 (backward for < 0; -1..1, 0 symmetric).

    `size` points are spaced evenly along the segment and each marks its nearest cell (ties
    to even, as numpy rounds), so the kernel is a pure function of the three numbers.
    """
    reach = size // 2
    bias = min(1.0, max(-1.0, float(direction)))
    start = -reach * (1.0 - max(bias, 0.0))
    end = reach * (1.0 + min(bias, 0.0))
    steps = np.linspace(start, end, size)
    a = np.deg2rad(angle_deg)
    cols = np.clip(np.round(reach + np.cos(a) * steps), 0, size - 1).astype(np.intp)
    rows = np.clip(np.round(reach + np.sin(a) * steps), 0, size - 1).astype(np.intp)
    kernel = np.zeros((size, size), np.float32)
    kernel[rows, cols] = 1.0
    return kernel


def defocus_kernel(radius: int, alias_blur: float) -> np.ndarray:
    """A lens out of focus: a hard disk of `radius` (unit sum), softened by a 3-tap (5 past
    radius 8) Gaussian of sigma `alias_blur`, trimmed to the cells weighing >= 1e-3 of the
    peak and renormalised.

    The disk sits in a square frame of half-side max(8, radius) with reflected borders, the
    reference's frame: it matters only past radius 8, where the disk touches the frame. The
    trim drops the Gaussian's ~1e-6 tails, which would add a ring of taps to every page.
    """
    frame = max(8, int(radius))
    offsets = np.arange(-frame, frame + 1)
    inside = offsets[:, None] ** 2 + offsets[None, :] ** 2 <= int(radius) ** 2
    disk = inside.astype(np.float32) / np.float32(np.count_nonzero(inside))
    taps = 3 if radius <= 8 else 5
    soft = cv2.GaussianBlur(disk, (taps, taps), sigmaX=alias_blur)
    rows, cols = np.nonzero(soft >= 1e-3 * soft.max())
    kept = soft[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return kept / kept.sum()


def wide_blur(mask: np.ndarray, sigma: float) -> np.ndarray:
    """A float32 soft mask blurred by `sigma`; a wide blur at 1/f of the size (f a power of
    two, sigma / f >= 4) and enlarged back. For masks smooth over sigma (a smear's ellipse, a
    finger's edge and shading): a full-size blur of a sigma of tens of pixels was most of a
    big smear's cost, and the result moves by < 0.3 % of the mask's range (the shrink's extra
    averaging is ~f / 2 px against sigma >= 4 f; checked on ellipses)."""
    f = 1
    while sigma / (2 * f) >= 4.0:
        f *= 2
    if f == 1:
        return cv2.GaussianBlur(mask, (0, 0), sigma)
    h, w = mask.shape
    small = cv2.resize(mask, (-(-w // f), -(-h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def shrink(plane: np.ndarray, k: int) -> np.ndarray:
    """Area-average by an integer factor to the ceil(size / k) lattice.

    A power of two goes by halvings, OpenCV's fastest INTER_AREA case, and an odd last row /
    column of a halving is halved on its own (as if repeated), so the page-size plane is never
    copied to pad it; a partial edge cell then averages the pixels it has (halving by
    halving). Other factors pad by repeating the edge first, so INTER_AREA runs at an exact
    integer factor rather than its slow fractional path.
    """
    h, w = plane.shape[:2]
    if k & (k - 1) == 0 and min(h, w) >= k and plane.ndim == 2:
        while k > 1:
            plane, k = _halve(plane), k // 2
        return plane
    padded = cv2.copyMakeBorder(plane, 0, -h % k, 0, -w % k, cv2.BORDER_REPLICATE)
    return cv2.resize(padded, (-(-w // k), -(-h // k)), interpolation=cv2.INTER_AREA)


def _halve(plane: np.ndarray) -> np.ndarray:
    h, w = plane.shape[:2]
    eh, ew = h - h % 2, w - w % 2
    core = cv2.resize(plane[:eh, :ew], (ew // 2, eh // 2), interpolation=cv2.INTER_AREA)
    if (eh, ew) == (h, w):
        return core
    out = np.empty(((h + 1) // 2, (w + 1) // 2), plane.dtype)
    out[: eh // 2, : ew // 2] = core
    area = cv2.INTER_AREA
    if h > eh:  # the last row with itself: pairs along it
        out[-1, : ew // 2] = cv2.resize(plane[h - 1 :, :ew], (ew // 2, 1), interpolation=area)[0]
    if w > ew:
        out[: eh // 2, -1] = cv2.resize(plane[:eh, w - 1 :], (1, eh // 2), interpolation=area)[:, 0]
    if h > eh and w > ew:
        out[-1, -1] = plane[-1, -1]
    return out
