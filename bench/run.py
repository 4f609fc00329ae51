"""`make bench` / `make bench-quick`: every benchmark in one run, so ratios compare like with like.

Absolute times drift on shared machines; ratios measured in the same run do not (much). Each
stage benchmark is its own script printing one JSON object; this entry point runs them, adds the
naive reference and the end-to-end figures, and writes `bench/results.json` + `bench/RESULTS.md`.
End-to-end speed is the marginal rate between two run sizes, so start-up (imports, font cache,
Ray) does not count against pages/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from results_report import write_report  # bench/ is on the path: a script's own folder

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
POLYGLYPH = str(Path(PY).with_name("polyglyph"))

STAGE_SCRIPTS = [
    "bench_font_cache.py",
    "bench_render.py",
    "bench_warping.py",
    "bench_qa.py",
    "bench_pipeline.py",
    "bench_scenes.py",  # issue 17: each beyond-document scene, end to end on its own profile
]

QUICK_FLAGS = {  # the quick run keeps to speed figures; OCR tables belong to the full run
    "bench_render.py": ["--no-ocr"],
    # one page through the judge (a smoke check of the QA path, ~10 s): 4 pages took ~40 s
    # and put make bench-quick over its minute; agreement figures come from make bench
    "bench_qa.py": ["--pages", "1"],
}


def run_json(cmd: list[str], timeout: float) -> dict:
    """Run a benchmark script; its last stdout line is a JSON object."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip().startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit {proc.returncode}: {tail[0][:300]}"}
    return json.loads(lines[-1])


def generate_seconds(
    num: int, workers: int, out: Path, extra: list[str]
) -> tuple[float, float, float, dict]:
    """Wall time, CPU seconds, peak RSS (MiB) and stats.json throughput of one run.

    `os.wait4` gives the rusage of this run's process tree alone (the stage scripts run
    before it must not count); with `--executor local` the driver is the one worker, so its
    peak RSS is the worker's. Ray workers are not waited-for descendants: their CPU seconds
    and peak RSS (ru_maxrss, measured by each worker itself) come from stats.json.
    """
    return finish_generate(*start_generate(num, workers, out, extra))


def start_generate(num: int, workers: int, out: Path, extra: list[str]) -> tuple:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [POLYGLYPH, "generate", "--num", str(num), "--out", str(out), "--workers", str(workers),
           "--seed", "7", "--quiet", *extra]
    err = tempfile.TemporaryFile()
    # the memory split by kind (smaps) is opt-in telemetry: the benchmarks report it
    env = {**os.environ, "POLYGLYPH_MEMORY_TELEMETRY": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
    return proc, err, out, time.perf_counter()


def finish_generate(proc: subprocess.Popen, err: Any, out: Path,
                    t0: float) -> tuple[float, float, float, dict]:
    with err:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"generate failed: {tail}")
    throughput = json.loads((out / "stats.json").read_text())["throughput"]
    throughput["output_megapixels"] = output_megapixels(out)
    throughput["frame_megapixels"] = frame_megapixels(out)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, throughput


def output_megapixels(out: Path) -> float:
    """Sum of width x height over the rows a run wrote (MP): the pixels its pages carry."""
    return sum(frame_megapixels(out))


def frame_megapixels(out: Path) -> list[float]:
    """Width x height (MP) of every row a run wrote, in row order (shards by name)."""
    import pyarrow.parquet as pq

    sizes: list[float] = []
    for shard in sorted((out / "data").glob("*.parquet")):
        table = pq.read_table(shard, columns=["width", "height"])
        sizes += [w * h / 1e6 for w, h in zip(table["width"].to_pylist(),
                                              table["height"].to_pylist(), strict=True)]
    return sizes


def extra_args(workers: int) -> list[str]:
    """The end-to-end run's flags: the product path, multilingual, wild."""
    return ["--profile", "wild", "--languages", "en,ar,hi,ja,ru,th,he,zh-Hans,ko,el",
            "--shard-rows", "8", "--executor", "local" if workers == 1 else "ray"]


def end_to_end(quick: bool, worker_counts: tuple[int, ...], repeats: int) -> dict[int, dict]:
    """Marginal pages/s of the full product path: wild profile, multilingual, views, JPEG, Parquet.

    The worker counts take turns within each repeat (1 worker small, large; 2 workers small,
    large; ...), so a neighbour's load on this shared machine hits both alike. Run sizes grow
    with the worker count: every worker makes the same rows per run as the one local worker
    does, so its start-up (imports, fonts) falls in both runs and cancels, and its marginal
    rows come at the same point of its life (per-process font, glyph and shaping caches are
    still warming over the first few dozen rows: measured 215 -> 155 CPU ms/row over rows
    0-8 .. 48-64; with the same total sizes, each of 2 workers made its marginal rows colder
    than the one worker did: 167 vs 130 ms/row in one run at load 12).
    """
    per_worker = (8, 32) if quick else (16, 64)  # marginal CPU must outweigh start-up noise
    samples: dict[int, list[dict]] = {w: [] for w in worker_counts}
    with tempfile.TemporaryDirectory() as tmp:
        # untimed: fills the disk caches (cmap, vocabularies, matplotlib's font list) a cold
        # machine builds once, which would otherwise land in the first small run only and
        # make its marginal rows look cheap (a negative wall difference on 2026-12-07)
        generate_seconds(per_worker[0], 1, Path(tmp) / "warm-up", extra_args(1))
        for _ in range(repeats):
            for workers in worker_counts:
                small, large = (n * workers for n in per_worker)
                extra = extra_args(workers)
                runs = [generate_seconds(n, workers, Path(tmp) / str(n), extra)
                        for n in (small, large)]
                samples[workers].append(_marginal(runs, large - small, workers))
    return {w: _summary(samples[w], workers=w, sizes=[n * w for n in per_worker])
            for w in worker_counts}


def _marginal(runs: list[tuple[float, float, float, dict]], rows: int, workers: int) -> dict:
    """Rates of the rows the large run made beyond the small one."""
    (t_small, c_small, r_small, s_small), (t_large, c_large, r_large, s_large) = runs
    w_small, w_large = s_small["worker_cpu_seconds"], s_large["worker_cpu_seconds"]
    if workers > 1:  # Ray workers are not in the driver's rusage: add their own figure
        c_small, c_large = c_small + w_small, c_large + w_large
    window = s_large["worker_window_seconds"] - s_small["worker_window_seconds"]
    if t_large <= t_small or c_large <= c_small:  # a one-off cost fell in the small run only
        raise RuntimeError(f"the {rows}-row difference took no time ({t_large - t_small:.2f} s "
                           f"wall, {c_large - c_small:.2f} CPU-s): rerun on a quieter machine")
    megapixels = s_large["output_megapixels"] - s_small["output_megapixels"]
    # the large run's rows beyond the small run's (seed 7 both: the small run's rows come first)
    marginal_frames = s_large["frame_megapixels"][len(s_small["frame_megapixels"]):]
    return {
        "pages_per_s": rows / max(1e-6, t_large - t_small),
        "megapixels_per_page": megapixels / rows,
        "median_frame_megapixels": statistics.median(marginal_frames),
        "megapixels_per_cpu_s": megapixels / max(1e-6, c_large - c_small),
        # same, timed from the first shard start to the last shard end (no driver/Ray start)
        "pages_per_s_in_worker_window": rows / max(1e-6, window),
        "pages_per_cpu_s": rows / max(1e-6, c_large - c_small),
        "worker_cpu_ms_per_row": 1000 * (w_large - w_small) / rows,
        "worker_busy_fraction": s_large["worker_busy_fraction"],
        "driver_peak_rss_mib": max(r_small, r_large),
        "worker_peak_rss_mib": max(s_small["worker_peak_rss_mib"], s_large["worker_peak_rss_mib"]),
        "worker_memory_mib_at_shard_end": s_large.get("worker_memory_mib_at_shard_end", {}),
    }


def _summary(samples: list[dict], workers: int, sizes: list[int]) -> dict:
    med = {k: statistics.median(s[k] for s in samples) for k in (
        "pages_per_s", "pages_per_s_in_worker_window", "pages_per_cpu_s",
        "worker_cpu_ms_per_row", "worker_busy_fraction")}
    for key in ("megapixels_per_page", "megapixels_per_cpu_s",  # absent in older runs
                "median_frame_megapixels"):
        if all(key in s for s in samples):
            med[key] = statistics.median(s[key] for s in samples)
    rates = [s["pages_per_s"] for s in samples]
    driver_rss = max(s["driver_peak_rss_mib"] for s in samples)
    return {**med, "min": min(rates), "max": max(rates),
            "pages_per_s_per_core": med["pages_per_s"] / workers,
            # local: the driver is the one worker; Ray: the largest worker's own ru_maxrss
            "peak_rss_mib": driver_rss if workers == 1 else max(
                s["worker_peak_rss_mib"] for s in samples),
            "driver_peak_rss_mib": driver_rss,
            "worker_memory_mib_at_shard_end": samples[-1]["worker_memory_mib_at_shard_end"],
            "sizes": sizes, "repeats": len(samples), "load_avg": os.getloadavg()}


SHARD_MEMORY_ROWS = 512
SHARD_MEMORY_SIZES = (32, 256, 512, 1024)


def shard_memory(sizes: tuple[int, ...] = SHARD_MEMORY_SIZES, num: int = SHARD_MEMORY_ROWS) -> dict:
    """Peak RSS of one local worker by shard size (issue 22), default config: every language,
    so the whole font pool (`font_pool`) is eligible. Rows stream into the shard file in row
    groups of 64, so a worker's memory must not grow with `--shard-rows` (a 1024-row shard of
    a 512-row run holds all 512 rows: the same as `--shard-rows 512`). The runs go side by
    side (each its own process tree and rusage): one moment of this shared machine for all."""
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # untimed: builds the disk caches (language table, vocabularies) a new version or a new
        # machine makes once; four runs starting cold side by side each built them and peaked
        # 480-490 MiB against ~410 warm (2026-12-07, after a cache version change)
        generate_seconds(8, 1, Path(tmp) / "warm-up", ["--shard-rows", "8", "--executor", "local"])
        # the issue's own command, default seed 0 (seed 7, the other benches' seed, peaked
        # 10-20 MiB lower on the same code: which pages come where moves the peak)
        started = {rows: start_generate(num, 1, Path(tmp) / str(rows),
                                        ["--shard-rows", str(rows), "--executor", "local",
                                         "--seed", "0"])
                   for rows in sizes}
        for rows, run in started.items():
            wall, cpu, rss, _ = finish_generate(*run)
            figures[str(rows)] = {"peak_rss_mib": round(rss, 1), "wall_seconds": round(wall, 1),
                                  "cpu_seconds": round(cpu, 1)}
    return {"num": num, "by_shard_rows": figures, "font_pool": font_pool(),
            "load_avg": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}


def font_pool() -> dict:
    """Families and faces in the font pool a default run samples from (issue 14's 500+)."""
    code = ("import json; from fonts_manifest.registry import FontRegistry; c = FontRegistry.load()"
            ".catalog; print(json.dumps({'families': len(c.classes), 'faces': sum(len(f) for f"
            " in c.faces.values()), 'usable_families': len(set(c.classes) - set(c.skipped))}))")
    return run_json([PY, "-c", code], timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a run under a minute or so")
    parser.add_argument("--out", default=None,
                        help="default bench/ (the committed figures); --quick: bench/out/quick")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md from the results.json in --out")
    parser.add_argument("--only", choices=["shard_memory", "end_to_end", "bench_scenes"],
                        help="run one piece and merge its figures into --out's results.json")
    args = parser.parse_args()
    # a quick run never overwrites the full run's committed RESULTS.md / results.json
    args.out = args.out or str(HERE / "out" / "quick" if args.quick else HERE)
    if args.report_only:
        write_report(json.loads((Path(args.out) / "results.json").read_text()),
                     Path(args.out) / "RESULTS.md")
        return 0
    if args.only:
        return _only(args.only, Path(args.out))
    repeats = 1 if args.quick else 3
    results: dict = {
        "command": "make bench-quick" if args.quick else "make bench",
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "load_avg_at_start": os.getloadavg(),
    }
    results.update(naive_reference(repeats, pages=5 if args.quick else 10))
    seconds: dict[str, float] = {}
    for script in STAGE_SCRIPTS:
        path = HERE / script
        if not path.exists():
            results[script.removesuffix(".py")] = {"error": "not present"}
            continue
        cmd = [PY, str(path)] + (["--quick"] if args.quick else []) + QUICK_FLAGS.get(
            script, []) * args.quick
        t0 = time.perf_counter()
        results[script.removesuffix(".py")] = run_json(cmd, timeout=1800)
        seconds[script] = round(time.perf_counter() - t0, 1)
        print(f"{script}: done in {seconds[script]} s", file=sys.stderr)
    results["script_seconds"] = seconds
    counts = (1,) if args.quick else (1, 2)
    try:
        for workers, figures in end_to_end(args.quick, counts, repeats).items():
            results[f"end_to_end_{workers}_worker{'s' if workers > 1 else ''}"] = figures
    except Exception as exc:  # a failed stage must not hide the other figures
        results["end_to_end_1_worker"] = {"error": str(exc)[:300]}
    print("end_to_end: done", file=sys.stderr)
    results.update(naive_at_frame(results.get("end_to_end_1_worker", {}), repeats,
                                  pages=5 if args.quick else 10))
    if not args.quick:  # three 512-row runs: a full-run figure
        results["shard_memory"] = shard_memory()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    write_report(results, out / "RESULTS.md")
    print(json.dumps(results, indent=2))
    return 0


def naive_reference(repeats: int, pages: int = 10) -> dict:
    ref = run_json([PY, str(HERE / "naive_reference.py"), "--pages", str(pages),
                    "--repeats", str(repeats)], timeout=600)
    return ref if "naive_reference" in ref else {"naive_reference": ref}


def naive_at_frame(e1: dict, repeats: int, pages: int = 10) -> dict:
    """The naive reference at the median frame size of the end-to-end run's rows, run right
    after it (nothing when that run failed)."""
    frame_mp = e1.get("median_frame_megapixels")
    if not frame_mp:
        return {}
    key = "naive_reference_at_frame"
    ref = run_json([PY, str(HERE / "naive_reference.py"), "--pages", str(pages),
                    "--repeats", str(repeats), "--frame-mp", f"{frame_mp:.4f}"], timeout=900)
    return ref if key in ref else {key: ref}


def _only(piece: str, out: Path) -> int:
    """One benchmark piece, merged into an existing results.json (its own date and load)."""
    path = out / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {
        "command": f"bench/run.py --only {piece}", "machine": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    if piece == "end_to_end":  # the naive reference and one local worker, side by side in time
        results.update(naive_reference(repeats=2))
        results["end_to_end_1_worker"] = end_to_end(False, (1,), 2)[1]
        results.update(naive_at_frame(results["end_to_end_1_worker"], repeats=2))
        results["end_to_end_date"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        piece = "end_to_end_1_worker"
    elif piece == "bench_scenes":
        results[piece] = run_json([PY, str(HERE / "bench_scenes.py")], timeout=3600)
    else:
        results[piece] = shard_memory()
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    write_report(results, out / "RESULTS.md")
    print(json.dumps(results[piece], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
