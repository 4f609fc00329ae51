"""Open label regions: the one point map moves them like lines, rows store them generically."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pyarrow.parquet as pq
import pytest

import warping
from pipelines.rows import page_to_row, row_to_page, rows_to_table
from pipelines.writers import table_bytes
from synth.page import Page, Region
from synth.rng import sample_rng
from warping.fidelity import forced_profile, geometry_only, shape_ious, shapes_page


def _with_regions(page: Page) -> Page:
    """Every drawn shape also labelled as a region of some made-up kind (one per line)."""
    regions = [
        Region(kind=("stamp", "formula", "chart")[i % 3], polygon=[list(p) for p in ln.polygon],
               text=f"r{i}", attributes={"i": i, "latex": "\\frac{a}{b}"})
        for i, ln in enumerate(page.lines)
    ]
    return replace(page, regions=regions)


@pytest.mark.parametrize("profile_name", ["photo", "wild"])
def test_warped_region_matches_its_line_and_stays_on_its_ink(profile_name: str) -> None:
    page = _with_regions(shapes_page(seed=1, cols=4, rows=5))
    profile = forced_profile(warping.load_profile(profile_name))
    record = geometry_only(warping.sample_warp(profile, page.width, page.height, sample_rng(11)))
    warped = warping.apply_warp(page, record)
    assert len(warped.regions) == len(warped.lines)
    moved = 0
    for line, region, before in zip(warped.lines, warped.regions, page.regions, strict=True):
        assert region.polygon == line.polygon  # the same point map, kind never looked at
        assert region.visible == pytest.approx(line.visible)
        assert (region.kind, region.text, region.attributes) == (
            before.kind, before.text, before.attributes)
        moved += region.polygon != before.polygon
    assert moved == len(page.regions)
    as_lines = replace(warped, lines=[replace(ln, polygon=r.polygon)
                                      for ln, r in zip(warped.lines, warped.regions, strict=True)])
    ious = shape_ious(as_lines)
    assert np.median(ious) >= 0.95 and np.percentile(ious, 5) >= 0.85


def test_a_region_off_the_ink_would_fail() -> None:
    page = _with_regions(shapes_page(seed=1, cols=4, rows=5))
    shifted = replace(page, lines=[replace(ln, polygon=[[x + 6.0, y] for x, y in r.polygon])
                                   for ln, r in zip(page.lines, page.regions, strict=True)])
    assert np.median(shape_ious(shifted)) < 0.9


def test_rows_round_trip_regions(tmp_path) -> None:
    page = _with_regions(shapes_page(seed=2, cols=2, rows=2))
    page.regions.append(Region(kind="chart", polygon=[], attributes={"data": [[1, 2.5], [3, 4]]},
                               visible=0.25))
    row = page_to_row(page, row_id="r0", index=0, seed=1, image_format="png", quality=90)
    path = tmp_path / "part-00000.parquet"
    path.write_bytes(table_bytes(rows_to_table([row])))
    stored = pq.read_table(path).to_pylist()[0]
    assert [r["kind"] for r in stored["regions"]] == ["stamp", "formula", "chart", "stamp", "chart"]
    assert json.loads(stored["regions"][1]["attributes"]) == {"i": 1, "latex": "\\frac{a}{b}"}
    back = row_to_page(stored)
    assert len(back.regions) == len(page.regions)
    for got, want in zip(back.regions, page.regions, strict=True):
        assert (got.kind, got.text, got.attributes) == (want.kind, want.text, want.attributes)
        assert got.visible == pytest.approx(want.visible)
        np.testing.assert_allclose(np.asarray(got.polygon).reshape(-1, 2),
                                   np.asarray(want.polygon, dtype=np.float32).reshape(-1, 2))
    # a row written before the column existed reads back with no regions
    assert row_to_page({k: v for k, v in stored.items() if k != "regions"}).regions == []
