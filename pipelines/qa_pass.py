"""`polyglyph validate --qa-generate N`: extra question–answer tasks from a VLM endpoint, kept
only when the label tree (and the other judges, where they can read) confirm them
(`qa_factory.qa_generate`).

Replies are kept per shard in `qa-replies-<shard>.json` beside the output (keyed by row id
and by the generator's settings), written as soon as a batch of rows is answered. A page the
endpoint did not answer (429 after its retries, 500, garbage, a timeout) leaves its shard
unfinished like a judge that could not answer (exit 3); the same command later asks again for
exactly the pages that have no reply yet.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from fonts_manifest.errors import PolyglyphError
from qa_factory.judges import JudgeFailure, JudgeProtocol
from qa_factory.qa_generate import MAX_PAIRS, confirmed_tasks, parse_pairs, prompt_for
from synth.page import Page

from .output import Output

GENERATOR = "qa-generator"


def reachable(base_url: str, timeout: float) -> None:
    """Refuse at start an endpoint nothing listens on: every page would fail one after the
    other, and 'run the same command again' could never succeed."""
    import socket
    from urllib.parse import urlsplit

    if not base_url:
        return  # the judge's own default applies; its errors name it
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=min(timeout, 10.0)):
            pass
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise PolyglyphError(f"--openai-base-url {base_url}: cannot reach the QA generator "
                             f"endpoint ({why}); start it or point --openai-base-url at it") from None


def replies_name(shard: str) -> str:
    return f"qa-replies-{shard.rsplit('/', 1)[-1].removesuffix('.parquet')}.json"


@dataclass
class QAPass:
    """The generator endpoint, how many pairs to ask for, and the judges that confirm."""

    generator: Any
    pairs: int
    judges: Sequence[JudgeProtocol] = ()
    stats: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def build(pairs: int, options: dict[str, Any], judges: Sequence[JudgeProtocol]) -> QAPass:
        from qa_factory.judges.openai import OpenAIJudge

        reachable(str(options.get("base_url") or ""), float(options.get("timeout") or 5))
        generator = OpenAIJudge(name=GENERATOR, **options)
        return QAPass(generator, pairs, judges)

    def settings(self) -> dict[str, Any]:
        return {**self.generator.settings(), "pairs": self.pairs}

    def key(self) -> str:
        record = json.dumps(self.settings(), sort_keys=True).encode()
        return hashlib.sha256(record).hexdigest()[:16]

    def load(self, out: Output, shard: str) -> dict[str, str]:
        """Replies already had for this shard under these settings: row id -> reply."""
        name = replies_name(shard)
        if not out.exists(name):
            return {}
        try:
            data = json.loads(out.read_bytes(name).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, OSError):
            return {}
        return dict(data.get("replies", {})) if data.get("key") == self.key() else {}

    def save(self, out: Output, shard: str, replies: dict[str, str]) -> None:
        data = {"key": self.key(), "settings": self.settings(), "replies": replies}
        out.write_atomic(replies_name(shard),
                         json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))

    def ask(self, pages: Sequence[tuple[str, Page]], replies: dict[str, str]
            ) -> dict[str, JudgeFailure]:
        """Ask for the pages without a reply; new replies go into `replies`, failures back."""
        todo = [(row_id, page) for row_id, page in pages if row_id not in replies]
        if not todo:
            return {}
        requests = [(page.image, {"task": "qa_generate", "prompt": prompt_for(page, self.pairs)})
                    for _, page in todo]
        failed: dict[str, JudgeFailure] = {}
        for (row_id, _), answer in zip(todo, self.generator.answer_batch(requests), strict=True):
            if isinstance(answer, JudgeFailure):
                failed[row_id] = answer
            elif parse_pairs(answer) is None:
                failed[row_id] = JudgeFailure(
                    "malformed", f"{GENERATOR}: reply for row {row_id!r} is not a JSON list of "
                    "question/answer pairs")
            else:
                replies[row_id] = answer
        return failed

    def tasks(self, page: Page, reply: str) -> list[dict[str, str]]:
        """The confirmed pairs of one reply, as task dicts."""
        kept, dropped = confirmed_tasks(page, parse_pairs(reply) or [],
                                        self.generator.model, self.judges)
        self.stats["qa_generated_kept"] += len(kept)
        self.stats["qa_generated_dropped"] += dropped
        return kept


@dataclass
class QAShard:
    """The QA generator over one shard: cached replies, failures by class."""

    qa: QAPass
    out: Output
    name: str
    replies: dict[str, str] = field(default_factory=dict)
    failed: Counter[str] = field(default_factory=Counter)

    def run(self, pages: list[tuple[str, Any]]) -> list[list[dict[str, str]]]:
        failures = self.qa.ask(pages, self.replies)
        if len(failures) < len(pages):
            self.qa.save(self.out, self.name, self.replies)
        for failure in failures.values():
            self.failed[f"{GENERATOR}: {failure.error_class}"] += 1
        return [self.qa.tasks(page, self.replies[row_id]) if row_id in self.replies else []
                for row_id, page in pages]


PAIRS_RANGE = (1, MAX_PAIRS)


def with_tasks(table: pa.Table, extra: Sequence[list[dict[str, str]]]) -> pa.Table:
    """`table` with each row's `tasks` list extended by its `extra` task dicts."""
    if "tasks" not in table.column_names or not any(extra):
        return table
    index = table.column_names.index("tasks")
    column = table.column("tasks")
    merged = [(old or []) + list(new)
              for old, new in zip(column.to_pylist(), extra, strict=True)]
    return table.set_column(index, table.schema.field(index), pa.array(merged, column.type))
