"""Inline cross-validation during `generate` adds the same columns as the `validate` pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import datasets

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
STATUSES = {"verified", "hard", "unreadable", "unvalidated", "unchecked"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYGLYPH, "generate", *args], capture_output=True, text=True)


def test_generate_with_tesseract_judge_writes_validation_columns(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("--num", "2", "--languages", "en,ru", "--scenes", "document", "--profile", "clean",
               "--validate-judges", "tesseract", "--executor", "local", "--quiet",
               "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_dataset(str(out), split="train")
    for name in ("validation", "difficulty", "agreement", "status", "keep"):
        assert name in ds.column_names
    for row in ds:
        assert row["status"] in STATUSES
        assert 0.0 <= row["difficulty"] <= 1.0
        checks = json.loads(row["validation"])["checks"]
        assert checks, "a clean document page must have checked views"
    # clean printed pages are read back by a real OCR engine
    assert any(row["status"] == "verified" for row in ds)


def test_unknown_judge_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("--num", "2", "--validate-judges", "nope", "--out", str(out))
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0]
    assert not out.exists() or not list(out.rglob("part-*.parquet"))
