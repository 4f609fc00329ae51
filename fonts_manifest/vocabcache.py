"""Per-language vocabularies kept on disk beside the font caches.

Building a language's vocabulary (`textsources.vocabulary`) reads ~40k-100k words of a
wordfreq list or hunspell dictionary and checks every character of each: 0.1-0.4 CPU-s per
language (Thai, Japanese, Greek the slowest), paid by every worker process for every language
it draws, and again whenever a language comes back after `synth.memo` forgot it (a run over
every language keeps four). The result is a pure function of the language, its reference
text's writing systems and the source files, so it is written once to
`<cache dir>/vocab-v<N>/<key>.vocab.gz` (the cache dir of `fonts_manifest.fontdb`) and read
back in a few milliseconds.

The key names everything the list depends on: the language and script, the writing-system
groups, the list size, the Unicode database's version (character categories decide which
words pass), the wordfreq list file (path, size, mtime) and wordfreq/OpenCC versions
or the hunspell dictionaries' fingerprint, the casing sources (`casing.source_key`: the
language's dictionaries and a digest of its corpus text), the blocklist's digest, and a digest of the code that
filters and cases the words (this module, `textsources`, `hunspell`, `casing`). A changed source or filter makes
a new key; nothing is ever read back that a rebuild would not give. A cache that cannot be
read or written is skipped silently (the list is built as before): the cache only saves time.

The cache is bounded: each edit of the filter code or a source makes a new key, and a day of
development left 1,328 files (91 MB) that nothing would read again. After each write the
vocabulary folders are pruned to CACHE_MAX_BYTES, least recently used first (a read touches
its file's mtime); see `prune` for why that is safe beside other workers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import time
import unicodedata
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

VOCAB_CACHE_VERSION = 1
Vocabulary = list[tuple[str, float]]
CACHE_MAX_BYTES = 128 << 20  # every language's list is ~35 MB: room for a few generations
STALE_TMP_SECONDS = 24 * 3600  # a writer takes well under a second; older is a crashed one


@cache
def _code_digest() -> str:
    """Digest of the modules whose code decides which words a vocabulary holds."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("vocabcache.py", "textsources.py", "hunspell.py", "hanforms.py", "casing.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


@cache
def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def stat_key(path: str) -> list[object]:
    """(path, size, mtime) of a source file: a replaced file makes a new key."""
    stat = os.stat(path)
    return [path, stat.st_size, stat.st_mtime_ns]


def cache_path(key: dict[str, object]) -> Path:
    """Where the vocabulary of `key` is kept (a digest of the whole key names the file)."""
    from fonts_manifest.fontdb import cache_dir

    text = json.dumps(key, sort_keys=True, ensure_ascii=False)
    name = hashlib.sha256(text.encode()).hexdigest()[:24]
    return cache_dir() / f"vocab-v{VOCAB_CACHE_VERSION}" / f"{name}.vocab.gz"


def make_key(code: str, script: str, groups: frozenset[str], size: int,
             sources: dict[str, object]) -> dict[str, object]:
    """The cache key: the caller's source description plus what every vocabulary depends on."""
    return {"version": VOCAB_CACHE_VERSION, "code": code, "script": script,
            "groups": sorted(groups), "size": size, "filter": _code_digest(),
            "unicode": unicodedata.unidata_version, **sources}


def wordfreq_sources(list_path: str, opencc_config: str | None) -> dict[str, object]:
    """What a wordfreq vocabulary depends on beyond the language: the list file and the
    package versions (wordfreq's, OpenCC's when it converts the list)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, object] = {"wordfreq_list": stat_key(list_path)}
    for name in ("wordfreq", *(("opencc",) if opencc_config else ())):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    out["opencc_config"] = opencc_config
    return out


def cached(key: dict[str, object], blocklist: Path, build: Callable[[], Vocabulary]
           ) -> Vocabulary:
    """The vocabulary of `key`: read from disk, else built by `build` and written there."""
    try:
        full = {**key, "blocklist": _file_digest(str(blocklist))}
        path = cache_path(full)
    except OSError:
        return build()
    header = json.dumps(full, sort_keys=True, ensure_ascii=False).encode()
    found = _read(path, header)
    if found is not None:
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:
            pass  # a read-only cache still reads
        return found
    words = build()
    try:
        _write(path, header, words)
        prune(path.parent.parent, keep=path)
    except OSError:
        pass
    return words


def prune(root: Path, keep: Path, max_bytes: int | None = None) -> int:
    """Remove the least recently used vocabulary files under `root/vocab-v*/` until they take
    at most `max_bytes` (CACHE_MAX_BYTES); returns how many went. Safe beside other workers:
    - a file being written is a `*.tmp` of its writer until its atomic rename, and is never
      counted or removed (only one older than STALE_TMP_SECONDS, whose writer died);
    - a finished file is never changed, only replaced whole by a rename, so removing it cannot
      tear it: a reader that opened it keeps reading the same bytes (the name goes, the inode
      stays while open), and one that comes after finds no file, a miss, and rebuilds;
    - two pruners racing over one file: the second finds it gone and goes on.
    `keep` (the file just written) is never removed, so a cap smaller than one list still
    keeps the list this process uses."""
    limit = CACHE_MAX_BYTES if max_bytes is None else max_bytes
    now = time.time()
    files: list[tuple[float, str, int]] = []
    for folder in root.glob("vocab-v*"):
        if folder.is_symlink() or not folder.is_dir():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone meanwhile
                if entry.name.endswith(".tmp"):
                    if now - stat.st_mtime > STALE_TMP_SECONDS:
                        _unlink(entry.path)
                    continue
                files.append((stat.st_mtime, entry.path, stat.st_size))
    total = sum(size for _, _, size in files)
    removed = 0
    for _, name, size in sorted(files):  # oldest use first
        if total <= limit:
            break
        if os.path.abspath(name) == os.path.abspath(keep):
            continue
        if _unlink(name):
            removed += 1
            total -= size
    return removed


def _unlink(path: str) -> bool:
    """True when `path` is gone (by us, or by another pruner just before)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return True
    except OSError:  # not ours to fix (a read-only cache): the cap is best effort
        return False
    return True


def _write(path: Path, header: bytes, words: Vocabulary) -> None:
    """One gzip member: the key (a JSON line), the words joined by newlines (a vocabulary
    word has no control character), a NUL, then the weights as little-endian float64 (exact:
    the weights read back are the very floats built). Written to a temporary name and
    renamed, so a parallel reader sees the whole file or none."""
    body = "\n".join(word for word, _ in words).encode()
    weights = np.array([freq for _, freq in words], "<f8").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            raw.write(gzip.compress(header + b"\n" + body + b"\0" + weights, 1, mtime=0))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path, header: bytes) -> Vocabulary | None:
    """The words kept at `path` when its key is `header` exactly, else None."""
    try:  # zlib.error: a damaged deflate stream (neither OSError nor ValueError)
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    cut = len(header)
    if data[:cut] != header or data[cut:cut + 1] != b"\n":
        return None  # a digest collision or a foreign file: rebuild
    end = data.find(b"\0", cut + 1)
    if end < 0 or (len(data) - end - 1) % 8:
        return None
    try:
        words = data[cut + 1:end].decode().split("\n") if end > cut + 1 else []
    except UnicodeDecodeError:
        return None
    weights = np.frombuffer(data[end + 1:], "<f8").tolist()
    if len(words) != len(weights):
        return None
    return list(zip(words, weights, strict=True))
