"""Faces that map a Brahmic script's letters but cannot join them stay out of its pools
(`fonts_manifest.shapecheck`), on the installed fonts.

A Bengali card's signature was written in SetoFont (a Japanese hand with Bengali letters and
no Bengali tables: dotted circles under every virama) and its fields in FreeSerif (প্র with a
visible hasanta). The test measures the drawn ink itself (Pillow with raqm, as a reader sees
it): a conjunct is narrower than the explicit virama sequence in every face the pools keep.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from fonts_manifest import shapecheck
from fonts_manifest.registry import FontRegistry

FREE_SERIF = "/usr/share/fonts/opentype/freefont/FreeSerif.otf"
SETO = "/usr/share/fonts/truetype/seto/setofont.ttf"
LANGUAGES = {"bn": "Beng", "hi": "Deva", "gu": "Gujr", "pa": "Guru", "kn": "Knda", "te": "Telu"}


def _ink(path: str, index: int, text: str) -> np.ndarray:
    font = ImageFont.truetype(path, 48, index=index, layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", (400, 100), 0)
    ImageDraw.Draw(image).text((10, 10), text, fill=255, font=font)
    box = image.getbbox()
    return np.zeros((0, 0), np.uint8) if box is None else np.asarray(image.crop(box))


def _ink_width(path: str, index: int, text: str) -> int:
    return int(_ink(path, index, text).shape[1])


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def _pool_faces(registry, code: str) -> dict:
    """{family: face} of every face the language's pools draw: hand faces and pool families."""
    faces = {f.family: f for f in registry.handwriting_faces(code)}
    for family in registry.families(code):
        face = registry.family_face(family)
        if face is not None:
            faces[family] = face
    assert faces, code
    return faces


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_pool_faces_join_conjuncts(registry, code) -> None:
    script = LANGUAGES[code]
    probe = shapecheck.RA_PROBES[script]
    explicit = probe[:2] + shapecheck.ZWNJ + probe[2:]
    faces = _pool_faces(registry, code)
    flat = {family: (_ink_width(f.path, f.index, probe), _ink_width(f.path, f.index, explicit))
            for family, f in faces.items()}
    unjoined = {family: widths for family, widths in flat.items() if widths[0] >= widths[1]}
    assert not unjoined, unjoined


@pytest.mark.skipif(not all(map(__import__("os").path.exists, (FREE_SERIF, SETO))),
                    reason="fonts-freefont-otf / fonts-seto not installed")
def test_faces_that_cannot_join_are_refused() -> None:
    assert not shapecheck.shapes(FREE_SERIF, 0, "Beng")  # declares bng2, forms no conjunct
    assert not shapecheck.shapes(SETO, 0, "Deva")  # no Devanagari tables at all
    assert shapecheck.shapes(FREE_SERIF, 0, "Latn")  # untested scripts pass
    assert not shapecheck.shapes("/nonexistent.ttf", 0, "Beng")


def test_fit_keeps_text_whose_room_is_its_width_up_to_rounding(monkeypatch) -> None:
    # a table column is as wide as its widest cell; the cell's room, recomputed from the
    # column's edges, came out a few ulps short and every date lost its last digit
    from synth.scenes import kit

    monkeypatch.setattr(kit, "width_of", lambda ctx, lang, text, *a, **k: 11.3 * len(text))
    room = float(__import__("numpy").nextafter(11.3 * 10, 0))  # one ulp short
    assert kit.fit(None, "fa", "11.10.2015", 22.0, room) == "11.10.2015"


@pytest.mark.parametrize(("code", "script"), [("ar", "Arab"), ("fa", "Arab"), ("ur", "Arab"),
                                              ("lo", "Laoo"), ("th", "Thai")])
def test_pool_faces_join_letters_and_stack_marks(registry, code, script) -> None:
    # SetoFont was a hand face of ar, fa, ur and lo: Arabic letters unjoined, Lao vowels
    # beside their consonants; Tlwg Mono drew Thai vowels a cell to the right. Measured as
    # ink: joined letters are not the isolated ones; a vowel above its consonant widens it little.
    faces = _pool_faces(registry, code)
    bad = {}
    for family, f in faces.items():
        if script == "Arab":  # joined, the letters differ from the ones ZWNJ keeps apart
            joined = _ink(f.path, f.index, "\u0628" * 3)
            apart = _ink(f.path, f.index, "\u200c".join("\u0628" * 3))
            if np.array_equal(joined, apart):
                bad[family] = "unjoined"
        else:
            base, mark = shapecheck.MARK_PROBES[script]
            alone, marked = _ink_width(f.path, f.index, base), _ink_width(f.path, f.index, base + mark)
            if marked > 1.3 * alone:
                bad[family] = (alone, marked)
    assert not bad, bad
