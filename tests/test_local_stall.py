"""`--stall-timeout` on the local executor (`--workers 1`): a row that never ends used to hang
the run for good (only the Ray path had a bound). Now the run stops with one line naming the
stuck shard, leaves no partial shard, keeps the finished ones, and the same command resumes
into the bytes a clean run writes. The soft stop (a signal to the main thread) covers rows
stuck in Python or asleep; the hard stop (the watch thread ends the process) covers a run whose
main thread cannot be reached.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import pipelines.run
from pipelines.driver import Run, drive, local_executor
from pipelines.errors import PolyglyphError
from pipelines.manifest import ShardJob, plan_shards, read_manifest
from pipelines.output import Output
from pipelines.resume import open_output

ROOT = Path(__file__).resolve().parent.parent


def _shard(shared: dict[str, Any], job: ShardJob, target: str, on_row: Any) -> dict[str, Any]:
    """One tiny row per index, written through a temporary file like a real shard; a shard in
    `shared["hang"]` writes its first row, then sleeps (or spins, `shared["spin"]`) forever."""
    out = Output(target)
    with out.open_atomic(job.name) as sink:
        for index in range(job.start, job.stop):
            sink.write(f"row {index}\n".encode())
            on_row()
            if job.index in shared["hang"]:
                if shared.get("spin"):
                    while True:  # a Python loop that never ends, catching everything
                        try:
                            sum(range(1000))
                        except Exception:
                            pass
                time.sleep(3600)
        size, digest = sink.commit()
    return {"index": job.index, "file": job.name, "rows": job.rows, "bytes": size,
            "sha256": digest, "planned_rows": job.rows}


def _drive(tmp_path: Path, hang: set[int], spin: bool = False) -> Run:
    with open_output(str(tmp_path / "out")) as out:
        run = Run(out, {"config_hash": "c" * 64, "num_shards": 3}, plan_shards(6, 2), {})
        return drive(run, local_executor(_shard, {"hang": hang, "spin": spin}, out.target, 1.0),
                     progress=False)


@pytest.mark.parametrize("spin", [False, True], ids=["asleep", "spinning"])
def test_a_hung_row_stops_the_local_run_in_one_line(tmp_path: Path, spin: bool) -> None:
    import signal

    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(PolyglyphError) as caught:
        _drive(tmp_path, {1}, spin)
    waited = time.monotonic() - started
    message = str(caught.value)
    assert "\n" not in message, message
    assert "data/part-00001.parquet stuck after 1 of 2 rows" in message, message
    assert "--stall-timeout 1" in message and "1 finished shard(s)" in message, message
    assert 1.0 <= waited < 10, waited
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "data").iterdir()) == ["part-00000.parquet"]
    manifest = read_manifest(Output(str(out)))
    assert manifest is not None and not manifest["complete"]
    assert [e["index"] for e in manifest["shards"]] == [0]
    # the SIGALRM handler (pytest-timeout's here) is put back
    assert signal.getsignal(signal.SIGALRM) is before


def test_a_slow_but_moving_run_is_not_stopped(tmp_path: Path) -> None:
    def slow(shared: Any, job: ShardJob, target: str, on_row: Any) -> dict[str, Any]:
        for _ in range(job.rows):
            time.sleep(0.6)  # each row under the 1 s window, each shard well over it
            on_row()
        return _shard({"hang": set()}, job, target, lambda: None)

    with open_output(str(tmp_path / "out")) as out:
        run = Run(out, {"config_hash": "c"}, plan_shards(6, 3), {})
        done = drive(run, local_executor(slow, None, out.target, 1.0), progress=False)
    assert done.manifest["complete"] and sorted(done.made) == [0, 1]


HARD = textwrap.dedent("""
    import sys, threading, time
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from pipelines.driver import Run, drive, local_executor
    from pipelines.manifest import plan_shards
    from pipelines.resume import open_output
    from test_local_stall import _shard

    def work():  # not the main thread: no signal handler can reach it, only the hard stop
        with open_output({out!r}) as out:
            run = Run(out, {{"config_hash": "c"}}, plan_shards(4, 2), {{}})
            drive(run, local_executor(_shard, {{"hang": {{1}}}}, out.target, 1.0,
                                      "generate"), progress=False)

    threading.Thread(target=work).start()
    time.sleep(60)
    print("not stopped")
""")


def test_a_run_the_signal_cannot_reach_is_ended_with_the_same_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = HARD.format(tests=str(ROOT / "tests"), out=str(out))
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    err = done.stderr.strip()
    assert done.returncode == 1 and "not stopped" not in done.stdout, (done.stdout, err)
    assert len(err.splitlines()) == 1 and err.startswith("polyglyph generate: error: "), err
    assert "data/part-00001.parquet stuck after 1 of 2 rows" in err, err
    # no partial shard: the temporary file of the stuck shard is gone
    assert sorted(p.name for p in (out / "data").iterdir()) == ["part-00000.parquet"]


@pytest.mark.parametrize("recycled", [False, True])
def test_generate_on_one_worker_stops_on_a_hung_row_and_resumes_to_the_same_bytes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, recycled: bool) -> None:
    """The real command: `generate --workers 1` whose second sample hangs stops after the
    window, and the rerun without the hang writes the bytes of a clean run. `recycled`: each
    shard in a child process (a run longer than RECYCLE_ROWS, pipelines.local_recycle), which
    the driver kills, its partial shard removed."""
    import pipelines.ray_executor as ray_executor
    from pipelines.cli import main as cli_main

    if recycled:
        monkeypatch.setattr(ray_executor, "RECYCLE_ROWS", 1)

    flags = ["generate", "--num", "2", "--shard-rows", "1", "--workers", "1", "--languages",
             "en", "--scenes", "receipt", "--quiet", "--stall-timeout", "10"]
    assert cli_main([*flags, "--out", str(tmp_path / "ref")]) == 0  # also loads the fonts

    def hang(index: int, middle: bool) -> None:
        if index == 1:
            time.sleep(3600)

    monkeypatch.setattr(pipelines.run, "sample_hook", hang)
    capsys.readouterr()
    started = time.monotonic()
    code = cli_main([*flags, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    assert "data/part-00001.parquet stuck after 0 of 1 rows" in err, err
    assert 10 <= time.monotonic() - started < 60
    assert sorted(p.name for p in (tmp_path / "out" / "data").iterdir()) == ["part-00000.parquet"]
    monkeypatch.setattr(pipelines.run, "sample_hook", None)
    assert cli_main([*flags, "--out", str(tmp_path / "out")]) == 0
    for name in ("part-00000.parquet", "part-00001.parquet"):
        made, ref = (hashlib.sha256((tmp_path / d / "data" / name).read_bytes()).hexdigest()
                     for d in ("out", "ref"))
        assert made == ref, name


def test_someone_elses_alarm_still_reaches_its_own_handler() -> None:
    """pytest-timeout (and any other user of SIGALRM) keeps its alarm while a run is watched."""
    import signal

    from pipelines.local_watch import StallGuard

    seen: list[int] = []
    before = signal.signal(signal.SIGALRM, lambda signum, frame: seen.append(signum))
    try:
        with StallGuard(60.0, lambda: "unused", lambda: None, "generate"):
            signal.raise_signal(signal.SIGALRM)
        assert seen == [signal.SIGALRM]
    finally:
        signal.signal(signal.SIGALRM, before)


GUARD = textwrap.dedent("""
    import sys, threading, time
    from pipelines.local_watch import StallGuard

    def cleanup():
        {cleanup}

    def work():  # not the main thread: only the hard stop can end it
        with StallGuard(1.0, lambda: "stuck", cleanup, "generate"):
            time.sleep(60)

    threading.Thread(target=work).start()
    time.sleep(50)
    print("not stopped")
""")


@pytest.mark.parametrize("cleanup", ["raise RuntimeError('no credentials')",
                                     "time.sleep(600)  # a remote listing that never answers"])
def test_the_hard_stop_ends_the_run_whatever_its_cleanup_does(cleanup: str) -> None:
    script = GUARD.format(cleanup=cleanup)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    err = done.stderr.strip()
    assert done.returncode == 1 and "not stopped" not in done.stdout, (done.stdout, err)
    assert err == "polyglyph generate: error: stuck", err
