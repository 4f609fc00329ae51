"""Pipeline benchmark: where a row's time goes, what Ray costs, what resume costs.

Runs the real `polyglyph generate` (subprocess, default config at 1024x1448, ten languages) and
reads the per-stage milliseconds the workers record in stats.json; then the same config with
Ray and 2 workers, next to a control of two local runs at once (half the pages each: two busy
processes on the same cores, without Ray); then a resume of the finished run (hash check only).
Rows per CPU-second of the local run is the figure that survives a shared, busy machine.

Per worker it reports what the workers measured themselves: CPU ms per row (all threads, and
the row-making thread alone: the difference is Ray's or Arrow's threads), preemptions per row,
peak RSS (ru_maxrss, the headline), the RSS on entering the first shard (runtime + imports:
Ray's own ~55 MiB shows here) and, at the end of the shard that set the peak, RSS split into
anonymous, file-backed, fonts, font pages counted again in a second mapping of the same file,
and Ray's libraries. Last stdout line: JSON.

    .venv/bin/python bench/bench_pipeline.py --quick --ray    # 16 pages, Ray and control too
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
LANGS = "en,ar,hi,ja,ru,th,he,zh-Hans,ko,el"


def generate(out: Path, num: int, workers: int, extra: list[str]) -> tuple[float, dict, dict]:
    cmd = [POLYGLYPH, "generate", "--num", str(num), "--out", str(out), "--workers", str(workers),
           "--languages", LANGS, "--seed", "11", "--shard-rows", "8", "--quiet", *extra]
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "POLYGLYPH_MEMORY_TELEMETRY": "1"}  # the memory split is opt-in
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr.strip().splitlines() or ["?"])[-1])
    stats = json.loads((out / "stats.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    stats["cpu_seconds_of_driver_process"] = round(cpu, 2)  # Ray workers are not children
    return wall, stats, manifest


def worker_figures(throughput: dict, rows: int) -> dict:
    """What the workers measured themselves (stats.json): CPU per row (all threads and the
    row-making thread), preemptions per row, busy share, peak RSS, RSS at the first shard and
    the memory split at the end of a shard."""
    if "worker_cpu_seconds" not in throughput:
        return {}
    per_row = 1000 / max(1, rows)
    return {
        "worker_cpu_ms_per_row": round(per_row * throughput["worker_cpu_seconds"], 1),
        "worker_thread_cpu_ms_per_row": round(
            per_row * throughput.get("worker_thread_cpu_seconds", 0.0), 1),
        "worker_preemptions_per_row": round(
            throughput.get("worker_involuntary_switches", 0) / max(1, rows), 1),
        "worker_busy_fraction": throughput["worker_busy_fraction"],
        "worker_peak_rss_mib": throughput["worker_peak_rss_mib"],
        "worker_rss_at_first_shard_mib": throughput.get("worker_rss_at_first_shard_mib"),
        "worker_memory_mib_at_shard_end": throughput["worker_memory_mib_at_shard_end"],
        "worker_memory_mib_at_peak_shard": throughput.get("worker_memory_mib_at_peak_shard", {}),
    }


def two_local_at_once(root: Path, num: int) -> dict:
    """Control for the Ray run: two local runs side by side, each with half the pages, so the
    CPU cost of sharing the cores (caches, memory bandwidth, preemption) shows without Ray."""
    half = num // 2
    outs = [root / f"pair{k}" for k in range(2)]
    procs = [subprocess.Popen(
        [POLYGLYPH, "generate", "--num", str(half), "--out", str(out), "--workers", "1",
         "--languages", LANGS, "--seed", "11", "--shard-rows", "8", "--quiet",
         "--executor", "local"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for out in outs]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError((err.strip().splitlines() or ["?"])[-1])
    figures = [worker_figures(json.loads((out / "stats.json").read_text())["throughput"], half)
               for out in outs]
    for out in outs:
        shutil.rmtree(out, ignore_errors=True)
    return {key: [f[key] for f in figures] for key in (
        "worker_cpu_ms_per_row", "worker_thread_cpu_ms_per_row", "worker_preemptions_per_row",
        "worker_peak_rss_mib")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="16 pages, no Ray unless --ray")
    parser.add_argument("--ray", action="store_true", help="with --quick: Ray and control too")
    parser.add_argument("--pages", type=int, default=None, help="pages per run (16 / 48)")
    args = parser.parse_args()
    num = args.pages or (16 if args.quick else 48)
    result: dict = {"pages": num, "languages": LANGS, "shard_rows": 8}
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "local"
        wall, stats, manifest = generate(local, num, 1, ["--executor", "local"])
        thr = stats["throughput"]
        size = sum(s["bytes"] for s in manifest["shards"])
        result["local_1_worker"] = {
            "wall_s": round(wall, 2),
            "rows_per_s_in_run": thr["rows_per_second"],
            "ms_per_row_by_stage": thr["ms_per_row_by_stage"],
            "kib_per_row": round(size / 1024 / max(1, stats["rows"]), 1),
            "cpu_s": stats["cpu_seconds_of_driver_process"],
            "rows_per_cpu_s": round(stats["rows"] / max(1e-6, stats["cpu_seconds_of_driver_process"]), 3),
            "failed_samples": stats["failed_samples"],
            **worker_figures(thr, stats["rows"]),
        }
        if not args.quick or args.ray:
            ray_out = Path(tmp) / "ray"
            wall2, stats2, manifest2 = generate(ray_out, num, 2, ["--executor", "ray"])
            same = [s["sha256"] for s in manifest2["shards"]] == [
                s["sha256"] for s in manifest["shards"]]
            result["ray_2_workers"] = {
                "wall_s": round(wall2, 2),
                "rows_per_s_in_run": stats2["throughput"]["rows_per_second"],
                "speedup_vs_local_wall": round(wall / wall2, 2),
                "same_sha256_as_local": same,
                **worker_figures(stats2["throughput"], stats2["rows"]),
            }
            shutil.rmtree(ray_out, ignore_errors=True)
            result["two_local_runs_at_once"] = two_local_at_once(Path(tmp), num)
        wall3, stats3, _ = generate(local, num, 1, ["--executor", "local"])
        result["resume_all_kept"] = {
            "wall_s": round(wall3, 2),
            "shards_kept": stats3["throughput"]["shards_kept"],
            "mib_verified": round(size / 2**20, 1),
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
