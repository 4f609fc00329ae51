"""Text engine on real fonts: ink-tight word polygons, bidi, line breaking, no tofu."""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.errors import PolyglyphError
from synth.linebreak import break_segments, fill_lines, grapheme_clusters, iter_lines
from synth.page import axis_box
from synth.text import LineLayout, TextEngine, TextStyle, bidi_levels, visual_order

LINES = {
    "ar": "المادة 12 من الإعلان العالمي لحقوق الإنسان لعام 1948 (UDHR) تنص على ذلك.",
    "he": "סעיף 25 בהכרזה משנת 1948, עמוד 7: כל אדם זכאי.",
    "hi": "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है।",
    "th": "มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอภาคกันในเกียรติศักดิ์และสิทธิ",
    "zh-Hans": "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心。",
    "ja": "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。",
    "en": "All human beings are born free and equal in dignity and rights (1948).",
    "ru": "Все люди рождаются свободными и равными в своем достоинстве и правах.",
    "ko": "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다.",
    "ka": "ყველა ადამიანი იბადება თავისუფალი და თანასწორი თავისი ღირსებითა და უფლებებით.",
}


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


@pytest.fixture(scope="module")
def engine(registry) -> TextEngine:
    return TextEngine(registry)


def style_for(registry: FontRegistry, code: str, size: int = 30, direction: str | None = None
              ) -> TextStyle:
    info = registry.language(code)
    return TextStyle(tuple(registry.chain(info.code)), size, info.code, info.script,
                     direction or info.direction)


def draw(engine: TextEngine, layout: LineLayout, width: int = 1600, height: int = 120
         ) -> np.ndarray:
    canvas = np.full((height, width, 3), 255, np.uint8)
    engine.draw_line(canvas, layout, (20.0, 80.0), colour=(0, 0, 0))
    return canvas


def ink_box_of_word(engine: TextEngine, layout: LineLayout, word: int
                    ) -> tuple[float, float, float, float] | None:
    """Box of the pixels that change when only this word is left out of the drawing."""
    full = draw(engine, layout)
    without = dataclasses.replace(layout, pieces=[p for p in layout.pieces if p.word != word])
    diff = np.any(full != draw(engine, without), axis=2)
    ys, xs = np.nonzero(diff)
    if len(xs) == 0:
        return None
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def test_word_polygons_are_tight_to_their_ink(engine, registry):
    scores: dict[str, list[float]] = {}
    for code, text in LINES.items():
        layout = engine.layout_line(text, style_for(registry, code))
        geometry = engine.line_geometry(layout, (20.0, 80.0))
        words = engine.line_label(layout, geometry).words
        assert [w.text for w in words] == [text[s:e] for s, e in layout.words]
        boxes = [b for b in geometry.word_boxes if b is not None]
        for index, box in enumerate(boxes):
            ink = ink_box_of_word(engine, layout, index)
            assert ink is not None, (code, index)
            scores.setdefault(code, []).append(iou(box, ink))
    medians = {code: statistics.median(v) for code, v in scores.items()}
    overall = statistics.median(s for v in scores.values() for s in v)
    assert overall >= 0.9, medians
    assert min(medians.values()) >= 0.8, medians


def test_rtl_line_keeps_logical_labels_and_visual_geometry(engine, registry):
    text = "قال Mandela في عام 1994 كلمة"
    style = style_for(registry, "ar", 36)
    layout = engine.layout_line(text, style)
    geometry = engine.line_geometry(layout, (20.0, 80.0))
    line = engine.line_label(layout, geometry)
    assert line.text == text
    assert [w.text for w in line.words] == ["قال", "Mandela", "في", "عام", "1994", "كلمة"]
    lefts = [axis_box(w.polygon)[0] for w in line.words]
    assert lefts == sorted(lefts, reverse=True)  # logical order runs right to left
    digits = [p for p in layout.pieces if p.text == "1994"]
    latin = [p for p in layout.pieces if p.text == "Mandela"]
    assert digits and digits[0].direction == "ltr" and latin[0].direction == "ltr"
    # The Latin word's polygon holds the ink it drew: its crop reads back as the word.
    ink = ink_box_of_word(engine, layout, 1)
    assert iou(axis_box(line.words[1].polygon), ink) >= 0.9
    if shutil.which("tesseract"):
        x0, y0, x1, y1 = (int(v) for v in axis_box(line.words[1].polygon))
        crop = draw(engine, layout)[y0 - 8 : y1 + 8, x0 - 8 : x1 + 8]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "word.png"
            Image.fromarray(crop).save(path)
            out = subprocess.run(["tesseract", str(path), "-", "-l", "eng", "--psm", "8"],
                                 capture_output=True, text=True, check=True).stdout
        assert out.strip() == "Mandela"


def test_bidi_levels_and_visual_order():
    levels = bidi_levels("abc אבג 12", base_rtl=False)
    assert levels[:3] == [0, 0, 0] and levels[4:7] == [1, 1, 1]
    rtl = bidi_levels("אבג abc 12", base_rtl=True)
    assert rtl[0] == 1 and rtl[4] == 2 and rtl[8] == 2
    assert visual_order([1, 1, 1]) == [2, 1, 0]
    assert visual_order([0, 1, 1, 0]) == [0, 2, 1, 3]
    assert visual_order([1, 2, 2, 1]) == [3, 1, 2, 0]


def test_brackets_around_digits_stay_one_unit_in_rtl(engine, registry):
    layout = engine.layout_line("سنة (1948) هنا", style_for(registry, "ar"))
    positions = [k for k, p in enumerate(layout.pieces) if p.word == 1]
    assert positions == list(range(positions[0], positions[0] + len(positions)))
    brackets = [p for p in layout.pieces if p.text in "()"]
    # UAX #9 N0: the pair resolves together (raqm mirrors both when drawing them RTL)
    assert len(brackets) == 2 and brackets[0].direction == brackets[1].direction


def test_line_breaking_respects_words_clusters_and_width(engine, registry):
    corpus = load_corpus()
    for code in ("th", "km", "my", "lo", "zh-Hans", "ja", "hi", "en", "ar"):
        if code not in {i.code for i in registry.languages()}:
            continue
        style = style_for(registry, code, 24)
        paragraph = max(corpus[code].paragraphs[:20], key=len)
        lines = engine.wrap(paragraph, style, 300)
        assert len(lines) > 2, code
        assert "".join(lines).replace(" ", "") == paragraph.replace(" ", "")
        boundaries = set()
        pos = 0
        for segment in break_segments(paragraph, code):
            pos += len(segment)
            boundaries.add(pos)
        pos = 0
        for line in lines[:-1]:
            pos = paragraph.index(line, pos) + len(line)
            assert pos in boundaries or paragraph[pos:pos + 1].isspace(), (code, line)
            assert engine.width(line, style) <= 300 + 0.5, (code, line)
            assert not lines[lines.index(line) + 1].startswith(("。", "，", "、")), code


def test_oversized_word_is_cut_only_at_cluster_boundaries(engine, registry):
    style = style_for(registry, "hi", 28)
    word = "अन्तर्राष्ट्रीयकरणविरोधीप्रस्तावनाक्षेत्र"
    lines = engine.wrap(word, style, 120)
    assert len(lines) >= 2 and "".join(lines) == word
    cuts = set()
    pos = 0
    for cluster in grapheme_clusters(word):
        pos += len(cluster)
        cuts.add(pos)
    pos = 0
    for line in lines[:-1]:
        pos += len(line)
        assert pos in cuts
    assert fill_lines("a bb ccc", "en", 1e9, len) == ["a bb ccc"]


def test_lines_wrapped_lazily_are_the_greedy_lines_and_stop_measuring(engine, registry):
    """The planner takes lines one at a time (`iter_lines`): the same lines as `fill_lines`,
    and stopping after the first leaves the rest of the paragraph unmeasured."""
    style = style_for(registry, "en", 24)
    text = " ".join([LINES["en"]] * 6)
    calls: list[str] = []

    def width_of(s: str) -> float:
        calls.append(s)
        return engine.width(s, style)

    full = fill_lines(text, "en", 300, width_of)
    every = len(calls)
    calls.clear()
    lazy = iter_lines(text, "en", 300, width_of)
    assert next(lazy) == full[0] and len(full) > 3
    assert 0 < len(calls) < every / 3
    assert [full[0], *lazy] == full


def test_vertical_cjk_stacks_top_to_bottom(engine, registry):
    style = style_for(registry, "ja", 32, direction="ttb")
    layout = engine.layout_line("日本語の「縦書き」です。", style)
    geometry = engine.line_geometry(layout, (100.0, 20.0))
    boxes = [b for b in geometry.word_boxes if b is not None]
    tops = [b[1] for b in boxes]
    assert tops == sorted(tops) and len(boxes) >= 5
    x0, y0, x1, y1 = geometry.box
    assert (y1 - y0) > 4 * (x1 - x0)
    assert all(84 <= (b[0] + b[2]) / 2 <= 116 for b in boxes)


def test_character_no_font_has_is_a_clear_error_before_drawing(engine, registry):
    style = style_for(registry, "ar")
    with pytest.raises(PolyglyphError, match="'ar'.*U\\+10FFF0"):
        engine.layout_line("كلمة \U0010fff0 أخرى", style)


def test_same_layout_draws_identical_pixels(engine, registry):
    style = style_for(registry, "he")
    a = draw(engine, engine.layout_line(LINES["he"], style))
    b = draw(TextEngine(registry), TextEngine(registry).layout_line(LINES["he"], style))
    assert np.array_equal(a, b) and (a < 128).any()


def test_a_measured_line_draws_as_a_fresh_one(engine, registry):
    """A planned line keeps its pieces' inks (`LineLayout.inks`): drawing it after measuring
    it elsewhere gives the pixels and boxes of a line never measured, and a copy with other
    pieces (dataclasses.replace) does not inherit them."""
    style = style_for(registry, "ar")
    planned = engine.layout_line(LINES["ar"], style)
    engine.line_geometry(planned, (0.0, 0.0))
    assert planned.inks is not None and len(planned.inks) == len(planned.pieces)
    canvas = np.full((120, 1600, 3), 255, np.uint8)
    geometry = engine.draw_line(canvas, planned, (20.4, 80.6), colour=(0, 0, 0))
    fresh = TextEngine(registry)
    again = np.full((120, 1600, 3), 255, np.uint8)
    expected = fresh.draw_line(again, fresh.layout_line(LINES["ar"], style), (20.4, 80.6),
                               colour=(0, 0, 0))
    assert np.array_equal(canvas, again) and (canvas < 128).any()
    assert geometry.word_boxes == expected.word_boxes and geometry.box == expected.box
    assert dataclasses.replace(planned, pieces=planned.pieces[:2]).inks is None


def test_line_extent_is_the_planning_geometry_rows(engine, registry):
    """Settling a line reads `line_extent`, not the whole geometry: it must give exactly the
    top and bottom of `line_geometry` at origin (0, 0) (horizontal, vertical, no ink)."""
    cases = [(style_for(registry, code), LINES[code]) for code in ("ar", "he")]
    cases.append((style_for(registry, "ja", 32, direction="ttb"), "日本語の「縦書き」です。"))
    cases.append((style_for(registry, "he"), "   "))  # no word: the advance box
    for style, text in cases:
        layout = engine.layout_line(text, style)
        top, bottom = engine.line_extent(layout)
        assert layout.inks is not None  # looked up once, kept for drawing
        box = engine.line_geometry(layout, (0.0, 0.0)).box
        assert (top, bottom) == (box[1], box[3]) and bottom > top


def test_justified_line_stretches_only_the_spaces(engine, registry):
    for code in ("en", "ar"):
        style = style_for(registry, code, 28)
        text = LINES[code]
        natural = engine.layout_line(text, style)
        target = natural.advance + 120
        stretched = engine.layout_line(text, style, justify=target)
        assert abs(stretched.advance - target) < 1e-6
        widths = [(p.text, p.advance) for p in natural.pieces if p.word >= 0]
        assert widths == [(p.text, p.advance) for p in stretched.pieces if p.word >= 0]
        boxes = engine.line_geometry(stretched, (20.0, 80.0)).word_boxes
        spans = [b[2] - b[0] for b in boxes if b is not None]
        natural_spans = [b[2] - b[0] for b in engine.line_geometry(natural, (20.0, 80.0))
                         .word_boxes if b is not None]
        assert spans == natural_spans  # words keep their shapes, only move apart
        line_box = engine.line_geometry(stretched, (20.0, 80.0)).box
        assert line_box[2] - line_box[0] > natural.advance + 100
    solid = engine.layout_line("人人生而自由", style_for(registry, "zh-Hans"), justify=900)
    assert solid.advance < 900  # nothing to stretch without spaces


@pytest.mark.parametrize("code", ["en", "ar", "ja", "hi", "th", "bo", "my"])
def test_line_metrics_are_what_pillow_says(engine, registry, code):
    """The engine reads ascent and descent from its own FreeType faces; they must be Pillow's
    `getmetrics` for the same file and size (bold siblings included), which they replaced."""
    from PIL import ImageFont

    from synth.text.model import bold_sibling

    for bold in (False, True):
        for size in (9, 13, 22, 31, 64):
            style = dataclasses.replace(style_for(registry, code, size), bold=bold)
            face = style.chain[0]
            path = (bold_sibling(face.path) or face.path) if bold else face.path
            pillow = ImageFont.truetype(path, size, index=face.index).getmetrics()
            assert engine.metrics(style) == pillow, (code, bold, size, path)
