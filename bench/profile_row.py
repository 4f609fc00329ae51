"""Profile `pipelines.sample.make_row` in one process: where a row's CPU time goes.

Same config as the end-to-end benchmark (wild profile, ten languages, views, JPEG) plus the
Parquet write of the rows, so the profile covers the whole product path minus the driver.
OpenCV runs on one thread, as in a worker. Prints the top functions by cumulative and by own
time to stderr and one JSON line (stage ms per row, CPU ms per row) to stdout.

    .venv/bin/python bench/profile_row.py --rows 20 [--sort tottime] [--out prof.pstats]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.config import build_config, config_hash, resolve_config  # noqa: E402
from pipelines.output import table_bytes  # noqa: E402
from pipelines.rows import rows_to_table  # noqa: E402
from pipelines.sample import StageClock, make_row, worker_context  # noqa: E402

LANGS = ["en", "ar", "hi", "ja", "ru", "th", "he", "zh-Hans", "ko", "el"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--profile", default="wild")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--out", default=None, help="also dump pstats here")
    parser.add_argument("--no-profile", action="store_true", help="timings only")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    config = build_config(None, {"languages": LANGS, "profiles": {args.profile: 1.0},
                                 "seed": 7, "num": args.rows})
    resolved = resolve_config(config)
    chash = config_hash(resolved)
    ctx = worker_context(resolved, chash)
    # warm every per-process cache (fonts, Faker locales, lazy imports) as a long-running worker
    # has: two rows per language, and one Parquet write
    warm = [make_row(resolved, index, ctx) for index in range(1000, 1000 + 2 * len(LANGS))]
    table_bytes(rows_to_table(warm))
    del warm
    # CPU-time timer: on a shared machine wall-clock profiles mostly show the neighbours
    profiler = None if args.no_profile else cProfile.Profile(time.process_time)
    clock = StageClock()
    c0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    rows = [make_row(resolved, index, ctx, clock) for index in range(args.rows)]
    data = table_bytes(rows_to_table(rows))
    clock.lap("parquet")
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    if profiler:
        for key in (args.sort, "tottime"):
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats(key).print_stats(args.top)
            print(buf.getvalue(), file=sys.stderr)
        if args.out:
            profiler.dump_stats(args.out)
    print(json.dumps({
        "rows": args.rows, "profile": args.profile, "profiled": profiler is not None,
        "cpu_ms_per_row": round(1000 * cpu / args.rows, 1),
        "wall_ms_per_row": round(1000 * wall / args.rows, 1),
        "ms_per_row_by_stage": {k: round(1000 * v / args.rows, 1)
                                for k, v in sorted(clock.seconds.items())},
        "kib_per_row": round(len(data) / 1024 / args.rows, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
