"""Exit status through the real `polyglyph` console script: 2 for a bad command line on every
subcommand (argparse's convention), one line naming the flag; 1 stays for a PolyglyphError."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import COMMANDS

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("generate", "--no-such-flag"), "--no-such-flag"),
        (("generate", "--image-format", "gif"), "'gif'"),
        (("generate", "--num", "many"), "'many'"),
        (("render", "--scene"), "--scene"),
        (("inspect",), "required"),
        (("export", "--input", "x", "--format", "nope", "--out", "y"), "'nope'"),
        (("languages", "--bogus"), "--bogus"),
        (("nosuchcommand",), "'nosuchcommand'"),
    ],
)
def test_bad_command_lines_exit_2_in_one_line(args: tuple[str, ...], culprit: str) -> None:
    result = _run(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and culprit in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_every_subcommand_refuses_an_unknown_flag_with_2() -> None:
    code = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
    for name in COMMANDS:  # in-process per command would keep imports: one interpreter each
        result = subprocess.run([sys.executable, "-c", code, name, "--zz-unknown"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (name, result.stderr)
        # the unknown flag, or the required ones argparse checks first
        assert ("--zz-unknown" in result.stderr or "required" in result.stderr), result.stderr
        assert result.stderr.startswith(f"polyglyph {name}: error: ") and (
            result.stderr.count("\n") == 1), result.stderr


def test_errors_about_the_run_still_exit_1(tmp_path: Path) -> None:
    result = _run("generate", "--languages", "xx-nope", "--num", "1", "--out",
                  str(tmp_path / "ds"))
    assert result.returncode == 1, result.stderr
    assert "unknown language 'xx-nope'" in result.stderr and result.stderr.count("\n") == 1
