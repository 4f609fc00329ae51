"""Any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, llama.cpp server…) as a judge.

On `httpx2` (the maintained httpx line; plain `httpx` is used when only it is installed): one
async client per batch keeps connections alive across the batch's requests, and at most
`concurrency` are in flight. Every attempt runs under one total deadline (`timeout`) from
connecting to the last byte of the body: httpx's own timeouts restart with every byte read,
so a server dripping one byte every 2 s would never trip them. Failed attempts are retried
(`retries`) with exponential backoff and jitter drawn up front from a seeded Generator, or
after the server's `Retry-After` (seconds or an HTTP date) when it sends one, capped at
`max_retry_after`. The API key is read from an env var at construction, sent only in the
Authorization header, and appears in no message, repr or output.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from qa_factory.judges import BatchJudge, JudgeError, JudgeFailure, Request
from qa_factory.judges.crop_prep import encode_png
from qa_factory.prompts import canonical_prompt


def _httpx() -> Any:
    try:
        import httpx2 as httpx
    except ImportError:
        try:
            import httpx
        except ImportError as exc:
            raise PolyglyphError(
                "the openai judge needs httpx2; pip install 'polyglyph[judges]'"
            ) from exc
    return httpx


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


class OpenAIJudge(BatchJudge):
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
        max_retry_after: float = 30.0,
        max_tokens: int = 2048,
        temperature: float = 0.0,
        seed: int = 0,
        name: str = "openai",
    ) -> None:
        for label, value, low, high in (
            ("timeout", timeout, 0.001, 3600.0),
            ("retries", retries, 0, 20),
            ("concurrency", concurrency, 1, 256),
            ("max_retry_after", max_retry_after, 0.0, 3600.0),
        ):
            if not low <= float(value) <= high:
                raise PolyglyphError(f"openai judge {label} {value}: must be in [{low}, {high}]")
        self.httpx = _httpx()
        self.name = name
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.timeout, self.retries = model, float(timeout), int(retries)
        self.concurrency = int(concurrency)
        self.backoff, self.max_backoff = float(backoff), float(max_backoff)
        self.max_retry_after = float(max_retry_after)
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self._api_key = os.environ.get(api_key_env, "")
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def batch_seconds(self, size: int) -> float:
        """Every attempt of every request at its whole deadline, `concurrency` at a time, with
        the longest waits between attempts."""
        wait = max(self.max_backoff * 1.5, self.max_retry_after)
        per_request = (self.retries + 1) * self.timeout + self.retries * wait
        return per_request * -(-max(1, size) // self.concurrency) + 60.0

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

    async def _post_once(self, client: Any, body: bytes) -> str:
        """One attempt under one total deadline; every failure becomes an `_Attempt`."""
        httpx = self.httpx
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            async with asyncio.timeout(self.timeout):
                response = await client.post(self.url, content=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            raise _Attempt(
                "timeout", f"no complete answer from {self.url} within {self.timeout}s", True
            ) from None
        except httpx.HTTPError as exc:
            kind = type(exc).__name__
            raise _Attempt("connection", f"cannot reach {self.url}: {kind}", True) from None
        if response.status_code >= 400:
            code = response.status_code
            raise _Attempt(
                f"http_{code}",
                f"HTTP {code} from {self.url}",
                code in RETRYABLE_HTTP,
                retry_after(response.headers.get("retry-after")),
            )
        return _content(response.content, self.url)

    async def _answer_with(self, client: Any, body: bytes, jitter: np.ndarray) -> str:
        last: _Attempt | None = None
        attempt = 0
        for attempt in range(self.retries + 1):
            try:
                return await self._post_once(client, body)
            except _Attempt as exc:
                last = exc
                if not exc.retry or attempt == self.retries:
                    break
                delay = min(self.max_backoff, self.backoff * 2**attempt) * (
                    0.5 + float(jitter[attempt])
                )
                if exc.retry_after is not None:  # the server said when: wait that, capped
                    delay = min(self.max_retry_after, exc.retry_after)
                await asyncio.sleep(delay)
        assert last is not None
        raise JudgeError(last.error_class, f"{last} (after {attempt + 1} attempts)")

    async def _batch(self, bodies: list[bytes], jitters: np.ndarray) -> list[str | JudgeFailure]:
        httpx = self.httpx
        gate = asyncio.Semaphore(self.concurrency)
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        async with httpx.AsyncClient(timeout=self.timeout, limits=limits) as client:

            async def one(i: int) -> str | JudgeFailure:
                async with gate:
                    try:
                        return await self._answer_with(client, bodies[i], jitters[i])
                    except JudgeError as exc:
                        return JudgeFailure(exc.error_class, str(exc))

            return list(await asyncio.gather(*(one(i) for i in range(len(bodies)))))

    def answer_batch(self, requests: Sequence[Request]) -> list[str | JudgeFailure]:
        if not requests:
            return []
        jitters = self._rng.random((len(requests), self.retries + 1))
        bodies = [self._body(image, view) for image, view in requests]
        return asyncio.run(self._batch(bodies, jitters))


class _Attempt(Exception):
    def __init__(
        self, error_class: str, message: str, retry: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.error_class, self.retry, self.retry_after = error_class, retry, retry_after


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


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
