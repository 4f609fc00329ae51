"""The run driver's bounds and blame: a Ray run whose shard task hangs stops after the stall
window with one line naming the stuck shard, keeps the shards that finished, and the same run
resumes (real Ray, a local cluster); a cluster that cannot be reached or joined, a local Ray far
larger than the machine, and an OS error outside --out are each one line naming the culprit.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pipelines.driver import Run, drive, ray_executor
from pipelines.errors import PolyglyphError
from pipelines.manifest import ShardJob, plan_shards, read_manifest
from pipelines.output import Output
from pipelines.ray_executor import StallWatch
from pipelines.resume import open_output, resume_plan


def _shard(shared: dict[str, Any], job: ShardJob, target: str, on_row: Any) -> dict[str, Any]:
    """A shard of `job.rows` small lines; the shards listed in `shared["hang"]` never finish."""
    if job.index in shared["hang"]:
        time.sleep(3600)
    data = "".join(f"row {i}\n" for i in range(job.start, job.stop)).encode()
    for _ in range(job.rows):
        on_row()
    Output(target).write_atomic(job.name, data)
    return {"index": job.index, "file": job.name, "rows": job.rows, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "planned_rows": job.rows}


def _run(out: Output, jobs: list[ShardJob], hang: set[int], quiet: bool) -> Run:
    manifest = read_manifest(out)
    kept = resume_plan(out, manifest, "c" * 64, jobs, overwrite=False, side_files=())
    run = Run(out, {"config_hash": "c" * 64, "num_shards": len(jobs)}, jobs, kept)
    return drive(run, ray_executor(_shard, {"hang": hang}, out.target, None, 2, 10.0),
                 progress=not quiet)


def test_a_hung_shard_task_stops_the_run_and_the_rest_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("another test left Ray connected")
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # to Ray workers
    jobs = plan_shards(3, 1)
    with open_output(str(tmp_path / "out")) as out:
        started = time.monotonic()
        with pytest.raises(PolyglyphError) as caught:
            _run(out, jobs, {1}, quiet=False)
        waited = time.monotonic() - started
        message = str(caught.value)
        assert "\n" not in message and "data/part-00001.parquet (no row)" in message, message
        assert "--stall-timeout 10" in message and "2 finished shard(s)" in message, message
        assert 10 <= waited < 90, waited  # Ray's start and the window, not an hour
        manifest = read_manifest(out)
        assert manifest is not None and not manifest["complete"]
        assert sorted(e["index"] for e in manifest["shards"]) == [0, 2]
        # the same run without the hang keeps both shards and makes only the missing one
        run = _run(out, jobs, set(), quiet=True)
        assert run.manifest["complete"] and sorted(run.made) == [1]
    capsys.readouterr()


def test_without_row_reports_the_window_covers_the_biggest_shard() -> None:
    """--quiet runs get no row reports: a healthy shard of 1024 rows must never look stuck."""
    jobs = plan_shards(2048, 1024)
    assert StallWatch(1800, jobs, rows_reported=False).window >= 10 * 1024
    assert StallWatch(1800, jobs, rows_reported=True).window == 1800
    watch = StallWatch(10, jobs, rows_reported=True)
    watch.moved -= 11
    assert watch.tick(False, {0: 5}) is False  # a row made: the clock restarts
    watch.moved -= 11
    assert watch.tick(False, {0: 5}) is True


def test_the_stall_timeout_flag_has_a_checked_range(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from pipelines.cli import main as cli_main

    for value in ("5", "nan", "1e9"):
        code = cli_main(["generate", "--dry-run", "--num", "2", "--stall-timeout", value,
                         "--out", str(tmp_path / "g")])
        err = capsys.readouterr().err.strip()
        assert code == 1 and "stall_timeout" in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "g").exists()


def test_a_local_ray_of_far_more_workers_than_cores_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`generate --workers 4096` on a laptop started a local Ray of 4096 CPUs: a worker
    process each (Ray pre-starts one per CPU), fonts and corpus loaded in each. One line now,
    before anything is written; a named cluster decides its own size."""
    pytest.importorskip("ray")
    from pipelines.cli import main as cli_main
    from pipelines.driver import LOCAL_WORKERS_PER_CORE, choose_executor, local_cores

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    many = LOCAL_WORKERS_PER_CORE * local_cores() + 1
    code = cli_main(["generate", "--num", "8", "--shard-rows", "1", "--workers", str(many),
                     "--dry-run", "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and f"--workers {many}" in err and "\n" not in err, err
    assert not (tmp_path / "g").exists()
    assert choose_executor("auto", many, 8, "ray://head:10001", probe=False) == "ray"
    assert choose_executor("auto", many - 1, 8, None) == "ray"


def test_a_cluster_address_nothing_answers_at_is_one_line_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`--ray-address HOST:PORT` with no cluster there: ray.init retried for over 5 minutes
    (killed by `timeout 300` in the probe), printing Ray's own warnings. Now one line within
    the connect timeout, before the manifest is written."""
    import socket

    pytest.importorskip("ray")
    from pipelines.cli import main as cli_main

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    started = time.monotonic()
    code = cli_main(["generate", "--num", "2", "--languages", "en", "--quiet",
                     "--ray-address", f"127.0.0.1:{port}", "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and f"--ray-address 127.0.0.1:{port}" in err and "\n" not in err, err
    assert time.monotonic() - started < 60
    assert not (tmp_path / "g" / "manifest.json").exists()


def test_a_cluster_ray_cannot_join_is_blamed_not_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`--ray-address auto` with no cluster running said "cannot write to OUT: Could not find
    any running Ray instance" (Ray's ConnectionError is an OSError, which the driver reads as a
    write failure). Ray's own refusal stands in here: which cluster is running on a shared
    test machine is not ours to decide."""
    ray = pytest.importorskip("ray")
    from pipelines.cli import main as cli_main

    def refuse(**kwargs: Any) -> None:
        raise ConnectionError("Could not find any running Ray instance. Please specify the one "
                              "to connect to by setting `--address` flag.\nmore")

    from pipelines import ray_executor

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray, "init", refuse)
    # no cluster's address file either: a dead one left by another run on this machine is
    # refused before ray.init (its own test below), which is not what this test is about
    monkeypatch.setattr(ray_executor, "auto_address", lambda: None)
    code = cli_main(["generate", "--num", "2", "--languages", "en", "--quiet",
                     "--ray-address", "auto", "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "--ray-address auto: cannot join the Ray cluster" in err, err
    assert "cannot write" not in err and "\n" not in err, err


def test_an_os_error_outside_out_is_not_called_a_write_failure(tmp_path: Path) -> None:
    """A shard that lost an input file mid-run (a corpus on a network mount) stopped with
    "cannot write to /data/corpus.txt": the line names the file without blaming --out."""
    from pipelines.driver import local_executor

    gone = tmp_path / "corpus.txt"

    def reads(shared: Any, job: ShardJob, target: str, on_row: Any) -> dict[str, Any]:
        gone.read_text()
        raise AssertionError("unreachable")

    def writes(shared: Any, job: ShardJob, target: str, on_row: Any) -> dict[str, Any]:
        raise OSError(28, "No space left on device", f"{target}/data/x.tmp")

    for fn, expected in ((reads, f"{gone}: No such file or directory (during the run into"),
                         (writes, "cannot write to")):
        with open_output(str(tmp_path / "out")) as out:
            run = Run(out, {"config_hash": "c"}, plan_shards(1, 1), {})
            with pytest.raises(PolyglyphError) as caught:
                drive(run, local_executor(fn, None, out.target), progress=False)
        assert expected in str(caught.value), caught.value


def _serve_once(answer: bytes | None) -> tuple[int, Any]:
    """A TCP server on a free port that takes one connection and says `answer` (None: says
    nothing and holds the connection open until the test ends)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(1024)
            if answer is not None:
                conn.sendall(answer)
                conn.close()
            else:
                done.wait(30)
                conn.close()

    threading.Thread(target=serve, daemon=True).start()

    def stop() -> None:
        done.set()
        server.close()

    return server.getsockname()[1], stop


def test_a_port_where_something_else_answers_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`--ray-address HOST:PORT` where a web server (or the dashboard) listens: ray.init waited
    over 400 s printing Ray's warnings (`timeout 400` killed it). Now one line at once, before
    the manifest is written; a server that says nothing is refused within the connect timeout."""
    pytest.importorskip("ray")
    from pipelines.cli import main as cli_main
    from pipelines.ray_executor import CONNECT_SECONDS, check_reachable

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_USE_TLS", raising=False)
    port, stop = _serve_once(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    try:
        started = time.monotonic()
        code = cli_main(["generate", "--num", "2", "--languages", "en", "--quiet",
                         "--ray-address", f"127.0.0.1:{port}", "--out", str(tmp_path / "g")])
        err = capsys.readouterr().err.strip()
        assert code == 1 and "\n" not in err, err
        assert f"--ray-address 127.0.0.1:{port}: something answers there but not a Ray" in err
        assert "HTTP/1.0 400 Bad Request" in err and time.monotonic() - started < 60
        assert not (tmp_path / "g" / "manifest.json").exists()
    finally:
        stop()
    port, stop = _serve_once(None)
    try:
        started = time.monotonic()
        with pytest.raises(PolyglyphError, match="not a Ray cluster .it said 'nothing'"):
            check_reachable(f"ray://127.0.0.1:{port}", "RAY_ADDRESS")
        assert time.monotonic() - started < CONNECT_SECONDS + 5
    finally:
        stop()


def test_a_real_ray_cluster_passes_the_greeting() -> None:
    """The check must never refuse Ray itself: a local cluster's GCS (token auth on, as Ray
    2.60 sets it up) answers the HTTP/2 greeting with SETTINGS."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("another test left Ray connected")
    from pipelines.ray_executor import check_reachable

    ray.init(address="local", num_cpus=1, include_dashboard=False, logging_level="WARNING")
    try:
        check_reachable(ray.get_runtime_context().gcs_address, "--ray-address")
    finally:
        ray.shutdown()


def test_auto_at_a_dead_clusters_address_file_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`--ray-address auto` after a `ray start` whose cluster has died: Ray read the address
    file it left and waited over 120 s (killed by `timeout 120`), with manifest.json already
    written. Now the address auto means is checked like any other: one line, nothing written.
    The GCS processes running on this shared machine are hidden (Ray would pick one of them)."""
    import socket

    pytest.importorskip("ray")
    from ray._private import services

    from pipelines.cli import main as cli_main

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{port}")
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(services, "find_gcs_addresses", lambda: frozenset())
    started = time.monotonic()
    code = cli_main(["generate", "--num", "2", "--languages", "en", "--quiet",
                     "--ray-address", "auto", "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "\n" not in err, err
    assert "--ray-address auto (" in err and f":{port}): no Ray cluster answers there" in err, err
    assert time.monotonic() - started < 60
    assert not (tmp_path / "g" / "manifest.json").exists()
