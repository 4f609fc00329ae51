"""Sensor noise: the amount drawn is the amount recorded (std per grey value, on both the 8-bit
and the 16-bit path), its shape is Gaussian, sums saturate instead of wrapping, and the record
alone fixes the bytes."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from warping.noise import (
    _BAND_BYTES,
    NOISE_STEPS,
    QUANTILES,
    Z_PEAK,
    apply_noise,
    block_draws,
    noise_bytes,
    noise_std,
)
from warping.photometric import apply_photometric


def _ramp(rows_per_value: int = 24, width: int = 300) -> np.ndarray:
    """Every grey value 0..255 on its own band of rows, same value in all three channels."""
    values = np.repeat(np.arange(256, dtype=np.uint8), rows_per_value)
    return np.repeat(np.repeat(values[:, None, None], width, axis=1), 3, axis=2)


@pytest.fixture(scope="module")
def ramp() -> np.ndarray:
    return _ramp()


def _std_by_value(image: np.ndarray, out: np.ndarray) -> np.ndarray:
    noise = out.astype(np.float64) - image
    return np.array([noise[image == v].std() for v in range(256)])


def _expected_std(records: list[dict]) -> np.ndarray:
    """What the records ask for at each grey value, saturation included: the std of
    clip(v + round(std(v) * z)) over the 256 equally likely quantiles z."""
    want = noise_std(records)
    v = np.arange(256.0)[:, None]
    drawn = np.clip(v + np.round(want[:, None] * QUANTILES[None, :]), 0, 255)
    return drawn.std(axis=1)


@pytest.mark.parametrize(
    "records",
    [
        [{"step": "poisson_noise", "scale": 0.0005, "seed": 1}],
        [{"step": "poisson_noise", "scale": 0.004, "seed": 2}],
        [
            {"step": "poisson_noise", "scale": 0.002, "seed": 3},
            {"step": "gauss_noise", "sigma": 6.0, "seed": 4},
        ],
        [
            {"step": "gauss_noise", "sigma": 30.0, "seed": 5},
            {"step": "poisson_noise", "scale": 0.01, "seed": 6},
        ],
        [{"step": "gauss_noise", "sigma": 2.0, "seed": 7}],
        [{"step": "gauss_noise", "sigma": 60.0, "seed": 8}],  # past int8: the 16-bit path
    ],
    ids=["shot-faint", "shot-strong", "shot+read", "wide-8bit", "read", "16bit"],
)
def test_noise_std_per_value_is_the_recorded_one(ramp: np.ndarray, records: list[dict]) -> None:
    want = _expected_std(records)
    out = apply_noise(ramp, records)
    got = _std_by_value(ramp, out)
    assert (np.abs(got - want) <= 0.05 * want + 0.05).all(), np.abs(got - want).max()
    ratio = got[want > 1] / want[want > 1]
    assert abs(np.median(ratio) - 1) < 0.01, np.median(ratio)
    # zero-mean where nothing clips (2.7 std of room on both sides)
    room = [v for v in range(256) if 2.7 * noise_std(records)[v] < min(v, 255 - v)]
    if room:
        assert abs((out.astype(np.float64) - ramp)[np.isin(ramp, room)].mean()) < 0.05


def test_read_noise_is_gaussian_shaped() -> None:
    flat = np.full((400, 500, 3), 128, np.uint8)
    sigma = 9.0
    noise = apply_noise(flat, [{"step": "gauss_noise", "sigma": sigma, "seed": 9}]) - 128.0
    for k in (0.5, 1, 2):
        # integer noise: |n| <= k sigma means |sigma z| < floor(k sigma) + 0.5
        edge = (np.floor(k * sigma) + 0.5) / sigma
        normal = 2 * NormalDist().cdf(edge) - 1
        assert abs(np.mean(np.abs(noise) <= k * sigma) - normal) < 0.01, k
    # symmetric, with tails: both signs reach past 2 std
    assert noise.min() < -2 * sigma and noise.max() > 2 * sigma


def test_shot_noise_grows_towards_dark_values_as_recorded(ramp: np.ndarray) -> None:
    shot = [{"step": "poisson_noise", "scale": 0.004, "seed": 12}]
    got = _std_by_value(ramp, apply_noise(ramp, shot))
    want = noise_std(shot)
    assert want[40] > want[220] * 1.15  # the model itself: dark values spread more
    assert got[40] > got[220] * 1.1
    assert got[0] == 0.0  # no light, no photons, no shot noise


def test_sums_saturate_instead_of_wrapping() -> None:
    image = np.zeros((200, 300, 3), np.uint8)
    image[:100] = 3
    image[100:] = 252
    for records in (
        [{"step": "gauss_noise", "sigma": 10.0, "seed": 1}],
        [
            {"step": "poisson_noise", "scale": 0.004, "seed": 2},
            {"step": "gauss_noise", "sigma": 10.0, "seed": 3},
        ],
        [{"step": "gauss_noise", "sigma": 80.0, "seed": 4}],
    ):
        reach = round(Z_PEAK * noise_std(records).max())
        out = apply_noise(image, records)
        dark, bright = out[:100], out[100:]
        # clipped at 0 and 255, no wrap round to the other end
        assert dark.max() <= 3 + reach and (dark == 0).mean() > 0.3
        assert bright.min() >= 252 - reach and (bright == 255).mean() > 0.3


def test_the_record_alone_fixes_the_bytes_and_the_input_is_kept(ramp: np.ndarray) -> None:
    records = [
        {"step": "poisson_noise", "scale": 0.003, "seed": 21},
        {"step": "gauss_noise", "sigma": 4.0, "seed": 22},
    ]
    before = ramp.copy()
    first = apply_noise(ramp, records)
    assert np.array_equal(ramp, before)
    assert first.shape == ramp.shape and first.dtype == np.uint8
    assert apply_noise(ramp.copy(), records).tobytes() == first.tobytes()
    reseeded = [records[0], {**records[1], "seed": 23}]
    assert apply_noise(ramp, reseeded).tobytes() != first.tobytes()
    # apply_photometric runs consecutive noise records as this one draw
    assert apply_photometric(ramp, records).tobytes() == first.tobytes()
    assert {r["step"] for r in records} <= NOISE_STEPS


def test_odd_shapes_and_strides() -> None:
    """A 1-pixel-wide page, and a non-contiguous view: same noise as its contiguous copy."""
    rng = np.random.default_rng(0)
    page = rng.integers(0, 256, (50, 41, 3), dtype=np.uint8)
    records = [{"step": "poisson_noise", "scale": 0.002, "seed": 5}]
    view = page[:, ::2]
    assert apply_noise(view, records).tobytes() == apply_noise(view.copy(), records).tobytes()
    thin = apply_noise(page[:, :1].copy(), records)
    assert thin.shape == (50, 1, 3)


def test_noise_is_the_tile_windows_the_record_draws() -> None:
    """A tall page spans many blocks, each reading the fixed tile at the offset the record's
    stream draws for it: read noise equals the table lookup of those bytes exactly, shot noise
    has the sign of the quantile each byte picks, and other seeds pick other windows."""
    rng = np.random.default_rng(1)
    tall = rng.integers(40, 216, (700, 333, 3), dtype=np.uint8)
    assert tall.size > 2 * _BAND_BYTES  # several blocks
    read = [{"step": "gauss_noise", "sigma": 7.0, "seed": 32}]
    u = noise_bytes(tall.size, [32]).reshape(tall.shape)
    want = np.clip(tall + np.round(7.0 * QUANTILES)[u], 0, 255)
    assert np.array_equal(apply_noise(tall, read), want)
    shot = [{"step": "poisson_noise", "scale": 0.004, "seed": 31}]
    noise = apply_noise(tall, shot).astype(np.int64) - tall
    z = QUANTILES[noise_bytes(tall.size, [31]).reshape(tall.shape)]
    drawn = noise != 0
    assert drawn.mean() > 0.8
    assert (np.sign(noise[drawn]) == np.sign(z[drawn])).all()
    offsets, perms = block_draws(tall.size, [31])
    assert len(set(offsets.tolist())) == len(offsets)  # every block its own window
    assert not np.array_equal(offsets, block_draws(tall.size, [32])[0])
    assert all(sorted(p.tolist()) == list(range(256)) for p in perms)  # permutations
    # neighbouring blocks are not the same run of noise
    flat = noise.reshape(-1)
    assert not np.array_equal(flat[:1000], flat[_BAND_BYTES : _BAND_BYTES + 1000])


def test_one_window_of_the_tile_read_by_two_blocks_gives_uncorrelated_noise() -> None:
    """The tile is 1 MiB, so a big frame's blocks (and all pages) read overlapping windows; each
    block's own byte permutation keeps their noise from being a copy of each other's."""
    from warping.noise import _tile

    tile = _tile()
    window = tile[1000 : 1000 + 100_000]
    (_, perms_a), (_, perms_b) = block_draws(2 * _BAND_BYTES, [5]), block_draws(_BAND_BYTES, [6])
    a, b = QUANTILES[perms_a[0][window]], QUANTILES[perms_a[1][window]]
    c = QUANTILES[perms_b[0][window]]
    for x, y in ((a, b), (a, c)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 0.3
    assert noise_bytes(0, [5]).size == 0


def test_blocks_reading_overlapping_windows_do_not_repeat_each_others_noise() -> None:
    """Read noise on a flat 4 MP frame: where two blocks read the same stretch of the tile,
    the noise they add there is uncorrelated (the same bytes, through other permutations)."""
    flat = np.full((1400, 1000, 3), 128, np.uint8)
    noise = apply_noise(flat, [{"step": "gauss_noise", "sigma": 6.0, "seed": 9}])
    noise = noise.reshape(-1).astype(np.float64) - 128
    offsets, _ = block_draws(flat.size, [9])
    full = len(offsets) - 1  # the last block may be short
    pairs = [(i, j) for i in range(full) for j in range(i + 1, full)
             if abs(int(offsets[i]) - int(offsets[j])) < _BAND_BYTES // 2]
    assert pairs  # 48 windows in a 1 MiB tile: many overlap
    for i, j in pairs[:10]:
        lo, hi = max(offsets[i], offsets[j]), min(offsets[i], offsets[j]) + _BAND_BYTES
        a = noise[i * _BAND_BYTES + lo - offsets[i] : i * _BAND_BYTES + hi - offsets[i]]
        b = noise[j * _BAND_BYTES + lo - offsets[j] : j * _BAND_BYTES + hi - offsets[j]]
        assert len(a) == len(b) > _BAND_BYTES // 2
        # one permutation against another pairs 256 values at random: |r| ~ 0.06, not 1
        assert abs(np.corrcoef(a, b)[0, 1]) < 0.3, (i, j)
        assert np.mean(a == b) < 0.15, (i, j)  # independent draws agree ~5 % of the time
