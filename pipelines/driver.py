"""The one run driver of `generate`, `variants` and `validate`: plan → shards → atomic write →
manifest → stats → resume.

A command describes its run (the manifest header, the planned shards, the shards a previous run
left that can be kept, a shard function) and `drive` does the rest the same way for all three:
the manifest is rewritten atomically after every finished shard, so a driver killed with -9
loses at most the shards in flight, and the next run on the same `--out` keeps every shard whose
hash still matches and makes only the others. Shards are written by the workers themselves
(`pipelines.writers`), tmp + fsync + rename, so a shard appears under its final name only when
complete.

What a planned shard and the manifest are lives in `pipelines.manifest`; what a run may keep,
replace or delete in its `--out` (resume, ownership) in `pipelines.resume`.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from pipelines.errors import PolyglyphError

from .manifest import MANIFEST, ShardJob, lean_entry, now, polyglyph_version, write_json
from .output import Output, is_shard
from .storage import first_line, redact

ShardFn = Callable[[Any, ShardJob, str, Callable[[], None]], dict[str, Any]]
"""(shared inputs, job, output target, on_row) -> result entry of the written shard."""


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


def local_executor(fn: ShardFn, shared: Any, target: str,
                   stall_timeout: float | None = None, command: str = "generate",
                   recycle: bool = False) -> Executor:
    """Shards one after another in this process (preview, tests, one worker). With
    `stall_timeout` the run stops with one line when no row was made and no shard finished
    for that long, as on Ray (`pipelines.local_watch`): the shard in flight leaves no file,
    the finished ones stay listed and the same command resumes. With `recycle` (generate), a
    run of more than RECYCLE_ROWS rows makes them in child processes retired after about that
    many, as Ray workers are (`pipelines.local_recycle`)."""

    def execute(jobs: list[ShardJob], on_result: Callable[[dict[str, Any]], None],
                bar: tqdm) -> None:
        from .local_recycle import run_recycled, wanted
        from .worker_setup import setup_worker

        setup_worker()
        run_jobs: JobRunner = _in_process(fn, shared, target)
        if recycle and wanted(jobs):
            run_jobs = functools.partial(run_recycled, fn, shared, target)
        if stall_timeout is None:
            run_jobs(jobs, lambda job: None, lambda: bar.update(1), on_result)
            return
        _execute_watched(run_jobs, target, jobs, on_result, bar, stall_timeout, command)

    return execute


JobRunner = Callable[[list[ShardJob], Callable[[ShardJob], None], Callable[[], None],
                      Callable[[dict[str, Any]], None]], None]
"""(jobs, started(job), on_row(), on_result(entry)): makes the shards, reporting as it goes."""


def _in_process(fn: ShardFn, shared: Any, target: str) -> JobRunner:
    def run_jobs(jobs: list[ShardJob], started: Callable[[ShardJob], None],
                 on_row: Callable[[], None], on_result: Callable[[dict[str, Any]], None]) -> None:
        for job in jobs:
            started(job)
            on_result(fn(shared, job, target, on_row))

    return run_jobs


def _execute_watched(run_jobs: JobRunner, target: str, jobs: list[ShardJob],
                     on_result: Callable[[dict[str, Any]], None], bar: tqdm,
                     stall_timeout: float, command: str) -> None:
    from .local_watch import Stalled, StallGuard

    state = {"job": jobs[0], "rows": 0, "done": 0}

    def describe() -> str:
        job = state["job"]
        return (f"the local run made no progress for {stall_timeout:g} s (--stall-timeout "
                f"{stall_timeout:g}): {job.name} stuck after {state['rows']} of {job.rows} "
                f"rows; the {state['done']} finished shard(s) in "
                f"{redact(target)} are kept, and the same command resumes")

    def cleanup() -> None:
        Output(target).remove_stale_tmp()

    try:  # around the guard: an alarm that lands as the last shard ends is caught too
        with StallGuard(stall_timeout, describe, cleanup, command) as guard:

            def started(job: ShardJob) -> None:
                state.update(job=job, rows=0)
                guard.moved()

            def on_row() -> None:
                state["rows"] += 1
                guard.moved()
                bar.update(1)

            def finished(entry: dict[str, Any]) -> None:
                on_result(entry)
                state["done"] += 1

            run_jobs(jobs, started, on_row, finished)
    except Stalled as exc:
        raise PolyglyphError(str(exc)) from None


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
    before = _Before.of(run.out)
    write_json(run.out, MANIFEST, run.manifest)
    pending = run.pending
    wall = time.perf_counter()
    bar = tqdm(total=sum(j.rows for j in pending), unit=run.unit, disable=not progress,
               file=sys.stderr, dynamic_ncols=True, mininterval=0.5, desc=run.desc)
    try:
        try:
            if pending:
                execute(pending, run.record, bar)
            run.out.remove_stale_tmp()  # of workers that died mid-shard (their retries finished)
        except OSError as exc:  # disk full, permissions changed mid-run, network filesystem gone
            raise PolyglyphError(os_error_line(exc, run.out)) from None
        finally:
            bar.close()
    except BaseException:
        if not run.made:
            before.restore(run.out)
        raise
    run.elapsed = time.perf_counter() - wall
    run.manifest.update(finished_at=now(), complete=not run.unfinished)
    write_json(run.out, MANIFEST, run.manifest)
    return run


@dataclass(frozen=True)
class _Before:
    """`--out` as the run found it: its manifest's bytes (None: there was none) and its shards.

    The manifest is written before any shard, so that a shard renamed into place just before a
    kill -9 is owned by the next run (`pipelines.resume.own_files`). A run that fails before any
    shard is written (Ray that does not start for an address the early probe let through, a
    worker that fails on its first row, Ctrl-C) has nothing for it to own: the manifest is put
    back as it was, so the failed run leaves `--out` as the user gave it."""

    manifest: bytes | None
    shards: frozenset[str]

    @classmethod
    def of(cls, out: Output) -> _Before:
        manifest = out.read_bytes(MANIFEST) if out.exists(MANIFEST) else None
        return cls(manifest, frozenset(n for n in out.list_names() if is_shard(n)))

    def restore(self, out: Output) -> None:
        """Put the manifest back unless a shard appeared meanwhile (then it must stay owned)."""
        try:
            if any(is_shard(n) and n not in self.shards for n in out.list_names()):
                return
            if self.manifest is None:
                out.remove(MANIFEST)
            else:
                out.write_atomic(MANIFEST, self.manifest)
        except OSError:  # the run's own error says what went wrong; this one would hide it
            pass


def os_error_line(exc: OSError, out: Output) -> str:
    """A run's OSError in one line. One about a file outside --out (a corpus or font file gone
    mid-run) is not a write failure of --out, and is not called one."""
    reason = exc.strerror or first_line(exc)
    where = getattr(exc, "filename", None)
    if where is None:
        return f"cannot write to {redact(out.target)}: {reason}"
    where = str(where)
    if where.startswith(out.path("").rstrip("/")) or where.startswith(out.target):
        return f"cannot write to {redact(where)}: {reason}"
    return f"{redact(where)}: {reason} (during the run into {redact(out.target)})"


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


LOCAL_WORKERS_PER_CORE = 4  # past this a local Ray only multiplies processes and memory


def choose_executor(kind: str, workers: int, pending: int, ray_address: str | None,
                    probe: bool = True) -> str:
    """`auto`: Ray when a cluster is named or more than one worker has work, else local. Ray
    is an extra (`polyglyph[ray]`): the local executor never imports it. A local Ray starts
    (and pre-starts) a worker process per CPU it is given, each loading fonts and corpus: a
    --workers far above this machine's cores is refused before any work, not left to the
    out-of-memory killer. With `probe`, a named cluster must answer (pipelines.ray_executor
    .check_reachable) before any work; a dry run does not probe."""
    named = ray_address or os.environ.get("RAY_ADDRESS")
    if kind == "auto":
        kind = "ray" if named or min(workers, pending) > 1 else "local"
    if kind == "ray":
        require_ray()
        cores = local_cores()
        if not named and workers > LOCAL_WORKERS_PER_CORE * cores:
            raise PolyglyphError(
                f"--workers {workers}: this machine has {cores} core(s), and a local run uses "
                f"at most {LOCAL_WORKERS_PER_CORE * cores} workers (each is a process of its "
                "own); give fewer, or join a cluster with --ray-address")
        if named and probe:
            from .ray_executor import check_reachable

            check_reachable(named, "--ray-address" if ray_address else "RAY_ADDRESS")
    return kind


def local_cores() -> int:
    """This machine's cores, counted as the default --workers counts them (os.cpu_count), so
    the default is never refused."""
    return os.cpu_count() or 1


def require_ray() -> None:
    """Stop before any work when the Ray executor is chosen but Ray is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise PolyglyphError(
            "more than one worker (or a Ray cluster) needs Ray: install polyglyph[ray] "
            "(pip install 'polyglyph[ray]'), or run with --workers 1"
        ) from None
