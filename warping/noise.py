"""Sensor noise: Gaussian read noise and shot (Poisson) noise, drawn in one pass per run.

Independent zero-mean Gaussians add up to one whose variance is the sum, so consecutive noise
records become one draw with a per-value variance table: read noise adds sigma^2 everywhere,
shot noise adds its intensity-dependent variance. The draw is a discretised normal: one uniform
byte per sample indexes the 256 equiprobable quantiles of N(0, 1) (rescaled to unit variance;
tails end at 2.7 sigma), then scaled by the per-value std. Bytes come from SFC64 seeded by the
records' seeds, so the record alone fixes the bytes.

All of it runs on 8-bit arrays with table lookups (`cv2.LUT`, ~0.3 ns a sample) and saturating
8-bit arithmetic: float normals (cv2.randn, numpy's float32 normals) cost 3-10x more, and 16-bit
intermediates doubled the memory traffic. The noise is added in offset binary (128 + n), which
`cv2.addWeighted` takes back off while it saturates the sum to 0..255.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from synth.opencv import cv2

NOISE_STEPS = frozenset({"gauss_noise", "poisson_noise"})


def _unit_quantiles() -> np.ndarray:
    z = np.array([NormalDist().inv_cdf((u + 0.5) / 256) for u in range(256)])
    return z / np.sqrt(np.mean(z**2))


QUANTILES = _unit_quantiles()
Z_PEAK = float(np.abs(QUANTILES).max())  # ~2.69: the largest |z| a byte can draw
_Z_SCALE = 127.0 / Z_PEAK  # unit normal in int8 fixed point, the full int8 range used
# 8-bit noise holds |n| <= 127; wider noise (std > ~47 grey levels) takes the 16-bit path
_STD_8BIT = 127.0 / Z_PEAK
# per buffer; 64 KiB-1 MiB all ran within ~10 %, 2 MiB fell off the cache (as slow as whole
# pages): 256 KiB leaves room for a second worker on the same cache
_BAND_BYTES = 256 * 1024
_STD_ONE = 4096  # 16-bit path: fixed-point unit of the quantile table
_STD_SCALE = 256  # 16-bit path: fixed-point unit of the per-value std table


def shot_variance(scale: float) -> np.ndarray:
    """Per-value variance of shot noise: photon count ~ linear intensity / scale, so its std
    grows with sqrt(signal). Same model as albumentations' `shot_noise` (gamma 2.2, counts =
    linear / scale), in its Gaussian limit, mapped back through the gamma curve.

    Against the exact model (Poisson counts through the gamma curve; measured for scale 0.0005,
    0.002, 0.004): values >= 80 (>= 20 photons) get the std within 1.2 % and the mean within
    0.5 grey levels of it. Dark ink has few photons and the limit is rough there: std 0.7-11 %
    low at value 40 (4-34 photons), 4-25 % low at 20; the exact noise is also skewed (mean
    0.2-1.5 levels darker at 40, 0.4-5 at 20; none of that here)."""
    v = np.arange(256, dtype=np.float64) / 255.0
    lin = v**2.2
    slope = np.where(v > 0, v / np.maximum(2.2 * lin, 1e-12), 0.0)  # d(value)/d(linear)
    return (255.0 * slope * np.sqrt(lin * scale)) ** 2


def noise_std(records: list[dict[str, Any]]) -> np.ndarray:
    """Std of the summed noise of `records` for each input value 0..255."""
    var = np.zeros(256)
    for rec in records:
        if rec["step"] == "gauss_noise":
            var += float(rec["sigma"]) ** 2
        else:
            var += shot_variance(float(rec["scale"]))
    return np.sqrt(var)


def uniform_bytes(count: int, seeds: list[int]) -> np.ndarray:
    return _byte_stream(seeds).random_raw(-(-count // 8)).view(np.uint8)[:count]


def _byte_stream(seeds: list[int]) -> np.random.SFC64:
    return np.random.SFC64(np.random.SeedSequence(seeds))


def apply_noise(
    image: np.ndarray, records: list[dict[str, Any]], in_place: bool = False
) -> np.ndarray:
    """Consecutive noise records as one draw added to the uint8 image (saturating); with
    `in_place` (the caller's frame is its own to overwrite) into `image` itself, no new frame.

    The noise at a sample is round(std(value) * z(byte)), z from `QUANTILES`, the bytes the
    records' SFC64 stream in row-major order. On the 8-bit path the std table is held in steps
    of max(std) / 127 (a rounding of < 0.7 % of std at every value: shot noise's std varies at
    most 1.74x over values 1..255) and z in steps of 1/47; read noise alone needs no product
    and is exact.

    Work goes in bands of rows (~256 KiB a buffer) that stay in cache through all five
    operations: page-sized temporaries made it memory-bound (shot noise 10.8 -> 7.1 ms, read
    noise 5.6 -> 4.2 on 1.6-2.1 Mpx pages). Bands are whole multiples of 8 bytes, so the byte stream, and the result,
    does not depend on the band size."""
    std = noise_std(records)
    peak = float(std.max())
    rows = image.reshape(image.shape[0], -1)  # one channel: scalars apply to every sample
    seeds = [int(r["seed"]) for r in records]
    if peak > _STD_8BIT:
        u = uniform_bytes(image.size, seeds).reshape(rows.shape)
        return _apply_noise_16bit(rows, u, std).reshape(image.shape)
    height, width = rows.shape
    band = max(8, (_BAND_BYTES // max(width, 1)) // 8 * 8)
    bits = _byte_stream(seeds)
    out = rows if in_place and image.flags.c_contiguous else np.empty(rows.shape, np.uint8)
    signal_dependent = bool(np.ptp(std) > 0)
    if signal_dependent:
        std_scale = 127.0 / peak
        unit_table = np.round(QUANTILES * _Z_SCALE).astype(np.int8)
        std_table = np.round(std * std_scale).astype(np.int8)
        product_scale = 1.0 / (_Z_SCALE * std_scale)
        unit_buf = np.empty((band, width), np.int8)
        noise_buf = np.empty((band, width), np.int8)
    else:  # read noise only: one table from the byte to the offset noise
        offset_table = (128 + np.round(std[0] * QUANTILES)).astype(np.uint8)
    for top in range(0, height, band):
        src = rows[top : top + band]
        n = src.size
        u = bits.random_raw(-(-n // 8)).view(np.uint8)[:n].reshape(src.shape)
        if signal_dependent:
            unit = cv2.LUT(u, unit_table, dst=unit_buf[: len(src)])
            noise = cv2.LUT(src, std_table, dst=noise_buf[: len(src)])
            cv2.multiply(noise, unit, dst=noise, scale=product_scale)
            offset = np.bitwise_xor(noise.view(np.uint8), np.uint8(128), out=u)  # 128 + n
        else:
            offset = cv2.LUT(u, offset_table, dst=u)
        cv2.addWeighted(src, 1.0, offset, 1.0, -128.0, dst=out[top : top + len(src)])
    return image if out is rows else out.reshape(image.shape)


def _apply_noise_16bit(rows: np.ndarray, u: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Noise too wide for int8 (user profiles with std above ~47 grey levels)."""
    scaled_std = cv2.LUT(rows, np.round(std * _STD_SCALE).astype(np.int16))
    unit = cv2.LUT(u, np.round(QUANTILES * _STD_ONE).astype(np.int16))
    scale = 1.0 / (_STD_ONE * _STD_SCALE)
    noise = cv2.multiply(scaled_std, unit, dst=scaled_std, scale=scale, dtype=cv2.CV_16S)
    return cv2.add(rows, noise, dtype=cv2.CV_8U)
