"""Shard writers: open a shard, add rows as they are made, close -> bytes count and sha256.

`Writer` is the seam for output formats (Parquet is the first; the export formats add others);
the run driver and the workers only see `open` / `add` / `close`. A shard is written as its
rows come, in row groups of a fixed number of rows, so a worker holds at most one row group
(plus the Parquet pages being encoded), whatever the shard size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from .output import AtomicFile, Output

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
}
ROW_GROUP_ROWS = 64


@dataclass(frozen=True)
class WrittenShard:
    """What a closed shard is: its file name, row count, size and sha256 of its bytes."""

    file: str
    rows: int
    bytes: int
    sha256: str


class ShardWriter(Protocol):
    """One shard being written; nothing appears under its final name before `close`."""

    def add(self, rows: pa.Table) -> None: ...

    def close(self) -> WrittenShard: ...

    def abort(self) -> None: ...


class Writer(Protocol):
    """An output format: opens shard writers on an output (directory or object store)."""

    def open(self, out: Output, name: str, schema: pa.Schema) -> ShardWriter: ...


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


class ParquetShard:
    """Rows -> row groups of exactly ROW_GROUP_ROWS rows (the last one shorter), each from one
    chunk per column: Parquet pages follow Arrow chunks, so the bytes do not depend on how the
    rows were batched on the way in, and equal `pq.write_table(whole, row_group_size=64)`."""

    def __init__(self, sink: Any, schema: pa.Schema, on_close: Any = None) -> None:
        self.schema = schema
        options = {**PARQUET_OPTIONS, "use_dictionary": _dictionary_columns(schema)}
        self._sink = sink
        self._writer = pq.ParquetWriter(sink, schema, **options)
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._rows = 0
        self._on_close = on_close

    def add(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        self._pending.append(rows.cast(self.schema) if rows.schema != self.schema else rows)
        self._pending_rows += rows.num_rows
        while self._pending_rows >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, count: int) -> None:
        # the small tables go before the write, not after it: a row group of wild rows is
        # ~64 MB of JPEG bytes, held once as the joined table instead of twice (same table)
        pending, self._pending = self._pending, []
        whole = pa.concat_tables(pending).combine_chunks()
        del pending
        self._writer.write_table(whole.slice(0, count), row_group_size=ROW_GROUP_ROWS)
        rest = whole.slice(count)
        self._pending = [rest.combine_chunks()] if rest.num_rows else []
        self._pending_rows = rest.num_rows
        self._rows += count

    def close(self) -> WrittenShard:
        try:
            if self._pending_rows:
                self._flush(self._pending_rows)
            # an empty shard (variants whose images were all skipped) has no row group: a
            # 0-row group makes `datasets` fail on the whole folder (it sizes batches by it)
            self._writer.close()
        except BaseException:
            self.abort()
            raise
        size, digest = self._on_close() if self._on_close else (0, "")
        return WrittenShard(file=getattr(self._sink, "name", ""), rows=self._rows, bytes=size,
                            sha256=digest)

    def abort(self) -> None:
        try:
            self._writer.close()
        except (OSError, pa.ArrowException):
            pass
        if isinstance(self._sink, AtomicFile):
            self._sink.abort()

    def __enter__(self) -> ParquetShard:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None:
            self.abort()


class ParquetWriter:
    """HF-compatible Parquet shards (zstd, fixed options, `huggingface` schema metadata)."""

    suffix = ".parquet"

    def open(self, out: Output, name: str, schema: pa.Schema) -> ParquetShard:
        sink = out.open_atomic(name)
        try:
            return ParquetShard(sink, schema, on_close=sink.commit)
        except BaseException:
            sink.abort()
            raise


PARQUET = ParquetWriter()


def table_bytes(table: pa.Table) -> bytes:
    """Parquet bytes of a whole table, through the same shard writer as a run: the same table
    always gives the same bytes, however it was chunked."""
    sink = io.BytesIO()
    shard = ParquetShard(sink, table.schema)
    shard.add(table)
    shard.close()
    return sink.getvalue()
