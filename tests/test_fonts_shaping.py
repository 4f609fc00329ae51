"""Faces that write a joining or reordering script shape it (`fonts_manifest.shaping`).

SetoFont, a Japanese hand that maps Arabic and Indic letters, wrote ar, fa, ur, hi, bn and ta
handwriting with unjoined Arabic and dotted-circle vowel signs; BABEL Unicode set Devanagari
body text without conjuncts. The check here is what HarfBuzz draws: a word drawn as is must
differ from the same word with ZERO WIDTH NON-JOINERs between its letters, which asks for the
unjoined (Arabic) or explicit-virama (Devanagari) forms. A face that cannot shape draws both
alike.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageFont

from fonts_manifest.registry import FontRegistry

ZWNJ = "\u200c"
# (language, word, the same word split by ZWNJ)
WORDS = {
    "ar": ("كتب", ZWNJ.join("كتب")), "fa": ("کتاب", ZWNJ.join("کتاب")),
    "ur": ("کتاب", ZWNJ.join("کتاب")), "hi": ("क्ष", "क्" + ZWNJ + "ष"),
}  # fmt: skip
DIRECTION = {"ar": "rtl", "fa": "rtl", "ur": "rtl", "hi": "ltr"}


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def _mask(path: str, index: int, text: str, code: str) -> np.ndarray:
    font = ImageFont.truetype(path, 40, index=index, layout_engine=ImageFont.Layout.RAQM)
    mask = font.getmask(text, direction=DIRECTION[code], language=code)
    return np.asarray(mask, np.uint8).reshape(mask.size[1], mask.size[0])


def _shapes(face, code: str) -> bool:
    word, split = WORDS[code]
    a, b = _mask(face.path, face.index, word, code), _mask(face.path, face.index, split, code)
    return a.shape != b.shape or bool(np.any(a != b))


@pytest.mark.parametrize("code", sorted(WORDS))
def test_every_face_that_may_write_the_language_shapes_it(registry, code) -> None:
    faces = {f.family: f for f in registry.handwriting_faces(code)}
    for family in registry.families(code):
        face = registry.family_face(family)
        if face is not None:
            faces.setdefault(family, face)
    assert faces, code
    unshaped = sorted(family for family, face in faces.items() if not _shapes(face, code))
    assert not unshaped, unshaped


def test_seto_font_maps_arabic_but_writes_none(registry) -> None:
    seto = registry.family_face("SetoFont")
    if seto is None:
        pytest.skip("fonts-seto is not installed")
    assert ord("ك") in registry.coverage(seto) and not _shapes(seto, "ar")  # the trap
    for code in ("ar", "fa", "ur", "hi"):
        assert seto not in registry.handwriting_faces(code), code
        assert "SetoFont" not in registry.families(code), code
    assert seto in registry.handwriting_faces("ja")  # its own language keeps it
