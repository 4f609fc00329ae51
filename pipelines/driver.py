"""The one run driver of `generate`, `variants` and `validate`: plan → shards → atomic write →
manifest → stats → resume.

A command describes its run (the manifest header, the planned shards, the shards a previous run
left that can be kept, a shard function) and `drive` does the rest the same way for all three:
the manifest is rewritten atomically after every finished shard, so a driver killed with -9
loses at most the shards in flight, and the next run on the same `--out` keeps every shard whose
hash still matches and makes only the others. Shards are written by the workers themselves
(`pipelines.writers`), tmp + fsync + rename, so a shard appears under its final name only when
complete.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NotRequired, TypedDict

from tqdm import tqdm

from pipelines.errors import PolyglyphError

from .output import DATA, LOCK, Output, is_shard, run_lock, shard_name
from .storage import first_line, redact

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


ShardFn = Callable[[Any, ShardJob, str, Callable[[], None]], dict[str, Any]]
"""(shared inputs, job, output target, on_row) -> result entry of the written shard."""


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


@contextmanager
def open_output(target: str) -> Iterator[Output]:
    """The output of a run: checked writable, locked for this run, stale temporaries cleared."""
    out = Output(target)
    if out.is_local:
        out = Output(str(out.root.resolve()))
    out.prepare()
    with run_lock(out):
        out.remove_stale_tmp()
        yield out


def part_names(out: Output) -> list[str]:
    """Every shard file in `out`: `data/part-*.parquet` and any left at the root."""
    return [n for n in out.list_names() if is_shard(n)]


def refuse_old_layout(out: Output, parts: list[str]) -> None:
    """A dataset made before shards moved to `data/` is read as it is, but not resumed into:
    its shards would sit beside new ones under another name."""
    old = [n for n in parts if not n.startswith(f"{DATA}/")]
    if old:
        raise PolyglyphError(
            f"--out {out.target} holds shards at its top level ({old[0]}…), the layout before "
            f"shards moved to {DATA}/; use --overwrite to remake them, or another directory"
        )


def own_files(manifest: dict[str, Any] | None, jobs: list[ShardJob],
              side_files: tuple[str, ...]) -> set[str]:
    """Files a run of ours made or may make here. With no manifest: none (the manifest is
    written before any shard). With one: it, the shards it lists or planned, this run's
    planned shards (a shard renamed into place just before a kill -9 is not listed yet) and the
    side files the run writes (stats.json, README.md…)."""
    if manifest is None:
        return set()
    names = {MANIFEST, *side_files, *(job.name for job in jobs)}
    names.update(str(e.get("file")) for e in manifest.get("shards", []))
    names.update(shard_name(i) for i in range(int(manifest.get("num_shards") or 0)))
    return names


def refuse_foreign(out: Output, manifest: dict[str, Any] | None, jobs: list[ShardJob],
                   side_files: tuple[str, ...]) -> None:
    """polyglyph replaces or deletes only files it made: any other file in `--out` (a README.md
    of the user's, notes, another dataset's shards) stops the run unless --overwrite."""
    ours = own_files(manifest, jobs, side_files)
    foreign = [n for n in out.list_names() if n not in ours and not _ours_anyway(n)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        why = f"no {MANIFEST} of a polyglyph run" if manifest is None else f"not in its {MANIFEST}"
        raise PolyglyphError(
            f"--out {out.target} holds files polyglyph did not make ({shown}; {why}); "
            "use another directory, or --overwrite to replace polyglyph's files there"
        )


def _ours_anyway(name: str) -> bool:
    return name == LOCK or name.endswith(".tmp")


def resume_plan(
    out: Output,
    manifest: dict[str, Any] | None,
    chash: str,
    jobs: list[ShardJob],
    overwrite: bool,
    build: str | None = None,
    check: str = "sha256",
    side_files: tuple[str, ...] = (STATS, CARD),
) -> dict[int, dict[str, Any]]:
    """Shards that can be kept (hash verified). Refuses a foreign or different-config directory,
    and never deletes a shard without --overwrite."""
    parts = part_names(out)
    if overwrite:
        for name in [*parts, MANIFEST, *side_files]:
            out.remove(name)
        return {}
    if manifest is not None:
        refuse_old_layout(out, parts)
    refuse_foreign(out, manifest, jobs, side_files)
    if manifest is None:
        return {}
    if manifest.get("config_hash") != chash:
        raise PolyglyphError(
            f"--out {out.target} holds a run with a different config "
            f"(hash {str(manifest.get('config_hash'))[:12]} != {chash[:12]}); "
            "use --overwrite or another directory"
        )
    if build is not None and manifest.get("build") not in (None, build):
        raise PolyglyphError(
            f"--out {out.target} was made by other polyglyph code, libraries or fonts "
            f"(build {str(manifest.get('build'))[:12]} != {build[:12]}), so its shards would "
            "not match new ones; use --overwrite or another directory"
        )
    beyond = sorted(set(parts) - {job.name for job in jobs})
    if beyond:
        raise PolyglyphError(
            f"--out {out.target} holds {len(beyond)} shard(s) past this run's end "
            f"({beyond[0]}…): a smaller --num would drop them; use the same --num, or "
            "--overwrite to delete them"
        )
    planned = {job.index: job for job in jobs}
    kept: dict[int, dict[str, Any]] = {}
    for entry in manifest.get("shards", []):
        job = planned.get(int(entry["index"]))
        if job is None or entry.get("planned_rows") != job.rows:
            continue
        if check == "size":
            intact = out.size(job.name) == entry.get("bytes")
        else:
            intact = out.file_sha256(job.name) == entry.get("sha256")
        if intact:
            kept[job.index] = entry
    return kept


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


@dataclass
class Run:
    """One run of a command on one output: what to make and what is already there."""

    out: Output
    header: dict[str, Any]  # manifest fields of the command (config, hashes, kind…)
    jobs: list[ShardJob]
    kept: dict[int, dict[str, Any]]  # from a previous run, hash verified
    desc: str = "generate"
    unit: str = "sample"
    lean: Callable[[dict[str, Any]], dict[str, Any]] = lean_entry
    check: Callable[[dict[str, Any]], None] | None = None  # raises on a result to refuse
    manifest: dict[str, Any] = field(default_factory=dict)
    made: dict[int, dict[str, Any]] = field(default_factory=dict)
    # shards a task could not finish (e.g. a judge gave no answer): not in the manifest, so
    # the same command makes them again; the command decides what that means for its exit
    unfinished: dict[int, dict[str, Any]] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def pending(self) -> list[ShardJob]:
        return [job for job in self.jobs if job.index not in self.kept]

    def record(self, entry: dict[str, Any]) -> None:
        """A finished shard: into the manifest at once (rewritten atomically)."""
        if entry.get("unfinished"):
            self.unfinished[entry["index"]] = entry
            return
        if self.check is not None:
            self.check(entry)
        self.made[entry["index"]] = entry
        self.kept[entry["index"]] = self.lean(entry)
        self.manifest["shards"] = [self.kept[k] for k in sorted(self.kept)]
        write_json(self.out, MANIFEST, self.manifest)


Executor = Callable[[list[ShardJob], Callable[[dict[str, Any]], None], tqdm], None]
"""Runs the pending shard jobs, calling `on_result` with each finished shard's entry."""


def local_executor(fn: ShardFn, shared: Any, target: str) -> Executor:
    """Shards one after another in this process (preview, tests, one worker)."""

    def execute(jobs: list[ShardJob], on_result: Callable[[dict[str, Any]], None],
                bar: tqdm) -> None:
        from .worker_setup import setup_worker

        setup_worker()
        for job in jobs:
            on_result(fn(shared, job, target, lambda: bar.update(1)))

    return execute


STALL_TIMEOUT = 1800.0  # seconds with no shard finished and no row made: far above a healthy row
STALL_RANGE = (10.0, 604_800.0)  # a week at most: every wait has a total timeout


def ray_executor(fn: ShardFn, shared: Any, target: str, ray_address: str | None,
                 workers: int, stall_timeout: float = STALL_TIMEOUT) -> Executor:
    """One Ray task per shard (pipelines.ray_executor); the run stops with one line when
    nothing moves for `stall_timeout` seconds (a hung task, a cluster that never starts one)."""

    def execute(jobs: list[ShardJob], on_result: Callable[[dict[str, Any]], None],
                bar: tqdm) -> None:
        from .ray_executor import run_ray

        run_ray(fn, shared, jobs, target, on_result, bar, ray_address, workers, stall_timeout)

    return execute


def drive(run: Run, execute: Executor, progress: bool = True) -> Run:
    """Make every pending shard of `run` with `execute`; the manifest follows each shard and is
    marked complete at the end. Returns the run with its final manifest and made entries."""
    run.manifest = {
        "format": "polyglyph-shards/1",
        "polyglyph_version": polyglyph_version(),
        **run.header,
        "started_at": now(),
        "finished_at": None,
        "complete": False,
        "shards": [run.kept[k] for k in sorted(run.kept)],
    }
    write_json(run.out, MANIFEST, run.manifest)
    pending = run.pending
    wall = time.perf_counter()
    bar = tqdm(total=sum(j.rows for j in pending), unit=run.unit, disable=not progress,
               file=sys.stderr, dynamic_ncols=True, mininterval=0.5, desc=run.desc)
    try:
        if pending:
            execute(pending, run.record, bar)
        run.out.remove_stale_tmp()  # of workers that died mid-shard (their retries finished)
    except OSError as exc:  # disk full, permissions changed mid-run, network filesystem gone
        where = getattr(exc, "filename", None) or redact(run.out.target)
        raise PolyglyphError(f"cannot write to {where}: {exc.strerror or first_line(exc)}"
                             ) from None
    finally:
        bar.close()
    run.elapsed = time.perf_counter() - wall
    run.manifest.update(finished_at=now(), complete=not run.unfinished)
    write_json(run.out, MANIFEST, run.manifest)
    return run


def count_totals(run: Run, counts_of: Callable[[str], dict[str, dict[str, int]]]
                 ) -> dict[str, dict[str, int]]:
    """Counts by key over the whole dataset: made shards from their workers' reports, kept
    shards read back from their files (`counts_of(file name)`)."""
    totals: dict[str, Counter[str]] = {}
    for entry in run.manifest["shards"]:
        fresh = run.made.get(entry["index"])
        counts = fresh["stats"] if fresh else counts_of(entry["file"])
        for key, by_value in counts.items():
            totals.setdefault(key, Counter()).update(by_value)
    return {key: dict(sorted(c.items())) for key, c in sorted(totals.items())}


def choose_executor(kind: str, workers: int, pending: int, ray_address: str | None) -> str:
    """`auto`: Ray when a cluster is named or more than one worker has work, else local. Ray
    is an extra (`polyglyph[ray]`): the local executor never imports it."""
    if kind == "auto":
        named = ray_address or os.environ.get("RAY_ADDRESS")
        kind = "ray" if named or min(workers, pending) > 1 else "local"
    if kind == "ray":
        require_ray()
    return kind


def require_ray() -> None:
    """Stop before any work when the Ray executor is chosen but Ray is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise PolyglyphError(
            "more than one worker (or a Ray cluster) needs Ray: install polyglyph[ray] "
            "(pip install 'polyglyph[ray]'), or run with --workers 1"
        ) from None
