"""Any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, llama.cpp server…) as a judge.

Stdlib `urllib` only: one POST per request is all we need, and it keeps the default install free
of an HTTP client dependency. Requests overlap in a thread pool (`concurrency`). Retries use
exponential backoff with jitter drawn up front from a seeded Generator (Generators are not
thread-safe, and drawing up front keeps a run reproducible). The API key is read from an env
var at construction, sent only in the Authorization header, and appears in no message, repr or
output.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from qa_factory.judges import Judge, JudgeError, JudgeFailure, Request
from qa_factory.judges.crop_prep import encode_png
from qa_factory.prompts import canonical_prompt

ALL_TASKS = frozenset(
    {
        "spotting",
        "spotting_json",
        "spotting_plain",
        "spotting_tokens",
        "parsing",
        "table_html",
        "text",
        "line",
        "extraction_key",
        "extraction_json",
        "reasoning",
        "translation",
    }
)
RETRYABLE_HTTP = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class OpenAIJudge(Judge):
    tasks = ALL_TASKS
    reads_layout = True

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000/v1",
        model: str = "default",
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 4,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_tokens: int = 2048,
        temperature: float = 0.0,
        seed: int = 0,
        name: str = "openai",
    ) -> None:
        self.name = name
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.timeout, self.retries = model, float(timeout), max(0, int(retries))
        self.concurrency = max(1, int(concurrency))
        self.backoff, self.max_backoff = float(backoff), float(max_backoff)
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self._api_key = os.environ.get(api_key_env, "")
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def __repr__(self) -> str:
        return f"OpenAIJudge(name={self.name!r}, url={self.url!r}, model={self.model!r})"

    def settings(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "model": self.model,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }

    def _body(self, image: np.ndarray, view: Mapping[str, Any]) -> bytes:
        prompt = view.get("prompt") or canonical_prompt(
            "text" if view.get("task") == "line" else str(view.get("task"))
        )
        data_url = "data:image/png;base64," + base64.b64encode(encode_png(image)).decode("ascii")
        payload = {
            "model": self.model,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": data_url}},
                        {"type": "text", "text": prompt},
                    ],
                }
            ],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def _post_once(self, body: bytes) -> str:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            retry = exc.code in RETRYABLE_HTTP
            raise _Attempt(f"http_{exc.code}", f"HTTP {exc.code} from {self.url}", retry) from None
        except TimeoutError as exc:
            raise _Attempt(
                "timeout", f"no answer from {self.url} within {self.timeout}s", True
            ) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Attempt(
                    "timeout", f"no answer from {self.url} within {self.timeout}s", True
                ) from None
            raise _Attempt("connection", f"cannot reach {self.url}: {exc.reason}", True) from None
        except (ConnectionError, OSError) as exc:
            raise _Attempt("connection", f"connection to {self.url} failed: {exc}", True) from None
        return _content(raw, self.url)

    def _answer_with(self, image: np.ndarray, view: Mapping[str, Any], jitter: np.ndarray) -> str:
        body = self._body(image, view)
        last: _Attempt | None = None
        for attempt in range(self.retries + 1):
            try:
                return self._post_once(body)
            except _Attempt as exc:
                last = exc
                if not exc.retry or attempt == self.retries:
                    break
                delay = min(self.max_backoff, self.backoff * 2**attempt) * (
                    0.5 + float(jitter[attempt])
                )
                time.sleep(delay)
        assert last is not None
        raise JudgeError(last.error_class, f"{last} (after {attempt + 1} attempts)")

    def answer(self, image: np.ndarray, view: Mapping[str, Any]) -> str:
        return self._answer_with(image, view, self._rng.random(self.retries + 1))

    def answer_batch(self, requests: Sequence[Request]) -> list[str | JudgeFailure]:
        jitters = self._rng.random((len(requests), self.retries + 1))

        def one(i: int) -> str | JudgeFailure:
            image, view = requests[i]
            try:
                return self._answer_with(image, view, jitters[i])
            except JudgeError as exc:
                return JudgeFailure(exc.error_class, str(exc))

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(one, range(len(requests))))


class _Attempt(Exception):
    def __init__(self, error_class: str, message: str, retry: bool) -> None:
        super().__init__(message)
        self.error_class, self.retry = error_class, retry


def _content(raw: bytes, url: str) -> str:
    """The assistant text of a chat-completions response; anything else is 'malformed'."""
    try:
        data = json.loads(raw.decode("utf-8"))
        content = data["choices"][0]["message"]["content"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise _Attempt(
            "malformed", f"malformed chat-completions response from {url}", True
        ) from exc
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise _Attempt("malformed", f"malformed chat-completions content from {url}", True)
    return content
