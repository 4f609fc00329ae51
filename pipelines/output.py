"""Where shards go: a local directory (solid: tmp + fsync + rename) or a pyarrow filesystem URI.

A file appears under its final name only when complete. On object stores (`s3://`, `gs://`) an
upload becomes visible only when it finishes, so writing straight to the final key gives the same
guarantee without a rename (which those stores do not have).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import PolyglyphError

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
}
ROW_GROUP_ROWS = 64


def shard_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Leaf column paths worth dictionary encoding: all but binary ones.

    Encoded images (and dewarp maps) never repeat; trying a dictionary on them first cost a
    third of the Parquet write before the writer fell back to plain pages.
    """
    out: list[str] = []

    def walk(arrow_type: pa.DataType, path: str) -> None:
        if pa.types.is_struct(arrow_type):
            for i in range(arrow_type.num_fields):
                child = arrow_type.field(i)
                walk(child.type, f"{path}.{child.name}")
        elif pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
            walk(arrow_type.value_type, f"{path}.list.element")
        elif not (pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type)):
            out.append(path)

    for field in schema:
        walk(field.type, field.name)
    return out


def table_bytes(table: pa.Table) -> bytes:
    """Parquet bytes with fixed writer settings: the same table always gives the same bytes."""
    sink = pa.BufferOutputStream()
    options = {**PARQUET_OPTIONS, "use_dictionary": _dictionary_columns(table.schema)}
    pq.write_table(table, sink, row_group_size=ROW_GROUP_ROWS, **options)
    return sink.getvalue().to_pybytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Output:
    """A dataset directory: local path or a pyarrow filesystem URI."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.is_local = "://" not in target or target.startswith("file://")
        if self.is_local:
            self.root = Path(target.removeprefix("file://")).expanduser()
            self._fs = None
            self._base = str(self.root)
        else:
            from pyarrow import fs as pafs

            try:
                self._fs, self._base = pafs.FileSystem.from_uri(target)
            except (pa.ArrowInvalid, OSError, ValueError) as exc:
                self._fs, self._base = _fsspec_filesystem(target, exc)
            self.root = Path(self._base)

    # --- checks ---------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create the directory and prove it is writable, before any work starts."""
        if not self.is_local:
            try:
                self._fs.create_dir(self._base, recursive=True)
            except OSError as exc:
                raise PolyglyphError(f"--out {self.target}: not writable: {exc}") from None
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
        if not self.is_local:
            with self._fs.open_output_stream(self.path(name)) as f:
                f.write(data)
            return
        final = self.root / name
        tmp = self.root / f"{name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
            _fsync_dir(self.root)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def remove(self, name: str) -> None:
        if self.is_local:
            (self.root / name).unlink(missing_ok=True)
        elif self.exists(name):
            self._fs.delete_file(self.path(name))

    def list_names(self) -> list[str]:
        if self.is_local:
            if not self.root.is_dir():
                return []
            return sorted(p.name for p in self.root.iterdir() if p.is_file())
        from pyarrow import fs as pafs

        infos = self._fs.get_file_info(pafs.FileSelector(self._base, allow_not_found=True))
        return sorted(Path(i.path).name for i in infos if i.type == pafs.FileType.File)

    def remove_stale_tmp(self) -> None:
        """Leftovers of killed writers never carry a final name; clear them on start."""
        for name in self.list_names():
            if name.endswith(".tmp"):
                self.remove(name)

    def open_parquet(self, name: str) -> pq.ParquetFile:
        return pq.ParquetFile(io.BytesIO(self.read_bytes(name)))


LOCK = ".polyglyph.lock"


@contextmanager
def run_lock(out: Output) -> Iterator[None]:
    """One driver per local output directory. A second run on the same directory would delete
    the first one's temporary files and race on manifest.json; a lock left by a killed run
    (its process is gone) is taken over. Object stores have no such lock: one run per prefix."""
    if not out.is_local:
        yield
        return
    path = out.root / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(path)
            if holder.get("host") not in (None, me["host"]):
                raise PolyglyphError(
                    f"--out {out.root} is locked by a run on host {holder['host']}; "
                    f"delete {path} if that run is gone"
                ) from None
            if _alive(holder.get("pid")):
                raise PolyglyphError(
                    f"--out {out.root} is being written by another polyglyph run "
                    f"(pid {holder['pid']}); wait for it or use another directory"
                ) from None
            path.unlink(missing_ok=True)  # left by a run that was killed
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _lock_holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsspec_filesystem(target: str, arrow_error: Exception) -> tuple[Any, str]:
    """Schemes pyarrow lacks (memory://, gcs via gcsfs, …) through fsspec, when installed."""
    try:
        import fsspec
        from pyarrow.fs import FSSpecHandler, PyFileSystem
    except ImportError:
        raise PolyglyphError(f"--out {target}: cannot open filesystem: {arrow_error}") from None
    try:
        fs, base = fsspec.core.url_to_fs(target)
    except (ImportError, ValueError, OSError) as exc:
        raise PolyglyphError(f"--out {target}: cannot open filesystem: {exc}") from None
    return PyFileSystem(FSSpecHandler(fs)), base


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
