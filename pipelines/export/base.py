"""What every export format shares: the rows it reads, the directory it writes, its summary.

A format gets a `RowSource` (the dataset's shards, read a few rows at a time so a large
dataset never sits in memory), an output directory that `prepare_out` has made safe to write,
and its parsed options; it returns an `ExportSummary`, which says what was written and, reason
by reason, what was left out.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.dataset import group_batches, open_dataset
from pipelines.errors import PolyglyphError
from pipelines.output import Output
from pipelines.storage import redact

MARKER = "export.json"  # written first, rewritten last: `--overwrite` clears only such folders
INVENTORY = "export-files.txt"  # every file the export wrote, one path a line: what --overwrite
# may delete (written at the end, so an export that stopped early has none: see prepare_out)


@dataclass
class ExportSummary:
    """Counts for the user: rows read, items written, items skipped by reason."""

    unit: str  # what one written item is: "line", "image", "page"…
    rows: int = 0
    written: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    def lines(self) -> list[str]:
        out = [f"{self.rows} rows read, {self.written} {self.unit}s written"]
        for reason, count in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  skipped {count} {self.unit}s: {reason}")
        out.extend(f"  note: {note}" for note in self.notes)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "rows": self.rows, "written": self.written,
                "skipped": dict(sorted(self.skipped.items())), "notes": list(self.notes)}


@dataclass(frozen=True)
class RowSource:
    """The Parquet shards of one dataset, in name order (row order = dataset order).

    `store` is the folder (local or a URI such as `s3://bucket/ds?endpoint_override=…`) and
    `files` the shard names relative to it (`data/part-00000.parquet` or `part-00000.parquet`).
    """

    root: str  # --input as the user gave it, for messages and export.json
    store: Output
    files: tuple[str, ...]
    total: int
    kept_only: bool = False  # `--kept-only`: rows validate's judges rejected (keep false) skipped
    rejected: list[int] = field(default_factory=lambda: [0])  # how many, counted while read

    @property
    def is_local(self) -> bool:
        return self.store.is_local

    def rows(self, columns: list[str] | None = None, batch: int = 8) -> Iterator[dict[str, Any]]:
        """Rows as dicts; only `columns` are read (those missing from a shard are absent)."""
        for name in self.files:
            handle = self.store.open_parquet(name)
            names = set(handle.schema_arrow.names)
            wanted = None if columns is None else [c for c in columns if c in names]
            if self.kept_only and wanted is not None and "keep" not in wanted:
                wanted.append("keep")
            batches = group_batches(handle, batch, wanted)
            while True:
                try:  # a page that does not decode (or a store gone mid-read) names its shard
                    record_batch = next(batches, None)
                except (OSError, pa.ArrowInvalid) as exc:
                    raise PolyglyphError(f"--input {redact(self.store.path(name))}: cannot "
                                         f"read: {exc}") from None
                if record_batch is None:
                    break
                for row in record_batch.to_pylist():
                    if self.kept_only and row.get("keep") is not True:
                        self.rejected[0] += 1
                        continue
                    yield row


def open_rows(target: str | Path, kept_only: bool = False) -> RowSource:
    """The dataset at `target` (a path or URI): an OUT folder (`data/part-*.parquet` or
    `part-*.parquet`), a shard folder, or one parquet file. Listed and opened by
    `pipelines.dataset` (the driver's shard layout, the store's own one-line errors).
    `kept_only` needs validate's `keep` column in every shard: without it nothing says which
    rows the judges rejected, and exporting all of them would pass for a filtered export."""
    data = open_dataset(target, flag="--input")
    for name in data.files:  # a Parquet file someone else made: one line, not "0 written"
        columns = set(data.parquet(name).schema_arrow.names)
        missing = sorted(REQUIRED_COLUMNS - columns)
        if missing:
            raise PolyglyphError(f"--input {data.shown(name)} is not a polyglyph shard: no "
                                 f"column(s) {', '.join(missing)}")
        if kept_only and "keep" not in columns:
            raise PolyglyphError(f"--input {data.shown(name)}: --kept-only needs a validated "
                                 "dataset (no 'keep' column; run `polyglyph validate` first)")
    return RowSource(redact(str(target)), data.source, data.files, data.total, kept_only)


REQUIRED_COLUMNS = frozenset({"id", "image", "lines"})  # what every export format reads


_MAGIC = {b"\xff\xd8\xff": "jpg", b"\x89PNG": "png", b"RIFF": "webp"}


def image_ext(data: bytes) -> str:
    """The file extension of encoded image bytes: a row's image is written as stored."""
    for magic, ext in _MAGIC.items():
        if data.startswith(magic):
            return ext
    raise ValueError("image bytes are neither JPEG, PNG nor WebP")


def decode_image(row: dict[str, Any]) -> np.ndarray:
    """The row's image as H x W x 3 uint8 RGB."""
    from PIL import Image

    data = (row.get("image") or {}).get("bytes")
    if not data:
        raise ValueError("row has no image bytes")
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def prepare_out(out: Path, overwrite: bool) -> None:
    """Make `out` an empty folder; refuse a non-empty one unless it is an export and overwrite.
    --overwrite deletes only what the earlier export wrote (its INVENTORY) and refuses, before
    deleting anything, when the folder holds anything else, like generate's rule. An export
    that stopped before its end wrote no inventory: its folder is cleared whole (it was empty
    or new when that export started)."""
    if out.exists() and not out.is_dir():
        raise PolyglyphError(f"--out {out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not overwrite and (out / MARKER).is_file():
            raise PolyglyphError(f"--out {out}: holds an earlier export; pass --overwrite to "
                                 "replace it")
        if not (out / MARKER).is_file():  # said first: --overwrite would not help here
            raise PolyglyphError(
                f"--out {out}: not empty and holds no {MARKER}, so it is not an earlier export; "
                "choose a new or empty folder (--overwrite replaces only an export)")
        if out.is_symlink():  # rmtree refuses a link with a message naming no path
            raise PolyglyphError(
                f"--out {out}: is a symbolic link (to {out.resolve()}); --overwrite replaces "
                "only a real folder: give the folder itself")
        if (out / INVENTORY).is_file():
            _remove_listed(out)
        else:
            shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PolyglyphError(f"--out {out}: cannot create: {exc.strerror or exc}") from None


def _entries(out: Path) -> tuple[list[str], list[str]]:
    """(files, folders) under `out` as POSIX paths relative to it; a link is a file (never
    followed: what it points to is not in the folder)."""
    files, folders = [], []
    for root, dirs, names in os.walk(out):
        here = Path(root).relative_to(out)
        for name in list(dirs):
            if (Path(root) / name).is_symlink():
                dirs.remove(name)
                names.append(name)
            else:
                folders.append((here / name).as_posix())
        files.extend((here / name).as_posix() for name in names)
    return files, folders


def write_inventory(out: Path) -> int:
    """INVENTORY: every file now in `out` (all written by this export, which began with the
    folder empty). Returns how many."""
    files = sorted(f for f in _entries(out)[0] if f not in {MARKER, INVENTORY})
    tmp = out / (INVENTORY + ".tmp")
    tmp.write_text("".join(f"{f}\n" for f in files), "utf-8")
    tmp.replace(out / INVENTORY)
    return len(files)


def _remove_listed(out: Path) -> None:
    """Delete the earlier export's files and folders; first refuse if anything is not its own."""
    try:
        listed = set((out / INVENTORY).read_text("utf-8").splitlines())
    except (OSError, UnicodeDecodeError) as exc:
        raise PolyglyphError(f"--out {out}: {INVENTORY} is unreadable ({exc}); empty the "
                             "folder yourself") from None
    files, folders = _entries(out)
    parents = {p.as_posix() for f in listed for p in Path(f).parents if p.as_posix() != "."}
    foreign = sorted({f for f in files if f not in listed | {MARKER, INVENTORY}}
                     | {d for d in folders if d not in parents})
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3
                                          else "")
        raise PolyglyphError(
            f"--out {out}: holds files the earlier export did not write ({shown}; not in its "
            f"{INVENTORY}); --overwrite deletes only an export's own files: move yours out, or "
            "choose another folder")
    for name in sorted(set(files) & listed):
        (out / name).unlink()
    for name in sorted(folders, key=lambda d: -d.count("/")):  # deepest first: all empty now
        (out / name).rmdir()
    (out / INVENTORY).unlink()
    (out / MARKER).unlink()


def write_marker(out: Path, info: dict[str, Any]) -> None:
    """`export.json`: format, input, options, status and (at the end) the summary."""
    tmp = out / (MARKER + ".tmp")
    tmp.write_text(json.dumps({**info, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                              ensure_ascii=False, indent=1) + "\n", "utf-8")
    tmp.replace(out / MARKER)


Writer = Callable[[RowSource, Path, argparse.Namespace, bool], ExportSummary]


@dataclass(frozen=True)
class ExportFormat:
    """One export format. `add_arguments` adds its own options to an argparse group; `write`
    reads the rows and writes `out` (already empty), with a progress bar unless told quiet;
    `check` refuses bad option values before anything in `out` is touched."""

    name: str
    summary: str  # one line for `polyglyph export --help`
    description: str  # the layout written, for `--format NAME --help`
    add_arguments: Callable[[argparse._ArgumentGroup], None]
    write: Writer
    check: Callable[[argparse.Namespace], None] = lambda args: None  # raise on bad options
