"""The cluster path as written (#20): datasets on S3 read by every command, the store's own errors,
storage settings and corpus text reaching Ray workers on other nodes.

Real parts: moto's S3 server on 127.0.0.1 (reached through `AWS_ENDPOINT_URL`, as a MinIO user
would), real Parquet, real Tesseract, and for the slow test a 2-node Ray cluster started with
two `ray start` commands (token auth on), whose nodes do NOT have the AWS settings: only the
job's runtime_env gives them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from s3_server import moto_bucket

from pipelines.cli import main as cli_main
from pipelines.output import Output

TINY = "page_sizes: [[256, 320]]\nscenes: {document: 1}\nprofiles: {clean: 1}\nlanguages: [en, he]\n"
BUCKET = "polyglyph-cluster"
VENV_BIN = Path(sys.executable).parent
TOTAL_SECONDS = 600  # the 2-node test's every wait; ~2 min on a 2-core machine at load 18


@pytest.fixture(scope="module")
def s3_env() -> Iterator[dict[str, str]]:
    """A moto S3 server; this process's AWS_* settings point at it (endpoint, keys, region)."""
    with moto_bucket(BUCKET, secret="test-secret-value", endpoint_env=True):
        yield {key: os.environ[key] for key in (
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")}


@pytest.fixture(scope="module")
def s3_dataset(s3_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    cfg = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    cfg.write_text(TINY)
    uri = f"s3://{BUCKET}/ds"
    assert cli_main(["generate", "--config", str(cfg), "--num", "2", "--shard-rows", "1",
                     "--out", uri, "--workers", "1", "--quiet"]) == 0
    return uri


def _manifest(uri: str) -> dict:
    return json.loads(Output(uri).read_bytes("manifest.json"))


def _download(uri: str, into: Path) -> Path:
    out = Output(uri)
    for entry in _manifest(uri)["shards"]:
        target = into / entry["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(out.read_bytes(entry["file"]))
    return into


def test_inspect_reads_an_s3_folder_and_one_s3_shard(s3_dataset: str, tmp_path: Path) -> None:
    from pipelines.inspect import read_row

    png = tmp_path / "row.png"
    assert cli_main(["inspect", s3_dataset, "--index", "1", "--out", str(png)]) == 0
    assert Image.open(png).size[0] == 256
    second = _manifest(s3_dataset)["shards"][1]["file"]
    assert read_row(f"{s3_dataset}/{second}", 0)["id"] == read_row(s3_dataset, 1)["id"]


def test_variants_from_s3_match_variants_from_the_same_local_rows(s3_dataset: str,
                                                                   tmp_path: Path) -> None:
    local = _download(s3_dataset, tmp_path / "in")
    common = ["--format", "parquet", "--profile", "clean", "--copies", "1", "--quiet"]
    assert cli_main(["variants", "--input", s3_dataset, "--out", f"s3://{BUCKET}/var", *common]) == 0
    assert cli_main(["variants", "--input", str(local), "--out", str(tmp_path / "var"), *common]) == 0
    remote = [e["sha256"] for e in _manifest(f"s3://{BUCKET}/var")["shards"]]
    mine = [e["sha256"] for e in json.loads((tmp_path / "var/manifest.json").read_text())["shards"]]
    assert remote == mine and len(remote) == 1


def test_validate_reads_and_writes_s3(s3_dataset: str) -> None:
    out = f"s3://{BUCKET}/validated"
    assert cli_main(["validate", "--input", s3_dataset, "--out", out, "--judges", "tesseract",
                     "--no-progress"]) == 0
    manifest = _manifest(out)
    assert manifest["validation"]["complete"] and manifest["validation"]["input"] == s3_dataset
    from pipelines.dataset import open_dataset

    rows = list(open_dataset(out).rows(columns=["id", "status"]))
    assert len(rows) == 2 and all(r["status"] for r in rows)


def test_export_reads_s3(s3_dataset: str, tmp_path: Path) -> None:
    out = tmp_path / "lines"
    assert cli_main(["export", "--input", s3_dataset, "--format", "lines", "--out", str(out),
                     "--quiet"]) == 0
    marker = json.loads((out / "export.json").read_text())
    assert marker["status"] == "done" and marker["summary"]["rows"] == 2
    assert marker["input"] == s3_dataset


def test_a_missing_bucket_is_the_stores_own_one_line_error(
        s3_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "x.png"
    for argv in (["inspect", "s3://no-such-bucket-pg/ds", "--out", str(png)],
                 ["validate", "--input", "s3://no-such-bucket-pg/ds", "--out", str(tmp_path / "v")],
                 ["generate", "--num", "1", "--out", "s3://no-such-bucket-pg/ds", "--quiet"]):
        assert cli_main(argv) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert "no-such-bucket-pg" in err and "s3fs" not in err
        assert "NoSuchBucket" in err or "not found" in err, err


def test_an_unreachable_store_says_so(s3_env: dict[str, str], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    started = time.monotonic()
    assert cli_main(["inspect", f"s3://{BUCKET}/ds", "--out", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "s3fs" not in err
    assert "connect" in err.lower(), err
    assert time.monotonic() - started < 60


def test_storage_env_and_redaction() -> None:
    from pipelines.storage import redact, split_secrets, storage_env

    env = {"AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": "http://x", "HOME": "/root",
           "FSSPEC_S3_ANON": "true", "GOOGLE_APPLICATION_CREDENTIALS": "/k.json", "PATH": "/bin"}
    assert storage_env(env) == {k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_SECRET_ACCESS_KEY",
                                                    "FSSPEC_S3_ANON",
                                                    "GOOGLE_APPLICATION_CREDENTIALS")}
    shown = redact("s3://AKIA:hunter2@b/p?secret_key=hunter2&region=eu-west-1")
    assert "hunter2" not in shown and "region=eu-west-1" in shown and shown.startswith("s3://***@b/p")
    assert redact("/local/path") == "/local/path"
    settings, secret = split_secrets({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
                                      "AWS_SESSION_TOKEN": "c", "AWS_ENDPOINT_URL": "d",
                                      "AWS_DEFAULT_REGION": "e", "AZURE_STORAGE_KEY": "f",
                                      "AZURE_STORAGE_CONNECTION_STRING": "g"})
    assert sorted(settings) == ["AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"] and len(secret) == 5


def test_a_submitted_jobs_own_env_vars_are_not_named_again(monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """Ray refuses a driver runtime_env naming a variable the submitted job sets already."""
    from pipelines.ray_executor import JOB_CONFIG_ENV, job_env_vars

    wanted = {"AWS_ACCESS_KEY_ID": "a", "AWS_ENDPOINT_URL": "http://x", "ARROW_X": "system"}
    monkeypatch.delenv(JOB_CONFIG_ENV, raising=False)
    assert job_env_vars(wanted) == wanted
    job = {"runtime_env": {"env_vars": {"AWS_ACCESS_KEY_ID": "a", "OTHER": "1"}}}
    monkeypatch.setenv(JOB_CONFIG_ENV, json.dumps(job))
    assert job_env_vars(wanted) == {"AWS_ENDPOINT_URL": "http://x", "ARROW_X": "system"}


def test_a_worker_store_error_is_its_own_line() -> None:
    """A Ray task's OSError from an object store has no errno: its text is the message."""
    from pipelines.ray_executor import task_cause

    class Wrapped(Exception):  # the shape of ray.exceptions.RayTaskError: .cause
        cause = OSError("When initiating multiple part upload for key 'ds/x' in bucket 'b': "
                        "AWS Error NO_SUCH_BUCKET during CreateMultipartUpload operation\n"
                        "Traceback (most recent call last): …")

    assert task_cause(Wrapped("ray's wrapper\nwith its traceback")) == (
        "OSError: When initiating multiple part upload for key 'ds/x' in bucket 'b': "
        "AWS Error NO_SUCH_BUCKET during CreateMultipartUpload operation")


def test_a_shipped_corpus_reads_the_same_rows_without_its_file(tmp_path: Path) -> None:
    from fonts_manifest import corpus_ship
    from fonts_manifest.corpus_stream import open_corpus
    from fonts_manifest.errors import PolyglyphError

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("".join(f"line {i} of the first file\n" for i in range(50)))
    (folder / "b.jsonl").write_text("".join(json.dumps({"text": f"row {i}"}) + "\n"
                                            for i in range(30)))
    spec = str(folder)
    before = open_corpus(spec)
    texts = [before.text(i) for i in range(before.total)]
    digest = before.digest()
    packs = corpus_ship.pack_local([spec, "s3://elsewhere/c.txt"])  # URIs are not packed
    assert [p.spec for p in packs] == [spec]
    for name in ("a.txt", "b.jsonl"):
        (folder / name).unlink()  # as on a node that never had the files
    corpus_ship.install(packs)
    try:
        after = open_corpus(spec)
        assert [after.text(i) for i in range(after.total)] == texts and after.digest() == digest
    finally:
        corpus_ship._INSTALLED.clear()
    parallel = tmp_path / "para.jsonl"  # two columns of one file: its bytes go once
    parallel.write_text("".join(json.dumps({"de": f"Zeile {i}", "en": f"row {i}"}) + "\n"
                                for i in range(20)))
    de, en = corpus_ship.pack_local([f"{parallel}#de", f"{parallel}#en"])
    assert de.data[str(parallel)] is en.data[str(parallel)]
    corpus_ship.install([de, en])
    try:
        assert open_corpus(f"{parallel}#de").aligned_with(open_corpus(f"{parallel}#en"))
        assert open_corpus(f"{parallel}#en").text(3) == "row 3"
    finally:
        corpus_ship._INSTALLED.clear()
    with pytest.raises(PolyglyphError, match="too much to send"):
        (folder / "a.txt").write_text("xyz\n" * 100)
        corpus_ship.pack(str(folder / "a.txt"), budget=10)


@pytest.mark.slow
def test_ray_workers_read_a_corpus_file_that_is_gone(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus file disappears right after the driver packs it (as on a node that never had
    it): Ray workers still make the local run's bytes, from the packs in the object store."""
    pytest.importorskip("ray")
    import pipelines.run

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    corpus = tmp_path / "en.txt"
    corpus.write_text("".join(f"Shipped with the job, row {i} reads the same.\n" for i in range(40)))
    run = ["generate", "--config", str(cfg), "--num", "2", "--shard-rows", "1", "--seed", "3",
           "--corpus", f"en={corpus}", "--quiet"]
    assert cli_main([*run, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    packed = pipelines.run.ship_corpora

    def pack_then_remove(resolved: dict) -> tuple:
        packs = packed(resolved)
        corpus.unlink()
        return packs

    monkeypatch.setattr(pipelines.run, "ship_corpora", pack_then_remove)
    assert cli_main([*run, "--workers", "2", "--executor", "ray",
                     "--out", str(tmp_path / "ray")]) == 0
    assert not corpus.exists()
    shards = [json.loads((tmp_path / d / "manifest.json").read_text())["shards"]
              for d in ("local", "ray")]
    assert [e["sha256"] for e in shards[0]] == [e["sha256"] for e in shards[1]]


# --- a real 2-node Ray cluster on this machine ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """`ray start … --block` in its own session, so it and every process it starts are ours
    to end by id (never `ray stop`, which stops every Ray on the machine)."""
    ports = [f"--dashboard-agent-listen-port={_free_port()}",
             f"--dashboard-agent-grpc-port={_free_port()}",
             f"--metrics-export-port={_free_port()}", f"--runtime-env-agent-port={_free_port()}"]
    return subprocess.Popen([str(VENV_BIN / "ray"), "start", *args, "--num-cpus=1", "--block",
                             "--disable-usage-stats", *ports],
                            env=env, start_new_session=True, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


def _wait_started(log: Path, proc: subprocess.Popen, deadline: float) -> None:
    while "Ray runtime started" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"ray start did not come up: {log.read_text(errors='replace')[-800:]}")
        time.sleep(0.3)


def _end_session(proc: subprocess.Popen) -> None:
    """SIGTERM to `ray start --block` (it stops its node), then SIGKILL whatever of its
    session is left, by process id. Never raises: the next node must be ended too."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            pass
    listing = subprocess.run(["ps", "-eo", "pid=,sid="], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        pid, sid = line.split()
        if sid == str(proc.pid):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _moto_user(endpoint: str) -> dict[str, str]:
    """An IAM user of the moto server allowed s3:*, and its access key: once moto checks
    signatures, only a request signed with this key gets through."""
    boto3 = pytest.importorskip("boto3")
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    iam.create_user(UserName="polyglyph-ray")
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="polyglyph-ray", PolicyName="s3",
                        PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="polyglyph-ray")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def _moto_auth(endpoint: str, on: bool) -> None:
    """moto checks every request's signature from now on (or, off, accepts any again)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth",
                                     data=b"0" if on else b"inf", method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200


def _session_logs(head_log: Path) -> Path:
    found = re.search(r"(/\S+/session_[^/\s]+)/logs", head_log.read_text(errors="replace"))
    assert found, "the head's log names its session folder"
    return Path(found[1]) / "logs"


@pytest.mark.slow
def test_two_node_ray_cluster_writes_the_local_bytes_to_s3(
        s3_env: dict[str, str], tmp_path: Path) -> None:
    """Nodes without storage settings, moto checking signatures with a key only the driver
    has: the shards reach S3 only if settings and credentials reach both nodes' workers."""
    pytest.importorskip("ray")
    started = time.monotonic()
    deadline = started + TOTAL_SECONDS
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    corpus = tmp_path / "en.txt"
    corpus.write_text("".join(f"Every node reads row {i} of this corpus the same way.\n"
                              for i in range(40)))
    run = ["--config", str(cfg), "--num", "2", "--shard-rows", "1", "--seed", "7",
           "--corpus", f"en={corpus}", "--quiet"]
    token = secrets.token_hex(16)
    # the nodes: token auth, and none of the driver's storage settings
    node_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    node_env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token, RAY_USAGE_STATS_ENABLED="0")
    from ray.util import get_node_ip_address

    address = f"{get_node_ip_address()}:{_free_port()}"  # where Ray's GCS listens
    port = address.rsplit(":", 1)[1]
    key = _moto_user(s3_env["AWS_ENDPOINT_URL"])
    head = _ray_start(["--head", f"--port={port}", "--include-dashboard=false"], node_env,
                      tmp_path / "head.log")
    nodes = [head]
    uri = f"s3://{BUCKET}/ray-run"
    try:
        _wait_started(tmp_path / "head.log", head, deadline)
        nodes.append(_ray_start([f"--address={address}"], node_env, tmp_path / "node.log"))
        _wait_started(tmp_path / "node.log", nodes[1], deadline)
        _moto_auth(s3_env["AWS_ENDPOINT_URL"], on=True)
        cluster = subprocess.run(
            [str(VENV_BIN / "polyglyph"), "generate", *run, "--workers", "2",
             "--ray-address", address, "--out", uri],
            env={**node_env, **s3_env, **key}, capture_output=True, text=True,
            timeout=max(10.0, deadline - time.monotonic()))
        assert cluster.returncode == 0, cluster.stderr[-2000:]
        assert key["AWS_SECRET_ACCESS_KEY"] not in cluster.stdout + cluster.stderr
    finally:
        try:
            for proc in reversed(nodes):
                _end_session(proc)
        finally:
            _moto_auth(s3_env["AWS_ENDPOINT_URL"], on=False)
    leaked = [p.name for p in _session_logs(tmp_path / "head.log").rglob("*") if p.is_file()
              and key["AWS_SECRET_ACCESS_KEY"].encode() in p.read_bytes()]
    assert leaked == []  # Ray's runtime-env agent logs runtime_env values: no key went there
    local = tmp_path / "local"
    assert cli_main(["generate", *run, "--workers", "1", "--out", str(local)]) == 0
    on_s3 = _manifest(uri)
    here = json.loads((local / "manifest.json").read_text())
    assert [e["sha256"] for e in on_s3["shards"]] == [e["sha256"] for e in here["shards"]]
    assert on_s3["executor"]["kind"] == "ray" and len(on_s3["shards"]) == 2
    assert key["AWS_SECRET_ACCESS_KEY"] not in Output(uri).read_bytes("manifest.json").decode()
    png = tmp_path / "row.png"
    assert cli_main(["inspect", uri, "--index", "1", "--out", str(png)]) == 0
    assert Image.open(png).size[0] == 256
