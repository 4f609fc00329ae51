"""Profile `pipelines.sample.make_row` in one process: where a row's CPU time goes.

Same config as the end-to-end benchmark (wild profile, ten languages, views, JPEG) plus the
Parquet write of the rows, so the profile covers the whole product path minus the driver.
OpenCV runs on one thread, as in a worker. Prints the top functions by cumulative and by own
time to stderr and one JSON line (stage ms per row, CPU ms per row) to stdout.

    .venv/bin/python bench/profile_row.py --rows 20 [--sort tottime] [--out prof.pstats]
    .venv/bin/python bench/profile_row.py --rows 24 --memory   # where a worker's RSS goes
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.config import build_config, config_hash, resolve_config  # noqa: E402
from pipelines.rows import rows_to_table  # noqa: E402
from pipelines.sample import StageClock, make_row, worker_context  # noqa: E402
from pipelines.writers import table_bytes  # noqa: E402

LANGS = ["en", "ar", "hi", "ja", "ru", "th", "he", "zh-Hans", "ko", "el"]
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def memory_split() -> dict[str, float]:
    """MiB resident now by kind of mapping (Linux /proc/self/smaps): anonymous heap and arrays,
    shared libraries, font files mapped by FreeType, HarfBuzz and Pillow (each open face maps
    its whole file; RSS counts a page once per mapping, so `fonts_mapped_again` is the part in a
    file's second and later mappings: RSS that is no extra memory), other files; plus the peak
    so far (ru_maxrss)."""
    kib: Counter[str] = Counter()
    font_maps = 0
    font_files: set[str] = set()
    kind = "anonymous"
    with open("/proc/self/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and ":" not in parts[0]:  # a mapping's header line
                name = parts[5] if len(parts) > 5 else ""
                if name.endswith(FONT_SUFFIXES):
                    kind, font_maps = "fonts", font_maps + 1
                    if name in font_files:
                        kind = "fonts_mapped_again"
                    font_files.add(name)
                elif ".so" in name:
                    kind = "libraries"
                elif name.startswith("/"):
                    kind = "other_files"
                else:
                    kind = "anonymous"
            elif parts[0] == "Rss:":
                kib[kind] += int(parts[1])
    kib["fonts"] += kib["fonts_mapped_again"]  # fonts: every font mapping; again: part of it
    out = {k: round(v / 1024, 1) for k, v in sorted(kib.items())}
    out["rss"] = round((sum(kib.values()) - kib["fonts_mapped_again"]) / 1024, 1)
    out["font_mappings"] = font_maps
    out["peak_rss"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--profile", default="wild")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--out", default=None, help="also dump pstats here")
    parser.add_argument("--no-profile", action="store_true", help="timings only")
    parser.add_argument("--memory", action="store_true",
                        help="timings plus RSS by mapping kind after each phase (no profile)")
    args = parser.parse_args()
    if args.memory:
        args.no_profile = True
    memory = {"imports": memory_split()} if args.memory else {}
    cv2.setNumThreads(1)
    config = build_config(None, {"languages": LANGS, "profiles": {args.profile: 1.0},
                                 "seed": 7, "num": args.rows})
    resolved = resolve_config(config)
    chash = config_hash(resolved)
    ctx = worker_context(resolved, chash)
    if args.memory:
        memory["context"] = memory_split()
    # warm every per-process cache (fonts, Faker locales, lazy imports) as a long-running worker
    # has: two rows per language, and one Parquet write
    warm = [make_row(resolved, index, ctx) for index in range(1000, 1000 + 2 * len(LANGS))]
    table_bytes(rows_to_table(warm))
    del warm
    if args.memory:
        memory["warm"] = memory_split()
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
    if args.memory:
        memory["rows"] = memory_split()
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
        **({"memory_mib": memory, "pid": os.getpid()} if memory else {}),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
