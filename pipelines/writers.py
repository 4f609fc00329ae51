"""Shard writers: open a shard, add rows as they are made, close -> bytes count and sha256.

`Writer` is the seam for output formats (Parquet is the first; the export formats add others);
the run driver and the workers only see `open` / `add` / `close`. A shard is written as its
rows come, in row groups of at most `ROW_GROUP_ROWS` rows and `ROW_GROUP_IMAGE_BYTES` of image
bytes, so a worker holds at most one row group (plus the Parquet pages being encoded), whatever
the shard size and however large its photos.
"""

from __future__ import annotations

import io
import mmap
import tempfile
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .output import AtomicFile, Output

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
    # Parquet checks a page's size only after each batch of values (1024 by default): a row
    # group's 64 JPEGs (~18 MB) went into one page, its encoder buffer grown by doubling and
    # then compressed into another: +50-70 MiB at every row-group write, the top of a
    # worker's peak. Checked after every value, pages stay near `data_page_size`, and where
    # they end no longer depends on how the rows were chunked (see `ParquetShard`)
    "write_batch_size": 1,
}
ROW_GROUP_ROWS = 64
# A row group closes at the row that brings its image bytes to this: 64 wild frames of a few
# megapixels are 40-70 MB, all mapped while the group is written (a worker's peak on a default
# run); the cap counts image bytes only, which are exact whatever the Arrow chunking, so where
# groups end depends on the rows alone
ROW_GROUP_IMAGE_BYTES = 16 << 20


def image_sizes(table: pa.Table) -> list[int]:
    """Bytes of each row's image (`image.bytes` of the datasets Image struct, or a binary
    `image` column); 0 where there is none."""
    if "image" not in table.schema.names:
        return [0] * table.num_rows
    column = table.column("image")
    if pa.types.is_struct(column.type):
        if column.type.get_field_index("bytes") < 0:
            return [0] * table.num_rows
        column = pc.struct_field(column, "bytes")
    if not (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
        return [0] * table.num_rows
    return pc.binary_length(column).fill_null(0).to_pylist()


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


class _Spill:
    """Arrow tables appended to an unlinked temporary file (an Arrow IPC stream) and read back
    as one table through a read-only memory map: rows waiting for their row group are page
    cache, not the worker's heap (where freed JPEG buffers also left holes between the
    blocks of later pages). Writing and mapping ~0.35 MB a row costs well under 1 % of it."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows = 0
        self._file: Any = None
        self._stream: Any = None

    def add(self, table: pa.Table) -> None:
        if self._stream is None:
            self._file = tempfile.TemporaryFile(prefix="polyglyph-rows-")
            self._stream = pa.ipc.new_stream(self._file, self.schema)
        self._stream.write_table(table)
        self.rows += table.num_rows

    def take(self) -> pa.Table:
        """Everything added since the last take as one table (chunked as it came); its
        buffers map the file, whose pages go when the table does."""
        if self._stream is None:
            return self.schema.empty_table()
        self._stream.close()
        self._file.flush()
        mapped = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self.close()  # unlinked already: the mapping keeps the data while the table lives
        return pa.ipc.open_stream(pa.py_buffer(mapped)).read_all()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._stream = None
        self.rows = 0


class ParquetShard:
    """Rows -> row groups of `ROW_GROUP_ROWS` rows, or fewer where their images reach
    `ROW_GROUP_IMAGE_BYTES` (the last group shorter), written from the Arrow chunks as they
    came: with `write_batch_size` 1 every value is its own write batch, so no batch spans a
    chunk border and a page ends where its size says, whatever the chunking. Where a group ends
    depends only on the rows (their count and image bytes), so the bytes do not depend on how
    the rows were batched on the way in; with small images they equal
    `pq.write_table(whole, row_group_size=64)` (joining the chunks first, as before, copied a
    row group once more: ~23 MB of a default run's 64 rows).

    Rows waiting for their row group wait in a spill file (`_Spill`), not in the heap: a
    worker's peak comes from its largest page, made on top of everything held then, and most
    pages come in the middle of a row group."""

    def __init__(self, sink: Any, schema: pa.Schema, on_close: Any = None) -> None:
        self.schema = schema
        options = {**PARQUET_OPTIONS, "use_dictionary": _dictionary_columns(schema)}
        self._sink = sink
        self._writer = pq.ParquetWriter(sink, schema, **options)
        self._pending = _Spill(schema)
        self._open_rows = 0  # rows and image bytes of the group still being filled
        self._open_bytes = 0
        self._rows = 0
        self._on_close = on_close

    def add(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        rows = rows.cast(self.schema) if rows.schema != self.schema else rows
        complete: list[int] = []
        for size in image_sizes(rows):
            self._open_rows += 1
            self._open_bytes += size
            if self._open_rows >= ROW_GROUP_ROWS or self._open_bytes >= ROW_GROUP_IMAGE_BYTES:
                complete.append(self._open_rows)
                self._open_rows = self._open_bytes = 0
        self._pending.add(rows)
        if complete:
            self._flush(complete)

    def _flush(self, groups: list[int]) -> None:
        """Write the pending rows' first groups of these sizes (the shard's last rows at close)."""
        whole = self._pending.take()  # chunked as the rows came (see the class docstring)
        start = 0
        for count in groups:
            self._writer.write_table(whole.slice(start, count), row_group_size=count)
            start += count
        rest = whole.slice(start)
        del whole
        if rest.num_rows:
            self._pending.add(rest)
        self._rows += start

    def close(self) -> WrittenShard:
        try:
            if self._pending.rows:
                self._flush([self._pending.rows])
            self._pending.close()
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
        self._pending.close()
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
