"""User corpora streamed, never loaded whole: text files, JSONL, Parquet; files, directories,
globs or `s3://` URIs (anything `pyarrow.fs` opens).

`--corpus LANG=SPEC` where SPEC is a path, directory, glob or URI, optionally `#column` for the
text column of JSONL/Parquet (default `text`). Rows are numbered across the files in sorted
path order: a text or JSONL file is indexed by the byte offsets of its lines (8 bytes a line),
a Parquet file by its row groups' row counts, so row i is read on demand. Sampling draws row
numbers from the page's Generator only, so page i's text depends on (seed, i), never on which
worker read what before. Every read is bounded: a line or row over `MAX_ROW_BYTES`, a Parquet
row group over `MAX_GROUP_BYTES`, or a special file (/dev/zero, a FIFO) is a one-line error.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError

MAX_ROW_BYTES = 1 << 20  # one paragraph (line, JSON row, Parquet cell) at most 1 MiB
MAX_GROUP_BYTES = 256 << 20  # uncompressed text column of one Parquet row group
MAX_ROWS = 200_000_000
MAX_FILES = 100_000
CHUNK = 1 << 20
SAMPLE_ROWS = 2000  # rows kept in memory for font coverage and the script check
SAMPLE_BYTES = 2 << 20
TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")
# Removed from user text: explicit bidi embeddings, overrides and isolates (LRE RLE PDF LRO RLO,
# LRI RLI FSI PDI; an RLO drew "Hello" as "olleH" under a label saying "Hello", the text is then
# drawn in its natural order), and format characters drawn as nothing that no reader of the
# image could put back in a label (soft hyphen, zero-width space, word joiner, BOM / ZWNBSP).
# ZWJ/ZWNJ stay: they change the shapes drawn.
_SURROGATE = re.compile("[\ud800-\udfff]")
INVISIBLE = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                           0x00AD, 0x200B, 0x2060, 0xFEFF])


def _kind(path: str) -> str:
    lower = path.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if lower.endswith((".gz", ".bz2", ".xz", ".zst")):
        raise PolyglyphError(f"{path}: compressed files cannot be streamed; decompress it or "
                             "convert it to Parquet")
    return "lines"


def split_spec(spec: str) -> tuple[str, str]:
    """`PATH#column` → (PATH, column); the column defaults to `text`."""
    base, sep, column = spec.rpartition("#")
    if sep and column and "/" not in column:
        return base, column
    return spec, "text"


def _filesystem(path: str) -> tuple[Any, str]:
    from pyarrow import fs

    if "://" in path:
        try:
            return fs.FileSystem.from_uri(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError variants
            raise PolyglyphError(f"cannot open {path}: {str(exc).splitlines()[0]}") from None
    return fs.LocalFileSystem(), os.path.abspath(os.path.expanduser(path))


def _list_files(filesystem: Any, path: str, local: bool) -> list[str]:
    from pyarrow import fs

    if local and any(c in path for c in "*?[") and not os.path.exists(path):
        matches = (p for p in glob.iglob(path, recursive=True) if os.path.isfile(p))
        found = _unique_files(matches, path)
        if not found:
            raise PolyglyphError(f"no file matches {path}")
        return found[:MAX_FILES + 1]
    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.NotFound:
        raise PolyglyphError(f"cannot read file {path} (No such file or directory)")
    if info.type == fs.FileType.Directory:
        suffixes = TEXT_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES
        if local:  # symlinks followed, each real folder entered once (see _walk_local)
            names = _unique_files(_walk_local(path, suffixes), path)
        else:
            selector = fs.FileSelector(path, recursive=True)
            names = sorted(i.path for i in filesystem.get_file_info(selector)
                           if i.type == fs.FileType.File and i.path.lower().endswith(suffixes))
        if not names:
            raise PolyglyphError(f"directory {path} holds no .txt, .jsonl or .parquet file")
        return names
    return [path]


def _walk_local(path: str, suffixes: tuple[str, ...]) -> Iterator[str]:
    """Files under a local folder, following symlinks but entering each real folder once.
    pyarrow's recursive FileSelector followed a link to a parent ~40 levels deep: one loop
    read every file 41 times, two loops in one folder (2^40 paths) never ended."""
    visited: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(path, followlinks=True):
        try:
            info = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in visited:
            dirs[:] = []
            continue
        visited.add((info.st_dev, info.st_ino))
        for name in files:
            full = os.path.join(root, name)
            if name.lower().endswith(suffixes) and os.path.isfile(full):
                yield full


def _unique_files(paths: Iterator[str], spec: str) -> list[str]:
    """Sorted paths, one per file (a file linked under two names is read once). At most
    MAX_FILES + 1 paths are looked at: a glob's `**` through a symlink loop repeats files
    without end."""
    seen: dict[tuple[int, int], str] = {}
    for count, name in enumerate(paths, start=1):
        if count > MAX_FILES + 1:
            raise PolyglyphError(f"--corpus {spec}: more than {MAX_FILES} files (a symlink "
                                 "loop under `**`?)")
        info = os.stat(name)
        key = (info.st_dev, info.st_ino)
        if key not in seen or name < seen[key]:
            seen[key] = name
    return sorted(seen.values())


@dataclass
class _File:
    path: str
    kind: str
    rows: int
    offsets: np.ndarray | None = None  # lines: start of each kept line, then its end
    groups: np.ndarray | None = None  # parquet: cumulative rows per row group


@dataclass
class StreamedCorpus:
    """Rows of a user corpus, read on demand (see the module docstring)."""

    spec: str
    column: str
    files: list[_File]
    filesystem: Any = field(repr=False)
    cumulative: np.ndarray = field(init=False, repr=False)
    _handles: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _groups: OrderedDict = field(default_factory=OrderedDict, repr=False)
    sampled: list[int] = field(default_factory=list, repr=False)  # row of each sample() text

    def __post_init__(self) -> None:
        self.cumulative = np.cumsum([f.rows for f in self.files], dtype=np.int64)

    @property
    def total(self) -> int:
        return int(self.cumulative[-1]) if len(self.cumulative) else 0

    def _handle(self, path: str) -> Any:
        handle = self._handles.get(path)
        if handle is None:
            handle = self._handles[path] = self.filesystem.open_input_file(path)
            while len(self._handles) > 8:
                self._handles.popitem(last=False)[1].close()
        return handle

    def text(self, row: int) -> str:
        """Row `row`'s text, one line of white space (NFC); "" for an empty or non-string row."""
        k = int(np.searchsorted(self.cumulative, row, side="right"))
        entry = self.files[k]
        local = row - (int(self.cumulative[k - 1]) if k else 0)
        if entry.kind == "parquet":
            value = self._parquet_value(entry, local)
        else:
            start, end = int(entry.offsets[2 * local]), int(entry.offsets[2 * local + 1])
            raw = self._handle(entry.path).read_at(end - start, start)
            try:
                line = raw.decode("utf-8-sig" if start == 0 else "utf-8")
            except UnicodeDecodeError as exc:
                raise PolyglyphError(f"--corpus {entry.path}: not UTF-8 (bad byte at offset "
                                     f"{start + exc.start})") from None
            value = (line if entry.kind == "lines"
                     else _json_text(line, self.column, entry.path, local + 1))
        if not isinstance(value, str):
            return ""
        if not value.isprintable() and _SURROGATE.search(value):  # JSON may escape "\ud800"
            raise PolyglyphError(f"--corpus {entry.path}: row {local + 1} holds a lone surrogate "
                                 f"U+{ord(_SURROGATE.search(value).group()):04X} (not a "
                                 "character; it cannot be drawn or written as UTF-8)")
        return " ".join(unicodedata.normalize("NFC", value).translate(INVISIBLE).split())

    def _parquet_value(self, entry: _File, local: int) -> Any:
        g = int(np.searchsorted(entry.groups, local, side="right"))
        key = (entry.path, g)
        column = self._groups.get(key)
        if column is None:
            import pyarrow.parquet as pq

            try:
                reader = pq.ParquetFile(self._handle(entry.path))
                column = reader.read_row_group(g, columns=[self.column]).column(0)
            except Exception as exc:  # ArrowInvalid / OSError ("Corrupt snappy compressed data")
                raise PolyglyphError(f"--corpus {entry.path}: cannot read row group {g} "
                                     f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                                     ) from None
            self._groups[key] = column
            while len(self._groups) > 2:  # bounded: at most two row groups held
                self._groups.popitem(last=False)
        else:
            self._groups.move_to_end(key)
        start = int(entry.groups[g - 1]) if g else 0
        value = column[local - start].as_py()
        if isinstance(value, bytes):  # a binary text column (checked when indexed)
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise PolyglyphError(f"--corpus {entry.path}: row {local} is not UTF-8") from None
        if isinstance(value, str) and len(value) > MAX_ROW_BYTES:
            raise PolyglyphError(f"--corpus {entry.path}: row {local} is longer than 1 MiB")
        return value

    def sample(self) -> list[str]:
        """Up to SAMPLE_ROWS non-empty rows at evenly spaced positions (all rows of a small
        corpus, in order): what font coverage and the script check look at."""
        count = min(self.total, SAMPLE_ROWS)
        rows = np.unique(np.linspace(0, self.total - 1, count).astype(np.int64)) if count else []
        out, size = [], 0
        self.sampled = []
        for row in rows:
            text = self.text(int(row))
            if text:
                out.append(text)
                self.sampled.append(int(row))
                size += len(text)
                if size > SAMPLE_BYTES:
                    break
        return out

    def run(self, rng: np.random.Generator, chars: int, accept: Callable[[str], bool],
            max_rows: int = 48) -> list[tuple[int, str]]:
        """Consecutive rows from a random start (as a document runs on) until `chars`
        characters; rows `accept` refuses (undrawable, another script) are skipped."""
        if self.total == 0:
            return []
        row = int(rng.integers(0, self.total))
        out: list[tuple[int, str]] = []
        used = 0
        for step in range(min(max_rows, self.total)):
            current = (row + step) % self.total
            text = self.text(current)
            if text and accept(text):
                out.append((current, text))
                used += len(text)
                if used >= chars:
                    break
        return out

    def aligned_with(self, other: StreamedCorpus) -> bool:
        """Whether row i here and row i of `other` are one record: the same files read through
        another column (`--corpus de=para.jsonl#de --corpus en=para.jsonl#en`), so one row's
        columns translate each other."""
        return (self.column != other.column and self.total == other.total
                and [f.path for f in self.files] == [f.path for f in other.files])

    def digest(self) -> str:
        """sha256 over every file's name and bytes (streamed), for the manifest."""
        h = hashlib.sha256(f"{self.column}\0".encode())
        for entry in self.files:
            h.update(os.path.basename(entry.path).encode() + b"\0")
            with self.filesystem.open_input_stream(entry.path) as handle:
                while chunk := handle.read(CHUNK):
                    h.update(chunk)
        return h.hexdigest()


def _json_text(line: str, column: str, path: str, number: int = 0) -> Any:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PolyglyphError(f"--corpus {path}: a line is not JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # an integer of 4,300+ digits; [[[[...]]]] nesting
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
        raise PolyglyphError(f"--corpus {path}: row {number} is not readable JSON ({reason})") from None
    if not isinstance(row, dict) or column not in row:
        raise PolyglyphError(f"--corpus {path}: a JSON row has no {column!r} key "
                             "(name the text key with PATH#key)")
    return row[column]


def _check_regular(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise PolyglyphError(f"cannot read file {path} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise PolyglyphError(f"{path} is not a regular file (a device or pipe has no end)")


def _index_lines(filesystem: Any, path: str) -> np.ndarray:
    """Start and end byte of every non-empty line, read in 1 MiB chunks. A line's end leaves
    out its "\r" (CRLF files), so a blank CRLF line is empty and dropped while a line of one
    ASCII character is kept (the end was once tested as `> 1` byte: a file of one letter or
    digit a line, a character list, read as "file has no text")."""
    bounds: list[np.ndarray] = []
    start, position, previous = 0, 0, 0
    with filesystem.open_input_stream(path) as handle:
        while chunk := handle.read(CHUNK):
            data = np.frombuffer(chunk, np.uint8)
            found = np.flatnonzero(data == 10)
            if len(found):
                before = np.where(found > 0, data[np.maximum(found - 1, 0)], previous)
                ends = found + position
                starts = np.concatenate(([start], ends[:-1] + 1))
                bounds.append(np.stack([starts, ends - (before == 13)], axis=1))
                start = int(ends[-1]) + 1
            position += len(chunk)
            previous = int(data[-1])
            if position - start > MAX_ROW_BYTES:
                raise PolyglyphError(f"--corpus {path}: a line near byte {start} is longer than "
                                     "1 MiB (is this a text file?)")
    if position > start:
        bounds.append(np.array([[start, position - (previous == 13)]], np.int64))
    if not bounds:
        return np.zeros(0, np.int64)
    pairs = np.concatenate(bounds).astype(np.int64)
    pairs = pairs[pairs[:, 1] > pairs[:, 0]]  # drop empty lines ("\n" or "\r\n")
    if len(pairs) > MAX_ROWS:
        raise PolyglyphError(f"--corpus {path}: more than {MAX_ROWS} lines")
    return pairs.reshape(-1)


def _index_parquet(filesystem: Any, path: str, column: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(filesystem.open_input_file(path)).metadata
    except Exception as exc:  # pyarrow's ArrowInvalid for a file that is not Parquet
        raise PolyglyphError(f"--corpus {path}: not a Parquet file ({str(exc).splitlines()[0]})") from None
    schema = meta.schema.to_arrow_schema()  # top-level columns (meta.schema.names: leaves)
    if column not in schema.names:
        raise PolyglyphError(f"--corpus {path}: no column {column!r} (columns: "
                             f"{', '.join(schema.names[:8])}); name it with PATH#column")
    kind = schema.field(column).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
        raise PolyglyphError(f"--corpus {path}: column {column!r} holds {kind}, not text; "
                             "name the text column with PATH#column")
    paths = [meta.schema.column(i).path for i in range(len(meta.schema))]
    index = paths.index(column)
    for g in range(meta.num_row_groups):
        size = meta.row_group(g).column(index).total_uncompressed_size
        if size > MAX_GROUP_BYTES:
            raise PolyglyphError(f"--corpus {path}: row group {g} holds {size >> 20} MiB of text; "
                                 "rewrite it with smaller row groups (<= 256 MiB)")
    return np.cumsum([meta.row_group(g).num_rows for g in range(meta.num_row_groups)], dtype=np.int64)


def open_corpus(spec: str) -> StreamedCorpus:
    """Index a corpus spec (see module docstring); errors are one line naming the culprit.
    A spec the job shipped to this worker (`fonts_manifest.corpus_ship`) is served from memory."""
    from fonts_manifest.corpus_ship import installed

    shipped = installed(spec)
    if shipped is not None:
        return shipped
    path, column = split_spec(spec)
    filesystem, resolved = _filesystem(path)
    local = "://" not in path
    names = _list_files(filesystem, resolved, local)
    if len(names) > MAX_FILES:
        raise PolyglyphError(f"--corpus {spec}: more than {MAX_FILES} files")
    files: list[_File] = []
    for name in names:
        if local:
            _check_regular(name)
        kind = _kind(name)
        if kind == "parquet":
            groups = _index_parquet(filesystem, name, column)
            files.append(_File(name, kind, int(groups[-1]) if len(groups) else 0, groups=groups))
        else:
            if kind == "lines" and path != spec:  # `#column` names a key; plain text has none
                raise PolyglyphError(f"--corpus {spec}: {name} is plain text, one text a line; "
                                     f"#{column} picks a JSON key or Parquet column (drop it)")
            offsets = _index_lines(filesystem, name)
            files.append(_File(name, kind, len(offsets) // 2, offsets=offsets))
    corpus = StreamedCorpus(spec=spec, column=column, files=files, filesystem=filesystem)
    if corpus.total == 0:
        raise PolyglyphError(f"--corpus {spec}: file has no text")
    return corpus
