"""The on-disk vocabulary cache: a warm read gives exactly what a build gives, a file that is
not the key's is rebuilt, and a changed source makes a new file (real wordfreq lists)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from fonts_manifest import textsources, vocabcache

REFERENCE = "Alle Menschen sind frei und gleich an Würde und Rechten geboren."


def _files(root: Path) -> list[Path]:
    return sorted(root.glob(f"vocab-v{vocabcache.VOCAB_CACHE_VERSION}/*.vocab.gz"))


def test_warm_read_is_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path))
    cold = textsources.vocabulary("de", "Latn", REFERENCE)
    assert len(_files(tmp_path)) == 1
    warm = textsources.vocabulary("de", "Latn", REFERENCE)
    assert warm == cold and len(cold) > 1000
    assert all(type(f) is float for _, f in warm[:50])  # exact floats, not rounded text
    # what a build with no cache at all gives
    lang = textsources.wordfreq_code("de", "Latn")
    expected = textsources.main_groups(REFERENCE)
    assert warm == textsources._build_vocabulary("de", "Latn", lang, expected)


def test_foreign_or_broken_file_is_rebuilt(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path))
    cold = textsources.vocabulary("de", "Latn", REFERENCE)
    (path,) = _files(tmp_path)
    path.write_bytes(gzip.compress(b'{"not": "this key"}\nfoo\x00'))
    assert textsources.vocabulary("de", "Latn", REFERENCE) == cold
    path.write_bytes(b"truncated")
    assert textsources.vocabulary("de", "Latn", REFERENCE) == cold
    assert gzip.decompress(path.read_bytes()).startswith(b'{"blocklist"')  # rewritten


def test_key_names_its_sources(tmp_path: Path) -> None:
    groups = frozenset({"LATIN"})
    source = tmp_path / "list.msgpack.gz"
    source.write_bytes(b"x")
    one = vocabcache.make_key("de", "Latn", groups, 100, vocabcache.wordfreq_sources(str(source), None))
    source.write_bytes(b"xy")  # a new list file (size) is a new vocabulary
    two = vocabcache.make_key("de", "Latn", groups, 100, vocabcache.wordfreq_sources(str(source), None))
    assert vocabcache.cache_path(one) != vocabcache.cache_path(two)
    smaller = {**one, "size": 50}
    assert vocabcache.cache_path(smaller) != vocabcache.cache_path(one)
