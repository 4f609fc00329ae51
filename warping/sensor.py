"""Capture effects of a phone camera beyond blur and plain noise: low light; and what low
light and moire (`warping.photometric`'s step) cost a reader.

- `low_light`: too few photons. The scene reaches the sensor at `exposure` (0-1) of a good
  exposure, picks up read and shot noise there, is quantised to 8 bits, and the camera's auto
  gain brings it back up by `boost / exposure`: the noise and the quantisation steps grow by
  the same factor, dark ink and shadows crush together. Legibility sees the amplified noise
  (`noise_of`).
- `moire` (the step lives in `warping.photometric`): a beat grating `strength` deep; to a
  reader it is clutter (`noise_of`) and lost contrast (`contrast_factor`).

Low light draws everything into its record; the noise bytes come from `warping.noise` streams
seeded by the record, so the record alone fixes the pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from warping import params as P
from warping.noise import apply_noise, noise_std
from warping.params import Ranges


def sample_low_light(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "exposure": P.uniform(rng, r["exposure"], 3),
        "boost": P.uniform(rng, [0.75, 1.0], 3),
        "read": P.uniform(rng, r["read"], 3),
        "shot": P.uniform(rng, [0.002, 0.006], 5),
        "warmth": P.uniform(rng, [0.0, 0.12], 3),
        "seed": P.integer(rng, [0, 2**31 - 1]),
    }


def _noise_records(rec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"step": "gauss_noise", "sigma": rec["read"], "seed": rec["seed"]},
        {"step": "poisson_noise", "scale": rec["shot"], "seed": rec["seed"] + 1},
    ]


def apply_low_light(img: np.ndarray, rec: dict[str, Any], ctx: Any = None) -> np.ndarray:
    """Dim, noisy at the sensor, 8-bit, then gained back up (warm-tinted: tungsten light)."""
    owned = bool(getattr(ctx, "owned_frame", False))
    dim = cv2.convertScaleAbs(img, alpha=float(rec["exposure"]), dst=img if owned else None)
    noisy = apply_noise(dim, _noise_records(rec), in_place=True)  # dim is this step's own
    gain = float(rec["boost"]) / float(rec["exposure"])
    warm = float(rec["warmth"])
    gains = np.array([gain * (1 + warm), gain, gain * (1 - warm)], np.float32)
    return _gain_back(noisy, gains)


def _gain_back(noisy: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """round(noisy * gains) saturated to uint8, in place.

    An 8-bit value times a channel's gain is a function of the value: one 256-entry table per
    channel, made with the float32 operations the page-wide version did per pixel (multiply,
    + 0.5, clip, truncate), so the bytes are the same; `cv2.LUT` applies the three tables in
    one pass (~3 ms on a 7 MP frame; the float32 bands took ~30)."""
    values = np.arange(256, dtype=np.float32)[:, None] * gains.astype(np.float32)[None, :]
    values += np.float32(0.5)
    np.clip(values, 0, 255, out=values)
    table = values.astype(np.uint8).reshape(256, 1, 3)
    return cv2.LUT(noisy, table, dst=noisy)


def noise_of(records: list[dict[str, Any]]) -> float:
    """Noise std at mid-grey the low-light steps leave (after the gain back up), plus the
    moire grating's std on paper (a sinusoid of depth s on ~220 grey: ~0.35 s 220); to a
    reader a beat pattern is clutter as much as lost contrast."""
    total = 0.0
    for rec in records:
        if rec["step"] == "moire":
            total += (0.35 * float(rec["strength"]) * 220.0) ** 2
        elif rec["step"] == "low_light":
            std = float(noise_std(_noise_records(rec))[int(128 * rec["exposure"])])
            total += (std * rec["boost"] / rec["exposure"]) ** 2
    return float(np.sqrt(total))


def contrast_factor(records: list[dict[str, Any]]) -> float:
    """Share of ink contrast left after moire (its mean depth) and low light's gain."""
    factor = 1.0
    for rec in records:
        if rec["step"] == "moire":
            factor *= 1.0 - 0.5 * float(rec["strength"])
        elif rec["step"] == "low_light":
            factor *= float(rec["boost"])
    return factor


# name -> (default ranges, sampler, applier); warping.photometric registers them
STEPS = {
    "low_light": ({"exposure": [0.15, 0.45], "read": [1.0, 3.0]}, sample_low_light,
                  apply_low_light),
}
