"""Per-scene throughput, end to end, each scene on its default warp profile (`scene_profiles`).

Runs the real `polyglyph generate --scenes S --workers N` per scene over six languages and reports
three rates, so the table is honest on a shared machine:
- pages per CPU-second of the workers (stats.json, measured by each worker itself): pages/s on
  one core, the figure other sessions' load does not distort; issue 17's target is >= 5;
- pages per wall second of the workers' window (first shard start .. last shard end), with N;
- pages per wall second of the whole command (start-up: imports, fonts, corpus included).
Plus milliseconds per row by stage. Last stdout line: JSON.

    .venv/bin/python bench/bench_scenes.py --num 40 [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
SCENES = ("screenshot", "video-frame", "ticket", "scene-text", "poster", "game-ui")
LANGS = "en,ar,zh-Hans,hi,th,ru"


def measure(scene: str, num: int, workers: int = 1, timeout: float = 900.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cmd = [POLYGLYPH, "generate", "--scenes", scene, "--num", str(num), "--out", str(out),
               "--workers", str(workers), "--languages", LANGS, "--seed", "17", "--quiet"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        command_seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{scene}: generate failed: {proc.stderr.strip()[-400:]}")
        stats = json.loads((out / "stats.json").read_text())
    tp = stats["throughput"]
    cpu, window = float(tp["worker_cpu_seconds"]), float(tp.get("worker_window_seconds") or 0)
    rows = stats["rows"]
    return {"scene": scene, "rows": rows, "workers": workers, "profiles": stats["by_profile"],
            "pages_per_cpu_second": round(rows / cpu, 2) if cpu else None,
            "pages_per_wall_second": round(rows / window, 2) if window else None,
            "pages_per_command_second": round(rows / command_seconds, 2),
            "load_avg": [round(v, 2) for v in os.getloadavg()],
            "ms_per_row_by_stage": tp["ms_per_row_by_stage"]}


def table(results: list[dict]) -> list[str]:
    """The Markdown table (also `make bench`'s scene section)."""
    out = ["| scene | pages/CPU-s (target >= 5) | pages/wall-s (workers) | pages/s incl. start-up | "
           "render ms | warp ms | profiles |", "|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            out.append(f"| {r.get('scene')} | error: {r['error'][:80]} | | | | | |")
            continue
        st = r["ms_per_row_by_stage"]
        out.append(f"| {r['scene']} | {r['pages_per_cpu_second']} | {r['pages_per_wall_second']} "
                   f"({r['workers']}) | {r['pages_per_command_second']} | {st.get('render')} | "
                   f"{st.get('warp')} | {', '.join(f'{k} {v}' for k, v in r['profiles'].items())} |")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=40, help="rows per scene (1..10000)")
    parser.add_argument("--scenes", default=",".join(SCENES))
    parser.add_argument("--workers", type=int, default=1, help="generate --workers (1..64)")
    parser.add_argument("--quick", action="store_true", help="12 rows per scene")
    args = parser.parse_args()
    if not 1 <= args.num <= 10000:
        parser.error("--num must be in 1..10000")
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be in 1..64")
    num = 12 if args.quick else args.num
    results = []
    for s in args.scenes.split(","):
        try:
            results.append(measure(s, num, args.workers))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            results.append({"scene": s, "error": str(exc)})
    print("\n".join(table(results)))
    print(json.dumps({"scenes": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
