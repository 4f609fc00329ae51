"""The photometric stage: light (in `warping.lighting`), ink, optics, sensor and codec.
Pixels change, labels don't.

Parameters are drawn here (no global RNG). The motion blur kernel, defocus disk and
illumination fields are albumentations 2.0.8's formulas, written out in `warping.kernels` and
checked against albumentations in the tests (importing it cost each worker ~58 MiB); the
pixels are pushed through OpenCV directly. Ours alone: soft cast shadows, glare that washes ink
out, backlight, shading along creases (lighting.py), ink bleed, show-through, and sensor noise
(noise.py; albumentations' Gaussian and Poisson noise were 5-40x slower at page size). The
ink, optics and screen steps live in `warping.optics`, the sensor's in `warping.sensor`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from synth.opencv import cv2
from warping import occlusion, sensor
from warping import params as P
from warping.geometric import released
from warping.lighting import (
    TERMS,
    ShadingContext,
    sample_backlight,
    sample_crease,
    sample_drop_shadow,
    sample_glare,
    sample_lighting,
    sample_shadow,
)
from warping.lightpass import apply_light
from warping.noise import NOISE_STEPS, apply_noise
from warping.optics import (
    apply_bleed,
    apply_defocus,
    apply_lowres,
    apply_moire,
    apply_motion,
    apply_through,
    sample_bleed,
    sample_defocus,
    sample_lowres,
    sample_moire,
    sample_motion,
    sample_through,
)
from warping.params import Ranges, Sampler
from warping.steps import PHOTOMETRIC, Applier, FunctionStep, register

__all__ = [
    "APPLY",
    "STEPS",
    "ShadingContext",
    "apply_photometric",
    "apply_photometric_keep_jpeg",
    "jpeg_bytes",
    "jpeg_roundtrip",
    "photometric_runs",
    "sample_photometric",
]


Lit = list[np.ndarray] | Callable[[np.ndarray], None] | None
"""Where `apply_photometric` hands the lit image: a list the grey image is appended to, or a
function called with the lit RGB frame itself (to read, not keep: it may make the grey of just
the part it reads, `warping.contrast.Contrasts.of_rgb`)."""


def _seed(rng: np.random.Generator) -> int:
    return P.integer(rng, [0, 2**31 - 1])


def _s_cast(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"gains": [P.uniform(rng, r["red"], 3), 1.0, P.uniform(rng, r["blue"], 3)]}


def _a_light(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    return apply_light(img, [rec], ctx)


def _s_gauss(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"sigma": P.uniform(rng, r["sigma"], 3), "seed": _seed(rng)}


def _s_poisson(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"scale": P.uniform(rng, r["scale"], 5), "seed": _seed(rng)}


def _a_noise(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    return apply_noise(img, [rec], in_place=ctx.owned_frame)


def _s_jpeg(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"quality": P.integer(rng, r["quality"])}


def jpeg_bytes(img: np.ndarray, quality: int, *, in_place: bool = False,
               restore: bool = True) -> bytes:
    """The RGB page as baseline JPEG (4:2:0) at `quality`.

    OpenCV's encoder assumes BGR: swapped first, so luma and chroma are those of the real
    colours (albumentations' `image_compression` handed RGB over as BGR, subsampling the wrong
    chroma). OpenCV rather than Pillow (slower to encode) or simplejpeg (RGB in, no swap: too
    little saved for another compiled dependency); all three decode these bytes identically.

    `in_place=True` (a frame the caller owns, C-contiguous and writable): swapped to BGR in
    place, in bands, and back after the encode, instead of into a copy: on a large frame the
    copy is a fresh page-size mapping at the codec's peak, paid in page faults, and two banded
    swaps (`swap_red_blue`) cost less. Same bytes; `img` is RGB again on return, unless
    `restore=False` (its caller drops it): then it is left swapped (BGR)."""
    swap = in_place and img.flags.writeable and img.flags.c_contiguous and img.ndim == 3
    if swap:
        swap_red_blue(img)
    encoded = False
    try:
        bgr = img if swap else cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", bgr, (int(cv2.IMWRITE_JPEG_QUALITY), int(quality)))
        encoded = True
    finally:
        if swap and (restore or not encoded):  # a failed encode leaves the frame as it was
            swap_red_blue(img)
    del bgr
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return data.tobytes()


def swap_red_blue(img: np.ndarray) -> None:
    """RGB <-> BGR of a C-contiguous frame, in place, through one small buffer.

    OpenCV's `cvtColor` into its own source copies the source first, into memory of its own
    allocator: with 5 MiB bands every copy was a fresh mapping faulted in 4 KiB pages (glibc's
    mmap threshold is 4 MiB in a worker, `pipelines.worker_setup`). Each band goes into a
    ~256 KiB numpy buffer instead (the glibc heap, in cache) and is copied back: same pixels,
    a fraction of the page faults."""
    step = max(8, _SWAP_BYTES // max(1, img.strides[0]))
    buf = np.empty((min(step, img.shape[0]), *img.shape[1:]), img.dtype)
    for top in range(0, img.shape[0], step):
        band = img[top: top + step]
        tmp = buf[: len(band)]
        cv2.cvtColor(band, cv2.COLOR_RGB2BGR, dst=tmp)
        np.copyto(band, tmp)


_SWAP_BYTES = 256 * 1024


def jpeg_roundtrip(img: np.ndarray, quality: int, *, in_place: bool = False
                   ) -> tuple[np.ndarray, bytes]:
    """JPEG round trip: the decoded RGB image and the bytes that decode to exactly it
    (`in_place` as in `jpeg_bytes`)."""
    data = jpeg_bytes(img, quality, in_place=in_place)
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB), data


def _a_jpeg(img: np.ndarray, rec: dict[str, Any], ctx: ShadingContext) -> np.ndarray:
    return jpeg_roundtrip(img, rec["quality"], in_place=ctx.owned_frame)[0]


def _a_noise_run(img: np.ndarray, recs: list[dict[str, Any]], ctx: ShadingContext) -> np.ndarray:
    return apply_noise(img, recs, in_place=ctx.owned_frame)


def _def(name: str, defaults: Ranges, sampler: Sampler, **kw: Any) -> FunctionStep:
    """A built-in step object: light terms fuse into one light pass, noises into one draw."""
    if name in TERMS:
        return FunctionStep(name, defaults, sampler, _a_light, fuse="light", run=apply_light, **kw)
    if name in NOISE_STEPS:
        return FunctionStep(name, defaults, sampler, _a_noise, fuse="noise", run=_a_noise_run, **kw)
    return FunctionStep(name, defaults, sampler, _APPLY[name], **kw)


_APPLY: dict[str, Applier] = {
    "ink_bleed": apply_bleed,
    "bleed_through": apply_through,
    "motion_blur": apply_motion,
    "defocus": apply_defocus,
    "low_resolution": apply_lowres,
    "jpeg": _a_jpeg,
    "moire": apply_moire,
}

STEPS: dict[str, FunctionStep] = {
    "crease_shading": _def(
        "crease_shading",
        {"dark": [0.1, 0.3], "width": [0.04, 0.12], "tilt": [0.03, 0.12], "curl_dark": [0.1, 0.4]},
        sample_crease,
    ),
    "shadow": _def(
        "shadow",
        {"reach": [0.15, 0.5], "intensity": [0.2, 0.55], "softness": [0.01, 0.05]},
        sample_shadow,
    ),
    "lighting_gradient": _def(
        "lighting_gradient",
        {"kind": ["linear", "gaussian", "corner"], "intensity": [0.05, 0.3]},
        sample_lighting,
        choices=frozenset({"kind"}),
    ),
    "glare": _def("glare", {"radius": [0.05, 0.2], "strength": [0.4, 0.95]}, sample_glare),
    "drop_shadow": _def(
        "drop_shadow",
        {"offset": [0.005, 0.03], "softness": [0.005, 0.03], "intensity": [0.2, 0.6]},
        sample_drop_shadow,
    ),
    "backlight": _def(
        "backlight",
        {"exposure": [0.55, 0.85], "bloom": [0.4, 0.9], "reach": [0.15, 0.5]},
        sample_backlight,
    ),
    "color_cast": _def("color_cast", {"red": [0.88, 1.1], "blue": [0.85, 1.08]}, _s_cast),
    "ink_bleed": _def(
        "ink_bleed",
        {"radius": [1, 2], "strength": [0.3, 0.8]},
        sample_bleed,
        integers=frozenset({"radius"}),
    ),
    "bleed_through": _def(
        "bleed_through", {"opacity": [0.05, 0.2], "blur": [0.8, 2.5]}, sample_through
    ),
    "motion_blur": _def(
        "motion_blur",
        {"kernel": [3, 9], "direction": [-0.5, 0.5]},
        sample_motion,
        integers=frozenset({"kernel"}),
    ),
    "defocus": _def(
        "defocus",
        {"radius": [1, 3], "alias_blur": [0.05, 0.2]},
        sample_defocus,
        integers=frozenset({"radius"}),
    ),
    "low_resolution": _def("low_resolution", {"scale": [0.45, 0.85]}, sample_lowres),
    "gauss_noise": _def("gauss_noise", {"sigma": [2.0, 10.0]}, _s_gauss),
    "poisson_noise": _def("poisson_noise", {"scale": [0.0005, 0.004]}, _s_poisson),
    "jpeg": _def("jpeg", {"quality": [40, 95]}, _s_jpeg, integers=frozenset({"quality"})),
    "moire": _def("moire", {"period": [2.5, 6.0], "beat": [0.02, 0.12], "strength": [0.05, 0.15]}, sample_moire),
    # fingers over the page (labels lose what they hide: warping.occlusion.occlude_labels)
    "fingers": FunctionStep("fingers", occlusion.DEFAULTS, occlusion.sample_fingers,
                            occlusion.apply_fingers, integers=frozenset({"count"})),
    **{name: FunctionStep(name, defaults, sampler, applier)  # low light
       for name, (defaults, sampler, applier) in sensor.STEPS.items()},
}

for _step in STEPS.values():
    register(_step)

APPLY = {name: step.apply for name, step in STEPS.items()}  # name -> apply(img, rec, ctx)


def sample_photometric(
    steps: list[dict[str, Any]], width: int, height: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Draw each step's coin and params, every step from its own stream.

    The streams are one PCG64 seeded from `rng`, advanced 2^64 x a hash of (index, name) per
    step: changing one step's ranges, or the draws it makes, shifts no other step (what a
    `child_rng` per step gave, at ~3 instead of ~17 us a step: the per-step SeedSequence was
    most of the wild profile's photometric sampling)."""
    bits = np.random.PCG64(np.random.SeedSequence(int(rng.integers(0, 2**63 - 1))))
    start = bits.state
    step_rng = np.random.Generator(bits)
    records = []
    for i, cfg in enumerate(steps):
        name = cfg["step"]
        bits.state = start
        bits.advance(_stream_offset(i, name))
        if step_rng.random() >= cfg["p"]:
            continue
        ranges = {k: v for k, v in cfg.items() if k not in ("step", "p")}
        records.append({"step": name, **PHOTOMETRIC[name].sample(ranges, step_rng, width, height)})
    return records


@functools.cache
def _stream_offset(index: int, name: str) -> int:
    salt = hashlib.blake2b(f"photometric:{index}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(salt, "little") << 64


def apply_photometric(
    image: np.ndarray | list[np.ndarray],
    records: list[dict[str, Any]],
    ctx: ShadingContext | None = None,
    lit: Lit = None,
) -> np.ndarray:
    """Apply the records in order. Consecutive light steps are composed into one pass
    (`warping.lightpass.apply_light`), consecutive noise steps into one draw
    (`warping.noise.apply_noise`): same records, same bytes.

    With a `lit` list, the grey image after the last light step (before ink, optics, sensor
    and codec) is appended to it: the ink-against-paper contrast `warping.legibility` reads.
    `lit` may instead be a function, called once with the RGB frame at that point, which it
    must neither keep nor write (`warping.apply_warp` makes the grey of its label boxes'
    bounding box alone and reads them there).
    `image` may be a one-item list the caller hands over (`warping.apply_warp` with
    `release_input`): it is emptied, so each frame is freed once the next step has made its
    output instead of living to the end. A frame the stage owns (handed over, or made by an
    earlier step) goes to the next step with `ctx.owned_frame`: steps that draw into a few
    boxes (clutter, smudges, fingers) draw into it instead of copying it first; a caller's
    own array is never written.
    """
    ctx = ctx or ShadingContext()
    handed = isinstance(image, list)
    out = image.pop() if handed else image
    # the caller's array, never written; a handed-over frame is not kept here: it is freed as
    # soon as the step after it has made its output (holding it kept one 21 MB frame of a
    # 7 MP page alive through every later step)
    given = None if handed else out
    del image
    runs = _runs(records)
    last_light = max((i for i, r in enumerate(runs) if r[0]["step"] in TERMS), default=-1)
    if last_light < 0:
        _hand_lit(lit, out)
    for i, run in enumerate(runs):
        # a step's output is ours unless it is (a view of) the caller's array
        owned = out.flags.writeable and (handed or not np.may_share_memory(out, given))
        step_ctx = replace(ctx, owned_frame=owned) if owned != ctx.owned_frame else ctx
        out = PHOTOMETRIC[run[0]["step"]].apply_run(out, run, step_ctx)
        if out.dtype != np.uint8:
            out = np.clip(out, 0, 255).astype(np.uint8)
        if i == last_light:
            _hand_lit(lit, out)
    return np.ascontiguousarray(out)


def _hand_lit(lit: Lit, frame: np.ndarray) -> None:
    """The grey image of `frame` into the `lit` list, or `frame` to the `lit` function."""
    if lit is None:
        return
    if isinstance(lit, list):
        lit.append(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY))
    else:
        lit(frame)


def apply_photometric_keep_jpeg(
    image: np.ndarray | list[np.ndarray],
    records: list[dict[str, Any]],
    ctx: ShadingContext | None = None,
    *,
    decode: bool = True,
    lit: Lit = None,
    keep: bool = True,
) -> tuple[np.ndarray, bytes | None]:
    """`apply_photometric`, plus the JPEG bytes when the last record is a jpeg step.

    Those bytes decode to exactly the returned image, so a JPEG dataset can store them instead
    of encoding the page a second time: one encode less per row, and no second, unrecorded
    generation of compression between the image the labels describe and the stored one.

    `decode=False` is for callers that keep only the bytes: the decode back (~5 ms a page,
    half the JPEG step) is skipped and the image returned is the one the final step encoded,
    not its decoded version; without a final jpeg step it changes nothing.

    `keep=False` (with `decode=False`): for callers that read neither, a pixel-less stand-in
    comes back, and a frame of the stage's own is encoded without its swap back (`restore`)."""
    if records and records[-1]["step"] == "jpeg":  # `image` as in apply_photometric
        given = None if isinstance(image, list) else image  # a list is handed over: ours
        before = apply_photometric(image, records[:-1], ctx, lit)
        # the encoder's BGR swap goes in place when the frame is the stage's own
        own = given is None or not np.may_share_memory(before, given)
        if not decode and not keep:
            data = jpeg_bytes(before, records[-1]["quality"], in_place=own, restore=False)
            return released(before), data
        if not decode:
            return before, jpeg_bytes(before, records[-1]["quality"], in_place=own)
        return jpeg_roundtrip(before, records[-1]["quality"], in_place=own)
    return apply_photometric(image, records, ctx, lit), None


def _runs(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive light records as one run, consecutive noise records as one, every other
    record alone."""
    runs: list[list[dict[str, Any]]] = []
    for rec in records:
        kind = _fused_kind(rec["step"])
        if runs and kind is not None and _fused_kind(runs[-1][0]["step"]) == kind:
            runs[-1].append(rec)
        else:
            runs.append([rec])
    return runs


def photometric_runs(records: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The passes `apply_photometric` makes: ("light" | "noise" | step name, records)."""
    return [(_fused_kind(run[0]["step"]) or run[0]["step"], run) for run in _runs(records)]


def _fused_kind(step: str) -> str | None:
    return PHOTOMETRIC[step].fuse
