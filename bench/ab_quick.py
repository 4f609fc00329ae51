"""A/B of `make bench-quick` between commits: the same figures, same machine, same run.

Absolute times on this shared 2-core machine drift with the neighbours' load, so two commits
are only comparable when measured side by side. This script runs each arm's own
`bench/run.py --quick` (what `make bench-quick` ran at that commit) interleaved, A B A B ...,
after one warm-up generate per arm (font caches: each arm gets its own POLYGLYPH_CACHE_DIR, so
two code versions never rewrite each other's cache), and prints medians and ratios to the first
arm. CPU-second figures are the ones to trust; wall figures are shown for completeness.

An arm is LABEL=REF: REF is a directory (a checkout used as is) or a commit, checked out
detached under the work directory and removed at the end. Every arm runs with the shared venv's
interpreter and PYTHONPATH at its checkout (no `make`, no editable re-install); the script
refuses an arm whose modules would be imported from elsewhere. The venv must hold every
arm's dependencies (the lock only added packages after the redesign, none changed version).

    .venv/bin/python bench/ab_quick.py before=bc2a80e after=c1f94d6 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
POLYGLYPH = str(Path(PY).with_name("polyglyph"))
PACKAGES = ("pipelines", "synth", "warping", "qa_factory", "fonts_manifest")
E2E = "end_to_end_1_worker"
PIPE = "bench_pipeline.local_1_worker"


@dataclass(frozen=True)
class Figure:
    """One figure read from a quick run's results.json (dotted path) and which way is better."""

    label: str
    path: str
    higher_is_better: bool
    fmt: str = "{:.2f}"


# The headline of `make bench-quick` (issue 7 table) and the figures behind it, CPU ones first.
FIGURES = [
    Figure("end-to-end pages per CPU-s (1 local worker, wild, 10 languages)",
           f"{E2E}.pages_per_cpu_s", True),
    Figure("end-to-end worker CPU ms per row", f"{E2E}.worker_cpu_ms_per_row", False, "{:.0f}"),
    Figure("end-to-end / naive reference, per CPU-s (headline)", "derived.e2e_over_naive_cpu", True),
    Figure("naive reference pages per CPU-s", "naive_reference.pages_per_cpu_s", True),
    Figure("end-to-end / naive reference at our frame size, per CPU-s",
           "derived.e2e_over_naive_at_frame_cpu", True),
    Figure("peak RSS of the one local worker (MiB)", f"{E2E}.peak_rss_mib", False, "{:.0f}"),
    Figure("bench_pipeline: rows per CPU-s (16 rows, local)", f"{PIPE}.rows_per_cpu_s", True),
    Figure("bench_pipeline: worker CPU ms per row", f"{PIPE}.worker_cpu_ms_per_row", False,
           "{:.0f}"),
    Figure("bench_pipeline: worker peak RSS (MiB)", f"{PIPE}.worker_peak_rss_mib", False,
           "{:.0f}"),
    Figure("bench_render: render stage CPU ms per row", "bench_render.render_stage.cpu_ms_per_row",
           False, "{:.1f}"),
    Figure("bench_warping: wild profile ms per page (grid+pixels+labels+photometric+sample)",
           "derived.warping_wild_ms", False, "{:.1f}"),
    Figure("end-to-end pages per s, wall", f"{E2E}.pages_per_s", True),
    Figure("end-to-end / naive reference, wall", "derived.e2e_over_naive_wall", True),
    Figure("whole bench-quick run, CPU-s (its stage scripts differ by commit)",
           "derived.run_cpu_s", False, "{:.0f}"),
    Figure("whole bench-quick run, wall s", "derived.run_wall_s", False, "{:.0f}"),
]


@dataclass
class Arm:
    """A checkout to measure and what was measured of it."""

    label: str
    ref: str
    path: Path
    made_worktree: bool
    commit: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def make_arm(spec: str, workdir: Path) -> Arm:
    """LABEL=REF -> an Arm; a commit gets a detached worktree of its own."""
    label, sep, ref = spec.partition("=")
    if not sep or not label or not ref:
        raise SystemExit(f"ab_quick: arm {spec!r} is not LABEL=COMMIT or LABEL=DIRECTORY")
    if Path(ref).is_dir():
        path, made = Path(ref).resolve(), False
    else:
        path, made = workdir / f"wt-{label}", True
        git("worktree", "add", "--detach", str(path), git("rev-parse", "--verify", ref))
    arm = Arm(label, ref, path, made)
    arm.commit = subprocess.run(["git", "-C", str(path), "log", "-1", "--format=%h %cs %s"],
                                check=True, capture_output=True, text=True).stdout.strip()[:90]
    return arm


def arm_env(arm: Arm, workdir: Path) -> dict[str, str]:
    """The arm's code first on the path and a font cache of its own."""
    cache = workdir / f"cache-{arm.label}"
    cache.mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(arm.path), "POLYGLYPH_CACHE_DIR": str(cache)}


def check_imports(arm: Arm, env: dict[str, str]) -> None:
    """Refuse an arm whose packages would come from another checkout (the editable install)."""
    code = ("import importlib, json; print(json.dumps([importlib.import_module(m).__file__ for m"
            f" in {list(PACKAGES)!r}]))")
    out = subprocess.run([PY, "-c", code], env=env, cwd=arm.path, check=True,
                         capture_output=True, text=True).stdout
    stray = [f for f in json.loads(out) if not Path(f).resolve().is_relative_to(arm.path)]
    if stray:
        raise SystemExit(f"ab_quick: arm {arm.label} imports {stray[0]}, not from {arm.path}")


def warm_up(arm: Arm, env: dict[str, str], workdir: Path) -> None:
    """A small generate like the end-to-end one: fills the arm's font and language caches."""
    out = workdir / f"warm-{arm.label}"
    subprocess.run([POLYGLYPH, "generate", "--num", "4", "--out", str(out), "--workers", "1",
                    "--seed", "1", "--quiet", "--profile", "wild", "--languages",
                    "en,ar,hi,ja,ru,th,he,zh-Hans,ko,el", "--executor", "local"],
                   env=env, cwd=arm.path, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    shutil.rmtree(out, ignore_errors=True)


def run_quick(arm: Arm, env: dict[str, str], out: Path) -> dict[str, Any]:
    """One `bench/run.py --quick` of the arm: its results.json plus the run tree's rusage."""
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen([PY, str(arm.path / "bench" / "run.py"), "--quick", "--out", str(out)],
                            env=env, cwd=arm.path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0 or not (out / "results.json").is_file():
        tail = stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{arm.label}: bench/run.py --quick failed: {tail[0][:300]}")
    results = json.loads((out / "results.json").read_text())
    results["derived"] = derived(results, wall, usage.ru_utime + usage.ru_stime)
    results["derived"]["load_1min_at_start"] = load
    return results


def derived(results: dict[str, Any], wall: float, cpu: float) -> dict[str, float | None]:
    """Figures the headline table computes from two others, and the run's own totals."""
    e2e, ref = results.get(E2E, {}), results.get("naive_reference", {})
    wild = results.get("bench_warping", {}).get("ms_per_profile", {}).get("wild", {})

    def ratio(key: str) -> float | None:
        return e2e[key] / ref[key] if e2e.get(key) and ref.get(key) else None

    at_frame = results.get("naive_reference_at_frame", {})
    return {"e2e_over_naive_cpu": ratio("pages_per_cpu_s"),
            "e2e_over_naive_at_frame_cpu": e2e["pages_per_cpu_s"] / at_frame["pages_per_cpu_s"]
            if e2e.get("pages_per_cpu_s") and at_frame.get("pages_per_cpu_s") else None,
            "e2e_over_naive_wall": ratio("pages_per_s"),
            "warping_wild_ms": (wild["total"] + wild.get("sample", 0.0)) if "total" in wild else None,
            "run_cpu_s": cpu, "run_wall_s": wall}


def lookup(results: dict[str, Any], path: str) -> float | None:
    node: Any = results
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, (int, float)) else None


def stage_figures(arms: list[Arm]) -> list[Figure]:
    """bench_pipeline's wall ms per row by stage (every stage any arm reports)."""
    stages: dict[str, None] = {}
    for arm in arms:
        for run in arm.runs:
            stages.update(dict.fromkeys(lookup_dict(run, f"{PIPE}.ms_per_row_by_stage")))
    return [Figure(f"bench_pipeline stage '{s}', ms per row (wall)",
                   f"{PIPE}.ms_per_row_by_stage.{s}", False, "{:.1f}") for s in stages]


def lookup_dict(results: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = results
    for part in path.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def table(arms: list[Arm], figures: list[Figure]) -> list[str]:
    """Markdown: median [min-max] per arm, then each arm's ratio to the first arm, written so
    that > 1 always means better than the first arm (speed: new/old; cost: old/new)."""
    base = arms[0]
    head = ["figure", *[f"{a.label} median [min–max]" for a in arms],
            *[f"{a.label} vs {base.label} (>1 better)" for a in arms[1:]]]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for fig in figures:
        meds: list[float | None] = []
        cells = [fig.label + (" ↑" if fig.higher_is_better else " ↓")]
        for arm in arms:
            values = [v for v in (lookup(r, fig.path) for r in arm.runs) if v is not None]
            med = statistics.median(values) if values else None
            meds.append(med)
            cells.append("—" if med is None else f"{fig.fmt.format(med)} [{fig.fmt.format(min(values))}"
                         f"–{fig.fmt.format(max(values))}]")
        for med in meds[1:]:
            if med is None or meds[0] is None or not med or not meds[0]:
                cells.append("—")
            else:
                cells.append(f"{(med / meds[0] if fig.higher_is_better else meds[0] / med):.3f}")
        if any(m is not None for m in meds):
            rows.append("| " + " | ".join(cells) + " |")
    return rows


def report(arms: list[Arm]) -> list[str]:
    """The measured part of the section: when, under what load, which commits, the table."""
    runs = [r for a in arms for r in a.runs]
    loads = [r["derived"]["load_1min_at_start"] for r in runs]
    dates = sorted(r.get("date", "?") for r in runs)
    rounds = min(len(a.runs) for a in arms)
    return [f"Runs {dates[0]}–{dates[-1]} UTC (run starts), {os.cpu_count()} cores shared with "
            f"other sessions, {rounds} interleaved rounds (arm order reversed every other round) "
            f"after a warm-up generate per arm; 1-min load average at the runs' starts "
            f"{min(loads):.1f}–{max(loads):.1f} (median {statistics.median(loads):.1f}). Each cell:"
            " median [min–max] over the rounds; the ratio columns are > 1 when the arm is better "
            f"than {arms[0].label} (↑ higher is better, ↓ lower is better).", "",
            *[f"- {a.label}: `{a.commit}`" for a in arms], "",
            *table(arms, FIGURES + stage_figures(arms))]


START, END = "<!-- ab_quick:start -->", "<!-- ab_quick:end -->"


def write_section(path: Path, title: str, notes: list[str], lines: list[str]) -> None:
    """Replace the ab_quick section of RESULTS.md (or put it before '## All figures'): between
    markers, so bench/run.py's kept_sections carries it over when `make bench` rewrites the file."""
    body = "\n".join([START, f"## {title}", "", *lines, *(["", *notes] if notes else []), END])
    text = path.read_text("utf-8") if path.is_file() else "# Benchmark results\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + body + rest.split(END, 1)[1]
    elif "\n## All figures" in text:
        head, rest = text.split("\n## All figures", 1)
        text = head.rstrip("\n") + "\n\n" + body + "\n\n## All figures" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text, "utf-8")


def load_arms(path: Path) -> list[Arm]:
    """Arms of an earlier run, from the file its --json wrote."""
    data = json.loads(path.read_text())
    return [Arm(label, a["ref"], Path(a["ref"]), False, a["commit"], a["runs"])
            for label, a in data.items()]


def measure(args: argparse.Namespace) -> list[Arm]:
    """Warm up and run every arm, interleaved; worktrees this script made are removed."""
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ab_quick-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    arms: list[Arm] = []
    try:
        for spec in args.arms:
            arms.append(make_arm(spec, workdir))
        envs = {a.label: arm_env(a, workdir) for a in arms}
        for arm in arms:
            check_imports(arm, envs[arm.label])
            if not args.no_warm_up:
                warm_up(arm, envs[arm.label], workdir)
        for rep in range(args.repeats):
            for arm in arms if rep % 2 == 0 else arms[::-1]:  # A B B A: no arm always goes first
                arm.runs.append(run_quick(arm, envs[arm.label], workdir / f"out-{arm.label}"))
                print(f"round {rep + 1}/{args.repeats} {arm.label}: "
                      f"{lookup(arm.runs[-1], FIGURES[0].path)} pages/CPU-s, load "
                      f"{arm.runs[-1]['derived']['load_1min_at_start']:.1f}", file=sys.stderr)
    finally:
        for arm in arms:
            if arm.made_worktree:
                git("worktree", "remove", "--force", str(arm.path))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {a.label: {"ref": a.ref, "commit": a.commit, "runs": a.runs} for a in arms}, indent=1))
    return arms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("arms", nargs="*", help="LABEL=COMMIT or LABEL=DIRECTORY; first = baseline")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--no-warm-up", action="store_true", help="skip each arm's warm-up run")
    parser.add_argument("--workdir", default=None, help="default: a temporary directory")
    parser.add_argument("--json", default=None, help="also write every run's figures here")
    parser.add_argument("--from-json", default=None,
                        help="no runs: the table of an earlier run's --json file")
    parser.add_argument("--section", default=None,
                        help="also write the table between ab_quick markers of this RESULTS.md")
    parser.add_argument("--title", default="A/B of make bench-quick between commits (same run)")
    parser.add_argument("--note", action="append", default=[],
                        help="a paragraph under the table (repeatable)")
    args = parser.parse_args()
    if args.from_json:
        arms = load_arms(Path(args.from_json))
    elif len(args.arms) < 2 or args.repeats < 1:
        parser.error("two or more arms (or --from-json) and --repeats >= 1")
    else:
        arms = measure(args)
    lines = report(arms)
    print("\n".join(lines))
    if args.section:
        write_section(Path(args.section), args.title, args.note, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
