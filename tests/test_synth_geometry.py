"""Adaptive label densification: few points where the map is straight, `densify`'s points
(mapped exactly) where it bends, and never further than the tolerance from the dense outline."""

from __future__ import annotations

import numpy as np

import warping
from synth.geometry import _densify_concat, map_rings_adaptive
from synth.page import box_polygon
from synth.rng import sample_rng
from warping import geometric

RINGS = [
    box_polygon(40, 60, 700, 90),  # a text line
    box_polygon(120, 300, 180, 320),  # a word
    [[500.0, 500.0], [560.0, 620.0], [430.0, 610.0]],  # a triangle
]


def _distance_to_ring(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    a, b = ring, np.roll(ring, -1, axis=0)
    ab, ap = b - a, points[:, None, :] - a[None]
    t = np.clip((ap * ab).sum(-1) / np.maximum((ab**2).sum(-1), 1e-12), 0.0, 1.0)
    off = ap - ab[None] * t[..., None]
    return np.hypot(off[..., 0], off[..., 1]).min(axis=1)


def _curled_map() -> tuple[object, float]:
    profile = {
        "geometric": [
            {"step": "curl", "angle_deg": [50, 50]},
            {"step": "fold", "count": [2, 2]},
            {"step": "perspective", "pitch_deg": [15, 15], "yaw_deg": [10, 10]},
        ],
        "photometric": [],
    }
    record = warping.sample_warp(profile, 800, 1000, sample_rng(3))
    geo = {"steps": record["geometric"], "output_size": record["output_size"]}
    coarse, _ = geometric.build(geo, record["grid_step"])
    return geometric.label_map(geo, coarse), record["label_tolerance"]


def test_straight_map_keeps_only_the_vertices() -> None:
    angle = 0.3
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])

    def affine(p: np.ndarray) -> np.ndarray:
        return p @ rot.T + [30.0, -12.0]

    mapped, sizes = map_rings_adaptive(RINGS, 6.0, 0.05, affine)
    assert sizes.tolist() == [4, 4, 3]
    np.testing.assert_allclose(mapped, affine(np.concatenate([np.asarray(r) for r in RINGS])))


def test_bent_map_emits_exact_dense_points_close_to_the_dense_outline() -> None:
    label_map, tolerance = _curled_map()
    dense, dense_sizes = _densify_concat(RINGS, 6.0)
    dense_mapped = label_map(dense)
    mapped, sizes = map_rings_adaptive(RINGS, 6.0, tolerance, label_map)
    assert sizes.sum() < 0.75 * dense_sizes.sum(), "adaptive must drop points"
    d_start, a_start = 0, 0
    for n_dense, n_kept in zip(dense_sizes.tolist(), sizes.tolist(), strict=True):
        ours = mapped[a_start : a_start + n_kept]
        theirs = dense_mapped[d_start : d_start + n_dense]
        assert n_kept > 4, "a curled, folded edge needs more than its corners"
        # every emitted point is one of the dense points, mapped the same way, in ring order
        index = [int(np.flatnonzero(np.all(theirs == p, axis=1))[0]) for p in ours]
        assert index == sorted(index) and index[0] == 0
        # and the dense outline never strays far from ours
        assert _distance_to_ring(theirs, ours).max() < 4 * tolerance
        d_start, a_start = d_start + n_dense, a_start + n_kept


def test_edges_leaving_the_frame_are_refined_where_they_are_clamped() -> None:
    c, s = np.cos(0.2), np.sin(0.2)

    def shift(p: np.ndarray) -> np.ndarray:  # straight, but the tilted line leaves the frame
        return p @ np.array([[c, s], [-s, c]]) - [100.0, 0.0]

    free, free_sizes = map_rings_adaptive(RINGS[:1], 6.0, 0.05, shift)
    framed, framed_sizes = map_rings_adaptive(RINGS[:1], 6.0, 0.05, shift, (1000.0, 1000.0))
    assert free_sizes.tolist() == [4]
    assert framed_sizes[0] > 4
    clamped = np.clip(framed, 0, 1000)
    dense = np.clip(shift(_densify_concat(RINGS[:1], 6.0)[0]), 0, 1000)
    assert _distance_to_ring(dense, clamped).max() < 0.1


def test_records_without_a_tolerance_keep_every_dense_point() -> None:
    from warping.fidelity import shapes_page

    page = shapes_page(400, 560, seed=1, cols=2, rows=2)
    record = warping.sample_warp("photo", 400, 560, sample_rng(2))
    old = {k: v for k, v in record.items() if k != "label_tolerance"}
    new_labels = warping.apply_warp(page, warping.geometry_only(record))
    old_labels = warping.apply_warp(page, warping.geometry_only(old))
    dense = _densify_concat([ln.polygon for ln in page.lines], record["densify_step"])[1]
    assert [len(ln.polygon) for ln in old_labels.lines] == dense.tolist()
    assert sum(len(ln.polygon) for ln in new_labels.lines) < dense.sum()


def test_degenerate_rings_keep_their_points_and_nothing_maps_empty_batches() -> None:
    batches: list[int] = []

    def scale(p: np.ndarray) -> np.ndarray:
        batches.append(len(p))
        return p * 2.0 + 1.0

    rings = [box_polygon(0, 0, 100, 50), [[5.0, 5.0], [8.0, 5.0]], [[1.0, 1.0]]]
    mapped, sizes = map_rings_adaptive(rings, 6.0, 0.025, scale, (1000.0, 1000.0))
    assert sizes.tolist() == [4, 2, 1]
    np.testing.assert_allclose(mapped[-3:], [[11.0, 11.0], [17.0, 11.0], [3.0, 3.0]])
    assert batches and min(batches) > 0


def test_label_mapping_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    import pytest

    from synth.geometry import map_page_geometry
    from synth.page import Line, Page

    image = np.zeros((200, 300, 3), np.uint8)
    line = Line("a", box_polygon(10, 10, 90, 30), box_polygon(10, 10, 90, 30), "en", "Latn", "ltr")
    page = Page(image, "en", "Latn", "ltr", "document", lines=[line])
    seen: list[bool] = []

    def shift(pts: np.ndarray) -> np.ndarray:
        seen.append(gc.isenabled())
        return pts + 5.0

    def broken(pts: np.ndarray) -> np.ndarray:
        raise ValueError("map failed")

    was = gc.isenabled()
    try:
        gc.enable()
        moved = map_page_geometry(page, image, shift, 6.0)
        assert moved.lines[0].polygon[0] == [15.0, 15.0]
        assert seen == [False] and gc.isenabled()  # paused inside, back on after
        with pytest.raises(ValueError):
            map_page_geometry(page, image, broken, 6.0)
        assert gc.isenabled()
        gc.disable()
        map_page_geometry(page, image, shift, 6.0)
        assert not gc.isenabled()  # a caller's disabled collector stays disabled
    finally:
        (gc.enable if was else gc.disable)()


def test_rings_wholly_off_the_frame_show_nothing_and_others_are_measured() -> None:
    """`map_rings` gives rings on the far side of a frame edge visible 0 without measuring
    them; a ring across the edge still gets its measured fraction (`_visible_fraction`)."""
    from synth.geometry import _visible_fraction, map_rings

    shift = np.array([-300.0, 0.0])
    rings = [box_polygon(10, 10, 100, 40), box_polygon(250, 10, 350, 40),  # left of x=0
             box_polygon(400, 10, 500, 40), box_polygon(-50, 900, 80, 950)]  # in / below
    moved, arrays = map_rings(rings, lambda p: np.asarray(p) + shift, (400, 600))
    visible = [v for _, v in moved]
    assert visible[0] == 0.0 and visible[3] == 0.0 and visible[2] == 1.0
    ring = np.asarray(box_polygon(250, 10, 350, 40), np.float64) + shift
    twice = 2 * 100 * 30
    assert 0.0 < visible[1] == _visible_fraction(ring, 400, 600, twice) < 1.0
    assert visible[1] == 0.5
