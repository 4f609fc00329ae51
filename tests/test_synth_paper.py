"""Paper textures: deterministic from the record, varied across seeds, user backgrounds work."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from pipelines.errors import PolyglyphError
from synth.paper import RULING_KINDS, apply_paper, ruling_baselines, sample_paper
from synth.rng import sample_rng

W, H = 320, 448


def test_same_record_gives_identical_pixels_even_after_json_round_trip() -> None:
    record = sample_paper(sample_rng(11), W, H)
    again = json.loads(json.dumps(record))
    first = apply_paper(record, W, H)
    assert first.shape == (H, W, 3) and first.dtype == np.uint8
    assert np.array_equal(first, apply_paper(again, W, H))


def test_seeds_give_different_records_and_pixels() -> None:
    images = [apply_paper(sample_paper(sample_rng(s), W, H), W, H) for s in range(6)]
    for a in range(len(images)):
        for b in range(a + 1, len(images)):
            assert not np.array_equal(images[a], images[b])


def test_sampling_is_deterministic_per_seed() -> None:
    assert sample_paper(sample_rng(5), W, H) == sample_paper(sample_rng(5), W, H)


@pytest.mark.parametrize("kind", RULING_KINDS)
def test_forced_ruling_is_recorded(kind: str) -> None:
    record = sample_paper(sample_rng(3), W, H, ruling=kind)
    assert record["ruling"]["kind"] == kind
    assert bool(ruling_baselines(record, H)) == (kind in ("ruled", "grid"))


def test_ruled_lines_are_drawn_where_the_record_says() -> None:
    record = sample_paper(sample_rng(4), W, H, ruling="ruled", ruling_spacing=32.0)
    record["ruling"].update(alpha=0.9, margin_x=None, thickness=1)
    record["stains"], record["fibres"]["count"] = [], 0
    image = apply_paper(record, W, H).astype(np.float64).mean(axis=2)
    baselines = ruling_baselines(record, H)
    assert len(baselines) >= 10
    on = np.mean([image[int(round(y))].mean() for y in baselines])
    between = np.mean([image[int(round(y + 16))].mean() for y in baselines if y + 16 < H])
    assert on < between - 20  # rule lines are clearly darker than the paper between them


def test_unknown_ruling_is_a_user_error() -> None:
    with pytest.raises(PolyglyphError, match="ruling"):
        sample_paper(sample_rng(1), W, H, ruling="tartan")


def test_background_image_is_used_and_cropped_to_size(tmp_path) -> None:
    gradient = np.tile(np.linspace(0, 255, 200, dtype=np.uint8)[None, :, None], (150, 1, 3))
    path = tmp_path / "bg.png"
    Image.fromarray(gradient).save(path)
    record = sample_paper(sample_rng(2), W, H, backgrounds=[str(path)], background_probability=1.0)
    assert record["background"]["path"] == str(path)
    image = apply_paper(record, W, H).astype(np.float64).mean(axis=2)
    assert image.shape == (H, W)
    assert image[:, : W // 8].mean() < image[:, -W // 8 :].mean() - 15  # dark left, light right
    plain = dict(record, background=None)
    assert not np.array_equal(apply_paper(plain, W, H), apply_paper(record, W, H))


def test_unreadable_background_is_a_user_error(tmp_path) -> None:
    record = sample_paper(sample_rng(2), W, H, backgrounds=[str(tmp_path / "missing.png")],
                          background_probability=1.0)
    with pytest.raises(PolyglyphError, match="missing.png"):
        apply_paper(record, W, H)


@pytest.mark.parametrize("shape", [(362, 256), (9, 16), (40, 33, 3)])
def test_banded_upsampling_gives_the_rows_of_the_whole_page_resize(shape) -> None:
    """The paper is finished band by band; each band's rows must be exactly the rows a
    whole-page 4x resize gives (edges, interior bands and a short last band alike)."""
    from synth.paper import GRAIN_TILE, _upsampled_rows

    low = np.random.default_rng(3).uniform(0, 255, shape).astype(
        np.float32 if len(shape) == 2 else np.uint8)
    whole = cv2.resize(low, (shape[1] * 4, shape[0] * 4), interpolation=cv2.INTER_LINEAR)
    for top in range(0, whole.shape[0], GRAIN_TILE):
        rows = _upsampled_rows(low, top, GRAIN_TILE)
        assert np.array_equal(rows, whole[top : top + GRAIN_TILE]), top
