"""The photometric stage: light, shadow, optics, sensor and codec. Pixels change, labels don't.

Where albumentations 2.0.8 has the effect, its functional API is called with parameters drawn
here (its own samplers and global RNG are never used): motion blur kernel, defocus, illumination
fields, colour gains, downscale, JPEG. Effects it lacks (soft cast shadows, glare that washes ink
out, backlight, ink bleed, shading along creases) are written here, and so is noise: both its
Gaussian and Poisson noise were 5-40x slower at page size than OpenCV's generator seeded from
the record (what albumentations' GaussNoise does internally, minus a float64 buffer).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import albumentations.augmentations.blur.functional as ablur
import albumentations.augmentations.pixel.functional as apixel
import cv2
import numpy as np

from warping import params as P
from warping.grid import CoarseGrid, upsample_nodes
from warping.params import Ranges, StepDef


@dataclass(frozen=True)
class ShadingContext:
    """What the geometric stage knows about the paper surface (None when nothing moved)."""

    grid: CoarseGrid | None = None
    creases: tuple[np.ndarray, ...] = ()
    slope: np.ndarray | None = None
    page_alpha: np.ndarray | None = None  # HxW uint8: 255 where the warped page covers


def _full3(field: np.ndarray, width: int, height: int) -> np.ndarray:
    """A per-pixel field (any resolution) as a 3-channel float32 image of the full size.

    Channels are merged before enlarging: merging at full size costs more than the multiply.
    """
    field = np.asarray(field, np.float32)
    f3 = cv2.merge([field, field, field])
    if f3.shape[:2] != (height, width):
        f3 = cv2.resize(f3, (width, height), interpolation=cv2.INTER_LINEAR)
    return f3


def _multiply(image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """image * factor, saturated to uint8 in one OpenCV call."""
    h, w = image.shape[:2]
    return cv2.multiply(image, _full3(factor, w, h), dtype=cv2.CV_8U)


def _screen(image: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Brighten towards white by `amount` (0..1 per pixel): what glare does to ink and paper.

    255 - (255 - image) * (1 - amount), done on inverted uint8 with saturating OpenCV calls.
    """
    h, w = image.shape[:2]
    keep = _full3(1.0 - np.clip(amount, 0.0, 1.0), w, h)
    return cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(image), keep, dtype=cv2.CV_8U))


def _low_res_grid(width: int, height: int, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (full-resolution units) of a 1/k lattice, for smooth fields."""
    ys = (np.arange(-(-height // k), dtype=np.float32) + 0.5) * k
    xs = (np.arange(-(-width // k), dtype=np.float32) + 0.5) * k
    return np.meshgrid(xs, ys)


def _normal(shape: tuple[int, ...], seed: int, sigma: float) -> np.ndarray:
    """N(0, sigma) float32 noise from OpenCV's generator seeded from the record.

    Drawn as one single-channel plane: with a scalar std, `cv2.randn` fills only channel 0 of a
    multi-channel array.
    """
    cv2.setRNGSeed(seed)
    flat = np.empty((shape[0], int(np.prod(shape[1:]))), np.float32)
    cv2.randn(flat, 0.0, sigma)
    return flat.reshape(shape)


def _seed(rng: np.random.Generator) -> int:
    return P.integer(rng, [0, 2**31 - 1])


# --- steps: (sample, apply) pairs ---------------------------------------------------------------


def _s_crease(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "dark": P.uniform(rng, r["dark"], 3),
        "width": P.uniform(rng, r["width"], 3),
        "tilt": P.signed(rng, r["tilt"], 3),
        "curl_dark": P.uniform(rng, r["curl_dark"], 3),
    }


def _a_crease(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
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
    return _multiply(img, factor)


def _s_shadow(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
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


def _a_shadow(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    h, w = img.shape[:2]
    k = 4  # draw and blur at quarter resolution: a soft shadow has no fine detail
    small = np.zeros((-(-h // k), -(-w // k)), np.float32)
    poly = np.round(np.asarray(rec["polygon"], np.float64) / k * 16).astype(np.int32)
    cv2.fillPoly(small, [poly], 1.0, lineType=cv2.LINE_AA, shift=4)
    sigma = max(0.5, rec["softness"] * min(h, w) / k)
    small = cv2.GaussianBlur(small, (0, 0), sigma)
    return _multiply(img, 1.0 - rec["intensity"] * small)


def _s_lighting(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
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


def _a_lighting(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
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
    return _multiply(img, np.ascontiguousarray(np.asarray(gain, np.float32)[..., 0]))


def _s_glare(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "center": [P.uniform(rng, [0.15, 0.85], 3), P.uniform(rng, [0.15, 0.85], 3)],
        "radius": P.uniform(rng, r["radius"], 3),
        "aspect": P.uniform(rng, [0.4, 1.0], 3),
        "angle": P.uniform(rng, [0.0, np.pi], 3),
        "strength": P.uniform(rng, r["strength"], 3),
    }


def _a_glare(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    h, w = img.shape[:2]
    xx, yy = _low_res_grid(w, h)
    dx, dy = xx - rec["center"][0] * w, yy - rec["center"][1] * h
    c, s = np.cos(rec["angle"]), np.sin(rec["angle"])
    rad = rec["radius"] * min(w, h)
    d2 = ((dx * c + dy * s) / rad) ** 2 + ((-dx * s + dy * c) / (rad * rec["aspect"])) ** 2
    core = np.exp(-0.5 * d2)
    return _screen(img, rec["strength"] * np.minimum(1.0, 1.3 * core))


def _s_backlight(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "exposure": P.uniform(rng, r["exposure"], 3),
        "bloom": P.uniform(rng, r["bloom"], 3),
        "reach": P.uniform(rng, r["reach"], 3),
        "side": P.integer(rng, [0, 3]),
    }


def _a_backlight(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """Strong light behind the subject: the page is under-exposed, one side blooms to white."""
    h, w = img.shape[:2]
    dark = cv2.convertScaleAbs(img, alpha=rec["exposure"])
    xx, yy = _low_res_grid(w, h)
    along = {0: yy / h, 1: xx / w, 2: 1 - yy / h, 3: 1 - xx / w}[rec["side"]]
    return _screen(dark, rec["bloom"] * np.exp(-along / max(rec["reach"], 1e-3)))


def _s_cast(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"gains": [P.uniform(rng, r["red"], 3), 1.0, P.uniform(rng, r["blue"], 3)]}


def _a_cast(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    return apixel.multiply(img, np.asarray(rec["gains"], np.float32))


def _s_bleed(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"radius": P.integer(rng, r["radius"]), "strength": P.uniform(rng, r["strength"], 3)}


def _a_bleed(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """Ink spreads into the paper: dark strokes grow and soften."""
    k = 2 * rec["radius"] + 1
    spread = cv2.erode(img, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    spread = cv2.GaussianBlur(spread, (0, 0), rec["radius"] * 0.7)
    return cv2.addWeighted(img, 1 - rec["strength"], np.minimum(img, spread), rec["strength"], 0)


def _s_motion(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "kernel": P.odd(P.integer(rng, r["kernel"])),
        "angle": P.uniform(rng, [0.0, 180.0], 2),
        "direction": P.uniform(rng, r["direction"], 3),
    }


def _a_motion(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    # allow_shifted=False: the kernel is a pure function of the recorded params
    kernel = ablur.create_motion_kernel(
        rec["kernel"], rec["angle"], rec["direction"], False, random.Random(0)
    )
    return apixel.convolve(img, kernel.astype(np.float32) / kernel.sum())


def _s_defocus(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"radius": P.integer(rng, r["radius"]), "alias_blur": P.uniform(rng, r["alias_blur"], 3)}


def _a_defocus(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """albumentations' defocus kernel (aliased disk, then a small Gaussian), trimmed to its
    non-zero support: its 17x17 always-size kernel made this the slowest step (~75 ms)."""
    radius = int(rec["radius"])
    span = np.arange(-max(8, radius), max(8, radius) + 1)
    x, y = np.meshgrid(span, span)
    disk = ((x**2 + y**2) <= radius**2).astype(np.float32)
    disk /= disk.sum()
    kernel = cv2.GaussianBlur(disk, (3 if radius <= 8 else 5,) * 2, sigmaX=rec["alias_blur"])
    rows, cols = np.nonzero(kernel > 0)
    kernel = kernel[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return apixel.convolve(img, kernel)


def _s_lowres(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"scale": P.uniform(rng, r["scale"], 3)}


def _a_lowres(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    return apixel.downscale(img, rec["scale"], cv2.INTER_AREA, cv2.INTER_LINEAR)


def _s_gauss(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"sigma": P.uniform(rng, r["sigma"], 3), "seed": _seed(rng)}


def _a_gauss(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    # OpenCV's generator seeded from the record: 7x faster than numpy's normal at this size
    noise = _normal(img.shape, int(rec["seed"]), float(rec["sigma"]))
    return cv2.add(img, noise, dtype=cv2.CV_8U)


def _s_poisson(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"scale": P.uniform(rng, r["scale"], 5), "seed": _seed(rng)}


def _a_poisson(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """Shot noise: photon count ~ linear intensity / scale, so its std grows with sqrt(signal).

    Same model as albumentations' `shot_noise` (gamma 2.2, counts = linear / scale), drawn as
    its Gaussian limit with a per-value std from a 256-entry table: albumentations' exact
    Poisson draw took 600 ms on a 1024x1448 page, this takes ~15 ms.
    """
    v = np.arange(256, dtype=np.float64) / 255.0
    lin = v**2.2
    slope = np.where(v > 0, v / np.maximum(2.2 * lin, 1e-12), 0.0)  # d(value)/d(linear)
    lut = (255.0 * slope * np.sqrt(lin * rec["scale"])).astype(np.float32)
    std = cv2.LUT(img, lut)
    noise = _normal(img.shape, int(rec["seed"]), 1.0)
    return cv2.add(img, cv2.multiply(std, noise), dtype=cv2.CV_8U)


def _s_jpeg(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"quality": P.integer(rng, r["quality"])}


def _a_jpeg(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    return apixel.image_compression(img, rec["quality"], ".jpg")


def _def(name: str, defaults: Ranges, sampler, **kw: Any) -> StepDef:
    return StepDef(name, defaults, sampler, **kw)


STEPS: dict[str, StepDef] = {
    "crease_shading": _def(
        "crease_shading",
        {"dark": [0.1, 0.3], "width": [0.04, 0.12], "tilt": [0.03, 0.12], "curl_dark": [0.1, 0.4]},
        _s_crease,
    ),
    "shadow": _def(
        "shadow",
        {"reach": [0.15, 0.5], "intensity": [0.2, 0.55], "softness": [0.01, 0.05]},
        _s_shadow,
    ),
    "lighting_gradient": _def(
        "lighting_gradient",
        {"kind": ["linear", "gaussian", "corner"], "intensity": [0.05, 0.3]},
        _s_lighting,
        choices=frozenset({"kind"}),
    ),
    "glare": _def("glare", {"radius": [0.05, 0.2], "strength": [0.4, 0.95]}, _s_glare),
    "backlight": _def(
        "backlight",
        {"exposure": [0.55, 0.85], "bloom": [0.4, 0.9], "reach": [0.15, 0.5]},
        _s_backlight,
    ),
    "color_cast": _def("color_cast", {"red": [0.88, 1.1], "blue": [0.85, 1.08]}, _s_cast),
    "ink_bleed": _def(
        "ink_bleed",
        {"radius": [1, 2], "strength": [0.3, 0.8]},
        _s_bleed,
        integers=frozenset({"radius"}),
    ),
    "motion_blur": _def(
        "motion_blur",
        {"kernel": [3, 9], "direction": [-0.5, 0.5]},
        _s_motion,
        integers=frozenset({"kernel"}),
    ),
    "defocus": _def(
        "defocus",
        {"radius": [1, 3], "alias_blur": [0.05, 0.2]},
        _s_defocus,
        integers=frozenset({"radius"}),
    ),
    "low_resolution": _def("low_resolution", {"scale": [0.45, 0.85]}, _s_lowres),
    "gauss_noise": _def("gauss_noise", {"sigma": [2.0, 10.0]}, _s_gauss),
    "poisson_noise": _def("poisson_noise", {"scale": [0.0005, 0.004]}, _s_poisson),
    "jpeg": _def("jpeg", {"quality": [40, 95]}, _s_jpeg, integers=frozenset({"quality"})),
}

APPLY = {
    "crease_shading": _a_crease,
    "shadow": _a_shadow,
    "lighting_gradient": _a_lighting,
    "glare": _a_glare,
    "backlight": _a_backlight,
    "color_cast": _a_cast,
    "ink_bleed": _a_bleed,
    "motion_blur": _a_motion,
    "defocus": _a_defocus,
    "low_resolution": _a_lowres,
    "gauss_noise": _a_gauss,
    "poisson_noise": _a_poisson,
    "jpeg": _a_jpeg,
}


def sample_photometric(
    steps: list[dict[str, Any]], width: int, height: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    from synth.rng import child_rng

    records = []
    for i, cfg in enumerate(steps):
        name = cfg["step"]
        step_rng = child_rng(rng, f"photometric:{i}:{name}")
        if step_rng.random() >= cfg["p"]:
            continue
        ranges = {k: v for k, v in cfg.items() if k not in ("step", "p")}
        records.append({"step": name, **STEPS[name].sample(ranges, step_rng, width, height)})
    return records


def apply_photometric(
    image: np.ndarray, records: list[dict[str, Any]], ctx: ShadingContext | None = None
) -> np.ndarray:
    ctx = ctx or ShadingContext()
    out = image
    for rec in records:
        out = APPLY[rec["step"]](out, rec, ctx)
        if out.dtype != np.uint8:
            out = np.clip(out, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(out)
