"""Issue 22 over a long run: does one worker's memory keep creeping after the warm-up? Makes rows
of the default config (every language) in one process as a worker does (setup_worker, the
per-row releases inside make_row, rows streamed into Parquet shards) and logs, every `--every`
rows, RSS / VmHWM / anonymous RSS (/proc/self/status, smaps_rollup), glibc's bytes in use and
kept free (mallinfo2), anonymous memory by mapping (main heap, other anonymous mappings,
libraries' copy-on-write pages), the module count (by top package for the biggest ones), the render caches and, at `--gc-at` rows, object counts by type.
One JSON line per sample, then a summary line.

    .venv/bin/python bench/longrun_memory.py --rows 1500 [--every 50] [--shard-rows 512]
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import sys
import tempfile
import time
from collections import Counter, OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def status_mib() -> dict[str, float]:
    """VmRSS, VmHWM (peak) and anonymous resident memory, MiB."""
    out: dict[str, float] = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Anonymous:", "Pss:", "AnonHugePages:")):
                out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return out


def malloc_mib() -> dict[str, float]:
    """glibc's own account (mallinfo2, glibc >= 2.33): bytes in live malloc blocks (`in_use`,
    arenas and mmapped blocks), free bytes it keeps in its arenas (`free`), and the arenas'
    size. RSS rising while `in_use` does not is fragmentation or memory malloc never saw."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    mib = 1 / 2**20
    return {"in_use": round((info.uordblks + info.hblkhd) * mib, 1),
            "free": round(info.fordblks * mib, 1), "arenas": round(info.arena * mib, 1),
            "mmapped": round(info.hblkhd * mib, 1)}


def anon_by_mapping() -> dict[str, float]:
    """Resident anonymous memory (MiB) by kind of mapping: glibc's main heap (`[heap]`), other
    anonymous mappings (thread arenas, large mmapped blocks, libraries' own mmaps) and the
    anonymous pages of file mappings (copy-on-write writes into .data/.bss of libraries)."""
    out = {"heap": 0.0, "anon_maps": 0.0, "file_cow": 0.0}
    kind = "anon_maps"
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5 and not line.startswith(" "):
                name = head[5] if len(head) > 5 else ""
                kind = ("heap" if name == "[heap]" else "file_cow" if name.startswith("/")
                        else "anon_maps")
            elif line.startswith("Anonymous:"):
                out[kind] += int(head[1]) / 1024
    return {k: round(v, 1) for k, v in out.items()}


def modules_by_top(count: int = 6) -> dict[str, int]:
    """Loaded modules per top-level package, the largest `count`."""
    return dict(Counter(name.split(".")[0] for name in list(sys.modules)).most_common(count))


def type_counts() -> Counter[str]:
    """Live objects by type name, plus the entries of every functools cache ("lru <name>") and
    of every module-level container ("global <module>.<name>"): what grows is named."""
    gc.collect()
    counts: Counter[str] = Counter()
    for o in gc.get_objects():
        counts[type(o).__name__] += 1
        if isinstance(o, functools._lru_cache_wrapper):
            name = f"lru {getattr(o, '__module__', '?')}.{getattr(o, '__qualname__', '?')}"
            counts[name] += o.cache_info().currsize
    for module in list(sys.modules.values()):
        for key, value in list(getattr(module, "__dict__", {}).items()):
            if isinstance(value, (dict, list, set, OrderedDict)):
                counts[f"global {module.__name__}.{key}"] += len(value)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1500)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--shard-rows", type=int, default=512)
    parser.add_argument("--gc-at", type=int, default=300, help="first object census (row)")
    parser.add_argument("--trim", action="store_true",
                        help="at each sample also malloc_trim(0) and log RSS after it: what "
                             "stays is in use, the rest was free heap glibc had kept")
    args = parser.parse_args()
    from pipelines.config import build_config, config_hash, resolve_config
    from pipelines.output import Output
    from pipelines.rows import SCHEMA
    from pipelines.sample import make_row, worker_context
    from pipelines.shard import ARROW_BATCH_ROWS, _to_arrow
    from pipelines.worker_setup import apply_process_env, setup_worker
    from pipelines.writers import PARQUET

    apply_process_env()
    setup_worker()
    resolved = resolve_config(build_config(None, {"num": args.rows}))
    ctx = worker_context(resolved, config_hash(resolved))
    census: Counter[str] | None = None
    languages: set[str] = set()
    peak, rises = 0.0, []
    t0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        shard, rows, counted = None, [], []
        for index in range(args.rows):
            if shard is None:
                shard = PARQUET.open(Output(tmp), f"part-{index:06d}.parquet", SCHEMA)
            row = make_row(resolved, index, ctx)
            languages.add(row["language"])
            hwm = status_mib()["VmHWM"]
            if hwm > peak:  # a new high-water mark: which row made it
                rises.append([index, row["language"], row["scene"], row["profile"], hwm])
                peak = hwm
            rows.append(row)
            del row
            if len(rows) == ARROW_BATCH_ROWS:
                shard.add(_to_arrow(rows, counted))
                rows = []
            done = index + 1
            if done % args.shard_rows == 0:
                if rows:
                    shard.add(_to_arrow(rows, counted))
                    rows = []
                shard.close()
                shard = None
            if done % args.every == 0 or done == args.rows:
                sample = {"rows": done, **status_mib(), "malloc": malloc_mib(),
                          "anon": anon_by_mapping(), "modules": len(sys.modules),
                          "languages": len(languages), "top": modules_by_top(),
                          "caches": ctx.render_ctx.engine.cache_sizes(),
                          "memo": len(ctx.render_ctx.memo),
                          "cpu_s": round(time.process_time() - t0, 1)}
                if args.trim:
                    import ctypes

                    ctypes.CDLL("libc.so.6").malloc_trim(0)
                    sample["VmRSS_trimmed"] = status_mib()["VmRSS"]
                if rises:
                    sample["new_peaks"], rises = rises, []
                if done == args.gc_at:
                    census = type_counts()
                print(json.dumps(sample), flush=True)
        if shard is not None:
            if rows:
                shard.add(_to_arrow(rows, counted))
            shard.close()
    if census is not None:
        grown = type_counts()
        grown.subtract(census)
        print(json.dumps({"objects_grown_since": args.gc_at,
                          "top": dict(grown.most_common(40))}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
