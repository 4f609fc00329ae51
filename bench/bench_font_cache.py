"""Cold vs warm FontRegistry start-up, and itemisation speed. Prints one JSON object.

Cold = empty cache dir (every font file parsed, every language table entry computed); warm =
the same dir again. Each run is a fresh process, so import and in-process memo costs are real;
`load_s` is measured inside the child around `FontRegistry.load()` only.
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

CHILD = """
import json, time
t0 = time.perf_counter()
from fonts_manifest import fontdb, registry
t1 = time.perf_counter()
reg = registry.FontRegistry.load()
t2 = time.perf_counter()
again = registry.FontRegistry.load()
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "memo_s": t3 - t2,
                  "parsed": fontdb.parse_count, "computed": registry.entries_computed,
                  "languages": len(reg.languages()), "faces": len(reg.faces())}))
"""


def child(cache_dir: str) -> dict:
    env = {**os.environ, "POLYGLYPH_CACHE_DIR": cache_dir}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(out.stderr.strip().splitlines()[-1])
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process_s": wall}


def itemize_rate() -> dict:
    from fonts_manifest.registry import FontRegistry

    reg = FontRegistry.load()
    work = [(reg.chain(i.code), reg.corpus[i.code].paragraphs[:10]) for i in reg.languages()]
    chars = sum(len(p) for _, ps in work for p in ps)
    t0 = time.perf_counter()
    for chain, paragraphs in work:
        for paragraph in paragraphs:
            reg.itemize(paragraph, chain)
    elapsed = time.perf_counter() - t0
    return {"itemize_chars": chars, "itemize_chars_per_s": round(chars / elapsed)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 cold + 3 warm runs")
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--warm", type=int, default=5)
    args = parser.parse_args()
    cold_runs, warm_runs = (1, 3) if args.quick else (args.cold, args.warm)
    cold, warm = [], []
    for _ in range(cold_runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(child(cache))
            if not warm:
                warm = [child(cache) for _ in range(warm_runs)]
    median = lambda runs, key: round(statistics.median(r[key] for r in runs), 3)  # noqa: E731
    result = {
        "bench": "font_cache",
        "cold_load_s": median(cold, "load_s"),
        "warm_load_s": median(warm, "load_s"),
        "cold_process_s": median(cold, "process_s"),
        "warm_process_s": median(warm, "process_s"),
        "in_process_memo_s": median(warm, "memo_s"),
        "speedup": round(median(cold, "load_s") / max(median(warm, "load_s"), 1e-9), 1),
        "cold_files_parsed": cold[0]["parsed"],
        "warm_files_parsed": max(r["parsed"] for r in warm),
        "warm_entries_computed": max(r["computed"] for r in warm),
        "faces": warm[0]["faces"],
        "languages": warm[0]["languages"],
        "runs": {"cold": cold_runs, "warm": warm_runs},
        **itemize_rate(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
