"""A local user corpus sent with a cluster job, so no node needs the file at the driver's path.

On Ray, the driver packs each local `--corpus` source once: the bytes of its files (uint8
arrays, which Ray's object store hands to every worker on a node without a copy) and the
driver's own index of them (line offsets, Parquet row groups). A worker installs the packs
before its first sample, and `open_corpus` then serves those specs from memory through the
same `StreamedCorpus`: the same files in the same order with the same offsets, so row i is the
same text and every page the same bytes as a local run. Corpora on an object store
(`s3://…`) are not packed: every worker streams them itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fonts_manifest.corpus_stream import CHUNK, StreamedCorpus, _File, open_corpus
from fonts_manifest.errors import PolyglyphError

SHIP_LIMIT = 2 << 30
"""Bytes of local corpus one job may carry through the object store (a larger one belongs on
an object store, where every worker streams it)."""

_INSTALLED: dict[str, PackedCorpus] = {}


@dataclass(frozen=True)
class PackedCorpus:
    """One corpus spec as a worker needs it: its index and its files' bytes by path."""

    spec: str
    column: str
    files: list[_File]
    data: dict[str, np.ndarray] = field(repr=False)

    @property
    def size(self) -> int:
        return sum(int(a.nbytes) for a in self.data.values())


class MemoryFiles:
    """The two calls `StreamedCorpus` makes of a filesystem, answered from bytes in memory."""

    def __init__(self, data: dict[str, np.ndarray]) -> None:
        self.data = data

    def open_input_file(self, path: str) -> Any:
        import pyarrow as pa

        return pa.BufferReader(pa.py_buffer(self.data[path]))

    def open_input_stream(self, path: str) -> Any:
        return self.open_input_file(path)


def is_local(spec: str) -> bool:
    return "://" not in spec or spec.startswith("file://")


def pack(spec: str, budget: int = SHIP_LIMIT,
         read: dict[str, np.ndarray] | None = None) -> PackedCorpus:
    """Index and read a local corpus spec whole, refusing one over `budget` new bytes. Files
    already in `read` (another column of the same parallel file) are shared, not read again:
    one object in the object store."""
    read = {} if read is None else read
    corpus = open_corpus(spec)
    fresh = [f for f in corpus.files if f.path not in read]
    total = sum(corpus.filesystem.get_file_info(f.path).size or 0 for f in fresh)
    if total > budget:
        raise PolyglyphError(
            f"--corpus {spec}: {total / 2**30:.1f} GiB is too much to send to Ray workers with "
            f"the job (limit {SHIP_LIMIT / 2**30:.1f} GiB); put it on an object store "
            "(s3://…), which every worker streams")
    for entry in fresh:
        buffer = bytearray()
        with corpus.filesystem.open_input_stream(entry.path) as handle:
            while chunk := handle.read(CHUNK):
                buffer += chunk
        read[entry.path] = np.frombuffer(buffer, np.uint8)
    data = {entry.path: read[entry.path] for entry in corpus.files}
    return PackedCorpus(spec, corpus.column, corpus.files, data)


def pack_local(specs: Iterable[str]) -> tuple[PackedCorpus, ...]:
    """Packs of the local specs among `specs` (URIs stay out: workers read them there),
    within one `SHIP_LIMIT` for the whole job, each file once."""
    packs: list[PackedCorpus] = []
    read: dict[str, np.ndarray] = {}
    for spec in sorted(set(specs)):
        if is_local(spec):
            before = sum(int(a.nbytes) for a in read.values())
            packs.append(pack(spec, SHIP_LIMIT - before, read))
    return tuple(packs)


def install(packs: Iterable[PackedCorpus]) -> None:
    """Make `open_corpus` serve these specs from memory in this process (a worker)."""
    for packed in packs:
        _INSTALLED[packed.spec] = packed


def installed(spec: str) -> StreamedCorpus | None:
    """The corpus of an installed pack, or None when this spec was not shipped."""
    packed = _INSTALLED.get(spec)
    if packed is None:
        return None
    return StreamedCorpus(spec=spec, column=packed.column, files=packed.files,
                          filesystem=MemoryFiles(packed.data))
