"""VLM conversations from each row's `tasks` (prompt/answer views), in four trainers' layouts.

`trl`       OUT/data/train-NNNNN.parquet with `messages` (TRL's vision chat: user content
            [{"type": "image"}, {"type": "text", "text": prompt}], assistant content
            [{"type": "text", "text": answer}]) and `images` (a list of one `datasets` Image),
            plus `id` and `tasks`. `datasets.load_dataset("OUT")` (the folder; 2.19 to 5.x
            measured) gives PIL images; `SFTTrainer` takes it as is. Images embedded by default.
`sharegpt`  OUT/data.json, a list of {"messages": [{"role": "user", "content": "<image>prompt"},
            {"role": "assistant", "content": answer}, ...], "images": [path]}: the ms-swift
            standard and LLaMA-Factory's sharegpt layout (OUT/dataset_info.json names it
            `polyglyph` for LLaMA-Factory's `dataset_dir: OUT`; ms-swift resolves relative
            image paths from its working folder or `ROOT_IMAGE_DIR=OUT`). `--images embed`
            writes base64 data URIs (ms-swift reads them; LLaMA-Factory wants files).
`llava`     OUT/data.json, a list of {"id", "image": path, "conversations": [{"from": "human",
            "value": "<image>\\nprompt"}, {"from": "gpt", "value": answer}, ...]} (LLaVA's
            `--data_path`, with `--image_folder OUT`). Files only.
`hunyuan`   OUT/data.jsonl, one {"img_path_sh": absolute path, "conv": [{"question": prompt,
            "answer": answer}], "id", "task"} per line: HunyuanOCR's raw training JSONL
            (its packer reads turn 0 of `conv`, so one task per line). Files only.

Image paths are relative to OUT (`images/ID.EXT`, each page written once however many tasks
refer to it) unless `--absolute-paths`; HunyuanOCR's and TRL's (`--images files`: a `datasets`
Image path must open from any working folder) are always absolute.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.errors import PolyglyphError
from pipelines.export.base import ExportFormat, ExportSummary, RowSource
from pipelines.export.conversations import (
    PLACEHOLDER,
    Conversation,
    ImageStore,
    JsonArray,
    conversations,
    parse_task_filter,
)

TRL_ROWS_PER_FILE = 2000
TRL_ROWS_PER_GROUP = 64
# a row group also ends, where a new page begins, once it holds this many bytes of embedded
# images: 64 conversations of 2-8 MB PNG pages (each task of a page embeds it again) made row
# groups of ~150 MB, held about three times over (the records, their Arrow table, the Parquet
# writer's column chunk) at the peak. Never inside a page's run of conversations: the writer's
# dictionary stores a page once per row group, so a page split over two is stored twice
TRL_GROUP_BYTES = 32 << 20
TRL_DICTIONARY_BYTES = 256 << 20
LLAMA_FACTORY_INFO = {"polyglyph": {
    "file_name": "data.json", "formatting": "sharegpt",
    "columns": {"messages": "messages", "images": "images"},
    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
             "assistant_tag": "assistant"}}}


def _arguments(embed_default: str, images: bool = True, pages: bool = True,
               paths: bool = True) -> Callable[[argparse._ArgumentGroup], None]:
    def add(group: argparse._ArgumentGroup) -> None:
        group.add_argument("--images", choices=["embed", "files"] if images else ["files"],
                           default=embed_default,
                           help=f"embed each image in its record or write it once under "
                           f"images/ (default {embed_default})")
        group.add_argument("--conversation", choices=["per-task", "per-page"] if pages
                           else ["per-task"], default="per-task",
                           help="one single-turn conversation per task (default) or one "
                           "multi-turn conversation per page (all its tasks)")
        group.add_argument("--tasks", metavar="LIST",
                           help="only these tasks, comma-separated (e.g. spotting,parsing); "
                           "default all")
        if paths:
            group.add_argument("--absolute-paths", action="store_true",
                               help="name image files by absolute path (default: relative to OUT)")
    return add


def check(args: argparse.Namespace) -> None:
    parse_task_filter(args.tasks)


def _store(out: Path, args: argparse.Namespace, absolute: bool = False) -> ImageStore:
    return ImageStore(out, args.images == "embed",
                      absolute or bool(getattr(args, "absolute_paths", False)))


def _summary() -> ExportSummary:
    return ExportSummary(unit="conversation")


# --- trl ---------------------------------------------------------------------------------------
def trl_features() -> dict[str, Any]:
    """The `huggingface` schema metadata: list features as one-element lists, the spelling
    every `datasets` version from 2.x to today reads (no `List`/`Sequence` type names)."""
    string = {"dtype": "string", "_type": "Value"}
    return {"id": string, "tasks": [string],
            "messages": [{"role": string, "content": [{"type": string, "text": string}]}],
            "images": [{"_type": "Image"}]}


def trl_schema() -> Any:
    import pyarrow as pa

    content = pa.list_(pa.struct([("type", pa.string()), ("text", pa.string())]))
    return pa.schema(
        [("id", pa.string()), ("tasks", pa.list_(pa.string())),
         ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", content)]))),
         ("images", pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())])))],
        metadata={"huggingface": json.dumps({"info": {"features": trl_features()}})})


def trl_record(conv: Conversation) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for n, turn in enumerate(conv.turns):
        image = [{"type": "image", "text": None}] if n == 0 else []
        messages.append({"role": "user",
                         "content": [*image, {"type": "text", "text": turn.prompt}]})
        messages.append({"role": "assistant", "content": [{"type": "text", "text": turn.answer}]})
    img = conv.image
    stored = ({"bytes": img.data, "path": f"{conv.row_id}.{img.ext}"} if img.path is None
              else {"bytes": None, "path": img.path})
    return {"id": conv.row_id, "tasks": [t.task for t in conv.turns], "messages": messages,
            "images": [stored]}


class RollingParquet:
    """Parquet files of at most `per_file` rows, written a row group (at most
    TRL_ROWS_PER_GROUP rows or about TRL_GROUP_BYTES of images) at a time."""

    def __init__(self, folder: Path, schema: Any, per_file: int = TRL_ROWS_PER_FILE) -> None:
        self.folder, self.schema, self.per_file = folder, schema, per_file
        self.files = self.in_file = self.pending_bytes = 0
        self.pending: list[dict[str, Any]] = []
        self.writer: Any = None
        self.page: bytes | None = None  # the embedded image of the last record added

    def add(self, record: dict[str, Any]) -> None:
        page = next((image.get("bytes") for image in record.get("images") or []), None)
        if self.pending and page is not self.page and self.pending_bytes >= TRL_GROUP_BYTES:
            self._flush()
        self.page = page
        self.pending.append(record)
        self.in_file += 1
        self.pending_bytes += len(page or b"")
        if len(self.pending) == TRL_ROWS_PER_GROUP or self.in_file == self.per_file:
            self._flush()
        if self.in_file == self.per_file:
            self._close_file()

    def close(self) -> None:
        if self.pending or self.files == 0:  # no rows at all: one empty, loadable file
            self._flush()
        self._close_file()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.writer is None:
            path = self.folder / f"train-{self.files:05d}.parquet"
            # a dictionary as large as a row group's pages: past Parquet's 1 MiB default the
            # writer falls back to plain values and stores one page of each group twice
            self.writer = pq.ParquetWriter(path, self.schema,
                                           dictionary_pagesize_limit=TRL_DICTIONARY_BYTES)
            self.files += 1
        self.writer.write_table(pa.Table.from_pylist(self.pending, schema=self.schema))
        self.pending.clear()
        self.pending_bytes = 0

    def _close_file(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer, self.in_file = None, 0


def write_trl(source: RowSource, out: Path, args: argparse.Namespace,
              progress: bool) -> ExportSummary:
    summary = _summary()
    (out / "data").mkdir()
    store = _store(out, args, absolute=True)  # a datasets Image path must open from anywhere
    files = RollingParquet(out / "data", trl_schema())
    for conv in conversations(source, args, summary, store, progress):
        files.add(trl_record(conv))
        summary.written += 1
    files.close()
    return summary


# --- sharegpt / llava / hunyuan ----------------------------------------------------------------
def sharegpt_record(conv: Conversation) -> dict[str, Any]:
    messages = []
    for n, turn in enumerate(conv.turns):
        messages.append({"role": "user", "content": (PLACEHOLDER if n == 0 else "") + turn.prompt})
        messages.append({"role": "assistant", "content": turn.answer})
    ref = conv.image.path or conv.image.data_uri()
    return {"id": conv.row_id, "messages": messages, "images": [ref]}


def llava_record(conv: Conversation) -> dict[str, Any]:
    turns = []
    for n, turn in enumerate(conv.turns):
        turns.append({"from": "human", "value": (f"{PLACEHOLDER}\n" if n == 0 else "") + turn.prompt})
        turns.append({"from": "gpt", "value": turn.answer})
    return {"id": conv.row_id, "image": conv.image.path, "conversations": turns}


def _write_json_list(record: Callable[[Conversation], dict[str, Any]], absolute: bool = False,
                     extra: dict[str, Any] | None = None) -> Callable[..., ExportSummary]:
    def write(source: RowSource, out: Path, args: argparse.Namespace,
              progress: bool) -> ExportSummary:
        summary = _summary()
        store = _store(out, args, absolute)
        with (out / "data.json").open("w", encoding="utf-8") as handle:
            array = JsonArray(handle)
            for conv in conversations(source, args, summary, store, progress):
                array.add(record(conv))
                summary.written += 1
            array.close()
        for name, content in (extra or {}).items():
            (out / name).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
        return summary
    return write


def write_hunyuan(source: RowSource, out: Path, args: argparse.Namespace,
                  progress: bool) -> ExportSummary:
    summary = _summary()
    store = _store(out, args, absolute=True)
    with (out / "data.jsonl").open("w", encoding="utf-8") as handle:
        for conv in conversations(source, args, summary, store, progress):
            turn = conv.turns[0]
            handle.write(json.dumps({"img_path_sh": conv.image.path,
                                     "conv": [{"question": turn.prompt, "answer": turn.answer}],
                                     "id": conv.row_id, "task": turn.task},
                                    ensure_ascii=False) + "\n")
            summary.written += 1
    return summary


def _refuse(name: str, images: bool, pages: bool) -> Callable[[argparse.Namespace], None]:
    def check_format(args: argparse.Namespace) -> None:
        if not images and args.images != "files":
            raise PolyglyphError(f"--format {name} reads images from files: drop --images embed")
        if not pages and args.conversation != "per-task":
            raise PolyglyphError(f"--format {name} trains on one question per record: "
                                 "use --conversation per-task")
        check(args)
    return check_format


def _format(name: str, summary: str, write: Callable[..., ExportSummary], default: str,
            images: bool = True, pages: bool = True, paths: bool = True) -> ExportFormat:
    return ExportFormat(name=name, summary=summary, description=__doc__ or "",
                        add_arguments=_arguments(default, images, pages, paths), write=write,
                        check=_refuse(name, images, pages))


FORMATS = (
    _format("trl", "TRL/datasets Parquet: messages + images columns (SFTTrainer vision chat)",
            write_trl, "embed", paths=False),
    _format("sharegpt", "ShareGPT JSON with <image> (ms-swift, LLaMA-Factory + dataset_info.json)",
            _write_json_list(sharegpt_record, extra={"dataset_info.json": LLAMA_FACTORY_INFO}),
            "files"),
    _format("llava", "LLaVA JSON: image + conversations (human/gpt, <image>\\n in turn 1)",
            _write_json_list(llava_record), "files", images=False),
    _format("hunyuan", "HunyuanOCR raw training JSONL: img_path_sh + conv [{question, answer}]",
            write_hunyuan, "files", images=False, pages=False, paths=False),
)
