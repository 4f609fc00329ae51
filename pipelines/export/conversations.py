"""What the VLM conversation formats share: tasks grouped into conversations, images stored once.

A row's `tasks` column holds ready-to-train views ({task, prompt, answer, meta}). A format
turns each group of them into its own conversation layout: one group per task (one
single-turn conversation each) or one group per page (a multi-turn conversation about one
image). The page image is written once per row however many conversations refer to it, or
embedded in the record.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pipelines.errors import UsageError
from pipelines.export.base import ExportSummary, RowSource, image_ext

PLACEHOLDER = "<image>"
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Turn:
    task: str
    prompt: str
    answer: str


@dataclass(frozen=True)
class Conversation:
    """One record to write: the row it comes from, its turns, and where its image is."""

    row_id: str
    turns: tuple[Turn, ...]
    image: StoredImage


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    ext: str
    path: str | None  # as the record should name it (relative to OUT or absolute); None: embedded

    def data_uri(self) -> str:
        return f"data:{MIME[self.ext]};base64,{base64.b64encode(self.data).decode('ascii')}"


def known_tasks() -> tuple[str, ...]:
    from qa_factory.views import TASKS

    return TASKS


def parse_task_filter(value: str | None) -> frozenset[str] | None:
    """`--tasks spotting,parsing` as a set; None keeps every task. Unknown names are a bad
    command line (exit 2), like an unknown `--format`."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = sorted(set(names) - set(known_tasks()))
    if not names or unknown:
        raise UsageError(f"--tasks {value!r}: unknown task {', '.join(unknown) or '(none given)'}"
                             f"; choose from {', '.join(known_tasks())}")
    return frozenset(names)


class ImageStore:
    """Writes each row's image once under OUT/images/ (or keeps it for embedding)."""

    def __init__(self, out: Path, embed: bool, absolute: bool) -> None:
        self.out, self.embed, self.absolute = out, embed, absolute
        self.names: set[str] = set()
        if not embed:
            (out / "images").mkdir()

    def store(self, row_id: str, data: bytes) -> StoredImage:
        ext = image_ext(data)
        if self.embed:
            return StoredImage(data, ext, None)
        stem = _UNSAFE.sub("_", row_id) or "row"
        name, n = f"{stem}.{ext}", 1
        while name in self.names:  # two ids that sanitise alike never share a file
            n += 1
            name = f"{stem}-{n}.{ext}"
        self.names.add(name)
        path = self.out / "images" / name
        path.write_bytes(data)
        return StoredImage(data, ext, str(path.resolve()) if self.absolute else f"images/{name}")


def _turn(task: dict[str, Any], summary: ExportSummary) -> Turn | None:
    prompt, answer = task.get("prompt") or "", task.get("answer") or ""
    if not prompt.strip() or not answer.strip():
        summary.skip("task with an empty prompt or answer")
        return None
    if PLACEHOLDER in prompt or PLACEHOLDER in answer:
        summary.skip(f"task text holds the {PLACEHOLDER} placeholder itself")
        return None
    return Turn(str(task.get("task") or ""), prompt, answer)


def conversations(source: RowSource, args: argparse.Namespace, summary: ExportSummary,
                  store: ImageStore, progress: bool) -> Iterator[Conversation]:
    """Every conversation in dataset order; rows without usable tasks are counted as skips."""
    from tqdm import tqdm

    wanted = parse_task_filter(args.tasks)
    images = 0
    with tqdm(total=source.total, unit="row", disable=not progress, dynamic_ncols=True) as bar:
        for row in source.rows(["id", "image", "tasks"]):
            summary.rows += 1
            bar.update(1)
            tasks = [t for t in row.get("tasks") or [] if wanted is None or t.get("task") in wanted]
            turns = [t for t in (_turn(task, summary) for task in tasks) if t is not None]
            if not turns:
                summary.skip("page with no task, so no conversation" + (" (--tasks)" if wanted else ""))
                continue
            row_id = str(row.get("id") or f"row{summary.rows - 1:06d}")
            try:
                image = store.store(row_id, (row.get("image") or {}).get("bytes") or b"")
            except ValueError:
                summary.skip("row image missing or not JPEG/PNG/WebP", len(turns))
                continue
            images += 1
            groups = [turns] if args.conversation == "per-page" else [[t] for t in turns]
            for group in groups:
                yield Conversation(row_id, tuple(group), image)
    how = "embedded" if store.embed else "written once each under images/"
    summary.notes.append(f"{images} page images {how}")


class JsonArray:
    """A JSON array written one element at a time (a large export never sits in memory)."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle, self.count = handle, 0

    def add(self, item: Any) -> None:
        self.handle.write(("[\n" if self.count == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
        self.count += 1

    def close(self) -> None:
        self.handle.write("[]\n" if self.count == 0 else "\n]\n")
