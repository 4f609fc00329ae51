"""The light pass's fast paths against plain evaluations of what they stand for: the banded
uint8 apply against float arithmetic on the same fields, crease windows against the whole
plane, shrink by halvings against padding, and odd page sizes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import warping
from synth.rng import sample_rng
from warping import geometric
from warping.grid import upsample_nodes
from warping.kernels import shrink
from warping.lighting import ShadingContext, _crease_lines, _crease_shading
from warping.lightpass import _affine, apply_light
from warping.photometric import STEPS, sample_photometric

LIGHT = ["drop_shadow", "crease_shading", "shadow", "backlight", "lighting_gradient", "glare",
         "color_cast"]  # fmt: skip


def _page(h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    image = rng.integers(90, 250, (h, w, 3), dtype=np.uint8)
    image[20 : h - 20 : 9, 15 : w - 15] = 30  # ink lines
    return image


@pytest.fixture(scope="module")
def placed() -> tuple[np.ndarray, ShadingContext, int, int]:
    """A folded, curled page placed on a table (odd size: no band or lattice fits exactly)."""
    w, h = 331, 437
    profile = {
        "geometric": [
            {"step": "fold", "count": [2, 2]},
            {"step": "curl", "angle_deg": [30.0, 40.0]},
            {"step": "place", "canvas": [1.2, 1.2], "zoom": [0.8, 0.8]},
        ],
        "photometric": [],
    }
    record = warping.sample_warp(profile, w, h, sample_rng(5))
    geo = {k: record[k] for k in ("output_size", "background")} | {"steps": record["geometric"]}
    coarse, fields = geometric.build(geo, record["grid_step"])
    image, alpha = geometric.warp_image(_page(h, w), coarse, geo["background"])
    ctx = ShadingContext(coarse, tuple(fields.creases), fields.slope, alpha)
    assert fields.creases and fields.slope is not None and int(alpha.min()) == 0
    return image, ctx, *record["output_size"]


def _records(w: int, h: int, seed: int) -> list[dict]:
    steps = [{"step": n, "p": 1.0, **STEPS[n].defaults} for n in LIGHT]
    return sample_photometric(steps, w, h, sample_rng(seed))


def _enlarged(field, h: int, w: int) -> np.ndarray:
    """A lattice field at full size, cell-centred (float64), or a constant plane."""
    if not isinstance(field, np.ndarray):
        return np.full((h, w), float(field))
    rows, cols = field.shape
    k = round(h / rows)
    wide = cv2.resize(
        field.astype(np.float64), (cols * k, rows * k), interpolation=cv2.INTER_LINEAR
    )
    return wide[:h, :w]


def test_banded_apply_matches_float_arithmetic_on_the_same_fields(placed) -> None:
    """clip(colour * (gain * front * x + lift)) in float64 vs the uint8/uint16 band loop."""
    image, ctx, w, h = placed
    rng = np.random.default_rng(0)
    gain = rng.uniform(0.5, 1.0, (-(-h // 8), -(-w // 8))).astype(np.float32)
    lift = rng.uniform(0.0, 90.0, gain.shape).astype(np.float32)
    paper = rng.uniform(0.7, 1.1, (-(-h // 2), -(-w // 2))).astype(np.float32)
    table = rng.uniform(0.4, 1.0, (-(-h // 4), -(-w // 4))).astype(np.float32)
    colour = np.array([1.08, 1.0, 0.9])
    alpha = ctx.page_alpha
    out = _affine(image, (gain, lift), colour, ((paper,), (table,)), alpha)
    on_page = alpha >= 128
    # the gain times the front is formed on the finer lattice before it is enlarged
    product = cv2.resize(gain, (gain.shape[1] * 4, gain.shape[0] * 4))
    product = product[: paper.shape[0], : paper.shape[1]]
    paper_gain = _enlarged(paper * product, h, w)
    table_gain = _enlarged(table * cv2.resize(gain, (gain.shape[1] * 2, gain.shape[0] * 2))
                           [: table.shape[0], : table.shape[1]], h, w)  # fmt: skip
    total = np.where(on_page, paper_gain, table_gain)
    want = (total[..., None] * image + _enlarged(lift, h, w)[..., None]) * colour
    want = np.clip(np.round(want), 0, 255)
    diff = np.abs(out.astype(np.float64) - want)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert diff.max() <= 2, diff.max()
    assert (diff > 1).mean() < 1e-4 and diff.mean() < 0.35, ((diff > 1).mean(), diff.mean())


def test_table_affine_after_a_lift_meets_the_paper_at_the_page_edge(placed) -> None:
    """A side term after a lift (glare after backlight) gives the table its own affine map:
    each pixel takes its side's (gain, lift) by coverage, as the front gains do."""
    image, ctx, w, h = placed
    rng = np.random.default_rng(1)
    gain = rng.uniform(0.5, 1.0, (-(-h // 8), -(-w // 8))).astype(np.float32)
    lift = rng.uniform(0.0, 90.0, gain.shape).astype(np.float32)
    table_gain = rng.uniform(0.3, 0.8, gain.shape).astype(np.float32)
    colour = np.array([1.0, 0.95, 0.9])
    alpha = ctx.page_alpha
    out = _affine(image, (gain, lift), colour, ((), ()), alpha, (table_gain, 0.0))
    on_page = (alpha >= 128)[..., None]
    paper = _enlarged(gain, h, w)[..., None] * image + _enlarged(lift, h, w)[..., None]
    table = _enlarged(table_gain, h, w)[..., None] * image
    want = np.clip(np.round(np.where(on_page, paper, table) * colour), 0, 255)
    diff = np.abs(out.astype(np.float64) - want)
    assert diff.max() <= 2, diff.max()
    assert (diff > 1).mean() < 1e-4 and diff.mean() < 0.35, ((diff > 1).mean(), diff.mean())
    assert not on_page.all() and on_page.any()  # both sides are in the frame


def test_crease_windows_match_the_whole_plane(placed) -> None:
    _, ctx, w, h = placed
    rec = _records(w, h, 1)[1]
    assert rec["step"] == "crease_shading"
    whole = None
    for nodes in ctx.creases:
        one = _crease_shading(upsample_nodes(ctx.grid, nodes, reduce=2), rec)
        whole = one if whole is None else whole * one
    windows = _crease_lines(ctx.grid, ctx.creases, rec)
    assert windows is not None and windows.shape == whole.shape
    assert np.abs(windows - whole).max() < 2e-4  # < 0.05 levels
    assert np.abs(whole - 1.0).max() > 0.05  # the creases do shade


@pytest.mark.parametrize("shape", [(1448, 1024), (437, 331), (9, 7), (4, 4)])
@pytest.mark.parametrize("k", [2, 4, 8])
def test_shrink_by_halvings_matches_padded_area_averages(shape: tuple[int, int], k: int) -> None:
    if min(shape) < k:
        pytest.skip("smaller than one cell")
    rng = np.random.default_rng(k)
    plane = np.zeros(shape, np.uint8)
    cv2.circle(plane, (shape[1] // 2, shape[0] // 2), max(shape) // 3, 255, -1, cv2.LINE_AA)
    plane[: shape[0] // 4] = rng.integers(0, 256, (shape[0] // 4, shape[1]), dtype=np.uint8)
    h, w = shape
    padded = cv2.copyMakeBorder(plane, 0, -h % k, 0, -w % k, cv2.BORDER_REPLICATE)
    want = cv2.resize(padded, (-(-w // k), -(-h // k)), interpolation=cv2.INTER_AREA)
    got = shrink(plane, k)
    assert got.shape == want.shape
    # whole cells agree up to rounding; a partial edge cell averages only the pixels it has
    whole = np.abs(got[: h // k, : w // k].astype(int) - want[: h // k, : w // k])
    assert whole.max() <= 1


@pytest.mark.parametrize("size", [(437, 331), (97, 130), (1, 1)])
def test_light_runs_on_any_page_size_and_repeat_exactly(placed, size: tuple[int, int]) -> None:
    h, w = size
    image = _page(max(h, 41), max(w, 31))[:h, :w].copy()
    records = [r for r in _records(w, h, 2) if r["step"] not in ("crease_shading", "drop_shadow")]
    out = apply_light(image, records, ShadingContext())
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out.tobytes() == apply_light(image, records, ShadingContext()).tobytes()
    if h > 1:
        assert np.abs(out.astype(int) - image).mean() > 2  # the light did something


def test_light_on_a_placed_page_keeps_the_sides_apart(placed) -> None:
    """Crease shading stays on the paper and the drop shadow on the table: with only those
    two, a table pixel far from the page's shadow and every page pixel far from a crease are
    untouched, and the page's own shading shows."""
    image, ctx, w, h = placed
    records = [r for r in _records(w, h, 3) if r["step"] in ("drop_shadow", "crease_shading")]
    records[0].update(offset=[0.02, 0.02], intensity=0.5, softness=0.005)
    out = apply_light(image, records, ctx).astype(int)
    table = ctx.page_alpha == 0
    far = cv2.erode(table.astype(np.uint8), np.ones((61, 61), np.uint8)).astype(bool)
    assert far.any() and (out[far] == image[far]).all()
    near = table & ~far
    assert (out[near] <= image[near]).all() and (out[near] < image[near]).any()
    page = ctx.page_alpha == 255
    assert np.abs(out[page] - image[page]).max() > 5


def test_without_a_table_paper_terms_shade_the_whole_frame(placed) -> None:
    """No table in view (no coverage): crease shading is hoisted like on a placed page and the
    composed run still agrees with the steps applied one by one."""
    image, ctx, w, h = placed
    bare = ShadingContext(ctx.grid, ctx.creases, ctx.slope, None)
    records = [r for r in _records(w, h, 4) if r["step"] != "drop_shadow"]
    one_by_one = image
    for rec in records:
        one_by_one = apply_light(one_by_one, [rec], bare)
    composed = apply_light(image, records, bare)
    diff = np.abs(composed.astype(int) - one_by_one)
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 4, (diff.mean(), diff.max())
    creased = apply_light(image, records[:1], bare).astype(int)
    assert records[0]["step"] == "crease_shading"
    assert np.abs(creased - image).mean() > 0.5  # the creases shade, table or not


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_light_pass_bytes_do_not_depend_on_the_band_height(placed, monkeypatch, seed) -> None:
    """Each band enlarges its fields from the lattice rows around it: any band height gives
    the whole-frame bytes (checked from a band below every lattice's cell to one past the
    frame), so `_BAND` is a speed setting only."""
    import warping.lightpass as lightpass

    image, ctx, w, h = placed
    records = _records(w, h, seed)
    out = {}
    for band in (16, 96, lightpass._BAND, 2 * h):
        monkeypatch.setattr(lightpass, "_BAND", band)
        out[band] = apply_light(image, records, ctx)
    first = out[16]
    assert all(np.array_equal(first, other) for other in out.values())
    assert not np.array_equal(first, image)  # the light did change the page


def _plain_crease(t: np.ndarray, rec: dict) -> np.ndarray:
    """The crease product op by op over the whole window, in float32 (what the fast path
    stands for)."""
    line = 1.0 + np.float32(-rec["dark"]) * np.exp(-np.square(t * np.float32(1.0 / rec["width"])))
    side = 1.0 + np.float32(rec["tilt"]) * (np.sign(t) * np.exp(-np.abs(t)))
    return (line.astype(np.float32) * side.astype(np.float32)).astype(np.float32)


@pytest.mark.parametrize("rec", [
    {"dark": 0.2, "width": 0.08, "tilt": 0.07},
    {"dark": 0.35, "width": 0.12, "tilt": -0.12},
    {"dark": -0.3, "width": 0.04, "tilt": 0.03},  # a user's lightening "crease"
    {"dark": 0.0, "width": 0.1, "tilt": 0.1},  # no line at all
    {"dark": 3.0, "width": 0.5, "tilt": 0.5},  # far outside the default ranges
])
def test_crease_shading_is_the_plain_product_bit_for_bit(rec) -> None:
    rng = np.random.default_rng(3)
    big = np.linspace(-9.0, 9.0, 70 * 301, dtype=np.float32).reshape(70, 301)
    big += rng.normal(0.0, 0.02, big.shape).astype(np.float32)
    big[5, 7:12] = 0.0  # exact zeros (sign 0) and a negative zero
    big[6, 3] = -0.0
    big[9, 100:110] = 120.0  # exp(-|t|) underflows
    t = big[3:67, 2:290]  # a window is a view with row gaps, as `_window` gives it
    want = _plain_crease(t, rec)
    got = _crease_shading(t, rec)
    assert got.dtype == np.float32 and np.array_equal(got.view(np.uint32), want.view(np.uint32))
