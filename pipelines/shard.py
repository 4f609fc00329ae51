"""Worker side of a run: make one shard of sample indices, write it, report its hash and stats.

A shard is the unit of work, retry and resume. Its rows are in index order and its bytes depend
only on (resolved config, shard index), so any worker on any node may make it, any number of
times, and the result is the same file.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from pipelines.errors import PolyglyphError

from .driver import ShardJob
from .output import Output
from .provenance import build_digest
from .rows import SCHEMA, rows_to_table
from .sample import StageClock, make_row, worker_context
from .writers import PARQUET

FAIL_ENV = "POLYGLYPH_TEST_FAIL_INDICES"
"""Test hook: comma-separated sample indices whose making raises, to exercise failure reports."""
OUR_PACKAGES = ("synth", "warping", "qa_factory", "fonts_manifest", "pipelines")
CRASH_ENV = "POLYGLYPH_TEST_CRASH_MARKER"
"""Test hook: when set to a path that does not exist yet, the worker creates it and dies hard
(os._exit) mid-shard, once; the retried task finds the marker and completes."""


def count_stats(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {
        key: dict(sorted(Counter(str(r[key]) for r in rows).items()))
        for key in STAT_KEYS
    }


STAT_KEYS = ("language", "script", "scene", "profile")


def counts_from_file(out: Output, name: str) -> dict[str, dict[str, int]]:
    """Counts of a finished shard read back from its columns (for shards kept by a resume)."""
    import io

    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(out.read_bytes(name)), columns=list(STAT_KEYS))
    return count_stats(table.to_pylist())


def make_shard(
    config: dict[str, Any],
    config_hash: str,
    job: ShardJob,
    out_target: str,
    on_row: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Make, write and describe one shard. Failed samples are skipped and reported, not fatal."""
    started, cpu_started, started_at = time.perf_counter(), time.process_time(), time.time()
    usage_started = Usage.now()
    if not _RSS_AT_FIRST_SHARD:
        _RSS_AT_FIRST_SHARD.append(current_rss_mib())
    ctx = worker_context(config, config_hash)
    context_seconds = time.perf_counter() - started  # > 0 only on a worker's first shard
    clock = StageClock()
    rows: list[dict[str, Any]] = []
    counted: list[dict[str, str]] = []
    failures: list[dict[str, Any]] = []
    out = Output(out_target)
    judges = config.get("validate_judges")
    with tempfile.TemporaryDirectory(prefix="polyglyph-stage-") if judges else nullcontext() as stage:
        # with inline validation the rows go to a local staging file first: which rows are kept
        # is chosen over the whole shard, so the final file is written in a second pass
        shard = PARQUET.open(Output(stage) if stage else out, job.name, SCHEMA)
        with shard:
            for index in range(job.start, job.stop):
                try:
                    _maybe_fail_for_test(index)
                    rows.append(make_row(config, index, ctx, clock))
                    if len(rows) == ARROW_BATCH_ROWS:
                        shard.add(_to_arrow(rows, counted))
                        rows = []
                        clock.lap("parquet")
                except PolyglyphError:
                    raise
                except Exception as exc:  # one bad sample must not sink a long run; reported
                    failures.append(_failure(index, exc))
                if on_row is not None:
                    on_row()
                if index == job.start + job.rows // 2:
                    _maybe_crash_for_test()
                clock.lap("failed" if failures and failures[-1]["index"] == index else "other")
            shard.add(_to_arrow(rows, counted))
            written = shard.close()
        clock.lap("parquet")
        if stage:
            written = _validate_inline(Output(stage), job.name, out, judges)
            clock.lap("validate")
    return {
        "index": job.index,
        "file": job.name,
        "first_index": job.start,
        "rows": len(counted),
        "planned_rows": job.rows,
        "bytes": written.bytes,
        "sha256": written.sha256,
        "seconds": round(time.perf_counter() - started, 3),
        "build": build_digest(tuple(config["font_dirs"])),
        "stats": count_stats(counted),
        "stage_seconds": {k: round(v, 4) for k, v in sorted(clock.seconds.items())},
        "failures": failures,
        **worker_measurements(cpu_started, context_seconds, started_at, usage_started),
    }


@dataclass(frozen=True)
class Usage:
    """CPU and involuntary context switches of the calling thread alone, at one moment."""

    thread_cpu: float
    involuntary_switches: int

    @staticmethod
    def now() -> Usage:
        return Usage(time.thread_time(), resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw)


_RSS_AT_FIRST_SHARD: list[float] = []
"""RSS of this process when it entered its first shard (runtime and imports, no pages made yet;
the local executor has also loaded the font registry by then): for a Ray worker that is Ray's
own footprint plus our imports, which its peak RSS also counts."""
_PEAK_REPORTED = [0.0]
"""The peak RSS this process reported last: the by-mapping split of memory (~20 ms of smaps
reading) is taken only at the end of shards that raised it, where the peak's makeup is."""


def worker_measurements(
    cpu_started: float, context_seconds: float, started_at: float, usage: Usage | None = None
) -> dict[str, Any]:
    """What this shard cost the worker process: CPU seconds of all its threads, its peak RSS so
    far (ru_maxrss: anonymous and file-backed pages), who it was and when (wall clock, to see
    how busy the workers were). Ray workers are not children the driver waits for, so the
    driver's rusage never sees them.

    Beside the process CPU: the CPU of the thread that made the rows (the rest is other
    threads: Ray's core worker, Arrow's pools) and how often that thread was preempted
    (involuntary context switches: other processes on a full machine, whose cache traffic makes
    the same work cost more CPU)."""
    end = Usage.now()  # before the smaps reading below, like cpu_seconds
    cpu_seconds = time.process_time() - cpu_started
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    new_peak = peak > _PEAK_REPORTED[0]
    _PEAK_REPORTED[0] = max(peak, _PEAK_REPORTED[0])
    measured = {
        "span": [round(started_at, 3), round(time.time(), 3)],
        "cpu_seconds": round(cpu_seconds, 3),
        "context_seconds": round(context_seconds, 3),
        "peak_rss_mib": peak,
        "rss_at_first_shard_mib": _RSS_AT_FIRST_SHARD[0] if _RSS_AT_FIRST_SHARD else 0.0,
        "memory_mib": memory_now(by_mapping=new_peak),
        "nice": os.getpriority(os.PRIO_PROCESS, 0),  # Ray's default for workers is 15
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    if usage is not None:
        measured["thread_cpu_seconds"] = round(end.thread_cpu - usage.thread_cpu, 3)
        measured["involuntary_switches"] = end.involuntary_switches - usage.involuntary_switches
    return measured


def current_rss_mib() -> float:
    """VmRSS of this process now (Linux); 0.0 elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
_SMAPS_LINE = re.compile(r"^([0-9a-f]+-[0-9a-f]+ .*)$|^(Rss|Pss|Anonymous):\s+(\d+)", re.M)


def memory_now(by_mapping: bool = False) -> dict[str, float]:
    """This process's memory now (Linux): RSS, PSS (shared pages divided among their users),
    anonymous (heap, arrays) and file-backed; {} elsewhere.

    `by_mapping` also splits the file-backed part (full /proc/self/smaps, ~20 ms): font files,
    the part of those in a file's second and later mappings (RSS counts a page once per
    mapping, and Pillow at each size, FreeType and HarfBuzz each map a font file: those pages
    add RSS but no memory), and Ray's own libraries (`ray/` in the path)."""
    if not by_mapping:
        return _memory_rollup()
    kib = Counter[str]()
    seen_fonts: set[str] = set()
    kinds: tuple[str, ...] = ()
    try:
        with open("/proc/self/smaps") as f:
            text = f.read()
    except OSError:
        return {}
    for header, field, value in _SMAPS_LINE.findall(text):
        if header:
            parts = header.split(maxsplit=5)
            name = parts[5].strip() if len(parts) > 5 else ""
            if name.endswith(FONT_SUFFIXES):
                kinds = ("fonts", "fonts_mapped_again") if name in seen_fonts else ("fonts",)
                seen_fonts.add(name)
            else:
                kinds = ("ray_libraries",) if f"{os.sep}ray{os.sep}" in name else ()
            continue
        kib[field] += int(value)
        if field == "Rss":
            for kind in kinds:
                kib[kind] += int(value)
    mib = {key.lower(): round(kib[key] / 1024, 1) for key in
           ("Rss", "Pss", "Anonymous", "fonts", "fonts_mapped_again", "ray_libraries")}
    mib["file_backed"] = round((kib["Rss"] - kib["Anonymous"]) / 1024, 1)
    return mib


def _memory_rollup() -> dict[str, float]:
    try:
        with open("/proc/self/smaps_rollup") as f:
            kib = {p[0].rstrip(":"): int(p[1]) for p in (ln.split() for ln in f)
                   if len(p) == 3 and p[2] == "kB"}
    except OSError:
        return {}
    rss, anon = kib.get("Rss", 0), kib.get("Anonymous", 0)
    return {"rss": round(rss / 1024, 1), "pss": round(kib.get("Pss", 0) / 1024, 1),
            "anonymous": round(anon / 1024, 1), "file_backed": round((rss - anon) / 1024, 1)}


ARROW_BATCH_ROWS = 2
"""Rows become Arrow this often: a wild row is ~1.4 MB as Python lists and ~0.3 MB as columns.
8-row shards went from 16 (one conversion per shard) to 2: peak RSS 514-526 -> 504 MiB over 8
shards; conversion plus Parquet 3.1-3.3 CPU ms/row either way."""


def _validate_inline(stage: Output, name: str, out: Output, judge_names: list[str]) -> Any:
    """The same cross-validation as `polyglyph validate`, from the staged shard to its final
    file (rows streamed, never the whole shard in memory)."""
    from qa_factory.judges import get_judge
    from qa_factory.validate import ValidationRules

    from .validate_cli import validate_parquet

    judges = [get_judge(judge) for judge in judge_names]
    written, _ = validate_parquet(stage.open_parquet(name), out, name, judges, ValidationRules(),
                                  8, lambda rows: None, schema=SCHEMA)
    return written


def _to_arrow(rows: list[dict[str, Any]], counted: list[dict[str, str]]) -> pa.Table:
    """Rows -> Arrow every few rows, so a shard never holds its rows as Python objects (~1.4 MB
    a wild page: every label point a list) but as columns (~0.3 MB); the Parquet bytes are
    the same as from one table."""
    counted.extend({key: str(row[key]) for key in STAT_KEYS} for row in rows)
    return rows_to_table(rows)


def _failure(index: int, exc: Exception) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if any(f"{os.sep}{pkg}{os.sep}" in f.filename for pkg in OUR_PACKAGES)]
    where = (ours or frames or [None])[-1]
    place = f" at {_short(where.filename)}:{where.lineno}" if where else ""
    message = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    print(f"polyglyph: sample {index} failed: {message}{place}", file=sys.stderr)
    return {"index": index, "error": message + place}


def _short(filename: str) -> str:
    parts = filename.split(os.sep)
    return os.sep.join(parts[-2:])


def _maybe_fail_for_test(index: int) -> None:
    failing = os.environ.get(FAIL_ENV, "")
    if failing and str(index) in failing.split(","):
        raise RuntimeError(f"test hook: sample {index} fails")


def _maybe_crash_for_test() -> None:
    marker = os.environ.get(CRASH_ENV)
    if not marker or os.path.exists(marker):
        return
    with open(marker, "w") as f:
        f.write(str(os.getpid()))
    os._exit(17)
