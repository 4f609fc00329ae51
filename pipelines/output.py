"""Where shards go: a local directory (solid: tmp + fsync + rename) or a pyarrow filesystem URI.

A file appears under its final name only when complete. On object stores (`s3://`, `gs://`) an
upload becomes visible only when it finishes, so writing straight to the final key gives the same
guarantee without a rename (which those stores do not have).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow.parquet as pq

from pipelines.errors import PolyglyphError

from .storage import open_filesystem, storage_error

BUCKET_SCHEMES = {"s3", "gs", "gcs"}  # object stores: the URL's host part is the bucket
DATA = "data"
"""Shards live in `OUT/data/`, the card and the JSON files at `OUT/`: the folder loads as it is in
`datasets` (the card's `configs` name `data/*.parquet`), and `OUT/data/` in pandas, pyarrow and
polars (nothing but shards in it)."""


def require_target(target: str, flag: str = "--out") -> str:
    """A blank path (`--out "$OUT"` with OUT unset) would be the current directory: refused."""
    if not target.strip():
        raise PolyglyphError(f"{flag} is empty (an unset shell variable?); give a path")
    return target


def _require_bucket(target: str, flag: str) -> None:
    """`s3://` or `s3:///key` has no bucket: pyarrow would try to create bucket '' (or report
    `s3:/key`), a confusing network error instead of the user's typo."""
    parts = urlsplit(target)
    if parts.scheme.lower() in BUCKET_SCHEMES and not parts.netloc:
        raise PolyglyphError(f"{flag} {target}: the {parts.scheme}:// URL needs a bucket "
                             f"({parts.scheme}://BUCKET/path)")


def shard_name(index: int) -> str:
    """A shard's name relative to the output root: `data/part-NNNNN.parquet`."""
    return f"{DATA}/part-{index:05d}.parquet"


def is_shard(name: str) -> bool:
    """`part-*.parquet`, at the root (the layout before `data/`) or in `data/`."""
    base = name.rsplit("/", 1)[-1]
    return name.count("/") <= 1 and base.startswith("part-") and base.endswith(".parquet")


def dataset_shards(out: Output) -> list[str]:
    """The shards of a dataset to read, in name order: `data/part-*.parquet`; for a dataset made
    before shards moved there, the `part-*.parquet` at its root (read as they are)."""
    names = [n for n in out.list_names() if is_shard(n)]
    inside = [n for n in names if n.startswith(f"{DATA}/")]
    return inside or names


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Output:
    """A dataset directory: local path or a pyarrow filesystem URI."""

    def __init__(self, target: str, flag: str = "--out") -> None:
        self.target = require_target(target, flag)
        self.flag = flag  # how messages name it: --out, --input…
        self.is_local = "://" not in target or target.startswith("file://")
        if self.is_local:
            self.root = Path(target.removeprefix("file://")).expanduser()
            self._fs = None
            self._base = str(self.root)
        else:  # never through pathlib: `s3://b/k` would become `s3:/b/k`
            _require_bucket(target, flag)
            self._fs, self._base = open_filesystem(target, flag)
            self.root = Path(self._base)

    # --- checks ---------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create the directory and prove it is writable, before any work starts."""
        if not self.is_local:
            try:
                self._fs.create_dir(self._base, recursive=True)
            except OSError as exc:
                raise storage_error(self.target, exc, "not writable", self.flag) from None
            return
        if self.root.exists() and not self.root.is_dir():
            raise PolyglyphError(f"--out {self.root} is a file, not a directory")
        probe = self.root / f".polyglyph-probe-{uuid.uuid4().hex}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise PolyglyphError(f"--out {self.root} is not writable: {reason}") from None

    # --- files ----------------------------------------------------------------------------
    def path(self, name: str) -> str:
        return f"{self._base.rstrip('/')}/{name}"

    def exists(self, name: str) -> bool:
        if self.is_local:
            return (self.root / name).is_file()
        from pyarrow import fs as pafs

        return self._fs.get_file_info(self.path(name)).type == pafs.FileType.File

    def size(self, name: str) -> int | None:
        """Size in bytes, or None when the file is missing."""
        if self.is_local:
            try:
                return (self.root / name).stat().st_size
            except OSError:
                return None
        from pyarrow import fs as pafs

        info = self._fs.get_file_info(self.path(name))
        return info.size if info.type == pafs.FileType.File else None

    def read_bytes(self, name: str) -> bytes:
        if self.is_local:
            return (self.root / name).read_bytes()
        with self._fs.open_input_stream(self.path(name)) as f:
            return f.read()

    def file_sha256(self, name: str) -> str | None:
        """sha256 of a file, or None when it is missing or unreadable."""
        try:
            if self.is_local:
                digest = hashlib.sha256()
                with open(self.root / name, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
                return digest.hexdigest()
            return sha256(self.read_bytes(name))
        except (OSError, FileNotFoundError):
            return None

    def write_atomic(self, name: str, data: bytes) -> None:
        if not self.is_local:  # in memory already: one upload, visible only when complete
            with self._fs.open_output_stream(self.path(name)) as f:
                f.write(data)
            return
        with self.open_atomic(name) as sink:
            sink.write(data)
            sink.commit()

    def open_atomic(self, name: str) -> AtomicFile:
        """A file written piece by piece under a temporary name; see `AtomicFile`."""
        return AtomicFile(self, name)

    def move(self, source: str, name: str) -> None:
        """Give a finished temporary file its final name (rename; copy + delete on S3)."""
        if self.is_local:
            os.replace(self.root / source, self.root / name)
            _fsync_dir((self.root / name).parent)
        else:
            self._fs.move(self.path(source), self.path(name))

    def remove(self, name: str) -> None:
        if self.is_local:
            (self.root / name).unlink(missing_ok=True)
        elif self.exists(name):
            self._fs.delete_file(self.path(name))

    def list_names(self) -> list[str]:
        """Files at the root and in `data/` (as `data/NAME`); other folders are not ours."""
        return sorted([*self._files(""), *(f"{DATA}/{n}" for n in self._files(DATA))])

    def _files(self, sub: str) -> list[str]:
        if self.is_local:
            folder = self.root / sub if sub else self.root
            if not folder.is_dir():
                return []
            return [p.name for p in folder.iterdir() if p.is_file()]
        from pyarrow import fs as pafs

        base = self.path(sub) if sub else self._base
        infos = self._fs.get_file_info(pafs.FileSelector(base, allow_not_found=True))
        return [Path(i.path).name for i in infos if i.type == pafs.FileType.File]

    def remove_stale_tmp(self) -> None:
        """Leftovers of killed writers never carry a final name; clear them on start."""
        for name in self.list_names():
            if name.endswith(".tmp"):
                self.remove(name)

    def open_parquet(self, name: str) -> pq.ParquetFile:
        """A Parquet file read in pieces (row groups), not loaded whole."""
        if self.is_local:
            return pq.ParquetFile(self.root / name)
        return pq.ParquetFile(self._fs.open_input_file(self.path(name)))


class AtomicFile:
    """A file that appears under its final name only when complete, written as it is made.

    Bytes go to `NAME.<random>.tmp` (a local file, or an object on a remote filesystem) while
    their sha256 and size are counted, so nothing is held in memory and the file need not be
    read back. `commit` fsyncs and renames (locally) or moves the finished object to its final
    key; `abort` (or leaving the `with` block without a commit) removes the temporary file.
    Object-store uploads cannot be cancelled from pyarrow, which completes them on close: hence
    a temporary key there too, never a partial object under the final name.
    """

    def __init__(self, out: Output, name: str) -> None:
        self.out, self.name = out, name
        self.tmp = f"{name}.{uuid.uuid4().hex[:8]}.tmp"
        self._digest = hashlib.sha256()
        self._size = 0
        self._done = False
        if out.is_local:
            (out.root / name).parent.mkdir(parents=True, exist_ok=True)
            self._file: Any = open(out.root / self.tmp, "wb", buffering=1 << 20)  # noqa: SIM115
        else:
            self._file = out._fs.open_output_stream(out.path(self.tmp))

    # the file-like part pyarrow writers use
    closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._digest.update(view)
        try:
            self._file.write(view)
        except OSError as exc:
            if exc.filename is None:
                exc.filename = self.out.path(self.tmp)
            raise
        self._size += len(view)
        return len(view)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        """Writers flush often; the bytes reach the disk once, in `commit`."""

    def commit(self) -> tuple[int, str]:
        """Make the file final; returns (bytes, sha256)."""
        try:
            if self.out.is_local:
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            self.out.move(self.tmp, self.name)
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError) and exc.filename is None:  # say which file: ENOSPC
                exc.filename = self.out.path(self.tmp)
            raise
        self._done = True
        return self._size, self._digest.hexdigest()

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._file.close()
        except OSError:
            pass
        try:
            self.out.remove(self.tmp)
        except OSError:
            pass

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


LOCK = ".polyglyph.lock"


@contextmanager
def run_lock(out: Output) -> Iterator[None]:
    """One run per local output directory, held with `flock` on `--out/.polyglyph.lock`.

    The kernel drops the lock when its process dies (kill -9 included), so a killed run never
    leaves a lock to take over by hand, and two runs can never both believe they hold it (a
    pid check, then unlink, then create, raced). The file names its holder for the message a
    second run prints. Object stores have no such lock: one run per prefix."""
    if not out.is_local:
        yield
        return
    path = out.root / LOCK
    fd = _acquire(path, out.root)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        yield
    finally:
        path.unlink(missing_ok=True)  # while still locked: the next run makes a new file
        os.close(fd)


def _acquire(path: Path, root: Path) -> int:
    """An fd of `path` locked by this process; the file it locked is still `path` (a run that
    ends unlinks its lock file, so one opened just before would be a lock on nothing)."""
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(path)
            os.close(fd)
            raise PolyglyphError(
                f"--out {root} is being written by another polyglyph run "
                f"(pid {holder.get('pid', '?')} on {holder.get('host', '?')}); "
                "wait for it or use another directory"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _lock_holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
