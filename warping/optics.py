"""Ink, optics and screen steps of the photometric stage (`warping.photometric` registers
them): ink bleed, show-through of the reverse side, motion blur, defocus, low resolution and
moire. Each is a sampler (ranges + Generator -> a JSON record) and an applier (uint8 RGB frame,
record, `ShadingContext`) that returns a new frame; the pixels are pushed through OpenCV.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from warping import params as P
from warping.kernels import defocus_kernel, motion_kernel
from warping.lighting import ShadingContext, has_table
from warping.params import Ranges


def sample_bleed(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"radius": P.integer(rng, r["radius"]), "strength": P.uniform(rng, r["strength"], 3)}


def apply_bleed(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """Ink spreads into the paper: dark strokes grow and soften."""
    k = 2 * rec["radius"] + 1
    spread = cv2.erode(img, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # min and blend reuse the blurred buffer; the blur itself is not in place (OpenCV copies
    # the source of an in-place filter first: ~2 ms a page more)
    soft = cv2.GaussianBlur(spread, (0, 0), rec["radius"] * 0.7)
    del spread
    cv2.min(img, soft, dst=soft)
    return cv2.addWeighted(img, 1 - rec["strength"], soft, rec["strength"], 0, dst=soft)


def sample_through(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "opacity": P.uniform(rng, r["opacity"], 3),
        "blur": P.uniform(rng, r["blur"], 2),
        "offset": [P.signed(rng, [0.0, 0.01], 4), P.signed(rng, [0.0, 0.01], 4)],
    }


def apply_through(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """The reverse side showing through thin paper: the page mirrored, blurred, faint.

    The page itself stands in for its back (no second page is rendered); only darker-than-here
    pixels of the mirror image show, as ink seen through paper does. The offset moves the
    mirror image by whole pixels (reflected at the border): a sub-pixel shift of a blurred,
    faint image is invisible, and the resampling cost more than the rest of the step.

    With a table in view (`ctx.page_alpha`), only the paper shows its back, and only the
    paper's ink does: the table is white in the mirrored source and unchanged in the result
    (a ghost page on the table was a shortcut for a model to learn).
    """
    alpha = ctx.page_alpha if has_table(ctx) else None
    if alpha is None:
        return _through(img, rec)
    table = cv2.compare(alpha, 128, cv2.CMP_LT)
    # white where the table is: max with the 0/255 mask in three channels (two SIMD passes;
    # a numpy boolean assignment into the page copy took ~20 ms on a wild frame)
    paper_only = cv2.max(img, cv2.cvtColor(table, cv2.COLOR_GRAY2RGB))
    out = _through(paper_only, rec)
    cv2.copyTo(img, table, dst=out)
    return out


def _through(img: np.ndarray, rec: dict[str, Any]) -> np.ndarray:
    h, w = img.shape[:2]
    dx, dy = round(rec["offset"][0] * w), round(rec["offset"][1] * h)
    dx, dy = max(-(w - 1), min(w - 1, dx)), max(-(h - 1), min(h - 1, dy))
    mirror = cv2.flip(img, 1)
    back = mirror
    if dx or dy:
        top, left = max(dy, 0), max(dx, 0)
        padded = cv2.copyMakeBorder(mirror, top, max(-dy, 0), left, max(-dx, 0), cv2.BORDER_REFLECT)
        back = padded[top - dy : top - dy + h, left - dx : left - dx + w]
    # blurred into the mirror's buffer when the blur reads the padded copy (not in place:
    # OpenCV copies the source of an in-place filter first), then blended in that buffer
    into = None if back is mirror else mirror
    faint = cv2.GaussianBlur(back, (0, 0), max(0.3, rec["blur"]), dst=into)
    cv2.addWeighted(img, 1.0 - rec["opacity"], faint, rec["opacity"], 0, dst=faint)
    return cv2.min(img, faint, dst=faint)


def sample_motion(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "kernel": P.odd(P.integer(rng, r["kernel"])),
        "angle": P.uniform(rng, [0.0, 180.0], 2),
        "direction": P.uniform(rng, r["direction"], 3),
    }


def apply_motion(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    # the kernel is never shifted off centre: a pure function of the recorded params
    kernel = motion_kernel(rec["kernel"], rec["angle"], rec["direction"])
    return cv2.filter2D(img, -1, kernel / kernel.sum())


def sample_defocus(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"radius": P.integer(rng, r["radius"]), "alias_blur": P.uniform(rng, r["alias_blur"], 3)}


def apply_defocus(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """The defocus disk trimmed to its significant taps (`warping.kernels.defocus_kernel`):
    the untrimmed 17x17 kernel made this the slowest step (~75 ms)."""
    return cv2.filter2D(img, -1, defocus_kernel(int(rec["radius"]), rec["alias_blur"]))


def sample_lowres(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"scale": P.uniform(rng, r["scale"], 3)}


def apply_lowres(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """The page seen by a sensor with `scale` times fewer pixels per side, then enlarged back.

    Anti-aliased with a Gaussian before a bilinear shrink (sigma = (1/scale - 1) / 2, the
    usual rule) instead of INTER_AREA: area averaging at a fractional factor took ~10 ms a
    page, this ~4 ms, and both low-pass the same band.
    """
    h, w = img.shape[:2]
    scale = float(rec["scale"])
    sigma = (1.0 / scale - 1.0) / 2.0
    # below sigma 0.3 the neighbours' weight is < 0.4 %: no blur at all
    soft = cv2.GaussianBlur(img, (0, 0), sigma) if sigma >= 0.3 else None
    small = cv2.resize(img if soft is None else soft,
                       (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_LINEAR)  # fmt: skip
    # enlarged into the blurred buffer when there is one (ours, page-sized, no longer needed)
    return cv2.resize(small, (w, h), dst=soft, interpolation=cv2.INTER_LINEAR)


def sample_moire(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"period": P.uniform(rng, r["period"], 3), "beat": P.uniform(rng, r["beat"], 4),
            "angle": P.uniform(rng, [0.0, 180.0], 2), "strength": P.uniform(rng, r["strength"], 3)}


def apply_moire(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """A phone photographing a screen: the sensor grid beats against the pixel grid, giving
    soft dark bands; two gratings of nearly equal period multiplied, banded brightness."""
    h, w = img.shape[:2]
    a = np.radians(float(rec["angle"]))
    period, beat = float(rec["period"]), float(rec["beat"])
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u = x * np.float32(np.cos(a)) + y * np.float32(np.sin(a))
    v = x * np.float32(np.cos(a + beat)) + y * np.float32(np.sin(a + beat))
    wave = (np.cos(u * np.float32(2 * np.pi / period)) * np.cos(v * np.float32(2 * np.pi / (period * 1.03))) + 1) / 2
    gain = 1.0 - np.float32(rec["strength"]) * wave
    return np.clip(img.astype(np.float32) * gain[:, :, None] + 0.5, 0, 255).astype(np.uint8)
