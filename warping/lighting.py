"""Light on the paper: shading along creases and curls, cast shadows, illumination gradients,
glare and backlight. Pixels change, labels don't.

Smooth fields (illumination, shadow masks, glare) are computed on a coarse lattice and enlarged,
then applied with one saturating OpenCV multiply: full-size float passes dominated the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import albumentations.augmentations.pixel.functional as apixel
import cv2
import numpy as np

from warping import params as P
from warping.grid import CoarseGrid, upsample_nodes
from warping.params import Ranges


@dataclass(frozen=True)
class ShadingContext:
    """What the geometric stage knows about the paper surface (None when nothing moved)."""

    grid: CoarseGrid | None = None
    creases: tuple[np.ndarray, ...] = ()
    slope: np.ndarray | None = None
    page_alpha: np.ndarray | None = None  # HxW uint8: 255 where the warped page covers


def full_field(field: np.ndarray, width: int, height: int) -> np.ndarray:
    """A per-pixel field (any resolution) as a 3-channel float32 image of the full size.

    Channels are merged before enlarging: merging at full size costs more than the multiply.
    """
    field = np.asarray(field, np.float32)
    f3 = cv2.merge([field, field, field])
    if f3.shape[:2] != (height, width):
        f3 = cv2.resize(f3, (width, height), interpolation=cv2.INTER_LINEAR)
    return f3


def multiply_field(image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """image * factor, saturated to uint8 in one OpenCV call."""
    h, w = image.shape[:2]
    return cv2.multiply(image, full_field(factor, w, h), dtype=cv2.CV_8U)


def screen_field(image: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Brighten towards white by `amount` (0..1 per pixel): what glare does to ink and paper.

    255 - (255 - image) * (1 - amount), done on inverted uint8 with saturating OpenCV calls.
    """
    h, w = image.shape[:2]
    keep = full_field(1.0 - np.clip(amount, 0.0, 1.0), w, h)
    return cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(image), keep, dtype=cv2.CV_8U))


def low_res_grid(width: int, height: int, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (full-resolution units) of a 1/k lattice, for smooth fields."""
    ys = (np.arange(-(-height // k), dtype=np.float32) + 0.5) * k
    xs = (np.arange(-(-width // k), dtype=np.float32) + 0.5) * k
    return np.meshgrid(xs, ys)


def sample_crease(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "dark": P.uniform(rng, r["dark"], 3),
        "width": P.uniform(rng, r["width"], 3),
        "tilt": P.signed(rng, r["tilt"], 3),
        "curl_dark": P.uniform(rng, r["curl_dark"], 3),
    }


def apply_crease(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """Dark crease lines and one-sided tilt along folds, light fall-off across a curl.

    The surface fields are smooth, so they are interpolated from the grid at half resolution
    and the (sharper) shading is computed there; the thinnest crease line is ~1 px at half size.
    """
    if ctx.grid is None or (not ctx.creases and ctx.slope is None):
        return img
    factor = None
    for nodes in ctx.creases:
        t = upsample_nodes(ctx.grid, nodes, reduce=2)
        line = np.exp(-((t / rec["width"]) ** 2))
        side = np.sign(t) * np.exp(-np.abs(t))
        term = (1.0 - rec["dark"] * line) * (1.0 + rec["tilt"] * side)
        factor = term if factor is None else factor * term
    if ctx.slope is not None:
        slope = upsample_nodes(ctx.grid, ctx.slope, reduce=2)
        term = 1.0 - rec["curl_dark"] * (1.0 - np.cos(slope)) + 0.5 * rec["tilt"] * np.sin(slope)
        factor = term if factor is None else factor * term
    assert factor is not None
    if ctx.page_alpha is not None:  # shade the paper, not the table under it
        size = (factor.shape[1], factor.shape[0])
        alpha = cv2.resize(ctx.page_alpha, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        factor = 1.0 + (factor - 1.0) * (alpha / 255.0)
    return multiply_field(img, factor)


def sample_shadow(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    """A soft blob (hand, phone, lamp arm) entering from one border."""
    side = P.integer(rng, [0, 3])
    depth = P.uniform(rng, r["reach"], 3)
    n = P.integer(rng, [5, 9])
    along = np.sort(rng.uniform(-0.2, 1.2, n))
    reach = depth * (0.6 + 0.4 * rng.random(n))
    pts = []
    for a, d in zip(along, reach, strict=True):
        x, y = {0: (a, d), 1: (1 - d, a), 2: (a, 1 - d), 3: (d, a)}[side]
        pts.append([round(float(x) * w, 1), round(float(y) * h, 1)])
    base = {
        0: [[1.2, -0.2], [-0.2, -0.2]],
        1: [[1.2, 1.2], [1.2, -0.2]],
        2: [[1.2, 1.2], [-0.2, 1.2]],
        3: [[-0.2, 1.2], [-0.2, -0.2]],
    }[side]
    pts += [[x * w, y * h] for x, y in base]
    return {
        "polygon": pts,
        "intensity": P.uniform(rng, r["intensity"], 3),
        "softness": P.uniform(rng, r["softness"], 4),
    }


def apply_shadow(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    h, w = img.shape[:2]
    k = 4  # draw and blur at quarter resolution: a soft shadow has no fine detail
    small = np.zeros((-(-h // k), -(-w // k)), np.float32)
    poly = np.round(np.asarray(rec["polygon"], np.float64) / k * 16).astype(np.int32)
    cv2.fillPoly(small, [poly], 1.0, lineType=cv2.LINE_AA, shift=4)
    sigma = max(0.5, rec["softness"] * min(h, w) / k)
    small = cv2.GaussianBlur(small, (0, 0), sigma)
    return multiply_field(img, 1.0 - rec["intensity"] * small)


def sample_lighting(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    kind = P.choice(rng, list(r["kind"]))
    rec: dict[str, Any] = {"kind": kind, "intensity": P.signed(rng, r["intensity"], 3)}
    if kind == "linear":
        rec["angle"] = P.uniform(rng, [0.0, 2 * np.pi], 4)
    elif kind == "gaussian":
        rec["center"] = [P.uniform(rng, [0.0, 1.0], 3), P.uniform(rng, [0.0, 1.0], 3)]
        rec["sigma"] = P.uniform(rng, [0.2, 0.8], 3)
    else:
        rec["corner"] = P.integer(rng, [0, 3])
    return rec


def apply_lighting(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """albumentations' illumination fields, evaluated on a 1/8 lattice of ones and upsampled
    (the fields are smooth; running them on the full float image costs ~10x more)."""
    h, w = img.shape[:2]
    ones = np.ones((-(-h // 8), -(-w // 8), 3), np.float32)
    if rec["kind"] == "linear":
        gain = apixel.apply_linear_illumination(ones, rec["intensity"], rec["angle"])
    elif rec["kind"] == "gaussian":
        gain = apixel.apply_gaussian_illumination(
            ones, rec["intensity"], tuple(rec["center"]), rec["sigma"]
        )
    else:
        gain = apixel.apply_corner_illumination(ones, rec["intensity"], rec["corner"])
    return multiply_field(img, np.ascontiguousarray(np.asarray(gain, np.float32)[..., 0]))


def sample_glare(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "center": [P.uniform(rng, [0.15, 0.85], 3), P.uniform(rng, [0.15, 0.85], 3)],
        "radius": P.uniform(rng, r["radius"], 3),
        "aspect": P.uniform(rng, [0.4, 1.0], 3),
        "angle": P.uniform(rng, [0.0, np.pi], 3),
        "strength": P.uniform(rng, r["strength"], 3),
    }


def apply_glare(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    h, w = img.shape[:2]
    xx, yy = low_res_grid(w, h)
    dx, dy = xx - rec["center"][0] * w, yy - rec["center"][1] * h
    c, s = np.cos(rec["angle"]), np.sin(rec["angle"])
    rad = rec["radius"] * min(w, h)
    d2 = ((dx * c + dy * s) / rad) ** 2 + ((-dx * s + dy * c) / (rad * rec["aspect"])) ** 2
    core = np.exp(-0.5 * d2)
    return screen_field(img, rec["strength"] * np.minimum(1.0, 1.3 * core))


def sample_backlight(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "exposure": P.uniform(rng, r["exposure"], 3),
        "bloom": P.uniform(rng, r["bloom"], 3),
        "reach": P.uniform(rng, r["reach"], 3),
        "side": P.integer(rng, [0, 3]),
    }


def apply_backlight(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """Strong light behind the subject: the page is under-exposed, one side blooms to white."""
    h, w = img.shape[:2]
    dark = cv2.convertScaleAbs(img, alpha=rec["exposure"])
    xx, yy = low_res_grid(w, h)
    along = {0: yy / h, 1: xx / w, 2: 1 - yy / h, 3: 1 - xx / w}[rec["side"]]
    return screen_field(dark, rec["bloom"] * np.exp(-along / max(rec["reach"], 1e-3)))


def sample_drop_shadow(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    angle = P.uniform(rng, [0.0, 2 * np.pi], 4)
    reach = P.uniform(rng, r["offset"], 4)
    return {
        "offset": [round(reach * float(np.cos(angle)), 4), round(reach * float(np.sin(angle)), 4)],
        "softness": P.uniform(rng, r["softness"], 4),
        "intensity": P.uniform(rng, r["intensity"], 3),
    }


def apply_drop_shadow(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """The page's own shadow on the table: its coverage shifted, blurred, outside the page only.

    Needs the page coverage from the geometric stage; a page that was not placed is unchanged.
    """
    if ctx.page_alpha is None or ctx.page_alpha.min() == 255:
        return img
    h, w = img.shape[:2]
    k = 4  # a soft shadow has no fine detail: work at quarter size
    small = cv2.resize(ctx.page_alpha, (-(-w // k), -(-h // k)), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32) / 255.0
    short = min(w, h) / k
    shift = np.float32([[1, 0, rec["offset"][0] * short], [0, 1, rec["offset"][1] * short]])
    cast = cv2.warpAffine(small, shift, (small.shape[1], small.shape[0]))
    cast = cv2.GaussianBlur(cast, (0, 0), max(0.5, rec["softness"] * short))
    cast = cv2.resize(cast, (w, h), interpolation=cv2.INTER_LINEAR)
    table = 1.0 - ctx.page_alpha.astype(np.float32) / 255.0  # full size: the page edge is sharp
    return multiply_field(img, 1.0 - rec["intensity"] * cast * table)
