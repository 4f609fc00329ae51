"""zh-Hant vocabulary: wordfreq's (Simplified) Chinese list converted by the real OpenCC."""

from __future__ import annotations

import json
import sys

import pytest

from fonts_manifest import textsources
from fonts_manifest.corpus import load_corpus

# (Simplified-only, Traditional) pairs: the first must never appear, the second must
PAIRS = (("们", "們"), ("这", "這"), ("国", "國"), ("为", "為"), ("着", "著"), ("发", "發"))


@pytest.fixture(scope="module")
def reference() -> str:
    return "\n".join(load_corpus(languages=["zh-Hant"])["zh-Hant"].paragraphs)


@pytest.fixture(scope="module")
def vocab(reference: str) -> list[tuple[str, float]]:
    return textsources.vocabulary("zh-Hant", "Hant", reference)


def test_zh_hant_vocabulary_is_large_and_traditional(vocab: list[tuple[str, float]]) -> None:
    assert textsources.vocabulary_source("zh-Hant", "Hant") == "wordfreq+opencc"
    assert textsources.vocabulary_source("zh-Hans", "Hans") == "wordfreq"
    assert len(vocab) > 10_000
    chars = set("".join(w for w, _ in vocab))
    for simplified, traditional in PAIRS:
        assert simplified not in chars and traditional in chars, (simplified, traditional)
    words = dict(vocab)
    assert "我們" in words and "國家" in words and "我们" not in words
    freqs = [f for _, f in vocab]
    assert freqs == sorted(freqs, reverse=True)
    blocked = textsources.blocked_words("zh")
    assert not any(w.casefold() in blocked for w in words)


def test_no_japanese_shinjitai_in_the_traditional_vocabulary(vocab) -> None:
    # wordfreq's zh list holds a few Japanese words (気, 満, 戦); s2tw leaves them, and zh-Hant
    # pages printed 蝙蝠俠気 (#16). Traditional forms and Cantonese characters stay.
    assert [c for c in "気満戦歩徳" if textsources.japanese_only(c)] == list("気満戦歩徳")
    assert not any(map(textsources.japanese_only, "氣滿戰步德嘅啥恒酶"))
    assert not any(map(textsources.japanese_only, "啓衆峯羣敍鉢綫"))  # Hong Kong Traditional
    chars = set("".join(w for w, _ in vocab))
    assert not any(map(textsources.japanese_only, chars)) and "氣" in chars


def test_words_that_merge_in_traditional_add_their_frequencies(
        vocab: list[tuple[str, float]]) -> None:
    """着 and 著 are both in wordfreq's list; s2tw writes both 著."""
    import wordfreq

    path = wordfreq.available_languages("best")["zh"]
    found: dict[str, float] = {}
    for index, bucket in textsources._buckets(path):
        found.update((w, 10.0 ** (-index / 100.0)) for w in bucket if w in ("着", "著"))
        if len(found) == 2:
            break
    assert dict(vocab)["著"] == pytest.approx(found["着"] + found["著"])


def test_simplified_vocabulary_is_unchanged() -> None:
    hans = textsources.vocabulary("zh-Hans", "Hans", "我们的国家")
    chars = set("".join(w for w, _ in hans))
    assert "们" in chars and "國" not in chars


def test_without_opencc_zh_hant_has_no_wordfreq_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing `opencc` (an import that fails) is the old fallback: no vocabulary list, so
    the page text takes the corpus words; the recorded version says "absent"."""
    monkeypatch.setitem(sys.modules, "opencc", None)
    assert textsources.opencc_config("zh-Hant", "Hant") is None
    assert textsources.wordfreq_code("zh-Hant", "Hant") is None
    assert textsources.vocabulary_source("zh-Hant", "Hant") != "wordfreq+opencc"


def test_opencc_version_names_the_run() -> None:
    from importlib.metadata import version

    assert textsources.source_versions()["opencc"] == version("opencc")


def test_text_command_reports_the_converted_vocabulary(capsys: pytest.CaptureFixture[str]) -> None:
    from synth.text_cli import main

    assert main(["--language", "zh-Hant", "--num", "30", "--stats"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["vocabulary"] == "wordfreq+opencc" and stats["vocabulary_words"] > 10_000
    assert stats["big5_level1"]["of"] == 5401  # zh-Hant boosts Big5 level 1, not 通用规范汉字表
