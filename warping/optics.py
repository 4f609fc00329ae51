"""Ink, optics and screen steps of the photometric stage (`warping.photometric` registers
them): ink bleed, show-through of the reverse side, motion blur, defocus, low resolution and
moire. Each is a sampler (ranges + Generator -> a JSON record) and an applier (uint8 RGB frame,
record, `ShadingContext`) that returns a new frame; the pixels are pushed through OpenCV.

Blurs run band by band in place (`warping.bands`) on a frame the stage owns
(`ctx.owned_frame`) and on their own scratch frames: one 21 MB buffer less per step on a 7 MP
wild frame, same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from warping import params as P
from warping.bands import (
    band_rows,
    direct_filter,
    filter_in_place,
    gaussian_reach,
    reflect_index,
)
from warping.kernels import defocus_kernel, motion_kernel
from warping.lighting import ShadingContext, has_table
from warping.params import Ranges


def sample_bleed(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"radius": P.integer(rng, r["radius"]), "strength": P.uniform(rng, r["strength"], 3)}


def apply_bleed(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """Ink spreads into the paper: dark strokes grow and soften.

    The whole step (erode, blur, min, blend) runs band by band into the frame itself when the
    stage owns it (else into a copy): an output row reads the rows within the erosion's
    radius plus the blur's reach of it, and a band is cut that far past its own rows, so its
    rows are the whole-frame computation's. The eroded frame used to be a second 21 MB
    frame at the step's peak on a 7 MP frame (a fresh mapping faulted in every time)."""
    radius = int(rec["radius"])
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    sigma, strength = radius * 0.7, float(rec["strength"])

    def bleed(band: np.ndarray) -> np.ndarray:
        soft = cv2.GaussianBlur(cv2.erode(band, kernel), (0, 0), sigma)
        cv2.min(band, soft, dst=soft)
        return cv2.addWeighted(band, 1 - strength, soft, strength, 0, dst=soft)

    own = ctx.owned_frame and img.flags.writeable and img.flags.c_contiguous
    out = img if own else np.ascontiguousarray(img).copy()
    return filter_in_place(out, bleed, radius + gaussian_reach(sigma))


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
    # the mirrored source is the page with the table white (`_mirror_rows` whitens it band by
    # band); on the paper the page is its own paper-only copy, the table keeps `img`
    alpha = ctx.page_alpha if has_table(ctx) else None
    return _through(img, rec, in_place=ctx.owned_frame, alpha=alpha)


def _through(img: np.ndarray, rec: dict[str, Any], in_place: bool = False,
             alpha: np.ndarray | None = None) -> np.ndarray:
    """min(img, blend(img, blur(moved mirror))) (the table's pixels, where the page coverage
    `alpha` is under 128, kept and white in the mirror), band by band into
    `img` itself (`in_place`, a frame the stage owns) or into a copy: one frame in all.

    An output row y reads `img`'s row y and the mirror's rows y +- the blur's reach, which are
    `img`'s rows refl(y - dy +- reach). Bands go upwards when the mirror moves down (dy >= 0)
    and downwards otherwise, each written only after the next band is computed, and are
    taller than |dy| + reach: no band reads a row an earlier band has written (reflected rows
    at the far edge included). The mirror band is blurred with its true edges where it has
    them and cut a reach past its rows elsewhere, so each band is the whole-frame bytes. The
    whole moved mirror was a second 21 MB frame (three with the table's output) on a 7 MP
    wild frame, and the table mask a 7 MB one."""
    h, w = img.shape[:2]
    dx, dy = round(rec["offset"][0] * w), round(rec["offset"][1] * h)
    dx, dy = max(-(w - 1), min(w - 1, dx)), max(-(h - 1), min(h - 1, dy))
    sigma, opacity = max(0.3, rec["blur"]), float(rec["opacity"])
    reach = gaussian_reach(sigma)
    own = in_place and img.flags.writeable and img.flags.c_contiguous
    out = img if own else np.ascontiguousarray(img).copy()
    rows = max(band_rows(out.strides[0], reach), abs(dy) + reach + 1)
    tops = list(range(0, h, rows))
    pending: tuple[int, np.ndarray] | None = None
    for top in reversed(tops) if dy >= 0 else tops:
        bottom = min(h, top + rows)
        lo, hi = max(0, top - reach), min(h, bottom + reach)
        source = reflect_index(np.arange(lo, hi) - dy, h)
        table = None if alpha is None else cv2.compare(alpha[source], 128, cv2.CMP_LT)
        back = _mirror_rows(out, source, dx, table)
        mine = out[top:bottom]
        faint = cv2.GaussianBlur(back, (0, 0), sigma)[top - lo: bottom - lo]
        faint = cv2.addWeighted(mine, 1.0 - opacity, faint, opacity, 0)
        cv2.min(mine, faint, dst=faint)
        if alpha is not None:
            cv2.copyTo(mine, cv2.compare(alpha[top:bottom], 128, cv2.CMP_LT), dst=faint)
        if pending is not None:
            out[pending[0]: pending[0] + len(pending[1])] = pending[1]
        pending = (top, faint)
    if pending is not None:
        out[pending[0]: pending[0] + len(pending[1])] = pending[1]
    return out


def _mirror_rows(img: np.ndarray, rows: np.ndarray, dx: int, white: np.ndarray | None
                 ) -> np.ndarray:  # fmt: skip
    """Rows `rows` of `img` flipped left-right, then moved by dx with BORDER_REFLECT filling
    the edge it leaves (by a flip and a reflected pad of the band, never a padded full copy).
    `white` (uint8 0/255 mask of those rows): those pixels of `img` count as white (max with
    the mask in three channels, two SIMD passes; a boolean assignment took ~20 ms on a wild
    frame)."""
    w = img.shape[1]
    band = np.ascontiguousarray(img[rows])
    if white is not None:
        band = cv2.max(band, cv2.cvtColor(white, cv2.COLOR_GRAY2RGB))
    band = cv2.flip(band, 1)
    if dx:
        left = max(dx, 0)
        band = cv2.copyMakeBorder(band, 0, 0, left, max(-dx, 0), cv2.BORDER_REFLECT)
        band = band[:, left - dx: left - dx + w]
    return band


def _blur_in_place(frame: np.ndarray, sigma: float) -> None:
    """`frame[:] = cv2.GaussianBlur(frame, (0, 0), sigma)` with band-sized temporaries."""
    filter_in_place(frame, lambda band: cv2.GaussianBlur(band, (0, 0), sigma),
                    gaussian_reach(sigma))


def sample_motion(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "kernel": P.odd(P.integer(rng, r["kernel"])),
        "angle": P.uniform(rng, [0.0, 180.0], 2),
        "direction": P.uniform(rng, r["direction"], 3),
    }


def apply_motion(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    # the kernel is never shifted off centre: a pure function of the recorded params
    kernel = motion_kernel(rec["kernel"], rec["angle"], rec["direction"])
    return _filter2d(img, kernel / kernel.sum(), ctx)


def _filter2d(img: np.ndarray, kernel: np.ndarray, ctx: ShadingContext) -> np.ndarray:
    """`cv2.filter2D(img, -1, kernel)`; into `img` itself, band by band, when the stage owns it
    (the kernel is centred: output row y reads rows y -+ its half height)."""
    if not getattr(ctx, "owned_frame", False) or not direct_filter(kernel):
        return cv2.filter2D(img, -1, kernel)
    return filter_in_place(img, lambda band: cv2.filter2D(band, -1, kernel), kernel.shape[0] // 2)


def sample_defocus(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"radius": P.integer(rng, r["radius"]), "alias_blur": P.uniform(rng, r["alias_blur"], 3)}


def apply_defocus(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    """The defocus disk trimmed to its significant taps (`warping.kernels.defocus_kernel`):
    the untrimmed 17x17 kernel made this the slowest step (~75 ms). A flat disk of radius 2
    or 3 (the default alias blur leaves it flat) is summed as a box and four taps
    (`_disk_mean`)."""
    radius = int(rec["radius"])
    kernel = defocus_kernel(radius, rec["alias_blur"])
    if radius not in _BOX_DISKS or not _flat_disk(kernel, radius):
        return _filter2d(img, kernel, ctx)
    if not getattr(ctx, "owned_frame", False):
        return _disk_mean(img, radius)
    return filter_in_place(img, lambda band: _disk_mean(band, radius), radius)


_BOX_DISKS = (2, 3)  # radii whose disk is a (2r - 1)^2 box plus the four axis cells at r


def _flat_disk(kernel: np.ndarray, radius: int) -> bool:
    """Whether `kernel` is, to 1e-3 in all (a pixel moves < 0.3 levels), the flat disk of
    `radius`: the default alias blur (<= 0.2) moves its weights by ~1e-5 in all and leaves
    cells of < 1e-6 around it."""
    size = 2 * radius + 1
    if kernel.shape != (size, size):
        return False
    offsets = np.arange(-radius, radius + 1)
    inside = offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2
    flat = inside / np.count_nonzero(inside)
    return float(np.abs(kernel - flat).sum()) <= 1e-3


def _disk_mean(img: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the disk of `radius` (2 or 3) around every pixel, borders reflected as
    `cv2.filter2D` reflects them: an unnormalised (2r - 1)^2 box (running sums, integer)
    plus the four cells at distance r on the axes, rounded once. `cv2.filter2D` with the
    13 / 29-tap float kernel took ~2.5x the CPU; the bytes differ only where the float
    sum lands on a rounding tie, or the kernel's negligible rim tips one."""
    side = 2 * radius - 1
    total = cv2.boxFilter(img, cv2.CV_16S, (side, side), normalize=False,
                          borderType=cv2.BORDER_REFLECT_101)
    cv2.add(total, cv2.filter2D(img, cv2.CV_16S, _axis_taps(radius)), dst=total)
    return cv2.convertScaleAbs(total, alpha=1.0 / (side * side + 4))


def _axis_taps(radius: int) -> np.ndarray:
    taps = np.zeros((2 * radius + 1, 2 * radius + 1), np.float32)
    taps[radius, [0, -1]] = taps[[0, -1], radius] = 1.0
    return taps


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
    owned = bool(getattr(ctx, "owned_frame", False))
    # below sigma 0.3 the neighbours' weight is < 0.4 %: no blur at all. A frame the stage
    # owns is blurred in place (band by band) and receives the enlarged image: no second frame
    soft = None
    if sigma >= 0.3 and owned:
        _blur_in_place(img, sigma)
        soft = img
    elif sigma >= 0.3:
        soft = cv2.GaussianBlur(img, (0, 0), sigma)
    small = cv2.resize(img if soft is None else soft,
                       (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_LINEAR)  # fmt: skip
    # enlarged into the blurred buffer when there is one (ours, page-sized, no longer needed)
    into = img if owned else soft
    return cv2.resize(small, (w, h), dst=into, interpolation=cv2.INTER_LINEAR)


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
