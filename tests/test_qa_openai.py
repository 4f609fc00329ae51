"""The OpenAI-compatible judge against a real HTTP server on 127.0.0.1 backed by Tesseract.

The server speaks chat-completions: it decodes the posted data-URL image, works out the task
from the prompt (prompts are data, so it can), and answers by running Tesseract, so the judge
is tested against a real reader. Path prefixes select failure modes: slow (timeout), HTTP 500,
malformed JSON, flaky (500 once, then fine), 400; a closed port is the dead endpoint.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipelines.errors import PolyglyphError
from qa_factory import sample_pages
from qa_factory.judges import JudgeFailure, get_judge
from qa_factory.judges.tesseract import TesseractJudge
from qa_factory.prompts import task_of_prompt
from qa_factory.scoring import score_answer
from qa_factory.validate import ValidationRules, validate_page
from qa_factory.views import make_views
from synth.rng import sample_rng

KEY_ENV = "POLYGLYPH_TEST_VLM_KEY"
SECRET = "sk-test-0f9e8d7c6b5a-never-logged"
FAST_RETRY = {"retries": 2, "backoff": 0.01, "max_backoff": 0.02}


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.auth: list[str] = []
        self.seen_bodies: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.reader = TesseractJudge()
        self.down = False  # mode "switch": HTTP 500 while down


def _reader_answer(state: _State, payload: dict) -> str:
    parts = payload["messages"][0]["content"]
    url = next(p["image_url"]["url"] for p in parts if p["type"] == "image_url")
    prompt = next(p["text"] for p in parts if p["type"] == "text")
    assert url.startswith("data:image/png;base64,")
    image = np.asarray(
        Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
    )
    language = payload["model"]
    task = task_of_prompt(prompt) or "text"
    if task == "text" and image.shape[0] < 120:
        task = "line"
    if task in ("spotting", "spotting_json", "text", "parsing", "table_html", "line"):
        return state.reader.answer(image, {"task": task, "language": language})
    lines = [t for t, _ in state.reader.page_lines(image, language)]
    if task == "extraction_key":  # the value is what follows the key on its line
        key = prompt.removeprefix("Output the value of ").removesuffix(".")
        for line in lines:
            if line.startswith(key):
                return line[len(key) :].strip(" :")
    return "\n".join(lines)


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _send(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _drip(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(10):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:  # the client gave up: what a total timeout should do
                    return
                time.sleep(2.0)

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            mode = self.path.strip("/").split("/")[0]
            done = False
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.requests[mode] = state.requests.get(mode, 0) + 1
                state.auth.append(self.headers.get("Authorization", ""))
                if mode == "busy":
                    state.in_flight += 1
                    state.max_in_flight = max(state.max_in_flight, state.in_flight)
                first_time = raw not in state.seen_bodies
                state.seen_bodies.add(raw)
            try:
                if not self.path.endswith("/v1/chat/completions"):
                    return self._send(404, b'{"error": "not found"}')
                if mode == "slow":
                    time.sleep(1.5)
                if mode == "drip":  # headers, then one body byte every 2 s (bounded)
                    return self._drip()
                if mode == "limited" and first_time:
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if mode == "limitlong" and first_time:  # asks for longer than the cap
                    self.send_response(503)
                    self.send_header("Retry-After", "120")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if mode == "garbage":
                    return self._send(200, b"\x89PNG not json at all \xff\xfe")
                if (
                    mode == "err500"
                    or (mode == "flaky" and first_time)
                    or (mode == "switch" and state.down)
                ):
                    return self._send(500, b'{"error": "internal"}')
                if mode == "bad":
                    return self._send(400, b'{"error": "bad request"}')
                if mode == "malformed":
                    return self._send(200, b'{"choices": [{"message": ')
                if mode == "busy":
                    time.sleep(0.5)
                content = _reader_answer(state, json.loads(raw))
                body = {
                    "id": "cmpl-test",
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                }
                payload = json.dumps(body, ensure_ascii=False).encode()
                if mode == "busy":  # leave the count before replying: once the reply is out,
                    done = True     # the client may start its next request at once
                    with state.lock:
                        state.in_flight -= 1
                return self._send(200, payload)
            finally:
                if mode == "busy" and not done:
                    with state.lock:
                        state.in_flight -= 1

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out closes its socket; the late reply's BrokenPipe is expected


@pytest.fixture(scope="module")
def server():
    state = _State()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)


@pytest.fixture(scope="module")
def page():
    return sample_pages.document_page("en")


def _dead_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


def _judge(base: str, **options):
    return get_judge(
        "openai", base_url=base, model="en", api_key_env=KEY_ENV, **{**FAST_RETRY, **options}
    )


def test_real_reader_answers_spotting_and_key_is_sent_only_in_header(server, keyed, page) -> None:
    base, state = server
    judge = _judge(f"{base}/ok/v1")
    view = [v for v in make_views(page, sample_rng(0)) if v["task"] == "spotting"][0]
    answer = judge.answer(page.image, {**view, "language": "en"})
    assert score_answer("spotting", view["answer"], answer) >= 0.9
    assert state.auth[-1] == f"Bearer {SECRET}"
    assert SECRET not in repr(judge) and SECRET not in json.dumps(judge.settings())


def test_flaky_endpoint_is_retried_then_answers(server, page) -> None:
    base, state = server
    before = state.requests.get("flaky", 0)
    answer = _judge(f"{base}/flaky/v1").answer(
        page.image, {"task": "text", "prompt": "Extract the text in the image.", "language": "en"}
    )
    assert "All human beings are born free" in answer
    assert state.requests["flaky"] - before == 2


@pytest.mark.parametrize(
    "mode,error_class,attempts",
    [
        ("err500", "http_500", 3),
        ("malformed", "malformed", 3),
        ("garbage", "malformed", 3),
        ("slow", "timeout", 3),
        ("bad", "http_400", 1),
    ],
)
def test_failures_are_retried_then_reported(
    server, keyed, page, mode, error_class, attempts
) -> None:
    base, state = server
    before = state.requests.get(mode, 0)
    judge = _judge(f"{base}/{mode}/v1", timeout=0.4)
    out = judge.answer_batch(
        [(page.image[:200], {"task": "text", "prompt": "Extract the text in the image."})]
    )
    assert isinstance(out[0], JudgeFailure) and out[0].error_class == error_class
    assert SECRET not in out[0].message
    if mode == "slow":  # the server finishes its sleeps after the client gave up
        time.sleep(1.6)
    assert state.requests[mode] - before == attempts


def test_retry_after_is_honoured(server, page) -> None:
    base, state = server
    before = state.requests.get("limited", 0)
    started = time.monotonic()
    answer = _judge(f"{base}/limited/v1").answer(  # backoff alone would wait ~0.01 s
        page.image[:150], {"task": "text", "prompt": "Extract the text in the image."}
    )
    assert time.monotonic() - started >= 0.95 and "UDHR" in answer
    assert state.requests["limited"] - before == 2


def test_retry_after_is_capped(server, page) -> None:
    base, state = server
    started = time.monotonic()
    answer = _judge(f"{base}/limitlong/v1", max_retry_after=0.3).answer(
        page.image[:160], {"task": "text", "prompt": "Extract the text in the image."}
    )
    assert time.monotonic() - started < 10 and "UDHR" in answer


def test_a_dripping_server_trips_the_total_timeout(server, keyed, page) -> None:
    """One byte every 2 s restarts httpx's read timeout; the total deadline still trips."""
    base, _ = server
    started = time.monotonic()
    out = _judge(f"{base}/drip/v1", timeout=3.0, retries=0).answer_batch(
        [(page.image[:100], {"task": "text", "prompt": "Extract the text in the image."})]
    )
    elapsed = time.monotonic() - started
    assert isinstance(out[0], JudgeFailure) and out[0].error_class == "timeout"
    assert 2.5 <= elapsed < 6.0, elapsed
    assert SECRET not in out[0].message and "3.0s" in out[0].message


def test_dead_endpoint_reports_connection_error(page) -> None:
    out = _judge(_dead_url()).answer_batch([(page.image, {"task": "text", "prompt": "x"})] * 2)
    assert [f.error_class for f in out] == ["connection", "connection"]


def test_batch_overlaps_requests_up_to_concurrency(server) -> None:
    base, state = server
    state.max_in_flight = 0
    before = state.requests.get("busy", 0)
    crop = np.full((60, 200, 3), 255, np.uint8)
    # a generous timeout: a client-side timeout + retry on a loaded machine would put a 5th
    # request in flight while the server still works on the abandoned one
    out = _judge(f"{base}/busy/v1", concurrency=4, timeout=60).answer_batch(
        [(crop, {"task": "line", "prompt": "Extract the text in the image."})] * 8
    )
    assert len(out) == 8 and [o for o in out if isinstance(o, JudgeFailure)] == []
    assert state.requests["busy"] - before == 8  # no retries, so in-flight counts are exact
    assert 2 <= state.max_in_flight <= 4, state.max_in_flight


def test_failed_judge_leaves_views_unvalidated_and_nothing_lost(page) -> None:
    views = make_views(page, sample_rng(4), task_mix={"text": 1.0})
    result = validate_page(page, views, [_judge(_dead_url())], ValidationRules(line_checks=2))
    checks = result["validation"]["checks"]
    checkable = [v for v in views if v["task"] in ValidationRules().tasks]
    assert len(checks) == len(checkable) + 2
    assert {c["status"] for c in checks} == {"unvalidated"}
    assert {c["judges"]["openai"]["error"] for c in checks} == {"connection"}
    assert result["status"] == "unvalidated" and result["difficulty"] is None


def _write_shards(folder: Path, groups: list[list[int]], sub: str = "data") -> None:
    """Shards as `generate` lays them out (in `data/`), or at the root (`sub=""`: the layout
    before shards moved to `data/`, which validate still reads)."""
    from pipelines.rows import page_to_row, rows_to_table
    from pipelines.writers import table_bytes
    from qa_factory.markdown import page_markdown

    pages = [
        sample_pages.document_page("en"),
        sample_pages.receipt_page(),
        sample_pages.table_page(),
        sample_pages.document_page("ru"),
    ]
    folder = folder / sub if sub else folder
    folder.mkdir(parents=True, exist_ok=True)
    for shard, indices in enumerate(groups):
        rows = []
        for i in indices:
            p = pages[i % len(pages)]
            views = make_views(p, sample_rng(i), task_mix={"spotting_json": 0.0, "reasoning": 1.0})
            rows.append(
                page_to_row(
                    p,
                    row_id=f"row-{i}",
                    index=i,
                    seed=i,
                    image_format="png",
                    quality=90,
                    tasks=views,
                    markdown=page_markdown(p),
                )
            )
        (folder / f"part-{shard:05d}.parquet").write_bytes(table_bytes(rows_to_table(rows)))


def test_validate_cli_writes_columns_resumes_and_never_writes_the_key(
    server, keyed, tmp_path
) -> None:
    from pipelines.validate_cli import main

    base, _ = server
    source, out = tmp_path / "in", tmp_path / "out"
    _write_shards(source, [[0, 1], [2, 3]])
    argv = [
        "--input",
        str(source),
        "--out",
        str(out),
        "--judges",
        "tesseract,openai",
        "--openai-base-url",
        f"{base}/ok/v1",
        "--openai-model",
        "en",
        "--openai-api-key-env",
        KEY_ENV,
        "--line-checks",
        "1",
        "--no-progress",
    ]
    assert main(argv) == 0
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == ["README.md", "data/part-00000.parquet", "data/part-00001.parquet",
                     "manifest.json", "stats.json"]
    assert sum(json.loads((out / "stats.json").read_text())["validation"]["rows"].values()) >= 4
    for name in names:
        assert SECRET.encode() not in (out / name).read_bytes()
    table = pq.read_table(out / "data/part-00001.parquet")
    source_table = pq.read_table(source / "data/part-00001.parquet")
    assert table.num_rows == source_table.num_rows
    assert table.column("id").to_pylist() == source_table.column("id").to_pylist()
    for name in ("validation", "difficulty", "agreement", "status", "keep"):
        assert name in table.column_names
    hf = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert hf["status"] == {"dtype": "string", "_type": "Value"} and hf["image"] == {
        "_type": "Image"
    }
    for row in table.to_pylist():
        validation = json.loads(row["validation"])
        assert validation["judges"] == ["tesseract", "openai"]
        assert row["status"] in ("verified", "disputed", "hard")
        assert 0.0 <= row["difficulty"] <= 1.0
        views = [c for c in validation["checks"] if c["check"].startswith("view:")]
        checkable = [t for t in row["tasks"] if t["task"] in ValidationRules().tasks]
        assert len(views) == len(checkable)  # (layout views have no judge scoring yet)
        assert any(c["judges"]["openai"]["score"] is not None for c in views)
    # Resume: nothing changes → nothing redone; one input shard changes → only it is redone.
    stamps = {n: (out / n).stat().st_mtime_ns for n in names if n.startswith("data/part-")}
    assert main(argv) == 0
    assert {n: (out / n).stat().st_mtime_ns for n in stamps} == stamps
    _write_shards(source, [[0, 1], [3, 2]])
    assert main(argv) == 0
    first, second = "data/part-00000.parquet", "data/part-00001.parquet"
    assert (out / first).stat().st_mtime_ns == stamps[first]
    assert (out / second).stat().st_mtime_ns != stamps[second]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["validation"]["complete"] and len(manifest["shards"]) == 2
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_validate_cli_failed_judge_is_no_verdict_and_the_same_command_retries(
    server, tmp_path, capsys
) -> None:
    """Issue 21: a judge that cannot answer is not a verdict, and its shards are not done."""
    from pipelines.validate_cli import EXIT_UNANSWERED, main

    base, state = server
    source, out = tmp_path / "in", tmp_path / "out"
    _write_shards(source, [[1], [3]])
    argv = ["--input", str(source), "--out", str(out), "--judges", "openai",
            "--openai-base-url", f"{base}/switch/v1", "--openai-model", "en",
            "--openai-retries", "1", "--line-checks", "1", "--no-progress"]
    state.down = True
    assert main(argv) == EXIT_UNANSWERED
    err = capsys.readouterr().err
    assert "no answer from judge openai: http_500" in err and "run the same command" in err
    assert not list(out.rglob("part-*.parquet"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["shards"] == [] and manifest["validation"]["complete"] is False
    # the dead endpoint (nothing listening) is the same: no verdict, exit 3
    dead = [a if a != f"{base}/switch/v1" else _dead_url() for a in argv]
    assert main(dead) == EXIT_UNANSWERED
    assert "openai: connection" in capsys.readouterr().err
    state.down = False  # the server is back: the same command retries the shards
    assert main(argv) == 0
    rows = pq.read_table(out / "data/part-00001.parquet").to_pylist()
    assert rows[0]["status"] != "unvalidated"
    assert json.loads((out / "manifest.json").read_text())["validation"]["complete"] is True
    before = state.requests["switch"]
    assert main(argv) == 0 and state.requests["switch"] == before  # done shards: not asked


def test_validate_cli_user_errors(tmp_path) -> None:
    from pipelines.validate_cli import main

    (tmp_path / "empty").mkdir()
    with pytest.raises(PolyglyphError, match="no part-"):
        main(["--input", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    _write_shards(tmp_path / "in", [[0]])
    with pytest.raises(PolyglyphError, match="--out .* is the --input dataset"):
        main(["--input", str(tmp_path / "in"), "--out", str(tmp_path / "in")])
    with pytest.raises(PolyglyphError, match="unknown judge"):
        main(["--input", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--judges", "ocrx"])
    assert not (tmp_path / "o").exists()


def test_loads_with_datasets_after_validation(tmp_path) -> None:
    datasets = pytest.importorskip("datasets")
    from pipelines.validate_cli import main

    _write_shards(tmp_path / "in", [[0, 2]], sub="")  # the layout before data/: still read
    assert (
        main(
            [
                "--input",
                str(tmp_path / "in"),
                "--out",
                str(tmp_path / "out"),
                "--line-checks",
                "0",
                "--no-progress",
            ]
        )
        == 0
    )
    ds = datasets.load_dataset(  # the folder: its card names data/*.parquet
        str(tmp_path / "out"), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert isinstance(ds[0]["image"], Image.Image)
    assert ds[0]["status"] == "verified" and isinstance(ds[0]["difficulty"], float)
    assert os.environ.get(KEY_ENV) is None


def test_k_of_m_agreement_with_two_judges(server, page) -> None:
    base, _ = server
    tesseract = get_judge("tesseract")
    views = make_views(
        page, sample_rng(6), task_mix={"text": 1.0, "parsing": 0.0, "spotting_json": 0.0}
    )
    rules = ValidationRules(k=2, line_checks=1)
    both = validate_page(page, views, [tesseract, _judge(f"{base}/ok/v1")], rules)
    statuses = {c["task"]: c["status"] for c in both["validation"]["checks"]}
    assert statuses["text"] == "verified" and statuses["line"] == "verified"
    agreement = [c["agreement"] for c in both["validation"]["checks"] if c["task"] == "text"]
    assert agreement == [1.0]
    # the second judge is down: one vote is not k=2, and the check is not called hard
    one = validate_page(page, views, [tesseract, _judge(_dead_url())], rules)
    text = [c for c in one["validation"]["checks"] if c["task"] == "text"][0]
    assert text["status"] == "unvalidated"
    assert (
        text["judges"]["tesseract"]["ok"] is True
        and text["judges"]["openai"]["error"] == "connection"
    )
