"""polyglyph touches only files it made (issue 21, class 4).

A user's README.md or notes in --out stop a run; a rerun with a smaller --num never deletes
shards without --overwrite; two runs on one directory never run at once, and a run killed with
-9 leaves no lock behind (flock: the kernel releases it with the process). The lock test runs
real `polyglyph` processes; the others call the CLI's `main` in this process (a process a call
made them 40 s of the suite for what no process boundary changes).
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from pipelines.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
TINY = "page_sizes: [[256, 320]]\nscenes: {document: 1}\nprofiles: {clean: 1}\nlanguages: [en]\n"


def _args(config: Path, out: Path, num: int, *extra: str) -> list[str]:
    return ["generate", "--config", str(config), "--num", str(num), "--shard-rows", "1",
            "--out", str(out), "--workers", "1", "--executor", "local", "--quiet", *extra]


def _cmd(config: Path, out: Path, num: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *_args(config, out, num, *extra)]


class Done(NamedTuple):
    """What a `polyglyph` call ended with, in-process: its exit status and its stderr."""

    returncode: int
    stderr: str


@pytest.fixture()
def polyglyph(capfd: pytest.CaptureFixture[str]) -> Callable[..., Done]:
    """`polyglyph generate` with `_args`'s arguments through `pipelines.cli.main`."""

    def run(config: Path, out: Path, num: int, *extra: str) -> Done:
        capfd.readouterr()
        code = cli_main(_args(config, out, num, *extra))
        return Done(code, capfd.readouterr().err)

    return run


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)  # generous: a busy CI box


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_a_users_files_in_out_stop_the_run_and_stay(config: Path, tmp_path: Path,
                                                    polyglyph: Callable[..., Done]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "README.md").write_text("my notes\n")
    res = polyglyph(config, out, 1)
    assert res.returncode == 1
    err = res.stderr.strip().splitlines()[-1]  # (a font cache rebuilt first may warn above)
    assert err.startswith("polyglyph generate: error:"), res.stderr
    assert "README.md" in err and "--overwrite" in err, res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    assert (out / "README.md").read_text() == "my notes\n"
    # --overwrite: polyglyph's files are written (its README.md replaces that one), the
    # user's other files stay
    (out / "notes.txt").write_text("keep me\n")
    assert polyglyph(config, out, 1, "--overwrite").returncode == 0
    assert (out / "notes.txt").read_text() == "keep me\n"
    assert (out / "README.md").read_text() != "my notes\n"
    # a file added to a finished dataset: the rerun stops and names it
    (out / "notes.txt").unlink()
    (out / "extra.csv").write_text("a,b\n")
    res = polyglyph(config, out, 1)
    assert res.returncode == 1 and "extra.csv" in res.stderr
    assert (out / "extra.csv").read_text() == "a,b\n"
    # so does one put beside the shards in data/, and --overwrite leaves it there
    (out / "extra.csv").unlink()
    (out / "data" / "part-00007.csv").write_text("c\n")
    res = polyglyph(config, out, 1)
    assert res.returncode == 1 and "data/part-00007.csv" in res.stderr, res.stderr
    assert polyglyph(config, out, 1, "--overwrite").returncode == 0
    assert (out / "data" / "part-00007.csv").read_text() == "c\n"


def test_a_smaller_num_never_deletes_shards(config: Path, tmp_path: Path,
                                            polyglyph: Callable[..., Done]) -> None:
    out = tmp_path / "num"
    assert polyglyph(config, out, 2).returncode == 0
    second = _digest(out / "data/part-00001.parquet")
    res = polyglyph(config, out, 1)
    assert res.returncode == 1 and "data/part-00001.parquet" in res.stderr, res.stderr
    assert _digest(out / "data/part-00001.parquet") == second
    assert polyglyph(config, out, 1, "--overwrite").returncode == 0
    assert sorted(p.name for p in out.rglob("part-*")) == ["part-00000.parquet"]


@pytest.mark.slow
def test_one_run_per_directory_and_a_killed_run_leaves_no_lock(config: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "locked"
    # far more samples than it can make before it is killed: it holds the lock throughout
    first = subprocess.Popen(_cmd(config, out, 100_000), cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / ".polyglyph.lock").exists() and time.monotonic() < deadline:
            assert first.poll() is None, "the first run ended before it was seen running"
            time.sleep(0.05)
        res = _run(_cmd(config, out, 100_000))
        assert first.poll() is None, "the first run ended: the lock was never contended"
        assert res.returncode == 1
        assert f"pid {first.pid}" in res.stderr and "another polyglyph run" in res.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert (out / ".polyglyph.lock").exists()  # left by the killed run, but no longer held
    made = len(list(out.glob("data/part-*.parquet")))
    res = _run(_cmd(config, out, max(1, made)))  # resumes what the killed run made
    assert res.returncode == 0, res.stderr
    assert not (out / ".polyglyph.lock").exists()
    assert len(list(out.glob("data/part-*.parquet"))) == max(1, made)
