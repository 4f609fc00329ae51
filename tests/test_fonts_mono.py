"""A family is "mono" for a language only when its advances are: the fixed-pitch flag alone
is not enough.

fonts-cwtex's faces set `post.isFixedPitch` (their Han glyphs are one cell) over proportional
Computer Modern Latin, so receipts, tables and code lines in Latin, Cyrillic and Korean pools
were drawn in Computer Modern and labelled as set in a monospaced face.
"""

from __future__ import annotations

import pytest

from fonts_manifest import catalog, monospace
from fonts_manifest.registry import FontRegistry

LATIN = "0123456789.ABCIMWabcimw"
HAN = "一中國"


def _built_face(tmp_path, name: str, widths: dict[str, int], fixed_pitch: bool) -> str:
    """A TrueType face mapping `widths`' characters, each a box of that advance."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    glyphs = {c: f"g{ord(c):04X}" for c in widths}
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", *glyphs.values()])
    fb.setupCharacterMap({ord(c): g for c, g in glyphs.items()})
    outlines = {".notdef": TTGlyphPen(None).glyph()}
    for c, g in glyphs.items():
        pen = TTGlyphPen(None)
        pen.moveTo((50, 0))
        pen.lineTo((50, 700))
        pen.lineTo((widths[c] - 50, 700))
        pen.lineTo((widths[c] - 50, 0))
        pen.closePath()
        outlines[g] = pen.glyph()
    fb.setupGlyf(outlines)
    fb.setupHorizontalMetrics({".notdef": (500, 0), **{g: (widths[c], 50)
                                                        for c, g in glyphs.items()}})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": name, "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost(isFixedPitch=int(fixed_pitch))
    path = tmp_path / f"{name.replace(' ', '')}.ttf"
    fb.save(str(path))
    return str(path)


def test_fixed_pitch_flag_over_proportional_latin_is_not_mono(tmp_path) -> None:
    # cwTeXMing's shape: Han one cell, Latin proportional (i narrow, m and W wide)
    widths = {c: 1000 for c in HAN}
    widths.update({c: 500 for c in "0123456789"})
    widths.update({c: 280 if c in ".Iil" else 830 if c in "MWmw" else 560 for c in LATIN
                   if not c.isdigit()})
    path = _built_face(tmp_path, "Flagged Face", widths, fixed_pitch=True)
    record = {"family": "Flagged Face", "fixed_pitch": True, "panose": [], "family_class": 0}
    assert catalog.style_class(record) == "mono"  # what the tables claim
    assert catalog.style_class(record, mono=False) != "mono"
    assert not monospace.monospaced(path, 0, "abcimw")
    assert not monospace.monospaced(path, 0, HAN)  # Han cells alike, its digits' neighbours not


def test_true_mono_faces_stay_mono(tmp_path) -> None:
    latin = _built_face(tmp_path, "Test Mono", {c: 600 for c in LATIN}, fixed_pitch=True)
    assert monospace.monospaced(latin, 0, "abcimwABCIMW")
    # a CJK mono face: half-width Latin, full-width Han (the cells need not be 1:2)
    cjk = _built_face(tmp_path, "Test Mono CJK", {**{c: 500 for c in LATIN},
                                                   **{c: 920 for c in HAN}}, fixed_pitch=True)
    assert monospace.monospaced(cjk, 0, HAN)
    assert monospace.monospaced(cjk, 0, "abc")
    # no digits of its own: a receipt's figures come from another face
    no_digits = _built_face(tmp_path, "Test Mono Letters",
                            {c: 600 for c in LATIN if not c.isdigit()}, fixed_pitch=True)
    assert not monospace.monospaced(no_digits, 0, "abc")


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


@pytest.mark.parametrize("code", ["en", "fr", "ru", "ko"])
def test_cwtex_faces_are_not_mono(registry, code) -> None:
    pool = registry.families(code)
    cwtex = {f: c for f, c in pool.items() if f.startswith("cwTeX")}
    if not cwtex:
        pytest.skip("fonts-cwtex not installed")
    assert "mono" not in cwtex.values(), cwtex


@pytest.mark.parametrize(("code", "families"), [
    ("en", ["DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", "Nimbus Mono PS",
            "FreeMono", "Noto Sans Mono CJK JP", "Courier Prime"]),
    ("ru", ["DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", "PT Mono"]),
    ("el", ["DejaVu Sans Mono", "Noto Sans Mono"]),
    ("ko", ["Noto Sans Mono CJK KR"]),
    ("zh-Hans", ["Noto Sans Mono CJK SC"]),
    ("ja", ["Noto Sans Mono CJK JP"]),
])  # fmt: skip
def test_true_mono_families_stay_mono(registry, code, families) -> None:
    pool = registry.families(code)
    present = [f for f in families if f in pool]
    if not present:
        pytest.skip(f"none of {families} installed")
    assert {f: pool[f] for f in present} == dict.fromkeys(present, "mono")


def test_proportional_letters_of_a_mono_cjk_face_are_not_mono(registry) -> None:
    # Noto Sans Mono CJK's Cyrillic and accented Latin are Noto Sans CJK's, proportional
    for code in ("ru", "fr"):
        pool = registry.families(code)
        if "Noto Sans Mono CJK JP" not in pool:
            pytest.skip("Noto Sans Mono CJK JP not installed")
        assert pool["Noto Sans Mono CJK JP"] != "mono", code
