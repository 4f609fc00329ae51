"""Worker side of a run: make one shard of sample indices, write it, report its hash and stats.

A shard is the unit of work, retry and resume. Its rows are in index order and its bytes depend
only on (resolved config, shard index), so any worker on any node may make it, any number of
times, and the result is the same file.
"""

from __future__ import annotations

import linecache
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, Protocol

import pyarrow as pa

from pipelines.errors import PolyglyphError
from synth.textstats import TextSets

from .manifest import ShardJob
from .output import Output
from .provenance import build_digest
from .rows import SCHEMA, rows_to_table
from .sample import StageClock, make_row, worker_context
from .telemetry import Usage, mark_first_shard, worker_measurements
from .worker_setup import collect_between_rows
from .writers import PARQUET

OUR_PACKAGES = ("synth", "warping", "qa_factory", "fonts_manifest", "pipelines")


class SampleHook(Protocol):
    """Called before each sample is made, with its index and whether it is the middle of its
    shard. Not used in production: tests install one (`pipelines.run.sample_hook`) to make a
    sample fail or a worker die mid-shard; it travels to Ray workers with the shard inputs."""

    def __call__(self, index: int, middle: bool) -> None: ...


def count_stats(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Rows by language, script, scene and profile, and lines in frame by `legible`
    (stats.json: `by_line_legibility` and `legible_line_share`)."""
    counts = {
        key: dict(sorted(Counter(str(r[key]) for r in rows).items()))
        for key in STAT_KEYS
    }
    lines: Counter[str] = Counter()
    for r in rows:
        lines.update(r["line_legibility"] if "line_legibility" in r else line_legibility(r))
    counts["line_legibility"] = dict(sorted((k, v) for k, v in lines.items() if v))
    return counts


def line_legibility(row: dict[str, Any]) -> dict[str, int]:
    """Lines in frame of one row, legible and illegible (`lines[].legible`)."""
    shown = [ln for ln in row.get("lines") or [] if ln.get("visible", 1.0) > 0]
    legible = sum(1 for ln in shown if ln.get("legible", True))
    return {"legible": legible, "illegible": len(shown) - legible}


STAT_KEYS = ("language", "script", "scene", "profile")


def counts_from_file(out: Output, name: str) -> dict[str, dict[str, int]]:
    """Counts of a finished shard read back from its columns (for shards kept by a resume)."""
    import io

    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(out.read_bytes(name)), columns=[*STAT_KEYS, "lines"])
    return count_stats(table.to_pylist())


def text_sets_from_file(out: Output, name: str) -> dict[str, Any]:
    """Distinct characters and words of a finished shard, read back from its text column."""
    import io

    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(out.read_bytes(name)), columns=["language", "script", "text"])
    sets = TextSets()
    for row in table.to_pylist():
        sets.add(str(row["language"]), str(row["script"]), str(row["text"] or ""))
    return sets.to_json()


def make_shard(
    config: dict[str, Any],
    config_hash: str,
    job: ShardJob,
    out_target: str,
    on_row: Callable[[], None] | None = None,
    hook: SampleHook | None = None,
) -> dict[str, Any]:
    """Make, write and describe one shard. Failed samples are skipped and reported, not fatal."""
    started, cpu_started, started_at = time.perf_counter(), time.process_time(), time.time()
    usage_started = Usage.now()
    mark_first_shard()
    ctx = worker_context(config, config_hash)
    context_seconds = time.perf_counter() - started  # > 0 only on a worker's first shard
    clock = StageClock()
    rows: list[dict[str, Any]] = []
    counted: list[dict[str, Any]] = []
    text_sets = TextSets()
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
                    if hook is not None:
                        hook(index, middle=index == job.start + job.rows // 2)
                    rows.append(make_row(config, index, ctx, clock))
                    if len(rows) == ARROW_BATCH_ROWS:
                        shard.add(_to_arrow(rows, counted, text_sets))
                        rows = []
                        # source lines read for tracebacks: wordfreq's import alone reads ~1 MiB
                        # of them (locate.this_dir() walks inspect.stack()), kept for good
                        linecache.clearcache()
                        clock.lap("parquet")
                except PolyglyphError:
                    raise
                except Exception as exc:  # one bad sample must not sink a long run; reported
                    failures.append(_failure(index, exc))
                if on_row is not None:
                    on_row()
                collect_between_rows()  # cheaper here than wherever a row's page is alive
                clock.lap("failed" if failures and failures[-1]["index"] == index else "other")
            shard.add(_to_arrow(rows, counted, text_sets))
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
        "text_sets": text_sets.to_json(),
        "stage_seconds": {k: round(v, 4) for k, v in sorted(clock.seconds.items())},
        "failures": failures,
        **worker_measurements(cpu_started, context_seconds, started_at, usage_started),
    }


ARROW_BATCH_ROWS = 2
"""Rows become Arrow this often: a wild row is ~1.4 MB as Python lists and ~0.3 MB as columns.
8-row shards went from 16 (one conversion per shard) to 2: peak RSS 514-526 -> 504 MiB over 8
shards; conversion plus Parquet 3.1-3.3 CPU ms/row either way. 1 (2026-12-07, 3 alternating rounds,
local, one worker, load 2-5 on 2 cores): identical shard bytes (--num 40 default, --num 24
--profile wild), worker peak RSS 310.4 -> 310.0 MiB default and 315.7 -> 315.3 MiB wild (noise),
process CPU 9.2 -> 11.1 s default and 9.4 -> 10.2 s wild: kept at 2."""


def _validate_inline(stage: Output, name: str, out: Output, judge_names: list[str]) -> Any:
    """The same cross-validation as `polyglyph validate`, from the staged shard to its final
    file (rows streamed, never the whole shard in memory)."""
    from qa_factory.judges import get_judge
    from qa_factory.validate import ValidationRules

    from .validate_shard import validate_parquet

    judges = [get_judge(judge) for judge in judge_names]
    written, counts = validate_parquet(stage.open_parquet(name), out, name, judges,
                                       ValidationRules(), 8, lambda rows: None, schema=SCHEMA)
    if written is None:  # a judge gave no answer: no verdict to write, and no shard
        what = ", ".join(f"{k} ({v} row(s))" for k, v in counts["unanswered"].items())
        raise PolyglyphError(f"inline validation of {name}: no answer from judge {what}")
    return written


def _to_arrow(rows: list[dict[str, Any]], counted: list[dict[str, Any]],
              text_sets: TextSets | None = None) -> pa.Table:
    """Rows -> Arrow every few rows, so a shard never holds its rows as Python objects (~1.4 MB
    a wild page: every label point a list) but as columns (~0.3 MB); the Parquet bytes are
    the same as from one table."""
    counted.extend({**{key: str(row[key]) for key in STAT_KEYS},
                    "line_legibility": line_legibility(row)} for row in rows)  # fmt: skip
    for row in rows if text_sets is not None else ():
        text_sets.add(str(row["language"]), str(row["script"]), str(row["text"] or ""))
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
