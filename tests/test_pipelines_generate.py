"""`polyglyph generate` end to end: real renderer, real Ray, real `datasets`, real kill -9.

One small reference run (6 tiny pages, 3 shards) made in-process; every other run (Ray with 2
workers and a crashing worker, a 2-node Ray cluster, a driver killed mid-run and resumed) must
reproduce its shard hashes byte for byte.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fault_hooks import CrashOnce, FailSamples
from PIL import Image

import pipelines.run
from pipelines import telemetry
from pipelines.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
NUM, SHARD_ROWS = 6, 2
TINY = """\
page_sizes: [[256, 320]]
scenes: {document: 1}
profiles: {clean: 1, scan: 1}
languages: [en, ar, ja]
shard_rows: 2
"""


def _hashes(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "manifest.json").read_text())
    return {s["file"]: s["sha256"] for s in manifest["shards"]}


def _file_hashes(out: Path) -> dict[str, str]:
    import hashlib

    return {f"data/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.glob("data/part-*.parquet"))}


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def reference(config_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "ds"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLYGLYPH_MEMORY_TELEMETRY", "1")  # the opt-in memory split, checked below
        # the split is taken at shards that raise this process's peak RSS: other tests made
        # shards in this process before, so start the run's peak record afresh
        mp.setattr(telemetry, "_PEAK_REPORTED", [0.0])
        code = cli_main(["generate", "--config", str(config_file), "--num", str(NUM),
                         "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 0
    return out


def test_reference_run_writes_contract(reference: Path) -> None:
    names = sorted(str(p.relative_to(reference)) for p in reference.rglob("*"))
    assert names == ["README.md", "data", "data/part-00000.parquet", "data/part-00001.parquet",
                     "data/part-00002.parquet", "manifest.json", "stats.json"]
    assert "path: data/*.parquet" in (reference / "README.md").read_text()
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["complete"] and manifest["num"] == NUM and len(manifest["shards"]) == 3
    assert _hashes(reference) == _file_hashes(reference)
    assert manifest["config"]["languages"] == {"ar": 1.0, "en": 1.0, "ja": 1.0}
    stats = json.loads((reference / "stats.json").read_text())
    assert stats["rows"] == NUM and sum(stats["by_language"].values()) == NUM
    assert stats["failed_samples"] == 0
    worker = stats["throughput"]
    assert worker["worker_processes"] == 1  # the local executor is this process
    assert worker["worker_cpu_seconds"] > 0 and 0 < worker["worker_busy_fraction"] <= 1
    assert worker["worker_peak_rss_mib"] > 50
    assert 50 < worker["worker_rss_at_first_shard_mib"] <= worker["worker_peak_rss_mib"]
    assert 0 < worker["worker_thread_cpu_seconds"] <= worker["worker_cpu_seconds"] + 0.01
    split = worker["worker_memory_mib_at_peak_shard"]  # the first shard always sets a peak
    # font pages resident at the peak: none is possible in a process whose earlier tests warmed
    # the glyph caches and whose font pages `release_font_pages` gave back (test order)
    assert split["fonts"] >= 0 and 0 <= split["fonts_mapped_again"] <= split["fonts"]
    assert split["rss"] >= split["anonymous"] > 0
    assert "cpu_seconds" not in manifest["shards"][0]  # per-run measurements stay in stats
    ids = [r for p in sorted(reference.glob("data/part-*.parquet"))
           for r in pq.read_table(p, columns=["id", "index"]).to_pylist()]
    assert [r["index"] for r in ids] == list(range(NUM))
    assert len({r["id"] for r in ids}) == NUM


def test_load_dataset_gives_pil_images_and_polygons(reference: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset(str(reference), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == NUM
    row = ds[1]
    assert isinstance(row["image"], Image.Image)
    assert row["image"].size == (row["width"], row["height"])
    assert row["lines"] and all(len(ln["polygon"]) >= 4 for ln in row["lines"])
    assert row["text"].split("\n")[0] == row["lines"][0]["text"]
    assert row["language"] in {"en", "ar", "ja"}
    assert json.loads(row["render"])["width"] == 256
    streamed = next(iter(datasets.load_dataset(str(reference), split="train", streaming=True)))
    assert isinstance(streamed["image"], Image.Image) and streamed["id"] == ds[0]["id"]


def test_ray_two_workers_with_a_worker_killed_mid_task(
    reference: Path, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "crashed-once"
    monkeypatch.setattr(pipelines.run, "sample_hook", CrashOnce(str(marker)))
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[CrashOnce.__module__])  # to Ray workers
    out = tmp_path / "ray2"
    code = cli_main(["generate", "--config", str(config_file), "--num", str(NUM),
                     "--out", str(out), "--workers", "2", "--quiet"])
    assert code == 0
    assert marker.exists(), "the crash hook never fired, so no retry was exercised"
    assert json.loads((out / "manifest.json").read_text())["executor"]["kind"] == "ray"
    assert _file_hashes(out) == _file_hashes(reference)
    throughput = json.loads((out / "stats.json").read_text())["throughput"]
    assert throughput["worker_processes"] >= 1 and throughput["worker_cpu_seconds"] > 0
    # the driver's own niceness (0 in CI; Ray alone would start workers at nice 15)
    assert throughput["worker_niceness"] == os.nice(0)


def test_two_node_ray_cluster_gives_same_bytes(reference: Path, config_file: Path,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        out = tmp_path / "cluster"
        code = cli_main(["generate", "--config", str(config_file), "--num", str(NUM),
                         "--out", str(out), "--workers", "2", "--ray-address", cluster.address])
        assert code == 0
        assert _file_hashes(out) == _file_hashes(reference)
        # with a bar, rows reach it through the progress actor (quiet runs start no actor)
        assert f"{NUM}/{NUM}" in capsys.readouterr().err
        ray.shutdown()
        # no address while another Ray runs on this machine: start our own, not join that one
        own = tmp_path / "own"
        code = cli_main(["generate", "--config", str(config_file), "--num", str(NUM),
                         "--out", str(own), "--workers", "2", "--executor", "ray", "--quiet"])
        assert code == 0
        assert _file_hashes(own) == _file_hashes(reference)
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


def test_driver_killed_then_resumed_matches_clean_run(config_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "pipelines.cli", "generate", "--config", str(config_file),
           "--num", str(NUM), "--shard-rows", "1", "--out", str(out), "--workers", "1", "--quiet"]
    # one sample per shard so the kill lands between shards; compared with a clean run
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("data/part-*.parquet")) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"], "run finished before the kill; the test proves nothing"
    done_before = len(manifest["shards"])
    assert done_before < NUM
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["shards"]) == NUM
    rows = [r for p in sorted(out.glob("data/part-*.parquet"))
            for r in pq.read_table(p, columns=["id", "index"]).to_pylist()]
    assert len(rows) == NUM and len({r["id"] for r in rows}) == NUM
    assert not list(out.rglob("*.tmp"))
    clean = tmp_path / "clean"
    assert cli_main(["generate", "--config", str(config_file), "--num", str(NUM),
                     "--shard-rows", "1", "--out", str(clean), "--workers", "1", "--quiet"]) == 0
    assert _file_hashes(out) == _file_hashes(clean) == _hashes(out)


def test_resume_remakes_damaged_and_missing_shards(reference: Path, config_file: Path,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    out = tmp_path / "resume"
    shutil.copytree(reference, out)
    (out / "data/part-00001.parquet").write_bytes(b"damaged")
    (out / "data/part-00002.parquet").unlink()
    before = (out / "data/part-00000.parquet").stat().st_mtime_ns
    argv = ["generate", "--config", str(config_file), "--num", str(NUM), "--out", str(out),
            "--workers", "1", "--quiet"]
    assert cli_main(argv) == 0
    assert _file_hashes(out) == _file_hashes(reference)
    assert (out / "data/part-00000.parquet").stat().st_mtime_ns == before  # kept, not remade
    stats = json.loads((out / "stats.json").read_text())
    assert stats["throughput"]["shards_kept"] == 1
    assert stats["throughput"]["shards_made_this_run"] == 2
    ref_stats = json.loads((reference / "stats.json").read_text())
    assert stats["by_language"] == ref_stats["by_language"]  # kept shard counted from its file
    assert "stats" not in json.loads((out / "manifest.json").read_text())["shards"][0]
    # --resume-check size trusts sizes only: a same-size corruption slips through, sha256 not
    data = bytearray((out / "data/part-00002.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (out / "data/part-00002.parquet").write_bytes(bytes(data))
    assert cli_main([*argv, "--resume-check", "size"]) == 0
    assert _file_hashes(out) != _file_hashes(reference)
    assert cli_main(argv) == 0
    assert _file_hashes(out) == _file_hashes(reference)
    # a different config in the same directory is refused, --overwrite replaces it
    capsys.readouterr()
    assert cli_main([*argv, "--seed", "9"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "different config" in err and "--overwrite" in err
    assert _file_hashes(out) == _file_hashes(reference)
    assert cli_main([*argv, "--seed", "9", "--overwrite"]) == 0
    assert _file_hashes(out) != _file_hashes(reference)
    assert len(_file_hashes(out)) == 3


def test_changing_num_shrinks_and_extends_the_same_run(reference: Path, config_file: Path,
                                                       tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "num"
    shutil.copytree(reference, out)
    base = ["generate", "--config", str(config_file), "--out", str(out), "--workers", "1",
            "--quiet"]
    before = _file_hashes(out)
    assert cli_main([*base, "--num", "3"]) == 1  # would drop part-00002: never without asking
    assert _file_hashes(out) == before
    assert cli_main([*base, "--num", "3", "--overwrite"]) == 0
    assert sorted(_file_hashes(out)) == ["data/part-00000.parquet", "data/part-00001.parquet"]
    first = "data/part-00000.parquet"
    assert _file_hashes(out)[first] == _file_hashes(reference)[first]
    assert pq.read_table(out / "data/part-00001.parquet").num_rows == 1
    assert cli_main([*base, "--num", str(NUM)]) == 0
    assert _file_hashes(out) == _file_hashes(reference)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--languages", "xx-nope"], "unknown language 'xx-nope'"),
        (["--scenes", "moon"], "unknown scene 'moon'"),
        (["--image-format", "gif"], "invalid choice: 'gif'"),
        (["--config", "{bad}"], "config file not found"),
        (["--num", "0"], "'num'"),
        (["--corpus", "en"], "expected LANG=PATH"),
        (["--corpus", "en=/nonexistent/file.txt"], "/nonexistent/file.txt"),
        (["--tasks", "spotting,dance"], "unknown task 'dance'"),
        (["--profile", "nosuchprofile"], "nosuchprofile"),
        (["--languages", "en", "--target-language", "qq"], "unknown language 'qq'"),
    ],
)
def test_user_errors_are_one_line_and_leave_nothing(
    extra: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    config_file: Path,
) -> None:
    if extra[:2] == ["--config", "{bad}"]:
        extra = ["--config", str(tmp_path / "missing.yaml")]
    out = tmp_path / "never"
    argv = ["generate", "--num", "2", "--out", str(out), "--quiet", *extra]
    if "--config" not in extra:
        argv += ["--config", str(config_file)]
    assert cli_main(argv) == (2 if "invalid choice" in expected else 1)  # argparse's: 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert not out.exists()


def test_out_is_a_file_or_unwritable(tmp_path: Path, config_file: Path,
                                     capfd: pytest.CaptureFixture[str]) -> None:
    # in-process (the CLI's main; capfd sees every write to fd 2): two processes made this 9 s
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    for target, expected in ((a_file, "is a file"), (Path("/proc/pg-unwritable/ds"), "not writable")):
        capfd.readouterr()
        code = cli_main(["generate", "--config", str(config_file), "--num", "2",
                         "--out", str(target), "--quiet"])
        err = capfd.readouterr().err
        assert code == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], err
    assert a_file.read_text() == "x"
    assert not list(tmp_path.rglob("part-*.parquet"))


def test_corpus_override_and_png_output(config_file: Path, tmp_path: Path) -> None:
    text = tmp_path / "en.txt"
    text.write_text("Zebrafish quizzically juggle seventeen violet lanterns tonight.\n" * 3, "utf-8")
    out = tmp_path / "corpus"
    assert cli_main(["generate", "--config", str(config_file), "--num", "2", "--languages", "en",
                     "--corpus", f"en={text}", "--image-format", "png", "--profile", "clean",
                     "--out", str(out), "--workers", "1", "--quiet"]) == 0
    rows = pq.read_table(out / "data/part-00000.parquet").to_pylist()
    assert any("Zebrafish" in r["text"] or "lanterns" in r["text"] for r in rows)
    assert all(r["image"]["bytes"][:8] == b"\x89PNG\r\n\x1a\n" for r in rows)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["corpus"]["en"]["path"] == str(text.resolve())


def test_rows_remake_from_their_records(reference: Path) -> None:
    from pipelines.rows import stored_image_bytes
    from pipelines.sample import remake_page, worker_context

    manifest = json.loads((reference / "manifest.json").read_text())
    ctx = worker_context(manifest["config"], manifest["config_hash"])
    rows = pq.read_table(reference / "data/part-00001.parquet").to_pylist()
    image = manifest["config"]["image"]
    for row in rows:
        page = remake_page(row, ctx)
        stored = stored_image_bytes(page, image["format"], image["quality"])
        assert stored == row["image"]["bytes"]
        assert [ln.text for ln in page.lines] == [ln["text"] for ln in row["lines"]]


def test_failed_samples_are_skipped_reported_and_bounded(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(pipelines.run, "sample_hook", FailSamples(frozenset({1})))
    base = ["generate", "--config", str(config_file), "--num", "4", "--workers", "1", "--quiet"]
    out = tmp_path / "fail"
    assert cli_main([*base, "--out", str(out), "--max-failed-fraction", "0.5"]) == 0
    rows = [r for p in sorted(out.glob("data/part-*.parquet"))
            for r in pq.read_table(p, columns=["index"]).to_pylist()]
    assert [r["index"] for r in rows] == [0, 2, 3]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["failed_samples"] == 1 and stats["failures"][0]["index"] == 1
    assert "test hook" in capsys.readouterr().err
    assert cli_main([*base, "--out", str(tmp_path / "fail2")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "1 of 4 samples failed, more than max_failed_fraction" in err[-1]


def test_one_driver_per_output_directory(config_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import fcntl
    import socket

    out = tmp_path / "locked"
    out.mkdir()
    lock = out / ".polyglyph.lock"
    argv = ["generate", "--config", str(config_file), "--num", "2", "--out", str(out),
            "--workers", "1", "--quiet"]
    with lock.open("w") as held:  # as a running driver holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        held.flush()
        assert cli_main(argv) == 1
        err = capsys.readouterr().err
        assert "being written by another polyglyph run" in err and f"pid {os.getpid()}" in err
        assert not list(out.rglob("part-*"))
    assert lock.exists()  # a lock file nobody holds (its run was killed) is no lock
    assert cli_main(argv) == 0
    assert not lock.exists() and len(list(out.glob("data/part-*.parquet"))) == 1


def test_inspect_draws_a_row(reference: Path, tmp_path: Path) -> None:
    png = tmp_path / "row.png"
    assert cli_main(["inspect", str(reference), "--index", "4", "--out", str(png)]) == 0
    drawn = Image.open(png)
    assert drawn.size[0] == 256 and drawn.size[1] > 320
    assert cli_main(["inspect", str(reference), "--index", "99", "--out", str(png)]) == 1


def test_a_dataset_in_the_old_layout_is_read_but_not_resumed(
    reference: Path, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Shards beside manifest.json (before they moved to data/): inspect reads them as they are;
    generate on that folder stops with one line saying how, and touches nothing."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(reference, old)
    for shard in sorted((old / "data").iterdir()):
        shard.rename(old / shard.name)
    (old / "data").rmdir()
    manifest = (old / "manifest.json").read_text().replace('"data/part-', '"part-')
    (old / "manifest.json").write_text(manifest)
    png = tmp_path / "row.png"
    assert cli_main(["inspect", str(old), "--index", "5", "--out", str(png)]) == 0
    assert Image.open(png).size[0] == 256
    before = sorted(p.name for p in old.iterdir())
    capsys.readouterr()
    assert cli_main(["generate", "--config", str(config_file), "--num", str(NUM),
                     "--out", str(old), "--workers", "1", "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "data/" in err and "--overwrite" in err, err
    assert sorted(p.name for p in old.iterdir()) == before


def test_polyglyph_console_script_help_lists_options() -> None:
    exe = Path(sys.executable).with_name("polyglyph")
    res = subprocess.run([str(exe), "generate", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 0
    for flag in ("--config", "--num", "--out", "--seed", "--languages", "--profile", "--workers",
                 "--ray-address", "--executor", "--shard-rows", "--overwrite"):
        assert flag in res.stdout


def test_ray_workers_are_recycled_after_their_rows_with_the_same_bytes(
    reference: Path, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Ray worker process makes RECYCLE_ROWS rows, then a fresh one takes over (a native heap
    # creeps over a long run); at 2 rows each 2-row shard runs in a process of its own
    import pipelines.ray_executor as ray_executor

    monkeypatch.setattr(ray_executor, "RECYCLE_ROWS", SHARD_ROWS)
    out = tmp_path / "recycled"
    code = cli_main(["generate", "--config", str(config_file), "--num", str(NUM),
                     "--out", str(out), "--workers", "1", "--executor", "ray", "--quiet"])
    assert code == 0
    assert _file_hashes(out) == _file_hashes(reference)
    throughput = json.loads((out / "stats.json").read_text())["throughput"]
    assert throughput["worker_processes"] == NUM // SHARD_ROWS


def test_long_local_runs_recycle_their_process_with_the_same_bytes(
    reference: Path, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    # a local run of more than RECYCLE_ROWS rows makes its shards in forked processes retired
    # after that many rows, as Ray workers are; at 2 rows each 2-row shard gets its own. A
    # process dying mid-shard is one line, leaves no partial shard, and the rerun resumes
    import pipelines.ray_executor as ray_executor

    monkeypatch.setattr(ray_executor, "RECYCLE_ROWS", SHARD_ROWS)
    argv = ["generate", "--config", str(config_file), "--num", str(NUM), "--workers", "1",
            "--executor", "local", "--quiet", "--out"]
    assert cli_main([*argv, str(tmp_path / "recycled")]) == 0
    assert _file_hashes(tmp_path / "recycled") == _file_hashes(reference)
    stats = json.loads((tmp_path / "recycled" / "stats.json").read_text())
    assert stats["throughput"]["worker_processes"] == NUM // SHARD_ROWS
    out = tmp_path / "crashed-run"
    monkeypatch.setattr(pipelines.run, "sample_hook", CrashOnce(str(tmp_path / "crashed")))
    assert cli_main([*argv, str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "exit status 17" in err, err
    assert (tmp_path / "crashed").read_text() != str(os.getpid())  # in a child, not here
    assert not list(out.glob("data/*.tmp"))
    assert cli_main([*argv, str(out)]) == 0  # the marker is there: every shard goes through
    assert _file_hashes(out) == _file_hashes(reference)
