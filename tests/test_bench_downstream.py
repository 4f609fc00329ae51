"""The downstream bench's bookkeeping: held-out pages never trained on, the RESULTS.md section
survives `make bench` rewriting the file, and OCRopus-style `NAME.bin.png` finds `NAME.gt.txt`."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_module import load_bench


def test_heldout_pages_are_spread_and_unseen() -> None:
    downstream = load_bench("downstream")
    pages = [[Path(f"p{i}_{k}.png") for k in range(n)] for i, n in enumerate([9, 8, 7, 9, 8, 9])]
    train, held = downstream.split([list(p) for p in pages], lines=10, heldout=10)
    assert len(train) == 10 and len(held) == 10
    held_pages = {p.stem.split("_")[0] for p in held}
    assert len(held_pages) == 2  # at most 5 (a tenth, at least 5) from each page
    assert not {p.stem.split("_")[0] for p in train} & held_pages
    assert [p.stem for p in train][:9] == [f"p0_{k}" for k in range(9)]


def test_section_survives_make_bench_report(tmp_path: Path) -> None:
    downstream, run = load_bench("downstream"), load_bench("run")
    path = tmp_path / "RESULTS.md"
    arm = {"arm": "polyglyph", "train_lines": 10, "gen_wall_s": 1.0, "gen_cpu_s": 2.0,
           "train_s": 3.0, "train_cpu_s": 4.0,
           "eval": {"cer": 0.5, "cer_casefold": 0.4, "line_accuracy": 0.1, "lines": 70},
           "heldout": {"cer": 0.2, "lines": 50}}
    report = {"command": "x", "date": "d", "machine": "m", "load_start": [1], "load_end": [2],
              "eval_dir": "e", "eval_lines": 70, "steps": 5, "budget": 300, "seed": 0,
              "max_width": 800, "arms": [arm]}
    downstream.write_section(report, path)
    downstream.write_section(report, path)  # replaced, not appended twice
    assert path.read_text().count(downstream.START) == 1
    run.write_report({"command": "make bench", "machine": "m", "date": "d"}, path)
    text = path.read_text()
    assert text.startswith("# Benchmark results") and "| polyglyph | 10 |" in text
    assert text.count(downstream.END) == 1


def test_ocropus_names_find_their_labels(tmp_path: Path) -> None:
    pytest.importorskip("torch")  # the trainer runs in the bench venv; skip where torch is absent
    crnn = load_bench("downstream_crnn")
    (tmp_path / "a.gt.txt").write_text("x")
    assert crnn.label_path(tmp_path / "a.bin.png") == tmp_path / "a.gt.txt"


def test_out_folder_is_made_or_refused_before_any_work(tmp_path: Path) -> None:
    """A missing --out folder failed only when the half-hour run wrote its results at the end
    (and its figures were lost): it is made at once, and a file there is one line, up front."""
    import subprocess
    import sys

    downstream = load_bench("downstream")
    downstream.parse_args(["--out", str(tmp_path / "new" / "folder")])
    assert (tmp_path / "new" / "folder").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    proc = subprocess.run([sys.executable, str(Path(downstream.__file__)), "--out", str(blocker)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        f"bench-downstream: error: --out {blocker}: not a folder"]
    assert blocker.read_text() == "mine"
