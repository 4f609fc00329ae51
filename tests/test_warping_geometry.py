"""Warping moves every label exactly with its ink; records re-make the same image."""

from __future__ import annotations

import json

import numpy as np
import pytest

import warping
from synth.page import Line, Page, Word, box_polygon
from synth.rng import sample_rng
from warping import grid, remap
from warping.fidelity import forced_profile, geometry_only, shape_ious, shapes_page

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def pages() -> dict[int, Page]:
    return {seed: shapes_page(seed=seed) for seed in SEEDS}


@pytest.mark.parametrize("name", warping.PROFILES)
def test_warped_polygons_cover_warped_ink(name: str, pages: dict[int, Page]) -> None:
    profile = forced_profile(warping.load_profile(name))
    soft: list[float] = []
    hard: list[float] = []
    for seed, page in pages.items():
        record = geometry_only(
            warping.sample_warp(profile, page.width, page.height, sample_rng(seed))
        )
        if name != "clean":
            assert record["geometric"], "forced profile must draw its geometric steps"
        warped = warping.apply_warp(page, record)
        soft += shape_ious(warped)
        hard += shape_ious(warped, soft=False)
    assert len(soft) >= 0.8 * len(SEEDS) * len(pages[0].lines)
    for ious in (soft, hard):
        assert np.median(ious) >= 0.95, (name, np.median(ious))
        assert np.percentile(ious, 5) >= 0.85, (name, np.percentile(ious, 5))


def test_a_wrong_label_map_would_fail_the_fidelity_check(pages: dict[int, Page]) -> None:
    """The IoU check can fail: shifting labels by 3 px after an exact warp drops it."""
    page = pages[0]
    profile = forced_profile(warping.load_profile("photo"))
    record = geometry_only(warping.sample_warp(profile, page.width, page.height, sample_rng(5)))
    warped = warping.apply_warp(page, record)
    for line in warped.lines:
        line.polygon = [[x + 3.0, y] for x, y in line.polygon]
    assert np.median(shape_ious(warped)) < 0.9


def _forced_wild_grid(page: Page) -> tuple[dict, grid.CoarseGrid]:
    """A wild record with every geometric step on, and the coarse grid that moves its pixels."""
    from warping.geometric import build

    profile = forced_profile(warping.load_profile("wild"))
    record = warping.sample_warp(profile, page.width, page.height, sample_rng(3))
    geo = {"steps": record["geometric"], "output_size": record["output_size"]}
    coarse, _ = build(geo, record["grid_step"])
    return record, coarse


def test_inverse_grid_is_exact_on_the_pixel_map(pages: dict[int, Page]) -> None:
    from warping.geometric import forward_points

    page = pages[1]
    record, coarse = _forced_wild_grid(page)
    rng = np.random.default_rng(0)
    out_w, out_h = record["output_size"]
    q = rng.uniform([0, 0], [out_w, out_h], (5000, 2))
    p = grid.evaluate(coarse, q)
    on_page = (p[:, 0] > 0) & (p[:, 0] < page.width) & (p[:, 1] > 0) & (p[:, 1] < page.height)
    back = grid.GridInverse(coarse)(p[on_page])  # from KD-tree nodes
    assert on_page.sum() > 1000
    assert np.abs(back - q[on_page]).max() < 0.01
    guided = grid.GridInverse(coarse, guess=lambda pts: forward_points(record["geometric"], pts))
    assert np.abs(guided(p[on_page]) - q[on_page]).max() < 0.01  # from the steps' forward maps
    assert guided.last_fallbacks == 0
    rough = forward_points(record["geometric"], p[on_page])
    assert 0 < np.abs(rough - q[on_page]).max() < 3  # the guess alone is close, not exact


def test_pixel_map_matches_grid_evaluation() -> None:
    """cv2.resize of the node values reproduces the bilinear grid the labels invert."""
    import cv2

    def backward(pts: np.ndarray) -> np.ndarray:
        return np.stack([pts[:, 0] + 9 * np.sin(pts[:, 1] / 70), pts[:, 1] * 1.1 - 4], axis=1)

    coarse = grid.build_grid(backward, 203, 157, 8, 3)
    full = grid.upsample_nodes(coarse, coarse.source)
    ys, xs = np.mgrid[0:157, 0:203]
    q = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
    assert np.abs(full.reshape(-1, 2) - grid.evaluate(coarse, q)).max() < 1e-3
    window = remap.window_map(coarse, (0, 0, 203, 157))  # remap coordinates: source - 0.5
    assert window.dtype == np.float32 and window.shape == (157, 203, 2)
    assert np.abs(window.reshape(-1, 2) + 0.5 - grid.evaluate(coarse, q)).max() < 1e-3
    part = remap.window_map(coarse, (37, 21, 150, 96))
    assert np.array_equal(part, window[21:96, 37:150]) and cv2.remap is not None


def test_window_remap_equals_full_frame_remap(pages: dict[int, Page]) -> None:
    """Mapping only the window the page can reach changes no pixel: outside it, every pixel
    samples beyond the page (0); inside, the window's map equals the full-frame map."""
    import cv2

    from warping.geometric import build

    page = pages[2]
    rgba = cv2.cvtColor(page.image, cv2.COLOR_RGB2RGBA)
    profile = forced_profile(warping.load_profile("wild"))
    windows = 0
    for seed in range(4):
        record = warping.sample_warp(profile, page.width, page.height, sample_rng(seed))
        coarse, _ = build({"steps": record["geometric"], "output_size": record["output_size"]}, 8)
        full_map = grid.upsample_nodes(coarse, coarse.source - 0.5)
        full = cv2.remap(rgba, full_map, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        windowed = remap.remap_page(rgba, coarse)
        assert full[..., 3].any()
        assert np.array_equal(windowed, full), seed
        x0, y0, x1, y1 = remap.page_window(coarse, page.width, page.height)
        windows += (x1 - x0) * (y1 - y0) < coarse.width * coarse.height
    assert windows >= 2  # the window really is smaller than the frame on placed pages


def test_composite_is_page_over_background(pages: dict[int, Page]) -> None:
    """Every output pixel is the remapped page (premultiplied by its coverage) over the
    background: rim pixels blend, inside the page is page, outside is background."""
    import cv2

    from warping import scene
    from warping.geometric import build, warp_image

    page = pages[0]
    profile = forced_profile(warping.load_profile("wild"))
    record = warping.sample_warp(profile, page.width, page.height, sample_rng(6))
    geo = {"steps": record["geometric"], "output_size": record["output_size"]}
    coarse, _ = build(geo, 8)
    image, alpha = warp_image(page.image, coarse, record["background"])
    rgba = remap.remap_page(cv2.cvtColor(page.image, cv2.COLOR_RGB2RGBA), coarse)
    bg = scene.render_background(record["background"], coarse.width, coarse.height)
    a = alpha[..., None].astype(np.float64)
    expected = rgba[..., :3] + bg * (255 - a) / 255
    assert np.array_equal(alpha, rgba[..., 3])
    rim = (alpha > 0) & (alpha < 255)
    assert rim.sum() > 1000 and (alpha == 0).any() and (alpha == 255).any()
    assert np.abs(image.astype(np.float64) - expected).max() <= 1.0


@pytest.mark.parametrize("kind", ["wood", "fabric", "stone", "solid"])
def test_background_rectangles_are_the_whole_backgrounds_pixels(kind: str) -> None:
    """The warp paints the table only where the page leaves it visible: any rectangle painted
    alone holds exactly the whole frame's background there (odd sizes: cropped lattices)."""
    from warping import scene

    spec = {"kind": kind, "tone": 0.4, "hue": 0.2, "seed": 9}
    whole = scene.render_background(spec, 1001, 757)
    table = scene.Background(spec, 1001, 757)
    rng = np.random.default_rng(1)
    for _ in range(20):
        y0, y1 = sorted(int(v) for v in rng.integers(0, 758, 2))
        x0, x1 = sorted(int(v) for v in rng.integers(0, 1002, 2))
        out = np.zeros_like(whole)
        table.paint(out, y0, y1, x0, x1)
        assert np.array_equal(out[y0:y1, x0:x1], whole[y0:y1, x0:x1])
        assert not out[:y0].any() and not out[y1:].any()


def test_lattice_pad_holds_the_whole_page() -> None:
    """The pad follows how far the page reaches past the frame: every point of the page
    border inverts to a position inside the lattice (no extrapolated outer cells)."""
    from synth.page import densify
    from warping.geometric import build, label_map

    profile = {
        "geometric": [
            {"step": "fold"},
            {"step": "curl"},
            {"step": "perspective", "pitch_deg": [10, 20]},
            {"step": "place", "canvas": [1.0, 1.0], "zoom": [1.0, 1.0], "crop": [0.1, 0.12]},
        ],
        "photometric": [],
    }
    pads: set[int] = set()
    reach: list[float] = []
    for seed in range(6):
        record = warping.sample_warp(profile, 600, 800, sample_rng(seed))
        geo = {"steps": record["geometric"], "output_size": record["output_size"]}
        coarse, _ = build(geo, 8)
        border = densify([[0, 0], [600, 0], [600, 800], [0, 800]], 3.0)
        q = label_map(geo, coarse)(border)
        rows, cols = coarse.source.shape[:2]
        lo = (0.5 - coarse.pad) * coarse.step  # outermost node centres
        assert q[:, 0].min() > lo and q[:, 1].min() > lo, seed
        assert q[:, 0].max() < lo + (cols - 1) * coarse.step, seed
        assert q[:, 1].max() < lo + (rows - 1) * coarse.step, seed
        out_w, out_h = record["output_size"]
        beyond = max(-q[:, 0].min(), -q[:, 1].min(), q[:, 0].max() - out_w, q[:, 1].max() - out_h)
        reach.append(beyond)
        pads.add(coarse.pad)
    assert max(reach) > 16  # some crops really pushed the page past the frame
    assert min(pads) < int(np.ceil(0.15 * 800 / 8))  # smaller than the old fixed pad


def _text_page() -> Page:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (600, 400, 3), dtype=np.uint8)
    words = [Word("a", box_polygon(40, 40, 90, 60)), Word("b", box_polygon(100, 40, 160, 60))]
    line = Line(
        "a b",
        box_polygon(40, 40, 160, 60),
        box_polygon(40, 40, 160, 60),
        "en",
        "Latn",
        "ltr",
        words=words,
    )
    edge = Line(
        "edge", box_polygon(0, 560, 400, 600), box_polygon(0, 560, 400, 600), "en", "Latn", "ltr"
    )
    return Page(
        image=image,
        language="en",
        script="Latn",
        direction="ltr",
        scene="document",
        lines=[line, edge],
    )


@pytest.mark.parametrize("name", warping.PROFILES)
def test_same_record_same_bytes_and_json_round_trip(name: str) -> None:
    page = _text_page()
    record = warping.sample_warp(name, page.width, page.height, sample_rng(11))
    again = json.loads(json.dumps(record))
    a = warping.apply_warp(page, record)
    b = warping.apply_warp(page, again)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.to_dict() == b.to_dict()
    assert a.warp == record and [a.width, a.height] == record["output_size"]
    assert warping.sample_warp(name, page.width, page.height, sample_rng(11)) == record


@pytest.mark.parametrize("name", ["scan", "photo", "wild"])
def test_different_seed_different_image(name: str) -> None:
    page = _text_page()
    a = warping.warp_page(page, name, sample_rng(1))
    b = warping.warp_page(page, name, sample_rng(2))
    assert a.warp != b.warp
    assert a.image.shape != b.image.shape or a.image.tobytes() != b.image.tobytes()


def test_partial_crop_marks_labels_partly_visible() -> None:
    page = _text_page()
    profile = {
        "geometric": [
            {"step": "place", "canvas": [1.0, 1.0], "zoom": [1.0, 1.0], "crop": [0.05, 0.05]}
        ],
        "photometric": [],
    }
    visibles = set()
    for seed in range(12):
        warped = warping.warp_page(page, profile, sample_rng(seed))
        visibles |= {line.visible for line in warped.lines}
        for line in warped.lines:
            pts = np.asarray(line.polygon)
            assert pts[:, 0].min() >= 0 and pts[:, 0].max() <= warped.width
            assert pts[:, 1].min() >= 0 and pts[:, 1].max() <= warped.height
            assert len(line.quad) == 4
    assert any(0 < v < 1 for v in visibles) and 1.0 in visibles


def test_dewarp_map_points_back_to_the_flat_page() -> None:
    page = _text_page()
    profile = forced_profile(warping.load_profile("wild"))
    record = warping.sample_warp(profile, page.width, page.height, sample_rng(4), dewarp=True)
    warped = warping.apply_warp(page, record)
    dmap = warped.extras["dewarp_map"]
    step = record["grid_step"]
    out_w, out_h = record["output_size"]
    assert dmap.dtype == np.float16 and dmap.shape == (-(-out_h // step), -(-out_w // step), 2)
    # the node nearest a warped word corner must point back near that corner on the flat page
    src = np.asarray(page.lines[0].polygon[0])
    dst = np.asarray(warped.lines[0].polygon[0])
    r, c = int(dst[1] // step), int(dst[0] // step)
    back = (dmap[r, c].astype(np.float64) + 1) / 2 * [page.width, page.height]
    assert np.hypot(*(back - src)) < 2.5 * step
    plain = warping.warp_page(page, profile, sample_rng(4))
    assert "dewarp_map" not in plain.extras


def test_record_for_another_size_is_refused() -> None:
    from pipelines.errors import PolyglyphError

    page = _text_page()
    record = warping.sample_warp("photo", 800, 600, sample_rng(0))
    with pytest.raises(PolyglyphError, match="800x600"):
        warping.apply_warp(page, record)


def test_extreme_user_ranges_never_fold_the_page_over_itself() -> None:
    """Steepest tilts, wide angle, strong folds/curl/crumple: the map stays one-to-one on the page."""
    from warping.geometric import build

    profile = {
        "geometric": [
            {"step": "fold", "count": [3, 3], "shift": [0.05, 0.1], "falloff": [0.02, 0.05]},
            {"step": "curl", "angle_deg": [85, 89], "start": [0.1, 0.2], "focal": [0.8, 0.8]},
            {"step": "crumple", "amplitude": [0.02, 0.03], "modes": [12, 12]},
            {
                "step": "perspective",
                "pitch_deg": [40, 45],
                "yaw_deg": [30, 40],
                "focal": [0.6, 0.6],
            },
            {"step": "place", "canvas": [1.5, 1.5], "zoom": [0.5, 0.6]},
        ],
        "photometric": [],
    }
    for seed in range(6):
        record = warping.sample_warp(profile, 400, 560, sample_rng(seed))
        coarse, _ = build({"steps": record["geometric"], "output_size": record["output_size"]}, 8)
        src = coarse.source
        dx, dy = np.diff(src, axis=1)[:-1], np.diff(src, axis=0)[:, :-1]
        det = dx[..., 0] * dy[..., 1] - dx[..., 1] * dy[..., 0]
        corner = src[:-1, :-1]
        on_page = (
            (corner[..., 0] > -8)
            & (corner[..., 0] < 408)
            & (corner[..., 1] > -8)
            & (corner[..., 1] < 568)
        )
        assert on_page.any()
        assert not ((det <= 0) & on_page).any(), seed


def test_jpeg_decode_skip_keeps_the_bytes_and_says_so() -> None:
    import cv2

    page = _text_page()
    record = next(
        r
        for r in (warping.sample_warp("wild", 400, 600, sample_rng(s)) for s in range(40))
        if r["photometric"] and r["photometric"][-1]["step"] == "jpeg"
    )
    decoded = warping.apply_warp(page, record)
    kept = warping.apply_warp(page, record, decode_jpeg=False)
    assert kept.extras["image_jpeg"] == decoded.extras["image_jpeg"]
    assert kept.extras["image_jpeg_decoded"] is False
    assert "image_jpeg_decoded" not in decoded.extras
    assert kept.image.shape == decoded.image.shape
    assert kept.image.strides == (0, 0, 0)  # a stand-in: nothing reads those pixels
    bgr = cv2.imdecode(np.frombuffer(decoded.extras["image_jpeg"], np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(decoded.image, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    kept_tree = kept.to_dict()
    kept_tree["extras"].pop("image_jpeg_decoded")
    assert kept_tree == decoded.to_dict()  # labels and records unaffected
    plain = warping.sample_warp("clean", page.width, page.height, sample_rng(0))
    plain = {**plain, "photometric": []}
    assert "image_jpeg_decoded" not in warping.apply_warp(page, plain, decode_jpeg=False).extras


def test_planar_cell_table_is_the_cell_table_transposed(pages: dict[int, Page]) -> None:
    from warping.geometric import build

    page = pages[1]
    profile = forced_profile(warping.load_profile("wild"))
    record = warping.sample_warp(profile, page.width, page.height, sample_rng(3))
    coarse, _ = build({"steps": record["geometric"], "output_size": record["output_size"]}, 8)
    for rows, cols in ((slice(None), slice(None)), (slice(4, 9), slice(2, 30))):
        planar = grid.planar_cell_coefficients(coarse, rows, cols)
        table = grid.cell_coefficients(coarse, rows, cols).T
        assert planar.flags.c_contiguous and planar.shape == table.shape
        assert planar.tobytes() == np.ascontiguousarray(table).tobytes()


def test_inverse_point_does_not_depend_on_its_batch(pages: dict[int, Page]) -> None:
    """Newton carries a few finished points along instead of compacting every array: a point
    must still come out with the bits it gets when solved on its own batch."""
    from warping.geometric import forward_points

    page = pages[1]
    record, coarse = _forced_wild_grid(page)
    rng = np.random.default_rng(1)
    q = rng.uniform([200, 200], [page.width - 200, page.height - 200], (4000, 2))
    p = grid.evaluate(coarse, q)
    rough = forward_points(record["geometric"], p)
    solved = grid.GridInverse(coarse, guess=lambda pts: rough)(p)
    # 3% of the points start already converged: they finish in the first pass, the rest later
    exact = np.zeros(len(p), bool)
    exact[rng.choice(len(p), 120, replace=False)] = True
    start = np.where(exact[:, None], solved, rough)

    def solve(mask: np.ndarray) -> np.ndarray:
        return grid.GridInverse(coarse, guess=lambda pts: start[mask])(p[mask])

    both = grid.GridInverse(coarse, guess=lambda pts: start)(p)
    assert both[exact].tobytes() == solve(exact).tobytes()
    assert both[~exact].tobytes() == solve(~exact).tobytes()
    assert np.abs(both - q).max() < 0.01


@pytest.mark.parametrize("step", [8, 12, 24])
def test_banded_remap_equals_one_remap(step: int) -> None:
    """remap_window maps the window in bands of rows (memory): the same pixels as one remap of
    the whole window's map (steps that are not powers of two are remapped at once)."""
    import cv2

    def backward(pts: np.ndarray) -> np.ndarray:
        return np.stack([pts[:, 0] * 0.93 + 7 * np.sin(pts[:, 1] / 55) + 11,
                         pts[:, 1] * 1.07 - 5 + 4 * np.cos(pts[:, 0] / 80)], axis=1)

    rng = np.random.default_rng(step)
    image = rng.integers(0, 256, (700, 420, 4), dtype=np.uint8)
    coarse = grid.build_grid(backward, 450, 760, step, 3)
    box, banded = remap.remap_window(image, coarse)
    assert box is not None and banded is not None and box[3] - box[1] > remap.REMAP_BAND_ROWS
    whole = cv2.remap(image, remap.window_map(coarse, box), None, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    assert np.array_equal(banded, whole)


def test_bands_remap_only_the_columns_their_rows_of_the_page_reach() -> None:
    """A tilted page: each band of `remap_window` spans only the columns its rows can reach
    (fewer than the box's), and the window holds the same pixels as one remap of the box."""
    import cv2

    angle = np.deg2rad(25.0)
    c, s = np.cos(angle), np.sin(angle)

    def backward(pts: np.ndarray) -> np.ndarray:  # output -> page: a rotation about (600, 600)
        d = pts - 600.0
        return np.stack([c * d[:, 0] + s * d[:, 1] + 300, -s * d[:, 0] + c * d[:, 1] + 400], 1)

    rng = np.random.default_rng(5)
    image = rng.integers(1, 256, (800, 600, 4), dtype=np.uint8)
    coarse = grid.build_grid(backward, 1200, 1200, 8, 3)
    reach = remap.reach_cells(coarse, 600, 800)
    box = remap.reach_box(coarse, reach, 0, coarse.height)
    assert box is not None and box == remap.page_window(coarse, 600, 800)
    spans = [(left, band.shape[1]) for _, _, left, band in remap.remap_bands(image, coarse, box, reach)]
    assert len(spans) > 2 and all(width < box[2] - box[0] for _, width in spans)
    window, pixels = remap.remap_window(image, coarse)
    whole = cv2.remap(image, remap.window_map(coarse, box), None, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    assert window == box and pixels is not None and whole[..., 3].any()
    assert np.array_equal(pixels, whole)
