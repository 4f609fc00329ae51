"""Print pools of Han text hold only faces made for the text's language and Chinese standard
(`fonts_manifest.pool.eligible_families`), on the installed fonts.

HanaMinA (fonts-hanazono), named in Japanese only, set zh-Hans and zh-Hant body text, tables
and receipts in Japanese character forms (器 drawn with 大, 骨 令 今 起 直 as Japan prints
them); LXGW WenKai, named for mainland China only, was in the zh-Hant pool, and WenQuanYi
Micro Hei, named in Chinese only, in the ja pool. The test reads each face's name table
itself (fontTools) rather than trusting `handfit`.
"""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont

from fonts_manifest.registry import FontRegistry

JAPANESE, CHINESE_PRIMARY = 0x0411, 0x04
MAINLAND, OTHER_REGIONS = {0x0804, 0x1004}, {0x0404, 0x0C04, 0x1404}  # CN SG; TW HK MO


def _windows_languages(path: str, index: int) -> set[int]:
    with TTFont(path, fontNumber=index, lazy=True) as font:
        return {n.langID for n in font["name"].names if n.platformID == 3 and n.langID < 0x8000}


def _named(registry: FontRegistry, code: str) -> dict[str, set[int]]:
    """{family: Windows name-record languages of its regular face} of the language's pool."""
    found = {}
    for family in registry.families(code):
        face = registry.family_face(family)
        assert face is not None, family
        found[family] = _windows_languages(face.path, face.index)
    return found


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


@pytest.mark.parametrize("code", ["zh-Hans", "zh-Hant", "yue"])
def test_chinese_print_pools_hold_no_japanese_face(registry, code) -> None:
    named = _named(registry, code)
    assert len(named) >= 8, named  # the Chinese faces stay
    japanese = [f for f, ids in named.items()
                if JAPANESE in ids and not any(i & 0x3FF == CHINESE_PRIMARY for i in ids)]
    assert not japanese, japanese


def test_japanese_print_pool_holds_no_chinese_face(registry) -> None:
    named = _named(registry, "ja")
    assert "Noto Sans CJK JP" in named or not registry.family_face("Noto Sans CJK JP")
    chinese = [f for f, ids in named.items()
               if any(i & 0x3FF == CHINESE_PRIMARY for i in ids) and JAPANESE not in ids]
    assert not chinese, chinese


@pytest.mark.parametrize(("code", "foreign"), [("zh-Hant", MAINLAND), ("zh-Hans", OTHER_REGIONS)])
def test_chinese_print_pools_hold_no_face_of_the_other_standard(registry, code, foreign) -> None:
    # a face whose Chinese names are localised for the other standard's regions only
    named = _named(registry, code)
    other = [f for f, ids in named.items()
             if (chinese := {i for i in ids if i & 0x3FF == CHINESE_PRIMARY}) and chinese <= foreign]
    assert not other, other
