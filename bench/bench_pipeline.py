"""Pipeline benchmark: where a row's time goes, what Ray costs, what resume costs.

Runs the real `polyglyph generate` (subprocess, default config at 1024x1448, ten languages) and
reads the per-stage milliseconds the workers record in stats.json; then the same config with
Ray and 2 workers; then a resume of the finished run (hash check only). Rows per CPU-second of
the local run is the figure that survives a shared, busy machine. Last stdout line: JSON.
"""

from __future__ import annotations

import argparse
import json
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
    proc = subprocess.run(cmd, capture_output=True, text=True)
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
    """What the workers measured themselves (stats.json): CPU per row, busy share, peak RSS
    and the RSS/PSS/anonymous/file-backed split at a shard end."""
    if "worker_cpu_seconds" not in throughput:
        return {}
    return {
        "worker_cpu_ms_per_row": round(1000 * throughput["worker_cpu_seconds"] / max(1, rows), 1),
        "worker_busy_fraction": throughput["worker_busy_fraction"],
        "worker_peak_rss_mib": throughput["worker_peak_rss_mib"],
        "worker_memory_mib_at_shard_end": throughput["worker_memory_mib_at_shard_end"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    num = 16 if args.quick else 48
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
        if not args.quick:
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
