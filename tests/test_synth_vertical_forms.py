"""Vertical forms in vertical hand columns, for every hand face a vertical page can draw with.

A face without a `vert` form for a character (AR PL UKai: 「」（）ー，) had it drawn upright in
its horizontal form; `synth.text.vertforms` makes the form from the face's own glyph. Each
character is drawn at the end of a column (after a prefix, through the page's font chain, as a
line is drawn) and measured as the ink the column gains with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from fonts_manifest.registry import FontRegistry
from synth.text import TextEngine, TextStyle, vertforms
from synth.text.paint import Ink

SIZE = 48
# (script, prefix, turned characters, marks): the columns "あ，い。「う」ー" / "中，文。「字」" and
# the forms some pool face lacks (Klee One: —; Kouzan: 〜; SetoFont: 〈〉; UKai: 「」（）ー，;
# UnGungseo: every one)
CASES = {"ja": ("Jpan", "あい", "「」（）ー〜〈〉—", "，。、"),
         "zh-Hant": ("Hant", "中文", "「」（）〈〉—", "，。、"),
         "ko": ("Hang", "가나", "「」（）〈〉", "")}


@pytest.fixture(scope="module")
def engine() -> TextEngine:
    return TextEngine(FontRegistry.load())


def _hand_styles(engine: TextEngine, code: str, direction: str) -> list[TextStyle]:
    """A style per hand face of the language, backed by its handwriting chain (as
    `synth.scenes.kit.chain_for` builds a page's writer)."""
    base = engine.fonts.chain(code, "handwriting")
    script = CASES[code][0]
    return [TextStyle((face, *[f for f in base if f != face]), SIZE, code, script, direction)
            for face in engine.fonts.handwriting_faces(code)]


def _draw(engine: TextEngine, style: TextStyle, text: str) -> np.ndarray:
    layout = engine.layout_line(text, style)
    canvas = np.full((int(layout.advance) + 4 * SIZE, 6 * SIZE), 255, np.uint8)
    origin = (3.0 * SIZE, 2.0 * SIZE) if style.direction == "ttb" else (SIZE, 3.0 * SIZE)
    engine.draw_line(canvas, layout, origin, colour=(0,))
    return 255 - canvas


def _box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """(centre x, centre y, width, height) of the ink above half coverage."""
    ys, xs = np.nonzero(mask > 128)
    assert len(xs), "no ink"
    return ((xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2,
            float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))


def _added(engine: TextEngine, style: TextStyle, prefix: str, char: str
           ) -> tuple[tuple[float, float, float, float], float, float]:
    """The ink `char` adds at the end of a column of `prefix`, its cell's top and height."""
    alone, whole = _draw(engine, style, prefix), _draw(engine, style, prefix + char)
    rows = min(alone.shape[0], whole.shape[0])
    added = np.where(alone[:rows] > 128, 0, whole[:rows])
    top = 2.0 * SIZE + engine.width(prefix, style)
    return _box(added), top, engine.width(prefix + char, style) - engine.width(prefix, style)


@pytest.mark.parametrize("code", list(CASES))
def test_brackets_and_long_vowel_turn_in_every_hand_face(engine, code) -> None:
    _, prefix, turned, _ = CASES[code]
    wrong = []
    for down, across in zip(_hand_styles(engine, code, "ttb"), _hand_styles(engine, code, "ltr"),
                            strict=True):
        for char in turned:
            _, _, w_flat, h_flat = _box(_draw(engine, across, char))
            (_, _, w, h), _, _ = _added(engine, down, prefix, char)
            flat_wide = w_flat > h_flat
            # the vertical form is the horizontal one turned: wide becomes tall and tall wide
            if (h <= 1.2 * w) if flat_wide else (w <= 1.2 * h):
                wrong.append((down.chain[0].family, char, (w_flat, h_flat), (w, h)))
    assert not wrong, wrong


@pytest.mark.parametrize("code", ["ja", "zh-Hant"])
def test_commas_and_periods_sit_where_the_language_puts_them(engine, code) -> None:
    # Japanese: the upper right quarter of the cell; Traditional Chinese: its middle
    _, prefix, _, marks = CASES[code]
    wrong = []
    for style in _hand_styles(engine, code, "ttb"):
        for char in marks:
            (x, y, _, _), top, height = _added(engine, style, prefix, char)
            dx, dy = (x - 3.0 * SIZE) / SIZE, (y - (top + height / 2)) / SIZE
            ok = (abs(dx) < 0.15 and abs(dy) < 0.15) if code == "zh-Hant" else (
                dx > 0.1 and dy < -0.1)
            if not ok:
                wrong.append((style.chain[0].family, char, round(dx, 2), round(dy, 2)))
    assert not wrong, wrong


def test_fallback_geometry_turns_raises_and_centres_about_the_cell() -> None:
    # a 10x2 bar left of and below the centre (50, 50) of its cell
    bar = Ink(np.full((2, 10), 255, np.uint8), 30, 60)
    turned = vertforms.place(bar, "rotate", 50.0, 50.0, 100)
    assert turned.mask.shape == (10, 2) and (turned.x, turned.y) == (38, 30)
    raised = vertforms.place(bar, "raise", 50.0, 50.0, 100)
    assert raised.mask.shape == (2, 10) and (raised.x, raised.y) == (60, 38)
    centred = vertforms.place(bar, "centre", 50.0, 50.0, 100)
    assert (centred.x, centred.y) == (45, 49)
    assert vertforms.fallback("「", "ja") == "rotate" and vertforms.fallback("ー", "ko") == "rotate"
    assert vertforms.fallback("，", "ja") == "raise"
    assert vertforms.fallback("，", "zh-Hant") == "centre"
    assert vertforms.fallback("：", "ja") == "rotate" and vertforms.fallback("：", "zh-Hant") is None
    assert vertforms.fallback("あ", "ja") is None


def test_faces_with_their_own_forms_draw_as_before(engine) -> None:
    # Noto Sans CJK has every form: its columns are exactly HarfBuzz's `vert` glyphs
    from synth.text.vertical import UPRIGHT, _upright_shaped

    glyphs = engine.glyphs
    for code, text in (("ja", "あ，い。「う」ー（一）…"), ("zh-Hant", "中，文。「字」（一）…")):
        face = engine.fonts.chain(code, "sans")[0]
        mine = engine.vertical.ink(face.path, face.index, SIZE, text, UPRIGHT, code)
        plain = glyphs.ink(face.path, face.index, SIZE, _upright_shaped(
            glyphs.hb_font(face.path, face.index, SIZE), text, code))
        assert (mine.x, mine.y) == (plain.x, plain.y)
        assert np.array_equal(mine.mask, plain.mask)


def test_a_run_draws_the_same_whatever_was_drawn_before(engine) -> None:
    # the horizontal glyphs kept per face, language and script must not depend on the run
    # that met a character first: "‘" alone is shaped with no script, inside Han with Hani
    from synth.text.glyphs import GlyphRasteriser
    from synth.text.vertical import UPRIGHT, VerticalShaper

    face = engine.fonts.chain("ja", "sans")[0]
    inks = []
    for first in ("‘", "中‘字"):
        shaper = VerticalShaper(GlyphRasteriser())
        shaper.ink(face.path, face.index, SIZE, first, UPRIGHT, "ja")
        inks.append(shaper.ink(face.path, face.index, SIZE, "中‘字", UPRIGHT, "ja"))
    assert (inks[0].x, inks[0].y) == (inks[1].x, inks[1].y)
    assert np.array_equal(inks[0].mask, inks[1].mask)


def test_a_run_without_a_script_is_shaped_with_none(engine) -> None:
    # "「」" alone has no script (HarfBuzz guesses none): its horizontal glyphs were shaped
    # with the script tag "None" (str(None)); they are shaped with no script, and a run of
    # Han keeps its own script
    from synth.text.glyphs import GlyphRasteriser
    from synth.text.vertical import UPRIGHT, VerticalShaper

    face = engine.fonts.family_face("AR PL UKai TW") or engine.fonts.handwriting_faces("ja")[0]
    shaper = VerticalShaper(GlyphRasteriser())
    ink = shaper.ink(face.path, face.index, SIZE, "「」", UPRIGHT, "zh-Hant")
    shaper.ink(face.path, face.index, SIZE, "中「文」", UPRIGHT, "zh-Hant")
    assert ink.mask is not None and ink.mask.any()
    scripts = {key[3] for key in shaper._flat}
    assert scripts == {"", "Hani"}, scripts
