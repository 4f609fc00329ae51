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
]

QUICK_FLAGS = {  # the quick run keeps to speed figures; OCR tables belong to the full run
    "bench_render.py": ["--no-ocr"],
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
) -> tuple[float, float, float]:
    """Wall time, CPU seconds and peak RSS (MiB) of one `polyglyph generate` run.

    `os.wait4` gives the rusage of this run's process tree alone (the stage scripts run
    before it must not count); with `--executor local` the driver is the one worker, so its
    peak RSS is the worker's. Ray workers are not waited-for descendants: with Ray the CPU and
    RSS figures cover the driver only.
    """
    shutil.rmtree(out, ignore_errors=True)
    cmd = [POLYGLYPH, "generate", "--num", str(num), "--out", str(out), "--workers", str(workers),
           "--seed", "7", "--quiet", *extra]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"generate failed: {tail}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def end_to_end(quick: bool, workers: int, repeats: int) -> dict:
    """Marginal pages/s of the full product path: wild profile, multilingual, views, JPEG, Parquet."""
    small, large = (8, 32) if quick else (16, 64)  # marginal CPU must outweigh start-up noise
    extra = ["--profile", "wild", "--languages", "en,ar,hi,ja,ru,th,he,zh-Hans,ko,el",
             "--shard-rows", "8"]
    if workers == 1:
        extra += ["--executor", "local"]
    rates, cpu_rates, rss = [], [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            t_small, c_small, r1 = generate_seconds(small, workers, Path(tmp) / "a", extra)
            t_large, c_large, r2 = generate_seconds(large, workers, Path(tmp) / "b", extra)
            rates.append((large - small) / max(1e-6, t_large - t_small))
            cpu_rates.append((large - small) / max(1e-6, c_large - c_small))
            rss = max(rss, r1, r2)
    out = {"pages_per_s": statistics.median(rates), "min": min(rates), "max": max(rates),
           "pages_per_s_per_core": statistics.median(rates) / workers, "peak_rss_mib": rss,
           "sizes": [small, large], "repeats": repeats, "load_avg": os.getloadavg()}
    if workers == 1:  # CPU time of the one worker process: the figure a busy machine keeps
        out["pages_per_cpu_s"] = statistics.median(cpu_rates)
    return out


def _target(value: float | None, goal: float, higher: bool = True) -> str:
    if value is None:
        return "not measured"
    return "holds" if (value >= goal if higher else value <= goal) else "**fails**"


def headline(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, issue-7 target, verdict) rows, all from this one run."""
    ref = results.get("naive_reference", {})
    e1 = results.get("end_to_end_1_worker", {})
    e2 = results.get("end_to_end_2_workers", {})
    out = []
    if ref.get("pages_per_cpu_s") and "pages_per_cpu_s" in e1:
        ratio = e1["pages_per_cpu_s"] / ref["pages_per_cpu_s"]
        out.append(("end-to-end / naive reference, per CPU-second",
                    f"{ratio:.2f} × ({e1['pages_per_cpu_s']:.2f} vs "
                    f"{ref['pages_per_cpu_s']:.2f} pages/CPU-s)", "≥ 1.0 ×", _target(ratio, 1.0)))
    if ref.get("pages_per_s") and "pages_per_s" in e1:
        ratio = e1["pages_per_s"] / ref["pages_per_s"]
        out.append(("end-to-end / naive reference, wall (1 worker)",
                    f"{ratio:.2f} × ({e1['pages_per_s']:.2f} vs {ref['pages_per_s']:.2f} pages/s)",
                    "≥ 1.0 ×", _target(ratio, 1.0)))
        out.append(("end-to-end / SynthDog 0.40 pages/s/core", f"{e1['pages_per_s'] / 0.40:.1f} ×",
                    "≥ 10 ×", _target(e1["pages_per_s"] / 0.40, 10.0)))
    if "peak_rss_mib" in e1:
        out.append(("peak RSS of the one worker process (local executor)",
                    f"{e1['peak_rss_mib']:.0f} MiB", "≤ 400 MiB",
                    _target(e1["peak_rss_mib"], 400.0, higher=False)))
    if "pages_per_s" in e1 and "pages_per_s" in e2:
        ratio = e2["pages_per_s"] / e1["pages_per_s"]
        out.append(("2 workers (Ray) / 1 worker (local), wall", f"{ratio:.2f} ×", "≥ 1.8 ×",
                    _target(ratio, 1.8)))
    four = results.get("bench_warping", {}).get("augraphy", {}).get("wild_vs_four_effects")
    if four:
        out.append(("Augraphy Folding+LightingGradient+ShadowCast+BadPhotoCopy / our whole wild "
                    "profile incl. labels (CPU ms per page)",
                    f"{four['augraphy_over_polyglyph']:.1f} × ({four['augraphy_four_effects_ms']:.0f}"
                    f" vs {four['polyglyph_wild_ms']:.0f} ms)", "≥ 10 ×",
                    _target(four["augraphy_over_polyglyph"], 10.0)))
    return out


def write_report(results: dict, path: Path) -> None:
    e1 = results.get("end_to_end_1_worker", {})
    rows = [
        "# Benchmark results",
        "",
        f"Command: `{results['command']}`  ",
        f"Machine: {results['machine']}  ",
        f"Date (UTC): {results['date']}  ",
        f"Load average (1, 5, 15 min) at start: {results.get('load_avg_at_start')}; at the "
        f"end-to-end runs: {e1.get('load_avg')} (2 cores, shared with other sessions: prefer "
        "the CPU-second and same-run ratio figures)",
        "",
        "## Issue 7 targets (same run)",
        "",
        "| figure | value | target | verdict |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in headline(results)],
    ]
    stages = results.get("bench_pipeline", {}).get("local_1_worker", {}).get(
        "ms_per_row_by_stage")
    if stages:
        rows += ["", "## Where a row's time goes (ms per row, local run, wall)", "",
                 "| " + " | ".join(stages) + " |", "|" + "---|" * len(stages),
                 "| " + " | ".join(f"{v:.0f}" for v in stages.values()) + " |"]
    rows += ["", "## All figures", "", "```json", json.dumps(results, indent=2), "```", ""]
    path.write_text("\n".join(rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a run under a minute or so")
    parser.add_argument("--out", default=str(HERE))
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md from the results.json in --out")
    args = parser.parse_args()
    if args.report_only:
        write_report(json.loads((Path(args.out) / "results.json").read_text()),
                     Path(args.out) / "RESULTS.md")
        return 0
    repeats = 1 if args.quick else 3
    results: dict = {
        "command": "make bench-quick" if args.quick else "make bench",
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "load_avg_at_start": os.getloadavg(),
    }
    ref = run_json([PY, str(HERE / "naive_reference.py"), "--pages", "5" if args.quick else "10",
                    "--repeats", str(repeats)], timeout=600)
    results.update(ref if "naive_reference" in ref else {"naive_reference": ref})
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
    for workers in (1, 2):
        key = "end_to_end_1_worker" if workers == 1 else "end_to_end_2_workers"
        if args.quick and workers == 2:
            continue
        try:
            results[key] = end_to_end(args.quick, workers, repeats)
        except Exception as exc:  # a failed stage must not hide the other figures
            results[key] = {"error": str(exc)[:300]}
        print(f"{key}: done", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    write_report(results, out / "RESULTS.md")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
