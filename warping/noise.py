"""Sensor noise: Gaussian read noise and shot (Poisson) noise, drawn in one pass per run.

Independent zero-mean Gaussians add up to one whose variance is the sum, so consecutive noise
records become one draw with a per-value variance table: read noise adds sigma^2 everywhere,
shot noise adds its intensity-dependent variance. The draw is a discretised normal: one uniform
byte per sample indexes the 256 equiprobable quantiles of N(0, 1) (rescaled to unit variance;
tails end at 2.7 sigma), then scaled by the per-value std. The bytes are windows of one fixed
tile of SFC64 bytes, each window's place drawn from SFC64 seeded by the records' seeds, so the
record alone fixes the bytes.

All of it runs on 8-bit arrays with table lookups (`cv2.LUT`, ~0.3 ns a sample) and saturating
8-bit arithmetic: float normals (cv2.randn, numpy's float32 normals) cost 3-10x more, and 16-bit
intermediates doubled the memory traffic. The noise is added in offset binary (128 + n), which
`cv2.addWeighted` takes back off while it saturates the sum to 0..255.
"""

from __future__ import annotations

import functools
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
    """`count` uniform bytes of the records' own stream (the 16-bit path's draw)."""
    return _byte_stream(seeds).random_raw(-(-count // 8)).view(np.uint8)[:count]


def _byte_stream(seeds: list[int]) -> np.random.SFC64:
    return np.random.SFC64(np.random.SeedSequence(seeds))


# The 8-bit path reads its uniform bytes from one fixed tile, a window per block of samples:
# drawing the bytes (SFC64, ~0.1 ns a byte) and turning them into unit normals (a LUT, ~0.3 ns)
# were two of six passes over every sample, ~5 ms of a 4 MP page's ~15.
_TILE_BYTES = 1 << 20
_TILE_SEED = 0x6E6F697365  # fixed: the tile is a constant of the code, the windows are drawn


@functools.cache
def _tile() -> np.ndarray:
    """The tile's uniform bytes (1 MiB, read-only)."""
    u = _byte_stream([_TILE_SEED]).random_raw(_TILE_BYTES // 8).view(np.uint8)
    u.flags.writeable = False
    return u


def block_draws(count: int, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per block of `_BAND_BYTES` samples, from the records' own stream (so the record alone
    fixes the bytes): where in the tile it takes its window, and a permutation of the 256 byte
    values it reads that window through. The permutation is why the noise does not repeat: one
    1 MiB tile holds only four blocks, so a 4 MP frame's 48 blocks, and every other page, read
    overlapping windows; through independent permutations the same window gives uncorrelated
    values (a fixed XOR key would not: keys one low bit apart map a byte to the neighbouring
    quantile)."""
    blocks = -(-count // _BAND_BYTES)
    gen = np.random.Generator(_byte_stream(seeds))
    offsets = gen.integers(0, _TILE_BYTES - _BAND_BYTES + 1, size=blocks)
    perms = np.argsort(gen.random((blocks, 256)), axis=1).astype(np.uint8)
    return offsets, perms


def noise_bytes(count: int, seeds: list[int]) -> np.ndarray:
    """The uniform bytes the 8-bit path gives `count` row-major samples (for checks: the
    path itself reads the tile's windows through its tables in place)."""
    if count <= 0:
        return np.empty(0, np.uint8)
    tile = _tile()
    offsets, perms = block_draws(count, seeds)
    return np.concatenate([
        perms[i][tile[int(at) : int(at) + min(_BAND_BYTES, count - i * _BAND_BYTES)]]
        for i, at in enumerate(offsets)])


def apply_noise(
    image: np.ndarray, records: list[dict[str, Any]], in_place: bool = False
) -> np.ndarray:
    """Consecutive noise records as one draw added to the uint8 image (saturating); with
    `in_place` (the caller's frame is its own to overwrite) into `image` itself, no new frame.

    The noise at a sample is round(std(value) * z(byte)), z from `QUANTILES`. On the 8-bit
    path the samples are taken in row-major order in blocks of `_BAND_BYTES` (256 KiB: a block
    and its buffers stay in cache through every operation; page-sized temporaries made it
    memory-bound), and block i reads its bytes from the fixed tile (`_tile`) at the offset
    and through the byte permutation `block_draws(...)` gives it, drawn from the records'
    seeds: every sample's byte is still uniform and independent of its neighbours within a
    block, and blocks whose windows overlap (the tile is 4 blocks long) get uncorrelated
    values through their own permutations. The std table is held in steps of
    max(std) / 127 (a rounding of < 0.7 % of std at every value: shot noise's std varies at
    most 1.74x over values 1..255) and z in steps of 1/47; read noise alone needs no product
    and is exact. Blocks are a fixed number of samples, so the result does not depend on the
    image's shape beyond its row-major samples."""
    std = noise_std(records)
    peak = float(std.max())
    seeds = [int(r["seed"]) for r in records]
    if peak > _STD_8BIT:
        rows = image.reshape(image.shape[0], -1)
        u = uniform_bytes(image.size, seeds).reshape(rows.shape)
        return _apply_noise_16bit(rows, u, std).reshape(image.shape)
    flat = image.reshape(-1)  # a copy when `image` is a view with gaps: then ours to write
    own = in_place and image.flags.c_contiguous
    out = flat if own or not np.may_share_memory(flat, image) else np.empty(flat.shape, np.uint8)
    tile = _tile()
    signal_dependent = bool(np.ptp(std) > 0)
    band = min(_BAND_BYTES, flat.size)
    buf = np.empty(band, np.uint8)
    unit = np.empty(band, np.int8)
    if signal_dependent:
        std_scale = 127.0 / peak
        std_table = np.round(std * std_scale).astype(np.int8)
        product_scale = 1.0 / (_Z_SCALE * std_scale)
        unit_table = np.round(QUANTILES * _Z_SCALE).astype(np.int8)
    else:  # read noise only: one table from the byte to the offset noise
        offset_table = (128 + np.round(std[0] * QUANTILES)).astype(np.uint8)
    offsets, perms = block_draws(flat.size, seeds)
    for block, at in enumerate(offsets):
        top = block * _BAND_BYTES
        src = flat[top : top + _BAND_BYTES]
        n = src.size
        at = int(at)
        if signal_dependent:
            z = cv2.LUT(tile[at : at + n], unit_table[perms[block]], dst=unit[:n])
            noise = cv2.LUT(src, std_table, dst=buf[:n].view(np.int8))
            cv2.multiply(noise, z, dst=noise, scale=product_scale)
            offset = np.bitwise_xor(noise.view(np.uint8), np.uint8(128), out=buf[:n])
        else:
            offset = cv2.LUT(tile[at : at + n], offset_table[perms[block]], dst=buf[:n])
        cv2.addWeighted(src, 1.0, offset, 1.0, -128.0, dst=out[top : top + n])
    return image if out is flat and own else out.reshape(image.shape)


def _apply_noise_16bit(rows: np.ndarray, u: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Noise too wide for int8 (user profiles with std above ~47 grey levels)."""
    scaled_std = cv2.LUT(rows, np.round(std * _STD_SCALE).astype(np.int16))
    unit = cv2.LUT(u, np.round(QUANTILES * _STD_ONE).astype(np.int16))
    scale = 1.0 / (_STD_ONE * _STD_SCALE)
    noise = cv2.multiply(scaled_std, unit, dst=scaled_std, scale=scale, dtype=cv2.CV_16S)
    return cv2.add(rows, noise, dtype=cv2.CV_8U)
