"""Driver of `polyglyph generate`: resume check, executor choice, manifest after every shard.

The manifest is rewritten atomically after each finished shard, so a driver killed with -9 loses
at most the shards in flight; the next run on the same `--out` keeps every shard whose sha256
still matches and makes the rest.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from tqdm import tqdm

from pipelines.errors import PolyglyphError
from synth.textstats import TextSets

from .config import GenerateConfig, config_hash, resolve_config
from .lockcheck import check_lock
from .output import Output, run_lock
from .provenance import build_digest, code_digest, environment
from .shard import (
    ShardJob,
    counts_from_file,
    make_shard,
    manifest_entry,
    plan_shards,
    text_sets_from_file,
)

MANIFEST = "manifest.json"
STATS = "stats.json"
CARD = "README.md"


def polyglyph_version() -> str:
    try:
        return version("polyglyph")
    except PackageNotFoundError:
        return "0+unknown"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_manifest(out: Output) -> dict[str, Any] | None:
    if not out.exists(MANIFEST):
        return None
    try:
        return json.loads(out.read_bytes(MANIFEST))
    except (OSError, ValueError):
        raise PolyglyphError(
            f"{out.path(MANIFEST)} is unreadable; use --overwrite to start over"
        ) from None


def write_json(out: Output, name: str, data: dict[str, Any]) -> None:
    out.write_atomic(name, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode())


def resume_plan(
    out: Output,
    manifest: dict[str, Any] | None,
    chash: str,
    jobs: list[ShardJob],
    overwrite: bool,
    build: str | None = None,
    check: str = "sha256",
) -> dict[int, dict[str, Any]]:
    """Shards that can be kept (hash verified). Refuses a foreign or different-config directory."""
    parts = [n for n in out.list_names() if n.startswith("part-") and n.endswith(".parquet")]
    if overwrite:
        for name in [*parts, MANIFEST, STATS, CARD]:
            out.remove(name)
        return {}
    if manifest is None:
        if parts:
            raise PolyglyphError(
                f"--out {out.target} holds {len(parts)} part files but no {MANIFEST}; "
                "use --overwrite or another directory"
            )
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
    for name in parts:  # shards past the end of a shrunk run
        if name not in {job.name for job in jobs}:
            out.remove(name)
    return kept


def choose_executor(config: GenerateConfig, pending: int) -> str:
    if config.executor != "auto":
        return config.executor
    if config.ray_address or os.environ.get("RAY_ADDRESS"):
        return "ray"
    return "ray" if min(config.workers, pending) > 1 else "local"


def run_generate(config: GenerateConfig, progress: bool = True) -> dict[str, Any]:
    """Make every missing shard of the run described by `config`; return the final manifest."""
    if not config.out:
        raise PolyglyphError("--out is required (a directory or a filesystem URI)")
    resolved = resolve_config(config)
    chash = config_hash(resolved)
    out = Output(config.out)
    if out.is_local:
        out = Output(str(out.root.resolve()))
    out.prepare()
    with run_lock(out):
        return _generate(config, resolved, chash, out, progress)


def _generate(config: GenerateConfig, resolved: dict[str, Any], chash: str, out: Output,
              progress: bool) -> dict[str, Any]:
    out.remove_stale_tmp()
    jobs = plan_shards(config.num, config.shard_rows)
    code_digest.cache_clear()  # the files as they are now, not as at an earlier run in-process
    build_digest.cache_clear()
    build = build_digest(tuple(resolved["font_dirs"]))
    kept = resume_plan(out, read_manifest(out), chash, jobs, config.overwrite, build,
                       config.resume_check)
    pending = [job for job in jobs if job.index not in kept]
    executor = choose_executor(config, len(pending))
    manifest: dict[str, Any] = {
        "format": "polyglyph-shards/1",
        "polyglyph_version": polyglyph_version(),
        "config_hash": chash,
        "build": build,
        "environment": environment(),
        "lock": check_lock().summary(),
        "seed": config.seed,
        "num": config.num,
        "shard_rows": config.shard_rows,
        "num_shards": len(jobs),
        "config": resolved,
        "executor": {"kind": executor, "workers": config.workers,
                     "ray_address": config.ray_address},
        "started_at": now(),
        "finished_at": None,
        "complete": False,
        "shards": [kept[k] for k in sorted(kept)],
    }
    write_json(out, MANIFEST, manifest)
    results = dict(kept)
    made: dict[int, dict[str, Any]] = {}
    wall = time.perf_counter()

    bar = tqdm(total=sum(j.rows for j in pending), unit="sample", disable=not progress,
               file=sys.stderr, dynamic_ncols=True, mininterval=0.5, desc="generate")

    def on_result(entry: dict[str, Any]) -> None:
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
        results[entry["index"]] = manifest_entry(entry)
        made[entry["index"]] = entry
        manifest["shards"] = [results[k] for k in sorted(results)]
        write_json(out, MANIFEST, manifest)

    try:
        if executor == "local":
            _run_local(resolved, chash, pending, out.target, on_result, bar.update)
        else:
            from .ray_executor import run_ray

            run_ray(generate_shard, (resolved, chash), pending, out.target, on_result, bar,
                    config.ray_address, config.workers)
    except OSError as exc:  # disk full, permissions changed mid-run, network filesystem gone
        where = getattr(exc, "filename", None) or out.target
        raise PolyglyphError(f"cannot write to {where}: {exc.strerror or exc}") from None
    finally:
        bar.close()
    elapsed = time.perf_counter() - wall
    manifest["finished_at"] = now()
    manifest["complete"] = True
    write_json(out, MANIFEST, manifest)
    stats = build_stats(out, manifest, [made[j.index] for j in pending], elapsed)
    write_json(out, STATS, stats)
    out.write_atomic(CARD, dataset_card(manifest, stats).encode())
    return manifest


def dataset_card(manifest: dict[str, Any], stats: dict[str, Any]) -> str:
    """A Hugging Face dataset card, so the directory can be pushed to the Hub as it is."""
    langs = sorted(stats.get("by_language", {}))
    lang_yaml = "".join(f"  - {code}\n" for code in langs[:200] if "-x-" not in code)
    scenes = ", ".join(f"{k} ({v})" for k, v in stats.get("by_scene", {}).items())
    return (
        "---\n"
        "configs:\n"
        "  - config_name: default\n"
        "    data_files:\n"
        "      - split: train\n"
        "        path: part-*.parquet\n"
        f"language:\n{lang_yaml}"
        "task_categories:\n  - image-to-text\n"
        "tags:\n  - ocr\n  - synthetic\n  - polyglyph\n"
        "---\n\n"
        "# Synthetic documents made by polyglyph\n\n"
        f"{stats['rows']} rows in {len(manifest['shards'])} shards, {len(langs)} languages; "
        f"scenes: {scenes}.\n\n"
        f"Config hash `{manifest['config_hash']}`, seed {manifest['seed']}, polyglyph "
        f"{manifest['polyglyph_version']}. The resolved config and shard hashes are in "
        "`manifest.json`; counts and throughput in `stats.json`.\n\n"
        "```python\nfrom datasets import load_dataset\n"
        "ds = load_dataset(\"parquet\", data_files=\"part-*.parquet\", split=\"train\")\n```\n"
    )


def build_stats(
    out: Output, manifest: dict[str, Any], made: list[dict[str, Any]], elapsed: float
) -> dict[str, Any]:
    """Totals over the whole dataset: counts of made shards come from the workers, counts of
    kept shards are read back from their columns."""
    totals: dict[str, Counter[str]] = {}
    text_sets = TextSets()
    made_by_index = {e["index"]: e for e in made}
    for entry in manifest["shards"]:
        fresh = made_by_index.get(entry["index"])
        counts = fresh["stats"] if fresh else counts_from_file(out, entry["file"])
        text_sets.merge(fresh["text_sets"] if fresh and "text_sets" in fresh
                        else text_sets_from_file(out, entry["file"]))
        for key, by_value in counts.items():
            totals.setdefault(key, Counter()).update(by_value)
    rows_made = sum(e["rows"] for e in made)
    stage_seconds: Counter[str] = Counter()
    for entry in made:
        stage_seconds.update(entry.get("stage_seconds", {}))
    failures = [f for e in manifest["shards"] for f in e.get("failures", [])]
    return {
        "rows": sum(e["rows"] for e in manifest["shards"]),
        "shards": len(manifest["shards"]),
        "failed_samples": sum(e.get("failed", 0) for e in manifest["shards"]),
        "failures": failures[:100],
        **{f"by_{key}": dict(sorted(c.items())) for key, c in sorted(totals.items())},
        # distinct characters and words of the `text` column, per language
        "text_by_language": text_sets.summary(),
        "legible_line_share": legible_share(totals.get("line_legibility", Counter())),
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


def generate_shard(shared: tuple[dict[str, Any], str], job: ShardJob, target: str,
                   on_row: Callable[[], None]) -> dict[str, Any]:
    """The Ray task body for `generate` (module-level so Ray can pickle it by reference)."""
    resolved, chash = shared
    return make_shard(resolved, chash, job, target, on_row=on_row)


def _run_local(
    resolved: dict[str, Any],
    chash: str,
    jobs: list[ShardJob],
    target: str,
    on_result: Callable[[dict[str, Any]], None],
    tick: Callable[[int], Any],
) -> None:
    for job in jobs:
        on_result(make_shard(resolved, chash, job, target, on_row=lambda: tick(1)))
