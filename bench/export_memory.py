"""Peak RSS of `polyglyph export`, every format, on one or more datasets: an export streams, so
its peak should not grow with the dataset (run it on a dataset and on one 3-4x larger).

Each export runs in a fresh process (`python -m pipelines.cli export ... --quiet`, niceness 5);
its peak RSS is the kernel's ru_maxrss of that process (os.wait4), its CPU user+system seconds
from the same record. One JSON line per (dataset, format), then a table. Outputs are deleted.

    .venv/bin/python bench/export_memory.py DS [DS_4x ...] [--formats trl,coco] [--work DIR]

Make the datasets with `polyglyph generate --num N --out DS` (PNG pages, `--image-format png`,
are the heavy case: ~2.3 MB a page).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def formats() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from pipelines.export.registry import available_formats

    return list(available_formats())


def measure(dataset: Path, fmt: str, work: Path) -> dict[str, object]:
    """One export in a fresh process: its peak RSS (MiB), CPU seconds, output size."""
    out = work / f"export-{fmt}"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "export", "--input", str(dataset), "--format",
         fmt, "--out", str(out), "--quiet"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, preexec_fn=lambda: os.nice(5))
    _, status, usage = os.wait4(proc.pid, 0)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
    shutil.rmtree(out, ignore_errors=True)
    return {"dataset": str(dataset), "format": fmt, "exit": os.waitstatus_to_exitcode(status),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "input_mib": round(sum(p.stat().st_size for p in dataset.rglob("*.parquet")) / 2**20),
            "output_mib": round(size / 2**20), "error": stderr.strip()[-300:] or None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--formats", help="comma-separated (default: every format)")
    parser.add_argument("--work", type=Path, help="folder for the outputs (default: a temp one)")
    args = parser.parse_args()
    names = args.formats.split(",") if args.formats else formats()
    work = args.work or Path(tempfile.mkdtemp(prefix="export-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for dataset in args.datasets:
        for fmt in names:
            results.append(measure(dataset, fmt, work))
            print(json.dumps(results[-1]), flush=True)
    print(f"\n{'format':<11}" + "".join(f"{d.name + ' MiB':>16}" for d in args.datasets))
    for fmt in names:
        peaks = [r["peak_rss_mib"] for r in results if r["format"] == fmt]
        print(f"{fmt:<11}" + "".join(f"{p:>16}" for p in peaks))
    return 0 if all(r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
