"""FontRegistry on the real installed fonts: chains, coverage, itemisation into font runs."""

from __future__ import annotations

import unicodedata
from collections import defaultdict

import pytest
from fontTools.ttLib import TTFont

from fonts_manifest import fontdb
from fonts_manifest.chains import grapheme_clusters
from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry, MissingGlyphError
from pipelines.errors import PolyglyphError


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def test_language_targets_and_unique_codes(registry):
    infos = registry.languages()
    codes = [i.code for i in infos]
    assert len(codes) == len(set(codes))
    assert len(infos) >= 400
    assert len({i.script for i in infos}) >= 30
    assert sum(1 for i in infos if i.direction == "rtl") >= 12
    assert all(i.coverage == 1.0 and i.fonts for i in infos)
    for (
        code
    ) in "zh-Hans zh-Hant ja ko ar he hi th ru en fa ur am ka hy el vi bo km my ta bn".split():
        assert code in codes, code


def test_listed_corpora_are_covered_by_the_font_files_themselves(registry):
    """Read the chain fonts' cmaps afresh with fontTools (not from the cache) and check every
    distinct character of every listed corpus is mapped by some font of its chain."""
    cmaps: dict[tuple[str, int], set[int]] = {}

    def cmap(face) -> set[int]:
        key = (face.path, face.index)
        if key not in cmaps:
            font = TTFont(face.path, fontNumber=face.index, lazy=True)
            cmaps[key] = set(font.getBestCmap())
            font.close()
        return cmaps[key]

    for info in registry.languages():
        chain = registry.chain(info.code)
        assert [f.path for f in chain] == info.fonts
        chars = {c for p in registry.corpus[info.code].paragraphs for c in p}
        needed = {
            c for c in chars if not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc")
        }
        missing = [c for c in needed if not any(ord(c) in cmap(f) for f in chain)]
        assert not missing, (info.code, missing[:5])


def test_every_listed_corpus_itemizes(registry):
    runs = 0
    for info in registry.languages():
        chain = registry.chain(info.code)
        for paragraph in registry.corpus[info.code].paragraphs:
            items = registry.itemize(paragraph, chain)
            assert "".join(text for text, _ in items) == paragraph
            runs += len(items)
    assert runs > len(registry.languages())


def test_other_styles_itemize_and_fall_back(registry):
    for info in registry.languages():
        for style in ("serif", "handwriting"):
            chain = registry.chain(info.code, style)
            if not registry.has_style(info.code, style):
                assert chain == registry.chain(info.code, "sans")
            for paragraph in registry.corpus[info.code].paragraphs[:4]:
                registry.itemize(paragraph, chain)
    assert registry.has_style("th", "handwriting")
    assert registry.chain("th", "handwriting")[0].family == "Purisa"
    assert registry.chain("ja", "handwriting")[0].style == "handwriting"
    # every handwriting face found joins the pool of the scripts it draws (KacstPen: Arabic);
    # Amharic has none, so its handwriting is imitated
    assert all(f.style == "handwriting" for f in registry.handwriting_faces("ar"))
    assert not registry.has_style("am", "handwriting")
    assert registry.chain("ar", "serif")[0].family == "Noto Naskh Arabic"
    assert registry.chain("ur", "serif")[0].family == "Noto Nastaliq Urdu"


def test_cjk_faces_by_language(registry):
    expected = {"ja": "JP", "ko": "KR", "zh-Hans": "SC", "zh-Hant": "TC"}
    paths = set()
    for code, region in expected.items():
        face = registry.chain(code)[0]
        assert face.family == f"Noto Sans CJK {region}"
        assert face.path.endswith(".ttc")
        paths.add((face.path, face.index))
    assert len(paths) == 4  # four faces of the same collection


def test_lookup_aliases_and_errors(registry):
    assert registry.language("ZH").code == "zh-Hans"
    assert registry.language("zh_TW").code == "zh-Hant"
    assert registry.language("jpn").code == "ja"
    with pytest.raises(PolyglyphError, match="unknown language 'tlh'"):
        registry.language("tlh")
    with pytest.raises(PolyglyphError, match="unknown font style"):
        registry.chain("en", "gothic")


def _families(runs):
    return [(text, face.family) for text, face in runs]


def test_clusters_stay_whole():
    assert grapheme_clusters("क्षत्रिय")[0] == "क्ष"  # conjunct (Unicode 15.1 rules, ICU)
    assert "ดี่" in grapheme_clusters("สวัสดี่")  # consonant + vowel + tone mark
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert grapheme_clusters(f"a{family}b") == ["a", family, "b"]
    assert grapheme_clusters("e\u0301x") == ["e\u0301", "x"]


def test_thai_digits_take_the_fallback(registry):
    chain = registry.chain("th")
    runs = registry.itemize("ราคา 120 บาท", chain)
    assert _families(runs) == [
        ("ราคา ", "Noto Sans Thai"),
        ("120 ", "Noto Sans"),
        ("บาท", "Noto Sans Thai"),
    ]
    thai_face = runs[0][1]
    assert ord("1") not in registry.coverage(thai_face)


def test_hebrew_punctuation_takes_the_fallback(registry):
    chain = registry.chain("he")
    runs = registry.itemize("שלום, עולם; טוב.", chain)
    hebrew = chain[0]
    assert hebrew.family == "Noto Sans Hebrew"
    for mark in ",.;":
        assert ord(mark) not in registry.coverage(hebrew)
        face = next(face for text, face in runs if mark in text)
        assert face != hebrew and ord(mark) in registry.coverage(face)
    assert "".join(text for text, _ in runs) == "שלום, עולם; טוב."
    assert all(
        face == hebrew for text, face in runs if any("\u05d0" <= c <= "\u05ea" for c in text)
    )


def test_mark_moves_with_its_base_to_a_face_that_has_both(registry):
    deva = registry.family_face("Noto Sans Devanagari")
    sans = registry.family_face("Noto Sans")
    assert ord("1") in registry.coverage(deva) and 0x301 not in registry.coverage(deva)
    runs = registry.itemize("१1\u0301", [deva, sans])
    assert _families(runs) == [("१", "Noto Sans Devanagari"), ("1\u0301", "Noto Sans")]


def test_devanagari_conjunct_single_run(registry):
    runs = registry.itemize("क्षत्रिय", registry.chain("hi"))
    assert _families(runs) == [("क्षत्रिय", "Noto Sans Devanagari")]


def test_fewer_runs_when_previous_face_covers(registry):
    # NotoSans draws the space after the digits, so the space stays in that run.
    runs = registry.itemize("abc 12, שלום", registry.chain("he"))
    assert _families(runs)[0] == ("abc 12, ", "Noto Sans")
    assert len(runs) == 2


def test_missing_glyph_names_the_character(registry):
    with pytest.raises(MissingGlyphError, match=r"U\+1F468") as info:
        registry.itemize("ok \U0001f468\u200d\U0001f469", registry.chain("th"))
    assert info.value.char == "\U0001f468"


def test_pil_font_cached_and_shapes(registry):
    face = registry.chain("ar")[0]
    font = registry.pil_font(face, 32)
    assert registry.pil_font(face, 32) is font
    assert registry.pil_font(face, 33) is not font
    # Joined Arabic is narrower than its isolated letters side by side (raqm shaping on).
    joined = font.getlength("سلام", direction="rtl", language="ar")
    isolated = sum(font.getlength(c, direction="rtl", language="ar") for c in "سلام")
    assert joined < isolated


def test_scripts_have_their_own_primary_fonts(registry):
    primaries = defaultdict(set)
    for info in registry.languages():
        primaries[info.script].add(registry.chain(info.code)[0].family)
    assert primaries["Thai"] == {"Noto Sans Thai"}
    assert primaries["Ethi"] == {"Noto Sans Ethiopic"}
    assert primaries["Tibt"] == {"Noto Serif Tibetan"}  # no sans Tibetan in Debian's Noto


def test_emoji_presentation_sequence_stays_whole(registry):
    # U+FE0F is a default-ignorable selector: it rides with the symbol, in the symbol's face.
    runs = registry.itemize("ok \U0001f44d\ufe0f ok", registry.chain("en"))
    face = next(face for text, face in runs if "\U0001f44d" in text)
    text = next(text for text, _ in runs if "\U0001f44d" in text)
    assert "\U0001f44d\ufe0f" in text and face.family == "Noto Sans Symbols2"
    assert "".join(t for t, _ in runs) == "ok \U0001f44d\ufe0f ok"


def test_coverage_bitmap_is_the_cmap(registry):
    # Faces keep their cmap as a bitmap, not a set of ints: same answers at every codepoint
    # (below, inside, between and past the ranges, negatives) for a small and a CJK face.
    for family in ("Noto Sans Thai", "Noto Sans CJK JP"):
        face = registry.family_face(family)
        flat = registry._ranges[face]
        expected = fontdb.ranges_to_set(flat)
        coverage = registry.coverage(face)
        assert len(coverage) == len(expected) and set(coverage) == expected
        probes = {-1, 0, flat[-1], flat[-1] + 1, flat[-1] + 9, 0x10FFFF}
        probes |= {cp + d for cp in list(flat)[:400] for d in (-1, 0, 1)}
        assert [cp in coverage for cp in sorted(probes)] == [
            cp in expected for cp in sorted(probes)
        ]
    assert 0x0E01 in registry.coverage(registry.family_face("Noto Sans Thai"))


def test_registry_for_some_languages_matches_the_full_one(registry):
    # A worker's registry (its config's texts only) answers like the full one for them.
    subset = load_corpus(languages=["ja", "ar", "th", "en"])
    small = FontRegistry.load(corpus=subset)
    assert [i.code for i in small.languages()] == ["ar", "en", "ja", "th"]
    assert small.language("ja") == registry.language("ja")
    for code in subset:
        for style in ("sans", "serif", "handwriting"):
            chain = small.chain(code, style)
            assert chain == registry.chain(code, style)
            for paragraph in subset[code].paragraphs[:5]:
                assert small.itemize(paragraph, chain) == registry.itemize(paragraph, chain)
    with pytest.raises(PolyglyphError, match="unknown language"):
        small.language("he")


def test_coverage_covers_says_what_checking_each_character_says() -> None:
    """`Coverage.covers` remembers characters found covered; its answers must stay those of
    per-character membership, before and after it has seen them."""
    from itertools import product

    coverage = fontdb.Coverage([0x20, 0x7E, 0x0600, 0x06FF, 0x4E00, 0x4E10])
    alphabet = " azAZ~\u0627\u0628\u4e00\u4e10\u4e11\u00e9\u0700"
    for length in range(4):
        for chars in product(alphabet, repeat=length):
            text = "".join(chars)
            assert coverage.covers(text) == all(ord(c) in coverage for c in text), text
    assert coverage.covers("a\u0627\u4e00") and not coverage.covers("a\u00e9")
