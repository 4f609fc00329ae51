"""QA generator mode (`polyglyph validate --qa-generate N`) against a real HTTP server on
127.0.0.1: the server plays a VLM that reads the label tree out of the prompt and answers with
some pairs that are on the page (a drawn line, a sum of two drawn prices) and some made up.
Path prefixes select failure modes: 429 with Retry-After, 500, garbage, a hang, and a switch
that answers once and then fails (for the rerun).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.qa_pass import QAPass
from qa_factory import sample_pages
from qa_factory.qa_generate import confirm_in_tree, confirmed_tasks, drawn_numbers, parse_pairs

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
KEY_ENV = "POLYGLYPH_TEST_QA_KEY"
SECRET = "sk-qa-4d3c2b1a-never-in-output"
MADE_UP = ("Atlantis Mango Company", "987654.32")
_LINE = re.compile(r"^\[(\d+)\] \(([^)]*)\) (.+)$", re.M)
_PRICE = re.compile(r"\d+\.\d\d")


def _pairs_from_prompt(prompt: str) -> list[dict[str, str]]:
    """What the stand-in VLM answers: two pairs from the label tree, two made up."""
    lines = [m.group(3) for m in _LINE.finditer(prompt)]
    prices = [Decimal(p) for line in lines for p in _PRICE.findall(line)]
    pairs = [{"question": "What does the first line say?", "answer": lines[0]}]
    if len(prices) >= 2:
        pairs.append({"question": "First two prices added?", "answer": str(prices[0] + prices[1])})
    pairs += [{"question": "Who issued it?", "answer": MADE_UP[0]},
              {"question": "What is the tax?", "answer": MADE_UP[1]}]
    return pairs


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.auth: set[str] = set()
        self.seen: set[tuple[str, bytes]] = set()


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            mode = self.path.strip("/").split("/")[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                count = state.requests.get(mode, 0) + 1
                state.requests[mode] = count
                state.auth.add(self.headers.get("Authorization", ""))
                first = (mode, raw) not in state.seen
                state.seen.add((mode, raw))
            if mode == "limited" and first:
                return self._send(429, b"", {"Retry-After": "1"})
            if mode == "err500" or (mode == "switch" and count > 1 and first):
                return self._send(500, b'{"error": "internal"}')
            if mode == "hang":
                time.sleep(8)
            payload = json.loads(raw)
            prompt = next(p["text"] for p in payload["messages"][0]["content"]
                          if p["type"] == "text")
            content = ("Sure! Here you go: the page is nice." if mode == "garbage"
                       else "```json\n" + json.dumps(_pairs_from_prompt(prompt)) + "\n```")
            body = {"choices": [{"message": {"role": "assistant", "content": content}}]}
            return self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    state = _State()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qa") / "in"
    subprocess.run([POLYGLYPH, "generate", "--num", "2", "--out", str(out), "--seed", "3",
                    "--languages", "en", "--scenes", "receipt", "--profile", "clean",
                    "--workers", "1", "--quiet"], check=True, capture_output=True, timeout=300)
    return out


def _validate(dataset: Path, out: Path, base: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, KEY_ENV: SECRET}
    args = [POLYGLYPH, "validate", "--input", str(dataset), "--out", str(out), "--judges",
            "tesseract", "--line-checks", "0", "--qa-generate", "4", "--openai-base-url",
            f"{base}/v1", "--openai-api-key-env", KEY_ENV, "--openai-concurrency", "1",
            "--no-progress", *extra]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)


def _no_key_anywhere(proc: subprocess.CompletedProcess, out: Path) -> None:
    assert SECRET not in proc.stdout + proc.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_the_label_tree_confirms_drawn_and_computed_answers_only() -> None:
    page = sample_pages.receipt_page()
    line = next(ln.text for ln in page.lines if len(ln.text.strip()) > 5)
    assert confirm_in_tree(page, line)[0] == "drawn_text"
    assert confirm_in_tree(page, line.upper() + "  ") is not None  # case and spacing folded
    assert confirm_in_tree(page, MADE_UP[0]) is None
    assert confirm_in_tree(page, MADE_UP[1]) is None
    numbers = drawn_numbers(page)
    assert len(numbers) >= 2
    (a, _), (b, _) = numbers[0], numbers[1]
    check, wants, _ = confirm_in_tree(page, str(a + b))
    assert check.startswith(("sum_of_values", "drawn_value")) and wants
    kept, dropped = confirmed_tasks(page, [("q1", line), ("q2", MADE_UP[0])], "m")
    assert [t["answer"] for t in kept] == [line] and dropped == 1
    meta = json.loads(kept[0]["meta"])
    assert meta["model"] == "m" and meta["check"] == "drawn_text"
    assert parse_pairs("no json here") is None
    assert parse_pairs('[{"question": "a", "answer": "b"}]') == [("a", "b")]


def test_good_pairs_are_kept_made_up_answers_dropped_and_no_key_anywhere(
    server, dataset, tmp_path
) -> None:
    base, state = server
    out = tmp_path / "out"
    proc = _validate(dataset, out, f"{base}/good")
    assert proc.returncode == 0, proc.stderr
    _no_key_anywhere(proc, out)
    assert state.auth == {f"Bearer {SECRET}"} or f"Bearer {SECRET}" in state.auth
    rows = pq.read_table(out / "data" / "part-00000.parquet").to_pylist()
    generated = [t for row in rows for t in row["tasks"] if t["task"] == "qa_generated"]
    answers = {t["answer"] for t in generated}
    assert generated and not answers & set(MADE_UP)
    checks = {json.loads(t["meta"])["check"] for t in generated}
    assert "drawn_text" in checks and any(c.startswith("sum_of_values") for c in checks)
    for t in generated:
        meta = json.loads(t["meta"])
        assert meta["model"] == "default"
        assert meta["judges"] == "none available" or all(meta["judges"].values())


def _qa_pass(base: str, monkeypatch, **options) -> QAPass:
    monkeypatch.setenv(KEY_ENV, SECRET)
    settings = {"base_url": f"{base}/v1", "model": "vlm", "api_key_env": KEY_ENV,
                "concurrency": 2, "timeout": 5.0, "retries": 1, **options}
    return QAPass.build(4, settings, [])


def test_429_with_retry_after_is_waited_out(server, monkeypatch) -> None:
    base, state = server
    qa = _qa_pass(f"{base}/limited", monkeypatch)
    pages = [("a", sample_pages.receipt_page()), ("b", sample_pages.document_page("en"))]
    replies: dict[str, str] = {}
    start = time.perf_counter()
    assert qa.ask(pages, replies) == {}
    assert state.requests["limited"] == 4  # each page: 429, then the answer
    assert time.perf_counter() - start >= 1.0  # Retry-After: 1
    assert set(replies) == {"a", "b"} and qa.tasks(pages[0][1], replies["a"])


@pytest.mark.parametrize(("mode", "error", "options"), [
    ("err500", "http_500", {}),
    ("garbage", "malformed", {}),
    ("hang", "timeout", {"timeout": 1.0, "retries": 0}),
])
def test_failures_are_one_clear_error_without_the_key(
    server, monkeypatch, mode: str, error: str, options: dict
) -> None:
    base, _ = server
    qa = _qa_pass(f"{base}/{mode}", monkeypatch, backoff=0.01, **options)
    replies: dict[str, str] = {}
    start = time.perf_counter()
    failed = qa.ask([("a", sample_pages.receipt_page())], replies)
    assert time.perf_counter() - start < 6  # the hang ends at the total timeout
    assert not replies and set(failed) == {"a"}
    failure = failed["a"]
    assert failure.error_class == error
    assert "\n" not in failure.message and SECRET not in failure.message
    assert SECRET not in repr(qa.generator) and SECRET not in json.dumps(qa.settings())


def test_a_rerun_asks_again_for_exactly_the_pages_without_an_answer(
    server, dataset, tmp_path
) -> None:
    base, state = server
    out = tmp_path / "out"
    first = _validate(dataset, out, f"{base}/switch", "--openai-retries", "0")
    assert first.returncode == 3 and "http_500" in first.stderr
    assert state.requests["switch"] == 2  # page 1 answered, page 2 failed
    replies = json.loads((out / "qa-replies-part-00000.json").read_text())["replies"]
    assert len(replies) == 1
    second = _validate(dataset, out, f"{base}/switch", "--openai-retries", "0")
    assert second.returncode == 0, second.stderr
    assert state.requests["switch"] == 3  # only page 2 asked again (and answered: first time)
    rows = pq.read_table(out / "data" / "part-00000.parquet").to_pylist()
    assert all(any(t["task"] == "qa_generated" for t in row["tasks"]) for row in rows)


def test_an_endpoint_nothing_listens_on_is_refused_at_start(dataset, tmp_path) -> None:
    """Every page would fail one after another and 'run the same command again' could never
    succeed: the QA pass checks the endpoint first and names it."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out"
    proc = _validate(dataset, out, f"http://127.0.0.1:{port}")
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "cannot reach" in lines[0]
    assert not (out / "data").exists()
