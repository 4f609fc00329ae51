"""`polyglyph generate` on the one run driver (`pipelines.driver`): its config, shard task,
stats and dataset card (`pipelines.card`).

The driver rewrites the manifest atomically after each finished shard, so a run killed with -9
loses at most the shards in flight; the next run on the same `--out` keeps every shard whose
sha256 still matches and makes the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from pipelines.errors import PolyglyphError
from synth.textstats import TextSets

from .card import dataset_card, first_schema, font_licences
from .config import GenerateConfig, config_hash, resolve_config
from .driver import (
    Executor,
    Run,
    choose_executor,
    count_totals,
    drive,
    local_executor,
    ray_executor,
)
from .lockcheck import check_lock
from .manifest import CARD, STATS, ShardJob, plan_shards, read_manifest, write_json
from .output import Output
from .provenance import build_digest, code_digest, environment
from .resume import open_output, resume_plan
from .shard import SampleHook, counts_from_file, make_shard, text_sets_from_file
from .storage import redact

sample_hook: SampleHook | None = None
"""Tests set this (monkeypatch) to make samples fail or workers die; None in production."""


def run_generate(config: GenerateConfig, progress: bool = True) -> dict[str, Any]:
    """Make every missing shard of the run described by `config`; return the final manifest."""
    if not config.out:
        raise PolyglyphError("--out is required (a directory or a filesystem URI)")
    resolved = resolve_config(config)
    chash = config_hash(resolved)
    with open_output(config.out) as out:
        return _generate(config, resolved, chash, out, progress)


def _generate(config: GenerateConfig, resolved: dict[str, Any], chash: str, out: Output,
              progress: bool) -> dict[str, Any]:
    jobs = plan_shards(config.num, config.shard_rows)
    code_digest.cache_clear()  # the files as they are now, not as at an earlier run in-process
    build_digest.cache_clear()
    build = build_digest(tuple(resolved["font_dirs"]))
    kept = resume_plan(out, read_manifest(out), chash, jobs, config.overwrite, build,
                       config.resume_check)
    executor = choose_executor(config.executor, config.workers, len(jobs) - len(kept),
                               config.ray_address)
    header = {
        "config_hash": chash,
        "build": build,
        "environment": environment(),
        "lock": check_lock().summary(),
        "seed": config.seed,
        "num": config.num,
        "shard_rows": config.shard_rows,
        "num_shards": len(jobs),
        "config": shown_config(resolved),
        "executor": {"kind": executor, "workers": config.workers,
                     "ray_address": config.ray_address},
    }
    run = Run(out, header, jobs, kept, desc="generate", unit="sample",
              check=_check_result(out, build))
    # on Ray, local --corpus files travel with the job (object store), not by path
    packs = ship_corpora(resolved) if executor == "ray" else ()
    shared = (resolved, chash, sample_hook, packs)
    execute: Executor = (
        local_executor(generate_shard, shared, out.target, config.stall_timeout, "generate",
                       recycle=True)
        if executor == "local"
        else ray_executor(generate_shard, shared, out.target, config.ray_address, config.workers,
                          config.stall_timeout)
    )
    drive(run, execute, progress)
    stats = build_stats(run)
    write_json(out, STATS, stats)
    card = dataset_card(run.manifest, stats, first_schema(out, run.manifest),
                        font_licences(resolved))
    out.write_atomic(CARD, card.encode())
    return run.manifest


def shown_config(resolved: dict[str, Any]) -> dict[str, Any]:
    """The resolved config as the manifest records it: corpus URIs with secrets masked
    (`s3://…?secret_key=…`); workers still get the URIs as given."""
    corpus = {code: {**item, "path": redact(str(item.get("path", "")))}
              for code, item in resolved.get("corpus", {}).items()}
    return {**resolved, "corpus": corpus} if corpus else resolved


def _check_result(out: Output, build: str) -> Callable[[dict[str, Any]], None]:
    """Refuse a shard made by other code/fonts, or written where the driver cannot see it."""

    def check(entry: dict[str, Any]) -> None:
        if entry.get("build") != build:
            raise PolyglyphError(
                f"shard {entry['index']} was made by a worker with other polyglyph code, "
                f"libraries or fonts (build {str(entry.get('build'))[:12]} != {build[:12]}); "
                "run every node from the same image"
            )
        if out.size(entry["file"]) != entry["bytes"]:
            raise PolyglyphError(
                f"shard {entry['file']} was written by a worker but is not in {out.target} as "
                "seen from the driver; on a multi-node cluster use a shared filesystem or a "
                "URI such as s3://bucket/prefix for --out"
            )

    return check


def build_stats(run: Run) -> dict[str, Any]:
    """Totals over the whole dataset: counts of made shards come from the workers, counts of
    kept shards are read back from their columns."""
    manifest = run.manifest
    made = [run.made[k] for k in sorted(run.made)]
    totals = count_totals(run, lambda name: counts_from_file(run.out, name))
    rows_made = sum(e["rows"] for e in made)
    elapsed = run.elapsed
    stage_seconds: Counter[str] = Counter()
    for entry in made:
        stage_seconds.update(entry.get("stage_seconds", {}))
    failures = [f for e in manifest["shards"] for f in e.get("failures", [])]
    return {
        "rows": sum(e["rows"] for e in manifest["shards"]),
        "shards": len(manifest["shards"]),
        "failed_samples": sum(e.get("failed", 0) for e in manifest["shards"]),
        "failures": failures[:100],
        **{f"by_{key}": counts for key, counts in totals.items()},
        # distinct characters and words of the `text` column, per language
        "text_by_language": _text_sets(run).summary(),
        "legible_line_share": legible_share(Counter(totals.get("line_legibility", {}))),
        "throughput": {
            "rows_made_this_run": rows_made,
            "shards_made_this_run": len(made),
            "shards_kept": len(manifest["shards"]) - len(made),
            "wall_seconds": round(elapsed, 3),
            "rows_per_second": round(rows_made / elapsed, 3) if elapsed > 0 else None,
            "worker_seconds": round(sum(e["seconds"] for e in made), 3),
            **worker_totals(made),
            "ms_per_row_by_stage": {
                k: round(1000 * v / max(1, rows_made), 2) for k, v in sorted(stage_seconds.items())
            },
            "executor": manifest["executor"],
        },
    }


def _text_sets(run: Run) -> TextSets:
    """Distinct characters and words over the dataset: made shards from their workers' sets,
    kept shards read back from their text column."""
    sets = TextSets()
    for entry in run.manifest["shards"]:
        fresh = run.made.get(entry["index"])
        sets.merge(fresh["text_sets"] if fresh and "text_sets" in fresh
                   else text_sets_from_file(run.out, entry["file"]))
    return sets


def legible_share(counts: Counter[str]) -> float | None:
    """Share of lines in frame that the warp left legible (`lines[].legible`)."""
    total = counts["legible"] + counts["illegible"]
    return round(counts["legible"] / total, 4) if total else None


def worker_totals(made: list[dict[str, Any]]) -> dict[str, Any]:
    """CPU seconds and peak RSS of the worker processes (from their own shard reports), so a
    Ray run's cost per row can be judged on a busy machine, not only its wall time."""
    measured = [e for e in made if "cpu_seconds" in e]
    if not measured:
        return {}
    peaks: dict[str, float] = {}
    for entry in measured:
        peaks[entry["worker"]] = max(peaks.get(entry["worker"], 0.0), entry["peak_rss_mib"])
    first = min(e["span"][0] for e in measured)
    last = max(e["span"][1] for e in measured)
    busy = sum(e["span"][1] - e["span"][0] for e in measured)
    return {
        "worker_cpu_seconds": round(sum(e["cpu_seconds"] for e in measured), 3),
        # of which the threads that made rows (the rest: Ray's core worker threads, Arrow's)
        "worker_thread_cpu_seconds": round(sum(e.get("thread_cpu_seconds", 0.0)
                                               for e in measured), 3),
        "worker_involuntary_switches": sum(e.get("involuntary_switches", 0) for e in measured),
        # share of (processes x first shard start..last shard end) spent inside shard tasks
        "worker_busy_fraction": round(busy / max(1e-9, len(peaks) * (last - first)), 3),
        "worker_window_seconds": round(last - first, 3),  # first shard start..last shard end
        "worker_context_seconds": round(sum(e["context_seconds"] for e in measured), 3),
        "worker_processes": len(peaks),
        "worker_peak_rss_mib": max(peaks.values()),
        # RSS a worker had on entering its first shard (runtime + imports): peak minus this
        # is what making rows added
        "worker_rss_at_first_shard_mib": max(e.get("rss_at_first_shard_mib", 0.0)
                                             for e in measured),
        "worker_niceness": max(e.get("nice", 0) for e in measured),
        # smaps_rollup at the end of the shard with the largest RSS then
        "worker_memory_mib_at_shard_end": max(
            (e.get("memory_mib") or {} for e in measured), key=lambda m: m.get("rss", 0)),
        # the split by mapping (fonts, fonts mapped again, Ray's libraries) at the end of the
        # shard that set the highest peak
        "worker_memory_mib_at_peak_shard": max(
            (e for e in measured if "fonts" in (e.get("memory_mib") or {})),
            key=lambda e: e["peak_rss_mib"], default={}).get("memory_mib", {}),
    }


def ship_corpora(resolved: dict[str, Any]) -> tuple[Any, ...]:
    """The local corpus sources of a run, packed for Ray workers (fonts_manifest.corpus_ship):
    a node without the driver's files still reads the same rows."""
    from fonts_manifest.corpus_ship import pack_local

    return pack_local(item["path"] for item in resolved["corpus"].values())


def generate_shard(shared: tuple[dict[str, Any], str, SampleHook | None, tuple[Any, ...]],
                   job: ShardJob, target: str, on_row: Callable[[], None]) -> dict[str, Any]:
    """The shard task of `generate` (module-level so Ray can pickle it by reference)."""
    resolved, chash, hook, packs = shared
    if packs:  # before the first sample loads the corpus in this process
        from fonts_manifest.corpus_ship import install

        install(packs)
    return make_shard(resolved, chash, job, target, on_row=on_row, hook=hook)
