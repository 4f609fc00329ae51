"""Hand faces fit the language they write (`fonts_manifest.handfit`), on the installed fonts.

zh-Hant pages were written in Japanese faces (Klee One, Kouzan, SetoFont) and in grass script
(KouzanBrushFontSousyo): the pools must hold neither. The facts come from each font's own
tables, so the test reads those tables itself (fontTools) rather than trusting `handfit`.
"""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont

from fonts_manifest import handfit
from fonts_manifest.registry import FontRegistry
from synth.scenes.kit import chain_for

JAPANESE_LCID, CHINESE_PRIMARY = 0x0411, 0x04


def _name_languages(path: str, index: int) -> tuple[bool, bool]:
    """(names in Japanese, names in Chinese) of a face's Windows name records."""
    with TTFont(path, fontNumber=index, lazy=True) as font:
        ids = {n.langID for n in font["name"].names if n.platformID == 3}
    return JAPANESE_LCID in ids, any(i & 0x3FF == CHINESE_PRIMARY for i in ids)


def _names(path: str, index: int) -> str:
    with TTFont(path, fontNumber=index, lazy=True) as font:
        return " ".join(n.toUnicode(errors="replace") for n in font["name"].names)


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


@pytest.mark.parametrize("code", ["zh-Hant", "zh-Hans", "yue"])
def test_chinese_pages_have_no_japanese_hand(registry, code) -> None:
    faces = registry.handwriting_faces(code)
    assert faces, code  # Chinese kai faces stay (AR PL UKai, KaitiM, LXGW WenKai)
    japanese = [f.family for f in faces if _name_languages(f.path, f.index) == (True, False)]
    assert not japanese, japanese


@pytest.mark.parametrize("code", ["ja", "zh-Hant", "zh-Hans"])
def test_no_grass_script_writes_cjk_text(registry, code) -> None:
    grass = [f.family for f in registry.handwriting_faces(code)
             if "草書" in _names(f.path, f.index) or "Sousyo" in f.family]
    assert not grass, grass


def test_every_writer_a_zh_hant_page_can_draw_fits(registry) -> None:
    # the page's writer: `handwriting#k` picks a pool face (synth.scenes.kit.chain_for)
    class Ctx:
        memo: dict = {}

        def language(self, code):
            return registry.language(code)

        def chain(self, code, style):
            return tuple(registry.chain(code, style))

    ctx = Ctx()
    ctx.registry = registry
    for k in range(24):
        face = chain_for(ctx, "zh-Hant", f"handwriting#{k}")[0]
        assert _name_languages(face.path, face.index) != (True, False), face.family
        assert "草書" not in _names(face.path, face.index), face.family


def test_facts_come_from_the_font_files(registry) -> None:
    sousyo = registry.family_face("KouzanBrushFontSousyo")
    if sousyo is None:
        pytest.skip("KouzanBrushFontSousyo is not installed")
    facts = handfit.read_facts(sousyo.path, sousyo.index)
    assert facts.grass and facts.languages == {"ja"}
    assert not handfit.fits(facts, "Jpan") and not handfit.fits(facts, "Hant")
    assert handfit.fits(facts, "Latn")  # its Latin letters are a plain hand
    ukai = registry.family_face("AR PL UKai TW")
    if ukai is not None:  # English names only, code pages of all three: its family name's
        facts = handfit.read_facts(ukai.path, ukai.index)  # region word speaks (TW)
        assert facts.languages == {"zh"} and facts.regions == {"TW"} and not facts.grass
        assert handfit.fits(facts, "Hant") and not handfit.fits(facts, "Hang")
        assert not handfit.fits(facts, "Hans") and not handfit.fits(facts, "Jpan")
    assert handfit.fits(handfit.NO_FACTS, "Hant")


def _built_face(tmp_path, records: list[tuple[int, int, int, str]], code_pages: int = 0) -> str:
    """A one-glyph TrueType file whose name table holds `records` (platform, encoding,
    language, text) as family names, and whose OS/2 names `code_pages`."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef"])
    fb.setupCharacterMap({})
    fb.setupGlyf({".notdef": TTGlyphPen(None).glyph()})
    fb.setupHorizontalMetrics({".notdef": (500, 0)})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Test Hand", "styleName": "Regular"})
    fb.setupOS2(ulCodePageRange1=code_pages)
    fb.setupPost()
    for platform, encoding, language, text in records:
        fb.font["name"].setName(text, 1, platform, encoding, language)
    path = tmp_path / "hand.ttf"
    fb.save(str(path))
    return str(path)


def test_language_tag_records_name_no_language(tmp_path) -> None:
    # name IDs 0x8000 and up index a format-1 table's language tags (any BCP 47 tag), not
    # LCIDs: their low bits are no primary language (0x8011 is not Japanese)
    path = _built_face(tmp_path, [(3, 1, 0x8011, "Test Hand"), (3, 1, 0x8004, "Test Hand")])
    assert handfit.read_facts(path, 0).languages == frozenset()
    path = _built_face(tmp_path, [(3, 1, 0x0411, "テスト")])
    assert handfit.read_facts(path, 0).languages == {"ja"}


def test_editing_the_grass_word_list_names_another_language_table(tmp_path, monkeypatch) -> None:
    # the pools are computed once into the cached language table: an edited word list must
    # key a table of its own, or the old pools stay until TABLE_VERSION is bumped by hand
    from fonts_manifest import langtable_file

    words = tmp_path / "grass_script_names.txt"
    words.write_bytes(handfit.GRASS_NAMES_PATH.read_bytes())
    monkeypatch.setattr(handfit, "GRASS_NAMES_PATH", words)
    before = langtable_file.table_path("f" * 64)
    assert langtable_file.table_path("f" * 64) == before  # the same content, the same table
    words.write_text(words.read_text(encoding="utf-8") + "cursive hand\n", encoding="utf-8")
    after = langtable_file.table_path("f" * 64)
    assert after != before and after.name.startswith(f"languages-v{langtable_file.TABLE_VERSION}-")


# Windows LCIDs of the Chinese regions, by the standard they write (test's own table)
SIMPLIFIED_LCIDS, TRADITIONAL_LCIDS = {0x0804, 0x1004}, {0x0404, 0x0C04, 0x1404}
SIMPLIFIED_WORDS, TRADITIONAL_WORDS = {"CN", "SC", "SG"}, {"TW", "TC", "HK", "MO"}


def _standard_said(path: str, index: int) -> set[str]:
    """The Chinese standards ("Hans", "Hant") a face's family-name region words say, else
    those its Windows names are localised for, else its GB 2312 / Big5 code pages."""
    with TTFont(path, fontNumber=index, lazy=True) as font:
        names = font["name"].names
        words = {w for n in names if n.nameID in (1, 16)
                 for w in n.toUnicode(errors="replace").split()}
        lcids = {n.langID for n in names if n.platformID == 3}
        pages = font["OS/2"].ulCodePageRange1 if "OS/2" in font else 0
    def standards(simplified: bool, traditional: bool) -> set[str]:
        return ({"Hans"} if simplified else set()) | ({"Hant"} if traditional else set())

    for said in (standards(bool(words & SIMPLIFIED_WORDS), bool(words & TRADITIONAL_WORDS)),
                 standards(bool(lcids & SIMPLIFIED_LCIDS), bool(lcids & TRADITIONAL_LCIDS)),
                 standards(bool(pages >> 18 & 1), bool(pages >> 20 & 1))):
        if len(said) == 1:
            return said
    return set()


@pytest.mark.parametrize("code", ["zh-Hans", "zh-Hant", "yue", "wuu"])
def test_chinese_pages_draw_the_forms_of_their_own_standard(registry, code) -> None:
    # zh-Hans pages drew with AR PL UKai TW/HK, zh-Hant ones with UKai CN and LXGW WenKai
    script = registry.corpus[code].script
    faces = registry.handwriting_faces(code)
    assert faces, code
    other = [f.family for f in faces if _standard_said(f.path, f.index) - {script}]
    assert not other, (code, script, other)
    wanted = {"Hans": "AR PL UKai CN", "Hant": "AR PL UKai TW"}[script]
    if registry.family_face(wanted) is not None:
        assert wanted in {f.family for f in faces}


def test_a_faces_region_comes_from_its_names_then_its_code_pages(tmp_path) -> None:
    # a region word of the family name; else the regions the names are localised for; else
    # GB 2312 without Big5 (or Big5 without GB 2312); a face naming both standards says none
    cases = [
        ([(3, 1, 0x0409, "Test Kai TC")], 0, {"TW"}),
        ([(3, 1, 0x0409, "Test Kai SC"), (3, 1, 0x0404, "測試楷")], 0, {"CN"}),
        ([(3, 1, 0x0C04, "測試楷")], 0, {"HK"}),
        ([(1, 0, 33, "Test Kai")], 0, {"CN"}),
        ([(3, 1, 0x0804, "测试楷"), (3, 1, 0x0404, "測試楷")], 1 << 20, {"TW"}),
        ([(3, 1, 0x0804, "测试楷"), (3, 1, 0x0404, "測試楷")], 1 << 18 | 1 << 20, set()),
        ([(3, 1, 0x0411, "テスト")], 1 << 20, set()),  # Japanese (Klee One names Big5 too)
    ]
    for i, (records, pages, regions) in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        facts = handfit.read_facts(_built_face(folder, records, pages), 0)
        assert facts.regions == regions, (records, pages, facts)
        if regions:
            script = "Hans" if regions & {"CN", "SG"} else "Hant"
            other = {"Hans": "Hant", "Hant": "Hans"}[script]
            assert facts.languages == {"zh"}
            assert handfit.fits(facts, script) and handfit.fits(facts, "Hani")
            assert not handfit.fits(facts, other) and not handfit.fits(facts, "Jpan")


def _hostile_name_table(tmp_path, count: int = 32000) -> str:
    """A face whose name table declares `count` records and holds none: fontTools logs an
    error for each record it skips."""
    import struct

    from fontTools.ttLib import TTFont as Font
    from fontTools.ttLib.tables.DefaultTable import DefaultTable

    path = _built_face(tmp_path, [])
    font = Font(path)
    table = DefaultTable("name")
    table.data = struct.pack(">HHH", 0, count, 6)
    font["name"] = table
    font.save(path)
    return path


def test_a_hostile_name_table_costs_no_log_flood(tmp_path, capfd) -> None:
    import logging
    from pathlib import Path

    from fonts_manifest import fontdb

    path = _hostile_name_table(tmp_path)
    level = logging.getLogger("fontTools").level
    facts = handfit.read_facts(path, 0)
    fontdb.read_font_file(Path(path))  # the scan: one line (no family name), no flood
    err = capfd.readouterr().err
    assert facts.read and len(err.splitlines()) <= 2, err[:500]
    assert logging.getLogger("fontTools").level == level  # restored after


def test_an_unreadable_face_is_no_cjk_hand_and_says_so_once(tmp_path, capfd) -> None:
    path = tmp_path / "broken.ttf"
    path.write_bytes(b"\x00\x01\x00\x00" + b"\xff" * 64)
    facts = handfit.read_facts(str(path), 0)
    err = capfd.readouterr().err
    assert not facts.read and err.count("\n") == 1 and str(path) in err, err
    assert not handfit.fits(facts, "Hant") and not handfit.fits(facts, "Hans")
    assert handfit.fits(facts, "Latn")


def test_han_forms_list_speaks_where_the_tables_are_silent(tmp_path) -> None:
    # Droid Sans Fallback (Ghostscript's libgs10-common depends on fonts-droid-fallback, so
    # many machines have it): English names only, code pages of GB 2312, Big5 and JIS, and
    # mainland forms; without data/han_forms.txt it wrote zh-Hant and ja pages too
    pages = 1 << 17 | 1 << handfit.GB2312_BIT | 1 << handfit.BIG5_BIT
    silent = handfit.read_facts(_built_face(tmp_path, [], pages), 0)
    assert silent.languages == {"ja", "zh"} and not silent.regions
    assert all(handfit.fits(silent, s) for s in ("Hans", "Hant", "Jpan"))
    folder = tmp_path / "droid"
    folder.mkdir()
    listed = handfit.read_facts(
        _built_face(folder, [(3, 1, 0x0409, "Droid Sans Fallback")], pages), 0)
    assert listed.languages == {"zh"} and listed.regions == {"CN"}
    assert handfit.fits(listed, "Hans") and handfit.fits(listed, "Hani")
    assert not handfit.fits(listed, "Hant") and not handfit.fits(listed, "Jpan")
    folder = tmp_path / "said"  # a face whose names say Japanese keeps its word over the list
    folder.mkdir()
    said = handfit.read_facts(_built_face(folder, [(3, 1, 0x0411, "Droid Sans Fallback")],
                                          pages), 0)
    assert said.languages == {"ja"} and not said.regions
