"""`make bench-downstream`: does a recognizer trained only on synthetic lines read real text?

For each arm (polyglyph with its default config restricted to the eval set's language, any
`--config FILE`, and TextRecognitionDataGenerator), make line crops, keep the first `--lines`
for training and lines from later pages for a held-out set, train the same small CRNN
(`bench/downstream_crnn.py`: same seed, steps and pixels per step, no augmentation) and read
the real lines in `--eval` (default `<repo>/../shared/realdev/latin-uw3`). PyTorch and trdg
live in a venv of their own, `bench/out/downstream-venv`, made here on first use: neither is
ever part of polyglyph's install (trdg 1.8 needs Pillow < 10 and opencv-python, which clash
with polyglyph's Pillow and opencv-python-headless).

Writes `bench/downstream.json` and a section of `bench/RESULTS.md` (between the
`<!-- downstream -->` markers, which `make bench` keeps), and prints the table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
VENV = HERE / "out" / "downstream-venv"
REQUIREMENTS = ["trdg==1.8.0", "pillow==9.5.0", "numpy"]  # trdg 1.8 calls getsize (Pillow < 10)
HEIGHT = 32  # the CRNN's input height; --max-width is in pixels at this height
START, END = "<!-- downstream:start -->", "<!-- downstream:end -->"
LINES_PER_PAGE_GUESS = 35  # first batch of pages; more are made if the crops fall short


def fail(message: str) -> None:
    print(f"bench-downstream: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def torch_requirement() -> str:
    """The local CPU wheel when there is one (PyPI's default torch pulls GBs of CUDA)."""
    wheels = sorted(Path("/opt/wheels").glob("torch-*+cpu-*.whl"))
    return f"torch=={wheels[-1].name.split('-')[1]}" if wheels else "torch"


def bench_python() -> str:
    """The bench venv's python, made (and filled) once; a stamp records what it holds."""
    stamp = VENV / ".installed"
    wanted = "\n".join([torch_requirement(), *REQUIREMENTS])
    python = VENV / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == wanted and python.exists():
        return str(python)
    print(f"making the bench venv {VENV} (PyTorch CPU, trdg)…", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    find = ["--find-links", "/opt/wheels"] if Path("/opt/wheels").is_dir() else []
    subprocess.run([str(python), "-m", "pip", "install", "-q", *find, *wanted.split("\n")],
                   check=True)
    stamp.write_text(wanted)
    return str(python)


def timed(cmd: list[str], **kw: object) -> tuple[float, float]:
    """Run a command; (wall s, CPU s of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        fail(f"{Path(cmd[0]).name} {' '.join(cmd[1:3])}… failed: {' | '.join(tail)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def width_at_height(png: Path) -> int:
    with Image.open(png) as img:
        return round(img.width * HEIGHT / max(img.height, 1))


def ray_worker_cpu(ds: Path) -> float:
    """Ray workers are no waited-for children of ours: their CPU seconds are in stats.json."""
    stats = json.loads((ds / "stats.json").read_text("utf-8")).get("throughput", {})
    if stats.get("executor", {}).get("kind") != "ray":
        return 0.0
    return float(stats.get("worker_cpu_seconds") or 0.0)


def polyglyph_arm(name: str, config: Path, work: Path, want: int, seed: int,
                  workers: int, max_width: int) -> dict:
    """Pages from `config` until `want` crops fit; crops grouped by page, in page order."""
    wall = cpu = 0.0
    pages: list[list[Path]] = []
    made = 0
    num = math.ceil(want / LINES_PER_PAGE_GUESS)
    for round_no in range(6):
        ds, lines = work / f"ds{round_no}", work / f"lines{round_no}"
        for step in ([POLYGLYPH, "generate", "--config", str(config), "--num", str(num),
                      "--seed", str(seed + round_no), "--out", str(ds), "--workers",
                      str(workers), "--shard-rows", str(math.ceil(num / workers)), "--quiet",
                      "--overwrite"],
                     [POLYGLYPH, "export", "--input", str(ds), "--format", "lines",
                      "--out", str(lines), "--quiet", "--overwrite"]):
            w, c = timed(step)
            wall, cpu = wall + w, cpu + c
        cpu += ray_worker_cpu(ds)
        by_row: dict[str, list[Path]] = {}
        for entry in map(json.loads, (lines / "index.jsonl").read_text("utf-8").splitlines()):
            png = lines / f"{entry['name']}.png"
            if width_at_height(png) <= max_width:
                by_row.setdefault(entry["row_id"], []).append(png)
        pages += list(by_row.values())
        made = sum(len(p) for p in pages)
        if made >= want:
            break
        per_page = max(made / max(len(pages), 1), 1.0)
        num = math.ceil((want - made) / per_page * 1.2) + 1
    if made < want:
        fail(f"arm {name}: only {made} usable line crops after 6 rounds of generation")
    return {"arm": name, "pages": pages, "gen_wall_s": wall, "gen_cpu_s": cpu}


def trdg_arm(python: str, work: Path, want: int, max_width: int, threads: int) -> dict:
    """trdg's own English dictionary, 1-8 words a line, 32 px, its other options default."""
    out = work / "trdg"
    shutil.rmtree(out, ignore_errors=True)
    trdg = str(Path(python).with_name("trdg"))
    count = math.ceil(want * 1.05) + 20  # a few lines come out wider than --max-width
    wall, cpu = timed([trdg, "-c", str(count), "-l", "en", "-w", "8", "-r", "-f", str(HEIGHT),
                       "-t", str(threads), "-na", "2", "--output_dir", str(out)])
    pages = []
    for raw in (out / "labels.txt").read_text("utf-8").splitlines():
        file, _, text = raw.partition(" ")
        image = out / file
        if not text.strip() or not image.is_file():
            continue
        png = image.with_suffix(".png")
        with Image.open(image) as img:
            img.convert("RGB").save(png)
        png.with_suffix(".gt.txt").write_text(text + "\n", "utf-8")
        if width_at_height(png) <= max_width:
            pages.append([png])  # one "page" per line: trdg lines are independent
    pages.sort(key=lambda p: int(p[0].stem) if p[0].stem.isdigit() else 0)
    return {"arm": "trdg", "pages": pages, "gen_wall_s": wall, "gen_cpu_s": cpu}


def split(pages: list[list[Path]], lines: int, heldout: int) -> tuple[list[Path], list[Path]]:
    """First `lines` crops train; held out: at most a tenth of `heldout` from each of whole
    pages from the end, never trained on (one page's style must not make the whole score)."""
    per_page = max(5, heldout // 10)
    held: list[Path] = []
    while pages and len(held) < heldout:
        page = pages.pop()
        step = max(1, len(page) // per_page)
        held = page[::step][:per_page] + held
    train = [p for page in pages for p in page][:lines]
    return train, held[-heldout:]


def train_command(python: str, arm: dict, work: Path, args: argparse.Namespace,
                  threads: int) -> list[str]:
    """Write the arm's train / held-out lists; the trainer's command line."""
    train, held = split(arm.pop("pages"), args.lines, args.heldout)
    if len(train) < args.lines:
        fail(f"arm {arm['arm']}: {len(train)} training lines, wanted {args.lines}")
    lists = {}
    for key, items in (("train", train), ("heldout", held)):
        lists[key] = work / f"{arm['arm'].replace(':', '-')}-{key}.txt"
        lists[key].write_text("".join(f"{p}\n" for p in items), "utf-8")
    return [python, str(HERE / "downstream_crnn.py"), "--train", str(lists["train"]),
            "--heldout", str(lists["heldout"]), "--eval", str(args.eval), "--steps",
            str(args.steps), "--budget", str(args.budget), "--max-width", str(args.max_width),
            "--seed", str(args.seed), "--threads", str(threads)]


def train_arms(python: str, arms: list[dict], work: Path, args: argparse.Namespace) -> list[dict]:
    """Train every arm at once, --threads split between them (a small CRNN uses one thread
    better than two, so on 2 cores two 1-thread runs beat two 2-thread runs in turn)."""
    threads = max(1, args.threads // max(len(arms), 1))
    running = {}
    for arm in arms:
        cmd = train_command(python, arm, work, args, threads)
        log = work / f"{arm['arm'].replace(':', '-')}-train.log"
        print(f"training on {arm['arm']}: {args.lines} lines, {args.steps} steps, "
              f"{threads} thread(s); log {log}", file=sys.stderr)
        out = (work / f"{arm['arm'].replace(':', '-')}-train.json").open("w+")
        proc = subprocess.Popen(cmd, stdout=out, stderr=log.open("w"))
        running[proc.pid] = (proc, arm, out, log, time.perf_counter())
    results = {}
    while running:
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        proc, arm, out, log, t0 = running.pop(pid)
        out.seek(0)
        lines = [ln for ln in out.read().splitlines() if ln.startswith("{")]
        if os.waitstatus_to_exitcode(status) != 0 or not lines:
            tail = (log.read_text().strip().splitlines() or ["?"])[-1]
            fail(f"training {arm['arm']} failed: {tail} (see {log})")
        results[arm["arm"]] = {**arm, **json.loads(lines[-1]),
                               "train_wall_s_total": time.perf_counter() - t0,
                               "train_cpu_s_total": usage.ru_utime + usage.ru_stime}
    return [results[arm["arm"]] for arm in arms]


def default_config(work: Path, languages: list[str]) -> Path:
    path = work / "polyglyph-default.yaml"
    path.write_text(json.dumps({"languages": languages}) + "\n", "utf-8")  # JSON is YAML
    return path


def default_eval() -> Path:
    """`<repo>/../shared/realdev/latin-uw3`; in a git worktree, also beside the main checkout."""
    rel = Path("..") / "shared" / "realdev" / "latin-uw3"
    first = (ROOT / rel).resolve()
    if first.is_dir():
        return first
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return first
    other = (Path(common).parent / rel).resolve() if common else first
    return other if other.is_dir() else first


def eval_dir(given: str | None) -> Path:
    path = Path(given) if given else default_eval()
    if not path.is_dir():
        fail(f"--eval {path}: no such folder (give a folder of NAME.png + NAME.gt.txt real lines)")
    if not any(path.glob("*.gt.txt")) or not any(path.glob("*.png")):
        fail(f"--eval {path}: holds no NAME.png + NAME.gt.txt pairs")
    return path


def table(results: list[dict]) -> list[str]:
    rows = ["| arm | train lines | generation s (wall / CPU) | train s (wall / CPU) | real CER | "
            "real CER case-folded | real line accuracy | own held-out CER |",
            "|---|---|---|---|---|---|---|---|"]
    for r in results:
        ev, ho = r["eval"], r["heldout"]
        rows.append(f"| {r['arm']} | {r['train_lines']} | {r['gen_wall_s']:.0f} / "
                    f"{r['gen_cpu_s']:.0f} | {r['train_s']:.0f} / {r['train_cpu_s']:.0f} | "
                    f"{ev['cer']:.3f} | {ev['cer_casefold']:.3f} | {ev['line_accuracy']:.3f} | "
                    f"{ho['cer']:.3f} ({ho['lines']} lines) |")
    return rows


def write_section(report: dict, path: Path) -> None:
    """Replace (or append) the downstream section of RESULTS.md, leaving the rest alone."""
    body = [START, "## Downstream: a CRNN trained on synthetic lines reads real ones (issue 13)", "",
            f"Command: `{report['command']}`  ",
            f"Date (UTC): {report['date']}; {report['machine']}  ",
            f"Load average at start / end: {report['load_start']} / {report['load_end']} "
            "(shared machine: wall seconds are inflated by the load; CPU seconds less so)  ",
            f"Eval: {report['eval_dir']} ({report['eval_lines']} real lines). Same CRNN, "
            f"{report['steps']} steps of <= {report['budget']} padded columns at {HEIGHT} px, "
            f"seed {report['seed']}, no augmentation; training crops at most "
            f"{report['max_width']} px wide at {HEIGHT} px high. CER = edits / reference "
            "characters (NFKC, spaces collapsed); line accuracy = exact match.", "",
            *table(report["arms"]), "", END]
    text = path.read_text("utf-8") if path.is_file() else "# Benchmark results\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + "\n".join(body) + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(body) + "\n"
    path.write_text(text, "utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=6000, help="training lines per arm")
    p.add_argument("--heldout", type=int, default=200, help="held-out synthetic lines per arm")
    p.add_argument("--steps", type=int, default=3000, help="training steps per arm")
    p.add_argument("--budget", type=int, default=1600, help="padded columns per batch")
    p.add_argument("--max-width", type=int, default=1600, help="widest training crop at 32 px")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch threads / trdg processes")
    p.add_argument("--workers", type=int, default=2, help="polyglyph generate workers")
    p.add_argument("--eval", default=None, help="folder of real NAME.png + NAME.gt.txt lines")
    p.add_argument("--languages", default="en", help="languages of the default polyglyph arm")
    p.add_argument("--config", action="append", default=[], metavar="FILE",
                   help="one more polyglyph arm per run config (repeatable)")
    p.add_argument("--arms", default="polyglyph,trdg",
                   help="built-in arms to run: polyglyph, trdg (comma list, may be empty)")
    p.add_argument("--small", action="store_true", help="a few minutes: 300 lines, 60 steps")
    p.add_argument("--out", default=str(HERE), help="folder for downstream.json and RESULTS.md")
    args = p.parse_args(argv)
    if args.small:
        args.lines, args.heldout, args.steps = 300, 50, 60
    for flag, value, lo, hi in (("--lines", args.lines, 10, 10**6), ("--steps", args.steps, 1, 10**6),
                                ("--heldout", args.heldout, 1, 10**5),
                                ("--budget", args.budget, 256, 10**6),
                                ("--max-width", args.max_width, 64, 10**4),
                                ("--threads", args.threads, 1, 256),
                                ("--workers", args.workers, 1, 256)):
        if not lo <= value <= hi:
            fail(f"{flag} {value}: use {lo}..{hi}")
    for cfg in args.config:
        if not Path(cfg).is_file():
            fail(f"--config {cfg}: no such file")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        fail(f"--out {out}: not a folder")
    try:  # checked before the half hour of work, not after it (a missing folder lost a run)
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: cannot make it ({exc.strerror or exc})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.eval = eval_dir(args.eval)
    work = HERE / "out" / "downstream"
    work.mkdir(parents=True, exist_ok=True)
    load_start = [round(x, 2) for x in os.getloadavg()]
    python = bench_python()
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    unknown = set(arms) - {"polyglyph", "trdg"}
    if unknown:
        fail(f"--arms: unknown {', '.join(sorted(unknown))}; use polyglyph, trdg")
    want = args.lines + 5 * args.heldout  # slack: held-out pages are taken whole
    made = []
    if "polyglyph" in arms:
        langs = [x.strip() for x in args.languages.split(",") if x.strip()]
        made.append(polyglyph_arm("polyglyph", default_config(work, langs), work / "polyglyph",
                                  want, args.seed, args.workers, args.max_width))
    for cfg in args.config:
        name = f"polyglyph:{Path(cfg).stem}"
        made.append(polyglyph_arm(name, Path(cfg).resolve(), work / name.replace(":", "-"),
                                  want, args.seed, args.workers, args.max_width))
    if "trdg" in arms:
        made.append(trdg_arm(python, work, want, args.max_width, args.threads))
    results = train_arms(python, made, work, args)
    report = {"command": "python bench/downstream.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
              "machine": f"{platform.platform()}, {os.cpu_count()} cores",
              "load_start": load_start, "load_end": [round(x, 2) for x in os.getloadavg()],
              "eval_dir": os.path.relpath(args.eval, ROOT), "eval_lines": results[0]["eval"]["lines"]
              if results else 0, "lines": args.lines, "steps": args.steps, "budget": args.budget,
              "max_width": args.max_width, "seed": args.seed, "arms": results}
    out = Path(args.out)
    print("\n".join(table(results)))  # shown before any file is written
    (out / "downstream.json").write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    write_section(report, out / "RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
