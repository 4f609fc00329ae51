"""The shard plan and the manifest file of a run: what a planned shard is, what the manifest
lists of a finished one, and how manifest.json is read (types checked, one-line errors naming
the file) and written (atomically, after every shard: see `pipelines.driver`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NotRequired, TypedDict

from pipelines.errors import PolyglyphError

from .output import Output, shard_name

MANIFEST = "manifest.json"
STATS = "stats.json"
CARD = "README.md"
MANIFEST_FAILURES = 20
WORKER_KEYS = ("cpu_seconds", "context_seconds", "peak_rss_mib", "memory_mib", "nice", "worker",
               "span", "rss_at_first_shard_mib", "thread_cpu_seconds", "involuntary_switches")
"""Per-shard measurements of the worker process that made it (stats.json, not the manifest)."""


@dataclass(frozen=True)
class ShardJob:
    """One planned shard: sample indices [start, stop) into the file `name`."""

    index: int
    start: int
    stop: int
    file: str | None = None  # other than data/part-NNNNN.parquet (validate keeps input names)

    @property
    def rows(self) -> int:
        return self.stop - self.start

    @property
    def name(self) -> str:
        return self.file or shard_name(self.index)


class ShardEntry(TypedDict):
    """A finished shard as the manifest lists it (workers' results carry more: see `lean`)."""

    index: int
    file: str
    rows: int
    bytes: int
    sha256: str
    first_index: NotRequired[int]
    planned_rows: NotRequired[int]
    seconds: NotRequired[float]
    build: NotRequired[str | None]
    failed: NotRequired[int]
    failures: NotRequired[list[dict[str, Any]]]
    input_sha256: NotRequired[str | None]
    status: NotRequired[dict[str, int]]


class Manifest(TypedDict):
    """manifest.json: the header a command gives, then the driver's fields."""

    format: str
    polyglyph_version: str
    started_at: str
    finished_at: str | None
    complete: bool
    shards: list[ShardEntry]




MAX_SHARDS = 1_000_000  # the plan (and the manifest) lists every shard up front


def plan_shards(num: int, shard_rows: int) -> list[ShardJob]:
    """Shard k holds sample indices [k*R, min((k+1)*R, num))."""
    count = -(-num // shard_rows)
    if count > MAX_SHARDS:
        raise PolyglyphError(
            f"--num {num} with --shard-rows {shard_rows} makes {count} shards, over "
            f"{MAX_SHARDS}; use larger shards or split the run"
        )
    return [
        ShardJob(k, start, min(start + shard_rows, num))
        for k, start in enumerate(range(0, num, shard_rows))
    ]


def polyglyph_version() -> str:
    try:
        return version("polyglyph")
    except PackageNotFoundError:
        return "0+unknown"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_json(out: Output, name: str) -> dict[str, Any] | None:
    """A JSON file of the output, None when missing; unreadable is an error naming the file."""
    if not out.exists(name):
        return None
    try:
        data = json.loads(out.read_bytes(name))
    except (OSError, ValueError):
        raise PolyglyphError(
            f"{out.path(name)} is unreadable; use --overwrite to start over"
        ) from None
    if not isinstance(data, dict):
        raise PolyglyphError(f"{out.path(name)} is not a JSON object; use --overwrite")
    wrong = manifest_shape_error(data) if name == MANIFEST else None
    if wrong:
        raise PolyglyphError(f"{out.path(name)} is not a polyglyph manifest ({wrong}); "
                             "use --overwrite")
    return data


def read_manifest(out: Output) -> dict[str, Any] | None:
    return read_json(out, MANIFEST)


def manifest_shape_error(data: dict[str, Any]) -> str | None:
    """What is wrong with the types of a manifest's fields a resume reads (None: usable)."""
    for key in ("config_hash", "format", "kind"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            return f"`{key}` is {type(data[key]).__name__}, not a string"
    shards = data.get("shards", [])
    if not isinstance(shards, list):
        return f"`shards` is {type(shards).__name__}, not a list"
    for n, entry in enumerate(shards):
        if not isinstance(entry, dict):
            return f"shards[{n}] is {type(entry).__name__}, not an object"
        for key, kind in (("index", int), ("file", str), ("rows", int), ("sha256", str)):
            if key in entry and not isinstance(entry[key], kind):
                return f"shards[{n}].{key} is {type(entry[key]).__name__}, not {kind.__name__}"
    return None


def write_json(out: Output, name: str, data: Any) -> None:
    out.write_atomic(name, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode())



def lean_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """What the manifest keeps of a shard result: small and fixed-size, because the manifest is
    rewritten after every shard (counts by language alone can hold hundreds of keys)."""
    lean = {k: v for k, v in entry.items()
            if k not in ("stats", "text_sets", "stage_seconds", "failures", "problems",
                         *WORKER_KEYS)}
    failures = entry.get("failures", [])
    lean["failed"] = len(failures)
    lean["failures"] = failures[:MANIFEST_FAILURES]
    return lean

