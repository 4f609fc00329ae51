"""The two-judge figures of issue 19, as a new user gets them: `polyglyph generate`, then
`polyglyph validate --judges tesseract,rapidocr --workers 2` as a child process.

- speed: 24 clean rows (4 each of en, zh-Hans, ja, ar, hi, ru; scenes document, table, form,
  receipt), the validate child's wall time and CPU seconds (user + system, all its threads)
  per row, and its parallel efficiency (CPU-s / wall-s / workers: how much of the cores it
  held; on a shared machine the load average says how much it could hold); agreement on
  printed views where both judges cover the language (en, zh-Hans, ja): the share of (check, judge) scores at the task's threshold, over views without handwriting.
- wild: ~40 `wild` rows (the same six languages); every line the renderer flagged legible is
  read as a line check (`line_checks` large); the share whose status is `verified`.
Used by bench_qa.py (`--speed`, `--wild-lines`); prints nothing itself.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

LANGUAGES = ("en", "zh-Hans", "ja", "ar", "hi", "ru")
BOTH_COVER = frozenset({"en", "zh-Hans", "ja"})
POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))


def _run(args: list[str], timeout: float = 3600.0) -> tuple[float, float]:
    """Run a polyglyph command; (wall s, CPU s of the child and its threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"polyglyph {args[0]} exit {proc.returncode}: {proc.stderr[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def make_clean(folder: Path, per_language: int = 4) -> Path:
    """24 clean rows, one shard per language (seeds 11..16), in `folder/in`."""
    source = folder / "in"
    source.mkdir(parents=True, exist_ok=True)
    for k, language in enumerate(LANGUAGES):
        out = folder / f"gen-{language}"
        _run(["generate", "--num", str(per_language), "--out", str(out), "--seed", str(11 + k),
              "--languages", language, "--scenes", "document,table,form,receipt",
              "--profile", "clean", "--workers", "1", "--quiet", "--overwrite"])
        shard = next(iter(sorted(out.glob("data/part-*.parquet")) or sorted(out.glob("part-*"))))
        shutil.copy(shard, source / f"part-{k:05d}.parquet")
    return source


def make_wild(folder: Path, rows: int = 40) -> Path:
    out = folder / "wild"
    _run(["generate", "--num", str(rows), "--out", str(out), "--seed", "5",
          "--languages", ",".join(LANGUAGES), "--profile", "wild", "--workers", "1",
          "--quiet", "--overwrite"])
    return out


def validate(source: Path, out: Path, workers: int, extra: list[str] | None = None
             ) -> tuple[float, float]:
    return _run(["validate", "--input", str(source), "--out", str(out), "--judges",
                 "tesseract,rapidocr", "--workers", str(workers), "--no-progress",
                 "--overwrite", *(extra or [])])


def _rows(out: Path) -> list[dict[str, Any]]:
    rows = []
    for part in sorted(out.glob("data/part-*.parquet")) or sorted(out.glob("part-*.parquet")):
        rows += pq.read_table(part, columns=["language", "validation", "status"]).to_pylist()
    return rows


def agreement_both_cover(out: Path) -> dict[str, Any]:
    """Per judge and pooled: share of ok scores on printed checks of en/zh-Hans/ja rows."""
    oks: dict[str, list[bool]] = {"tesseract": [], "rapidocr": []}
    by_task: dict[str, list[bool]] = {}
    for row in _rows(out):
        if row["language"] not in BOTH_COVER:
            continue
        for check in json.loads(row["validation"])["checks"]:
            if check.get("handwritten"):
                continue
            scored = {n: j for n, j in check["judges"].items() if j.get("ok") is not None}
            if set(scored) != set(oks):  # both judges read this view
                continue
            for name, entry in scored.items():
                oks[name].append(bool(entry["ok"]))
                by_task.setdefault(check["task"], []).append(bool(entry["ok"]))
    pooled = oks["tesseract"] + oks["rapidocr"]
    share = (lambda v: round(sum(v) / len(v), 4) if v else None)  # noqa: E731
    return {
        "agreement_printed_both_cover": share(pooled),
        "by_judge": {n: share(v) for n, v in oks.items()},
        "by_task": {t: share(v) for t, v in sorted(by_task.items())},
        "scores": len(pooled),
    }


def status_counts(out: Path) -> dict[str, int]:
    return dict(sorted(Counter(r["status"] for r in _rows(out)).items()))


def wild_lines(out: Path) -> dict[str, Any]:
    """Line checks (legible lines only) by status, overall and per language."""
    total: Counter[str] = Counter()
    per_language: dict[str, Counter[str]] = {}
    for row in _rows(out):
        for check in json.loads(row["validation"])["checks"]:
            if check["task"] != "line":
                continue
            total[check["status"]] += 1
            per_language.setdefault(row["language"], Counter())[check["status"]] += 1

    def share(c: Counter[str]) -> float | None:
        n = sum(c.values())
        return round(c["verified"] / n, 4) if n else None

    return {
        "legible_lines_checked": sum(total.values()),
        "verified_share": share(total),
        "status": dict(sorted(total.items())),
        "verified_share_by_language": {k: share(v) for k, v in sorted(per_language.items())},
    }


def speed(workers: int = 2, keep: str | None = None) -> dict[str, Any]:
    folder = Path(keep or tempfile.mkdtemp(prefix="polyglyph-judges-"))
    try:
        source = make_clean(folder)
        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in source.glob("*.parquet"))
        load_before = os.getloadavg()[0]
        wall, cpu = validate(source, folder / "out", workers)
        return {
            "rows": rows,
            "workers": workers,
            "wall_s_per_row": round(wall / rows, 3),
            "cpu_s_per_row": round(cpu / rows, 3),
            "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1),
            "parallel_efficiency": round(cpu / wall / workers, 3),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
            "target_wall_s_per_row": 2.0,
            "page_status": status_counts(folder / "out"),
            **agreement_both_cover(folder / "out"),
        }
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def wild(rows: int = 40, workers: int = 2, keep: str | None = None) -> dict[str, Any]:
    folder = Path(keep or tempfile.mkdtemp(prefix="polyglyph-wild-"))
    try:
        source = make_wild(folder, rows)
        rules = folder / "rules.yaml"
        rules.write_text("line_checks: 1000\n", encoding="utf-8")  # the most a rule allows
        wall, cpu = validate(source, folder / "out", workers, ["--rules", str(rules)])
        return {"rows": rows, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                "target_verified_share": 0.5, **wild_lines(folder / "out")}
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
