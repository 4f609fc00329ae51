"""Vertical CJK lines on real fonts: vertical punctuation forms, sideways Latin, tate-chu-yoko."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fonts_manifest.registry import FontRegistry
from synth.text import TextEngine, TextStyle
from synth.text.vertical import SIDEWAYS, TCY, UPRIGHT, orientation_runs

SIZE = 40


@pytest.fixture(scope="module")
def engine() -> TextEngine:
    return TextEngine(FontRegistry.load())


@pytest.fixture(scope="module")
def style(engine) -> TextStyle:
    return TextStyle(tuple(engine.fonts.chain("ja", "sans")), SIZE, "ja", "Jpan", "ttb")


def _ink(engine: TextEngine, style: TextStyle, text: str) -> np.ndarray:
    layout = engine.layout_line(text, style)
    canvas = np.full((int(layout.advance) + 2 * SIZE, 3 * SIZE), 255, np.uint8)
    engine.draw_line(canvas, layout, (1.5 * SIZE, SIZE), colour=(0,))
    return 255 - canvas


def test_orientation_runs_follow_utr50_and_set_two_digits_across() -> None:
    text = "第12条 1983年 Tokyo「値」5G"
    kinds = [(text[s:e], k) for s, e, k in orientation_runs(text)]
    assert ("第", UPRIGHT) in kinds and ("12", TCY) in kinds
    assert ("1983", SIDEWAYS) in kinds and (" ", SIDEWAYS) in kinds  # long numbers turn
    assert ("Tokyo", SIDEWAYS) in kinds and ("5G", SIDEWAYS) in kinds
    assert ("条", UPRIGHT) in kinds and ("年", UPRIGHT) in kinds and ("「値」", UPRIGHT) in kinds


def test_brackets_and_commas_take_their_vertical_forms_inside_a_run(engine, style) -> None:
    # raqm dropped `vert` for 「 when ideographs followed in the same run (horizontal ┌ shape)
    alone = _ink(engine, style, "「")
    ys, xs = np.nonzero(alone > 128)
    assert xs.max() - xs.min() > 2 * (ys.max() - ys.min())  # ﹁: a bar across the column
    in_run = _ink(engine, style, "「値し」")
    first_em = slice(0, int(ys.max()) + 1)  # the bracket's rows; 値 starts an em further down
    assert np.array_equal(in_run[first_em] > 128, alone[first_em] > 128)
    # 、 sits in the upper right of its em (horizontal form: lower left)
    comma = _ink(engine, style, "、")
    ys3, xs3 = np.nonzero(comma > 128)
    assert xs3.mean() > 1.5 * SIZE and ys3.mean() < SIZE + SIZE / 2


def test_latin_turns_sideways_and_two_digits_share_one_em(engine, style) -> None:
    word = _ink(engine, style, "Tokyo")
    ys, xs = np.nonzero(word > 128)
    assert ys.max() - ys.min() > 2.5 * (xs.max() - xs.min())  # along the column, not across
    assert abs((xs.max() + xs.min()) / 2 - 1.5 * SIZE) < 0.2 * SIZE  # centred on the axis
    tcy = engine.layout_line("第12条", style)
    assert [p.direction for p in tcy.pieces] == [UPRIGHT, TCY, UPRIGHT]
    assert tcy.pieces[1].advance == SIZE
    assert abs(tcy.advance - 3 * SIZE) < 0.1 * SIZE
    # the two digits in half-width forms fit the column's em (proportional 88 was 1.12 em)
    _, xs = np.nonzero(_ink(engine, style, "第88条")[2 * SIZE + 4: 3 * SIZE - 4] > 128)
    assert xs.max() - xs.min() < 0.92 * SIZE  # 35 px at 40 (39 px before)
    # measuring (line breaking) and drawing agree on a line mixing all three
    mixed = "第12条 Tokyo 1983年「値」"
    assert abs(engine.width(mixed, style) - engine.layout_line(mixed, style).advance) < 1.0


def test_upright_latin_style_stands_letters_up_one_per_em(engine, style) -> None:
    upright = dataclasses.replace(style, upright_latin=True)
    layout = engine.layout_line("第12条 Tokyo", upright)
    kinds = [(p.text, p.direction) for p in layout.pieces]
    assert ("12", TCY) in kinds and ("Tokyo", UPRIGHT) in kinds
    assert abs(layout.pieces[-1].advance - 5 * SIZE) < 0.1 * SIZE  # five letters, five ems
    assert abs(engine.width("第12条 Tokyo", upright) - layout.advance) < 1.0
    sideways = engine.layout_line("第12条 Tokyo", style)
    assert sideways.pieces[-1].advance < 3 * SIZE  # turned: its horizontal width
