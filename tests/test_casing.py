"""Vocabulary words take the casing their language writes them in (fonts_manifest.casing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fonts_manifest import casing, hunspell, textsources
from fonts_manifest.corpus import load_corpus
from synth.textsynth import FREQ_POWER


def _reference(code: str) -> tuple[str, str, str]:
    text = next(iter(load_corpus(languages=[code]).values()))
    return text.code, text.script, "\n".join(text.paragraphs)


def _sample(vocab: list[tuple[str, float]], n: int = 200) -> list[str]:
    """Words drawn as pages draw them (frequency ** FREQ_POWER), seed 0."""
    weights = np.array([f for _, f in vocab]) ** FREQ_POWER
    cumulative = np.cumsum(weights / weights.sum())
    idx = np.searchsorted(cumulative, np.random.default_rng(0).random(n), side="right")
    return [vocab[int(i)][0] for i in np.minimum(idx, len(vocab) - 1)]


def _german_fixture(folder: Path) -> None:
    (folder / "de_XX.aff").write_text("SET UTF-8\nSFX J Y 1\nSFX J en ung en\n")
    (folder / "de_XX.dic").write_text("4\nPolitik\nWeg\nweg\nAbneigen/J\n")


def test_german_nouns_are_capitalised(tmp_path, monkeypatch) -> None:
    """A word the dictionary lists only capitalised (directly or through a suffix rule) is
    capitalised; one listed both ways (Weg/weg) stays as wordfreq has it."""
    if not textsources.wordfreq_code("de", "Latn"):
        pytest.skip("wordfreq not installed")
    _german_fixture(tmp_path)
    monkeypatch.setenv("POLYGLYPH_HUNSPELL_DIRS", str(tmp_path))
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path / "cache"))
    code, script, reference = _reference("de")
    vocab = textsources.vocabulary(code, script, reference)
    words = {w for w, _ in vocab}
    assert "Politik" in words and "politik" not in words
    assert "Abneigung" in words and "abneigung" not in words
    assert "weg" in words and "Weg" not in words
    assert vocab == textsources.vocabulary(code, script, reference)  # read back from the cache


def test_sampled_german_text_follows_the_installed_dictionary(tmp_path, monkeypatch) -> None:
    """Among 200 words drawn as pages draw them, every word the installed de_DE dictionary
    lists only capitalised (as a stem) is capitalised unless a suffix rule also inflects
    another stem into it in lowercase, and some are."""
    if not textsources.wordfreq_code("de", "Latn"):
        pytest.skip("wordfreq not installed")
    dics = [p for p in hunspell.dictionaries("de") if p.name == "de_DE.dic"]
    if not dics:
        pytest.skip("hunspell-de-de not installed (tools/apt-packages.txt)")
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path / "cache"))
    forms: dict[str, set[str]] = {}
    for stem in hunspell.stems(dics[0]):
        forms.setdefault(stem.lower(), set()).add(stem)
    code, script, reference = _reference("de")
    sample = _sample(textsources.vocabulary(code, script, reference))
    only_capital = [w for w in sample
                    if (f := forms.get(w.lower())) and w.lower() not in f and len(f) == 1]
    assert len(only_capital) >= 20
    lowered = [w for w in only_capital if w != next(iter(forms[w.lower()]))]
    # the one exception: a lowercase inflection of another stem (Dämme, and ich dämme)
    derived = casing.dictionary_forms("de", set(lowered), set())
    assert all(w in derived[w] for w in lowered)
    assert len(lowered) <= len(only_capital) // 20


def test_english_i_is_never_a_lone_lowercase_word(tmp_path, monkeypatch) -> None:
    if not textsources.wordfreq_code("en", "Latn"):
        pytest.skip("wordfreq not installed")
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path / "cache"))
    code, script, reference = _reference("en")
    words = [w for w, _ in textsources.vocabulary(code, script, reference)]
    assert "I" in words[:20]
    assert "i" not in words and "I'm" in words
    assert not any(w.startswith(("i'", "i’")) for w in words)  # i'm, i'll, i'ma


def test_corpus_casing_counts_mid_sentence_forms_only(tmp_path, monkeypatch) -> None:
    """Without a dictionary, the corpus text decides: a word capitalised mid-sentence and never
    lowercase takes that form; sentence starts and title lines are no evidence."""
    monkeypatch.setenv("POLYGLYPH_HUNSPELL_DIRS", str(tmp_path))  # no xq dictionary there
    reference = ("Universal Declaration Of Rights\n"
                 "Everyone in Ruritania, and Zenda too, has rights. Rights are rights.\n"
                 "Freedom is old. The freedom of Ruritania.")
    words = [(w, 1.0) for w in ("ruritania", "zenda", "rights", "declaration", "freedom", "the")]
    out = [w for w, _ in casing.apply(words, "xq", reference)]
    assert out == ["Ruritania", "Zenda", "rights", "declaration", "freedom", "the"]


def test_a_language_without_cased_source_is_unchanged(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("POLYGLYPH_HUNSPELL_DIRS", str(tmp_path))
    words = [("สวัสดี", 2.0), ("ครับ", 1.0), ("abc", 0.5)]
    assert casing.apply(words, "xq", "สวัสดี ครับ abc ABC") == words
    assert casing.apply(words, "xq", "") == words


def test_cache_key_names_the_casing_sources(tmp_path, monkeypatch) -> None:
    """A new dictionary or another corpus text makes a new vocabulary key."""
    monkeypatch.setenv("POLYGLYPH_HUNSPELL_DIRS", str(tmp_path))
    before = casing.source_key("de", "Der Weg.")
    assert casing.source_key("de", "Der Weg!") != before
    _german_fixture(tmp_path)
    assert casing.source_key("de", "Der Weg.") != before
