"""The on-disk vocabulary cache: a warm read gives exactly what a build gives, a file that is
not the key's is rebuilt, and a changed source makes a new file (real wordfreq lists)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from fonts_manifest import casing, textsources, vocabcache

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
    # what a build with no cache at all gives (then cased: fonts_manifest.casing)
    lang = textsources.wordfreq_code("de", "Latn")
    expected = textsources.main_groups(REFERENCE)
    built = textsources._build_vocabulary("de", "Latn", lang, expected)
    assert warm == casing.apply(built, "de", REFERENCE)
    assert ("Menschen" in dict(warm)) and "menschen" in dict(built)  # cased by the corpus


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


def test_corrupt_deflate_or_bad_utf8_is_rebuilt(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged cache file never crashes the run: every single-byte corruption of a kept file
    (zlib.error inside the deflate stream, a bad CRC) and a file whose key matches but whose
    words are not UTF-8 read back as a miss (None), and `vocabulary` rebuilds."""
    header = b'{"a": 1}'
    path = tmp_path / "x.vocab.gz"
    vocabcache._write(path, header, [("foo", 1.0), ("bar", 0.5), ("baz", 0.25)])
    assert vocabcache._read(path, header) == [("foo", 1.0), ("bar", 0.5), ("baz", 0.25)]
    good = path.read_bytes()
    for i in range(10, len(good)):
        for flip in (0x01, 0x80, 0xFF):
            bad = bytearray(good)
            bad[i] ^= flip
            path.write_bytes(bytes(bad))
            assert vocabcache._read(path, header) in (None, [("foo", 1.0), ("bar", 0.5),
                                                             ("baz", 0.25)])
    path.write_bytes(gzip.compress(header + b"\n\xff\xfe\x00" + b"\x00" * 8))
    assert vocabcache._read(path, header) is None
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path))
    cold = textsources.vocabulary("de", "Latn", REFERENCE)
    (kept,) = _files(tmp_path)
    data = gzip.decompress(kept.read_bytes())
    cut = data.index(b"\n") + 1
    kept.write_bytes(gzip.compress(data[:cut] + b"\xff" + data[cut:]))
    assert textsources.vocabulary("de", "Latn", REFERENCE) == cold


def test_unwritable_cache_dir_still_builds(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache dir that is a file (or read-only) costs the build, never the run."""
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(blocker))
    assert len(textsources.vocabulary("de", "Latn", REFERENCE)) > 1000


_ROWS_SCRIPT = r"""
import hashlib, json, sys
from pathlib import Path
from fonts_manifest import vocabcache
keep = vocabcache.cache_path  # only the vocabularies go to the test's folder
vocabcache.cache_path = lambda key: Path(sys.argv[1]) / keep(key).name
from pipelines.config import build_config, config_hash, resolve_config
from pipelines.sample import make_row, worker_context
languages = ["de", "th", "zh-Hant"]
base = resolve_config(build_config(overrides={"languages": languages, "seed": 77}))
ctx = worker_context(base, config_hash(base))
out = {}
for i, code in enumerate(languages):
    row = make_row({**base, "languages": {code: 1.0}}, i, ctx)
    data = json.dumps(row, sort_keys=True, ensure_ascii=False, default=repr).encode()
    out[code] = hashlib.sha256(data).hexdigest()
print(json.dumps(out))
"""


@pytest.mark.slow
def test_rows_are_the_same_bytes_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    """A row depends only on (config, seed, index): rows drawn by a process that builds the
    vocabularies (cold cache: wordfreq de, hunspell th, OpenCC zh-Hant) and by one that reads
    them back (warm) are identical, image bytes included. Separate processes, so no in-memory
    memo hides the disk read."""
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}

    def rows() -> dict[str, str]:
        done = subprocess.run([sys.executable, "-c", _ROWS_SCRIPT, str(tmp_path)], env=env,
                              capture_output=True, text=True, check=True, timeout=600)
        return json.loads(done.stdout.strip().splitlines()[-1])

    cold = rows()
    kept = sorted(tmp_path.glob("*.vocab.gz"))
    assert len(kept) >= 3  # the three vocabularies were written
    stamps = [p.stat().st_ino for p in kept]  # a rebuild renames a new file in (a read
    warm = rows()                              # only touches the mtime: recently used)
    assert [p.stat().st_ino for p in kept] == stamps  # read back, not rebuilt
    assert warm == cold


def test_key_names_the_unicode_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which words pass the filter depends on `unicodedata` (character categories), which
    changes with the Python version; venvs of two Pythons share ~/.cache/polyglyph, so without
    it in the key a row would depend on which Python filled the cache first."""
    import unicodedata

    key = vocabcache.make_key("de", "Latn", frozenset({"LATIN"}), 100, {})
    monkeypatch.setattr(unicodedata, "unidata_version", "0.0.0")
    other = vocabcache.make_key("de", "Latn", frozenset({"LATIN"}), 100, {})
    assert vocabcache.cache_path(key) != vocabcache.cache_path(other)


def _entry(folder: Path, name: str, size: int, age: float) -> Path:
    import os
    import time

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"x" * size)
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def test_prune_keeps_the_cache_under_its_cap_least_recently_used_first(tmp_path: Path) -> None:
    """The cache was never pruned (1,328 files, 91 MB after a day of edits to the filter code).
    Oldest use goes first; the file just written, a writer's fresh *.tmp and files outside the
    vocabulary folders are never touched; a dead writer's old *.tmp goes."""
    here = tmp_path / f"vocab-v{vocabcache.VOCAB_CACHE_VERSION}"
    old = tmp_path / "vocab-v0"
    oldest = _entry(old, "a.vocab.gz", 400, age=500)
    older = _entry(here, "b.vocab.gz", 400, age=400)
    recent = _entry(here, "c.vocab.gz", 400, age=10)
    newest = _entry(here, "d.vocab.gz", 400, age=0)
    writing = _entry(here, "e.vocab.gz.1234.tmp", 5000, age=5)
    dead = _entry(here, "f.vocab.gz.99.tmp", 100, age=vocabcache.STALE_TMP_SECONDS + 60)
    fonts = _entry(tmp_path, "fonts-v3.json.gz", 5000, age=9999)
    assert vocabcache.prune(tmp_path, keep=newest, max_bytes=900) == 2
    assert not oldest.exists() and not older.exists() and not dead.exists()
    assert recent.exists() and newest.exists() and writing.exists() and fonts.exists()
    # a cap below one file still keeps the one just written
    assert vocabcache.prune(tmp_path, keep=newest, max_bytes=0) == 1
    assert newest.exists() and not recent.exists() and writing.exists()


def test_a_read_marks_its_file_used_and_a_write_prunes(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path))
    here = tmp_path / f"vocab-v{vocabcache.VOCAB_CACHE_VERSION}"
    cold = textsources.vocabulary("de", "Latn", REFERENCE)
    (kept,) = _files(tmp_path)
    size = kept.stat().st_size
    stale = _entry(here, "0000.vocab.gz", 10 * size, age=3600)
    import os

    os.utime(kept, (1, 1))  # as if last used long ago
    assert textsources.vocabulary("de", "Latn", REFERENCE) == cold
    assert kept.stat().st_mtime > stale.stat().st_mtime  # the read touched it
    monkeypatch.setattr(vocabcache, "CACHE_MAX_BYTES", 3 * size)
    textsources.vocabulary("fr", "Latn", "Tous les êtres humains naissent libres et égaux.")
    files = _files(tmp_path)
    assert not stale.exists() and kept in files and len(files) == 2  # the oldest went first
    monkeypatch.setattr(vocabcache, "CACHE_MAX_BYTES", 1)
    textsources.vocabulary("it", "Latn", "Tutti gli esseri umani nascono liberi ed eguali.")
    assert len(_files(tmp_path)) == 1 and kept not in _files(tmp_path)  # only the new one


def test_pruners_and_readers_at_once_never_fail(tmp_path: Path) -> None:
    """Many threads writing, reading and pruning one folder with a cap of about one file:
    every read is the words written or a miss (None), never an error or torn words."""
    import threading

    here = tmp_path / f"vocab-v{vocabcache.VOCAB_CACHE_VERSION}"
    words = [(f"w{i}", 1.0 / (i + 1)) for i in range(2000)]
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for k in range(40):
                path = here / f"{(n + k) % 6}.vocab.gz"
                header = f'{{"k": {(n + k) % 6}}}'.encode()
                vocabcache._write(path, header, words)
                vocabcache.prune(tmp_path, keep=path, max_bytes=1)
                got = vocabcache._read(here / f"{(n + k + 3) % 6}.vocab.gz",
                                       f'{{"k": {(n + k + 3) % 6}}}'.encode())
                assert got is None or got == words
        except BaseException as exc:  # noqa: BLE001 (reported in the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[0]
    assert not list(here.glob("*.tmp"))
