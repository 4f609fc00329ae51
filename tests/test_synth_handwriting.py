"""Imitation handwriting: the point map moves polygons exactly as the ink moved."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from synth.handwriting import (
    apply_handwriting,
    composite_ink,
    map_polygon,
    sample_handwriting,
)
from synth.page import box_polygon, polygon_area
from synth.rng import sample_rng

NOTO = "/usr/share/fonts/truetype/noto/"
SAMPLES = [
    ("NotoSans-Regular.ttf", "ltr", "en", ["Handwritten", "notes", "look", "like", "this"]),
    ("NotoNaskhArabic-Regular.ttf", "rtl", "ar", ["يولد", "جميع", "الناس", "أحرارا"]),
    ("NotoSansDevanagari-Regular.ttf", "ltr", "hi", ["सभी", "मनुष्यों", "को", "गौरव"]),
]


def _word_masks(font_file: str, direction: str, language: str, words: list[str], size: int
                ) -> list[np.ndarray]:
    """Each word drawn alone into its own full-line mask, laid out left to right."""
    font = ImageFont.truetype(NOTO + font_file, size)
    width = int(sum(font.getlength(w, direction=direction, language=language) for w in words)
                + size * (len(words) + 1))
    masks, x = [], size * 0.5
    for word in words:
        image = Image.new("L", (width, int(size * 2.2)), 0)
        ImageDraw.Draw(image).text((x, size * 0.3), word, font=font, fill=255,
                                   direction=direction, language=language)
        masks.append(np.asarray(image))
        x += font.getlength(word, direction=direction, language=language) + size * 0.6
    return masks


def _ink_box(mask: np.ndarray) -> list[list[float]]:
    ys, xs = np.nonzero(mask)
    return box_polygon(xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


@pytest.mark.parametrize("font_file,direction,language,words", SAMPLES)
@pytest.mark.parametrize("size", [24, 44])
def test_word_ink_lies_inside_its_mapped_polygon(font_file, direction, language, words, size):
    masks = _word_masks(font_file, direction, language, words, size)
    line = np.maximum.reduce(masks)
    fractions = []
    for seed in range(6):
        record = sample_handwriting(sample_rng(seed), size)
        out, point_map = apply_handwriting(line, record)
        for mask in masks:
            moved, _ = apply_handwriting(mask, record)  # this word's ink after the distortion
            polygon = map_polygon(point_map, _ink_box(mask), step=size / 4)
            inside = np.zeros(moved.shape, np.uint8)
            cv2.fillPoly(inside, [np.round(np.asarray(polygon)).astype(np.int32)], 1)
            ink = moved.astype(np.float64)
            assert ink.sum() > 0
            fractions.append(float((ink * inside).sum() / ink.sum()))
            assert polygon_area(polygon) > 0  # stays a clockwise ring
    assert min(fractions) >= 0.9
    assert float(np.median(fractions)) >= 0.97


def test_distortion_really_moves_ink_and_polygons() -> None:
    (mask,) = _word_masks("NotoSans-Regular.ttf", "ltr", "en", ["Wobble"], 40)
    record = sample_handwriting(sample_rng(1), 40)
    record.update(slant=0.3, wobble_amplitude=4.0)
    out, point_map = apply_handwriting(mask, record)
    box = _ink_box(mask)
    moved = np.asarray(map_polygon(point_map, box, step=10))
    # A slanted box is no longer axis-aligned: its top edge shifted right of its bottom edge.
    top = moved[moved[:, 1] < moved[:, 1].mean()]
    bottom = moved[moved[:, 1] >= moved[:, 1].mean()]
    assert top[:, 0].min() > bottom[:, 0].min() + 5
    assert out.shape[1] > mask.shape[1] and out.shape[0] > mask.shape[0]


def test_zero_record_is_a_pure_translation() -> None:
    (mask,) = _word_masks("NotoSans-Regular.ttf", "ltr", "en", ["plain"], 30)
    record = sample_handwriting(sample_rng(2), 30)
    record.update(slant=0.0, wobble_amplitude=0.0, jitter_x=0.0, jitter_y=0.0, jitter_scale=0.0,
                  thickness=0, pressure=0.0)
    out, point_map = apply_handwriting(mask, record)
    shift = point_map(np.array([[0.0, 0.0]]))[0]
    dx, dy = int(round(shift[0])), int(round(shift[1]))
    assert np.allclose(shift, [dx, dy])
    assert np.array_equal(out[dy : dy + mask.shape[0], dx : dx + mask.shape[1]], mask)


def test_same_record_same_ink_and_seeds_differ() -> None:
    (mask,) = _word_masks("NotoSans-Regular.ttf", "ltr", "en", ["Repeat"], 32)
    first = sample_handwriting(sample_rng(9), 32)
    a, _ = apply_handwriting(mask, first)
    b, _ = apply_handwriting(mask, dict(first))
    assert np.array_equal(a, b)
    other, _ = apply_handwriting(mask, sample_handwriting(sample_rng(10), 32))
    assert a.shape != other.shape or not np.array_equal(a, other)


def test_composite_ink_blends_colour_and_clips_at_the_frame() -> None:
    image = np.full((20, 20, 3), 255, np.uint8)
    mask = np.full((10, 10), 255, np.uint8)
    composite_ink(image, mask, (10, 20, 200), 15, -5)  # partly outside: only 5 x 5 drawn
    assert (image[:5, 15:] == (10, 20, 200)).all()
    assert (image[5:, :] == 255).all() and (image[:, :15] == 255).all()


def test_map_polygon_turns_rings_clockwise():
    rec = sample_handwriting(np.random.Generator(np.random.PCG64(4)), 30)
    _, point_map = apply_handwriting(np.zeros((60, 400), np.uint8), rec)
    rings = [[[5, 5], [390, 5], [390, 50], [5, 50]], [[10, 8], [80, 8], [80, 40], [10, 40]],
             [[120, 8], [200, 8], [200, 44], [120, 44]][::-1]]  # last one anticlockwise
    for ring in rings:
        moved = map_polygon(point_map, ring, 6.0)
        assert len(moved) > 4 and polygon_area(moved) > 0  # densified, clockwise (y down)
