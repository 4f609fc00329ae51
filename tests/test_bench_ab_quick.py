"""bench/ab_quick.py's bookkeeping: its RESULTS.md section survives `make bench` rewriting the
file, and its ratio column reads > 1 for the better arm whichever way a figure points."""

from __future__ import annotations

from pathlib import Path

from bench_module import load_bench


def _run(cpu_ms: float, pages_per_cpu_s: float) -> dict:
    return {"date": "2026-12-07 08:00", "derived": {"load_1min_at_start": 3.0},
            "end_to_end_1_worker": {"worker_cpu_ms_per_row": cpu_ms,
                                    "pages_per_cpu_s": pages_per_cpu_s}}


def test_ratio_is_above_one_for_the_better_arm() -> None:
    ab = load_bench("ab_quick")
    old = ab.Arm("old", "x", Path("x"), False, "c1", [_run(200, 5.0), _run(220, 4.0)])
    new = ab.Arm("new", "y", Path("y"), False, "c2", [_run(100, 10.0), _run(100, 9.0)])
    rows = {r.split(" |")[0]: r for r in ab.table([old, new], ab.FIGURES[:2])}
    cpu = rows["| end-to-end worker CPU ms per row ↓"]
    assert cpu.endswith("| 2.100 |") and "210 [200–220]" in cpu  # 210 / 100: new is better
    speed = rows["| end-to-end pages per CPU-s (1 local worker, wild, 10 languages) ↑"]
    assert speed.endswith("| 2.111 |")  # 9.5 / 4.5


def test_section_survives_make_bench_report(tmp_path: Path) -> None:
    ab, run = load_bench("ab_quick"), load_bench("run")
    path = tmp_path / "RESULTS.md"
    run.write_report({"command": "make bench", "machine": "m", "date": "d"}, path)
    arms = [ab.Arm("old", "x", Path("x"), False, "c1", [_run(200, 5.0)]),
            ab.Arm("new", "y", Path("y"), False, "c2", [_run(100, 10.0)])]
    ab.write_section(path, "A/B", ["a note"], ab.report(arms))
    ab.write_section(path, "A/B", ["a note"], ab.report(arms))  # replaced, not added twice
    text = path.read_text()
    assert text.count(ab.START) == 1 and text.index(ab.END) < text.index("## All figures")
    run.write_report({"command": "make bench", "machine": "m", "date": "d"}, path)
    text = path.read_text()
    assert text.count(ab.START) == 1 and "a note" in text and "| 2.000 |" in text
