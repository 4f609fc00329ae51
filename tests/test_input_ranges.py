"""Every number a user gives has a checked range: one line, exit 1, nothing allocated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize(("args", "culprit"), [
    (["generate", "--num", "99999999999999999999", "--dry-run"], "'num'"),
    (["generate", "--num", "5000000000", "--shard-rows", "1", "--dry-run"], "shards, over"),
    (["render", "--language", "en", "--width", "60000"], "--width 60000"),
    (["render", "--language", "en", "--height", "10"], "--height 10"),
    (["render", "--language", "en", "--style-mix", "nan"], "--style-mix nan"),
    # NaN slipped past `w < 0` (en=nan silently dropped en; inf failed every sample)
    (["generate", "--languages", "en=nan,de=1", "--dry-run"], "'languages'"),
    (["generate", "--languages", "en=inf", "--dry-run"], "'languages'"),
    (["generate", "--scenes", "document=nan", "--dry-run"], "'scenes'"),
    (["generate", "--profile", "scan=nan", "--dry-run"], "'profiles'"),
    (["generate", "--tasks", "spotting=1e400", "--dry-run"], "'tasks'"),
    (["generate", "--languages", "en=1e308,de=1e308", "--dry-run"], "'languages'"),
    # an empty list was read as "not given": the run silently used the config's mix
    (["generate", "--scenes=", "--dry-run"], "--scenes: empty value"),
    (["generate", "--scenes", " , ", "--dry-run"], "--scenes: empty value"),
    (["generate", "--languages=", "--dry-run"], "--languages: empty value"),
    (["generate", "--tasks=", "--dry-run"], "--tasks: empty value"),
    (["generate", "--validate-judges=", "--dry-run"], "--validate-judges: empty value"),
])  # fmt: skip
def test_out_of_range_numbers_are_one_line_errors(tmp_path: Path, args: list[str],
                                                  culprit: str) -> None:
    done = _run(*args, "--out", str(tmp_path / ("x.png" if args[0] == "render" else "out")))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and culprit in lines[0], done.stderr
    assert not any(tmp_path.iterdir())  # nothing written
