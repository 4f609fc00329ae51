"""Han text is shaped in the forms of the script it is written in (`TextStyle.shaping_language`).

`yue` alone is Hong Kong to HarfBuzz (OpenType ZHH): the yue corpus, written in Simplified
characters, was printed in Noto Sans CJK SC with its `locl` HK forms (771 glyphs of the corpus,
。、 centred). Drawn as `yue` it must now match the same text drawn as zh-Hans, while its labels
keep `yue`.
"""

from __future__ import annotations

import numpy as np
import pytest

from fonts_manifest.registry import FontRegistry
from synth.text import TextEngine, TextStyle

TEXT = "鉴于对人类家庭所有嘅成员固有尊严，系世界自由、正义同埋和平嘅基础。"


@pytest.fixture(scope="module")
def engine() -> TextEngine:
    return TextEngine(FontRegistry.load())


def _draw(engine: TextEngine, style: TextStyle) -> np.ndarray:
    layout = engine.layout_line(TEXT, style)
    long = int(layout.advance) + 64
    canvas = np.full((long, 160) if style.direction == "ttb" else (160, long), 255, np.uint8)
    engine.draw_line(canvas, layout, (80.0, 32.0) if style.direction == "ttb" else (32.0, 100.0),
                     colour=(0,))
    return canvas


@pytest.mark.parametrize("direction", ["ltr", "ttb"])
def test_simplified_cantonese_prints_in_simplified_forms(engine, direction) -> None:
    chain = tuple(engine.fonts.chain("yue", "sans"))
    if "CJK" not in chain[0].family:
        pytest.skip("no Noto Sans CJK installed")

    def style(code: str) -> TextStyle:
        return TextStyle(chain, 40, code, "Hans", direction)

    yue = _draw(engine, style("yue"))
    assert np.array_equal(yue, _draw(engine, style("zh-Hans")))
    assert not np.array_equal(yue, _draw(engine, style("zh-HK")))  # the face has HK forms
    layout = engine.layout_line(TEXT, style("yue"))
    line = engine.line_label(layout, engine.line_geometry(layout, (32.0, 100.0)))
    assert line.language == "yue"  # the label is the page's language, not the shaping tag


def test_tags_with_a_script_or_of_other_scripts_are_shaped_as_they_are() -> None:
    face = ()
    assert TextStyle(face, 10, "yue", "Hans").shaping_language == "yue-Hans"
    assert TextStyle(face, 10, "zh-Hant", "Hant").shaping_language == "zh-Hant"
    assert TextStyle(face, 10, "vi-Hani", "Hant").shaping_language == "vi-Hani"
    assert TextStyle(face, 10, "ja", "Jpan").shaping_language == "ja"
    assert TextStyle(face, 10, "sr", "Cyrl").shaping_language == "sr"
