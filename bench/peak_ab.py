"""Issue 22 A/B: peak RSS (the worker's ru_maxrss = VmHWM) and CPU-s of the issue's command,
arms run alternately (A B A B ...) so this shared machine's load hits both alike.

    .venv/bin/python bench/peak_ab.py before=/path/to/checkout after=/path/to/checkout \
        --pairs 2 [--num 512] [--wild --shard-rows 8 --num 64]  # the second: end_to_end's run

Each arm is a checkout used as is (PYTHONPATH at it); one untimed warm-up run per arm first.
Prints one line per run and a JSON summary. Whole-run CPU-s of a 64-row run moved by +-20 %
between runs of one arm on this shared machine: compare CPU per row in one process instead.

Issue 22, 2026-12-07 (e605bc2 -> fontmem e8d5211): the issue's command 408.4 / 409.6 ->
387.6 / 390.3 MiB (2 pairs, load 3.4-4.4); end_to_end's run (--wild --shard-rows 8 --num 64)
405.5 / 400.0 / 401.3 / 400.5 / 402.0 -> 379.1 / 378.8 / 374.3 / 379.1 / 379.1 MiB (5 pairs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
WILD = ["--profile", "wild", "--languages", "en,ar,hi,ja,ru,th,he,zh-Hans,ko,el", "--seed", "7"]


def run(checkout: str, num: int, out: Path, extra: list[str],
        shard_rows: int = 0) -> tuple[float, float, float]:
    """(peak RSS MiB, CPU s, wall s) of one generate run in its own process."""
    cmd = [PY, "-m", "pipelines.cli", "generate", "--num", str(num),
           "--shard-rows", str(shard_rows or num),
           "--workers", "1", "--executor", "local", "--out", str(out), "--quiet", *extra]
    env = {**os.environ, "PYTHONPATH": checkout}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=checkout, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{checkout}: {proc.stderr.read().decode()[-500:]}")
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, wall


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("arms", nargs="+", help="LABEL=CHECKOUT")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--num", type=int, default=512)
    parser.add_argument("--wild", action="store_true", help="the end-to-end bench's config")
    parser.add_argument("--shard-rows", type=int, default=0, help="default: --num (one shard)")
    parser.add_argument("--keep", default="", help="keep outputs under this folder")
    args = parser.parse_args()
    arms = dict(a.split("=", 1) for a in args.arms)
    extra = WILD if args.wild else []
    figures: dict[str, list[tuple[float, float, float]]] = {k: [] for k in arms}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        for label, checkout in arms.items():
            run(checkout, 8, base / f"warm-{label}", extra)
        for pair in range(args.pairs):
            order = list(arms.items())
            if pair % 2:
                order.reverse()
            for label, checkout in order:
                fig = run(checkout, args.num, base / f"{label}-{pair}", extra, args.shard_rows)
                figures[label].append(fig)
                print(f"{label} pair {pair}: peak {fig[0]:.1f} MiB, CPU {fig[1]:.1f} s, "
                      f"wall {fig[2]:.1f} s, load {os.getloadavg()[0]:.1f}", flush=True)
    print(json.dumps({label: {"peak_mib": [round(f[0], 1) for f in figs],
                              "cpu_s": [round(f[1], 1) for f in figs],
                              "median_cpu_s": round(statistics.median(f[1] for f in figs), 2)}
                      for label, figs in figures.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
