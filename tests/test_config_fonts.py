"""`fonts.include` / `fonts.exclude` that leave no family were ignored without a word: the
pages fell back to the language's own chain (Noto Sans), so a typo in a family name made a run
that looked right and was not the one asked for. Now they are one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(tmp_path: Path, fonts: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "run.yaml"
    config.write_text(f"languages: [en, ar]\nfonts: {fonts}\n")
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "generate", "--dry-run",
                           "--config", str(config), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("fonts", "culprit"), [
    ('{include: ["Noto Serf*"]}', "fonts.include 'Noto Serf*'"),
    ('{include: ["Noto Sans*", "Nope"]}', "fonts.include 'Nope'"),
    ('{exclude: ["*"]}', "fonts.exclude"),
])  # fmt: skip
def test_font_filters_that_match_nothing_are_refused(tmp_path: Path, fonts: str, culprit: str) -> None:
    done = _dry_run(tmp_path, fonts)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and culprit in lines[0], done.stderr
    assert not (tmp_path / "out").exists()


def test_font_filters_that_match_are_accepted(tmp_path: Path) -> None:
    done = _dry_run(tmp_path, '{include: ["Noto Sans*"], exclude: ["Noto Sans Mono*"]}')
    assert done.returncode == 0, done.stderr


def test_a_font_dir_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    """`generate --font-dir /typo` ran on the installed fonts alone, as `fonts` already refused."""
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "generate", "--dry-run",
                           "--font-dir", str(tmp_path / "typo"), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert f"--font-dir {tmp_path / 'typo'}: not a directory" in done.stderr
