"""The bundled UDHR corpus and user texts (`--corpus`), through the API and the real CLI."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from fonts_manifest.corpus import load_corpus, parse_corpus_args, resolve_code
from pipelines.errors import PolyglyphError

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
REQUIRED_CODES = (
    "zh-Hans zh-Hant ja ko ar he hi th ru en fa ur am ka hy el vi bo km my ta bn".split()
)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_required_codes_exist_with_their_scripts(corpus):
    for code in REQUIRED_CODES:
        assert code in corpus, code
    assert corpus["zh-Hans"].script == "Hans"
    assert corpus["zh-Hant"].script == "Hant"
    assert corpus["ja"].script == "Jpan"
    assert corpus["ar"].direction == corpus["he"].direction == "rtl"
    assert corpus["ru"].script == "Cyrl" and corpus["hi"].script == "Deva"
    # Partial low-stage texts only where they add a script.
    partial = {code for code, text in corpus.items() if text.partial}
    assert partial == {"mn-Mong", "tl-Tglg"}
    assert corpus["mn-Mong"].script == "Mong"


def test_texts_are_clean_nfc_and_aligned(corpus):
    assert len(corpus) >= 500
    for text in corpus.values():
        assert text.paragraphs and len(text.paragraphs) == len(text.paragraph_ids)
        assert len(set(text.paragraph_ids)) == len(text.paragraph_ids), text.code
        for paragraph in text.paragraphs:
            assert "[" not in paragraph, (text.code, paragraph)
            assert unicodedata.is_normalized("NFC", paragraph)
            assert paragraph == paragraph.strip()
    # Same id, same passage: Article 1 is short in every language and exists in both.
    en, ar = corpus["en"], corpus["ar"]
    en_a1 = en.paragraphs[en.paragraph_ids.index("a1.p0")]
    ar_a1 = ar.paragraphs[ar.paragraph_ids.index("a1.p0")]
    assert en_a1.startswith("All human beings are born free")
    assert 0.5 < len(ar_a1) / len(en_a1) < 2.0
    assert "a25.p1" in en.paragraph_ids and "a25.p1" in ar.paragraph_ids


def test_common_codes_resolve(corpus):
    assert resolve_code("zh", corpus, corpus) == "zh-Hans"
    assert resolve_code("ZH_tw", corpus, corpus) == "zh-Hant"
    assert resolve_code("jpn", corpus, corpus) == "ja"
    assert resolve_code("arb", corpus, corpus) == "ar"
    assert resolve_code("EN", corpus, corpus) == "en"
    assert resolve_code("mn", corpus, corpus) == "mn-Cyrl"
    assert resolve_code("xx-nope", corpus, corpus) is None


def test_parse_corpus_args():
    assert parse_corpus_args(["ar=/tmp/a.txt", "th = b.txt"]) == {"ar": "/tmp/a.txt", "th": "b.txt"}
    with pytest.raises(PolyglyphError, match="LANG=PATH"):
        parse_corpus_args(["ar"])


def test_user_text_replaces_bundled(tmp_path, corpus):
    path = tmp_path / "th.txt"
    path.write_text("สวัสดีครับ\n\n  ราคา 120 บาท  \n", encoding="utf-8")
    texts = load_corpus({"TH": str(path)})
    assert texts["th"].paragraphs == ["สวัสดีครับ", "ราคา 120 บาท"]
    assert texts["th"].paragraph_ids == ["u0", "u1"]
    assert texts["th"].script == "Thai"
    assert texts["en"] is corpus["en"] or texts["en"] == corpus["en"]


@pytest.mark.parametrize(
    "content, message",
    [(None, "cannot read"), (b"\xff\xfe\x00bad", "not UTF-8"), (b"\n  \n", "no text")],
)
def test_bad_user_files(tmp_path, content, message):
    path = tmp_path / "text.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PolyglyphError, match=message) as info:
        load_corpus({"ar": str(path)})
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_unknown_language_is_an_error(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(PolyglyphError, match="unknown language 'qqq'"):
        load_corpus({"qqq": str(path)})


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=300)


def test_cli_unknown_corpus_language_one_line(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("hello\n", encoding="utf-8")
    result = _run("languages", "--corpus", f"klingon={path}")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "klingon" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_cli_unreadable_corpus_file_one_line(tmp_path):
    missing = tmp_path / "does-not-exist.txt"
    result = _run("languages", "--corpus", f"ar={missing}")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and str(missing) in result.stderr
    assert "Traceback" not in result.stderr


def test_corpus_of_some_languages(corpus, tmp_path):
    # A worker loads only its config's texts; codes resolve as everywhere else, the texts are
    # the bundled ones, a user file still replaces its language's text.
    from fonts_manifest import corpus as corpus_module

    corpus_module._bundled.cache_clear()  # the row-by-row path: decode only wanted rows
    some = load_corpus(languages=["zh", "AR", "en", "iw"])
    assert corpus_module._bundled.cache_info().currsize == 0
    assert list(some) == [code for code in corpus if code in {"zh-Hans", "ar", "en", "he"}]
    assert all(text == corpus[code] for code, text in some.items())
    mine = tmp_path / "ar.txt"
    mine.write_text("نص تجريبي\n", encoding="utf-8")
    with_user = load_corpus({"ar": str(mine)}, languages=["en"])
    assert sorted(with_user) == ["ar", "en"]
    assert with_user["ar"].paragraphs == ["نص تجريبي"] and with_user["en"] == corpus["en"]
    with pytest.raises(PolyglyphError, match="unknown language 'xx-nope'"):
        load_corpus(languages=["en", "xx-nope"])
    with pytest.raises(PolyglyphError, match="--corpus qq="):
        load_corpus({"qq": str(mine)}, languages=["en"])
    # once the full corpus is loaded, a subset is a view of the same objects
    full = load_corpus()
    assert load_corpus(languages=["ja"])["ja"] is full["ja"]
