"""Where a worker's memory goes (issue 22): RSS after each import and loading step, then per row
of a default `generate` run (the rows stream into a Parquet shard as in a worker), with a
sampling thread catching each row's own peak. Prints one JSON object.

    .venv/bin/python bench/profile_memory.py --rows 64 [--top 8] [--tracemalloc]

`--tracemalloc` adds the Python allocations alive after the warm-up, by file (slower rows).
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PAGE = resource.getpagesize()


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class PeakSampler(threading.Thread):
    """Polls RSS every 2 ms; `take()` returns the highest value since the last call."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            self.peak = max(self.peak, rss_mib())
            time.sleep(0.002)

    def take(self) -> float:
        peak, self.peak = max(self.peak, rss_mib()), 0.0
        return round(peak, 1)


def top_allocations(count: int) -> dict[str, float]:
    """Live Python allocations by source line (tracemalloc), MiB, largest first."""
    snap = tracemalloc.take_snapshot()
    total = sum(s.size for s in snap.statistics("filename"))
    top = {f"{s.traceback[0].filename.split('site-packages/')[-1].split('memory/')[-1]}:"
           f"{s.traceback[0].lineno}": round(s.size / 2**20, 2)
           for s in snap.statistics("lineno")[:count]}
    return {"total": round(total / 2**20, 1), **top}


def trim() -> None:
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)


IMPORTS = ["numpy", "pyarrow", "cv2", "PIL.Image", "fonts_manifest.registry", "synth.render",
           "warping", "qa_factory.views", "pipelines.sample", "pipelines.shard"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) after every row")
    parser.add_argument("--set", action="append", default=[],
                        help="config override KEY=JSON (e.g. profiles='{\"wild\": 1}')")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start(1)
    steps: dict[str, float] = {"python": round(rss_mib(), 1)}
    for name in IMPORTS:
        importlib.import_module(name)
        steps[f"import {name}"] = round(rss_mib(), 1)
    from pipelines.config import build_config, config_hash, resolve_config
    from pipelines.output import Output
    from pipelines.rows import SCHEMA
    from pipelines.sample import make_row, worker_context
    from pipelines.shard import ARROW_BATCH_ROWS, _to_arrow
    from pipelines.worker_setup import apply_process_env, setup_worker
    from pipelines.writers import PARQUET

    apply_process_env()
    setup_worker()
    overrides = {"num": args.start + args.rows}
    overrides.update({k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)})
    resolved = resolve_config(build_config(None, overrides))
    steps["resolve_config"] = round(rss_mib(), 1)
    chash = config_hash(resolved)
    ctx = worker_context(resolved, chash)
    steps["worker_context"] = round(rss_mib(), 1)
    loaded = top_allocations(args.top * 3) if args.tracemalloc else {}
    sampler = PeakSampler()
    sampler.start()
    per_row: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        shard = PARQUET.open(Output(tmp), "part.parquet", SCHEMA)
        rows, counted = [], []
        for index in range(args.start, args.start + args.rows):
            before = rss_mib()
            sampler.take()
            t0 = time.process_time()
            row = make_row(resolved, index, ctx)
            info = {k: row[k] for k in ("scene", "profile", "language")}
            rows.append(row)
            del row
            if len(rows) == ARROW_BATCH_ROWS:
                shard.add(_to_arrow(rows, counted))
                rows = []
            if args.trim:
                trim()
            per_row.append({"index": index, **info, "before": round(before, 1),
                            "peak": sampler.take(), "after": round(rss_mib(), 1),
                            "cpu_ms": round(1000 * (time.process_time() - t0))})
        shard.add(_to_arrow(rows, counted))
        shard.close()
    steps["rows_done"] = round(rss_mib(), 1)
    result: dict = {"steps_mib": steps,
                    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                    "top_rows": sorted(per_row, key=lambda r: -r["peak"])[: args.top],
                    "rss_after_row": [r["after"] for r in per_row]}
    from profile_row import memory_split

    result["memory_split_mib"] = memory_split()
    result["engine_caches"] = ctx.render_ctx.engine.cache_sizes()
    result["memo_entries"] = len(ctx.render_ctx.memo)
    if args.tracemalloc:
        result["python_alloc_after_context_mib"] = loaded
        result["python_alloc_after_rows_mib"] = top_allocations(args.top * 3)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
