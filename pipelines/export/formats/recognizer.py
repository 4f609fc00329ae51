"""Recognizer line sets: the `lines` crops, labelled the way PaddleOCR, MMOCR and LMDB readers want.

Every format here cuts lines exactly as `--format lines` does (same options, same skips:
illegible, cut-off, empty, multi-line or dont-care lines are left out and counted), then:

`paddle-rec`  OUT/images/NAME.png, OUT/rec_gt.txt (`images/NAME.png<TAB>label`, one per line,
              PaddleOCR's SimpleDataSet list) and OUT/dict.txt (every character used, one per
              line: a `character_dict_path` that covers the set). Labels holding a tab are skipped.
`mmocr-rec`   OUT/textrecog_imgs/NAME.png and OUT/textrecog_train.json, MMOCR 1.x's textrecog
              annotation: {"metainfo": {"dataset_type": "TextRecogDataset", "task_name":
              "textrecog"}, "data_list": [{"img_path": "textrecog_imgs/NAME.png",
              "instances": [{"text": label}]}]} (img_path relative to OUT, MMOCR's data_root).
`lmdb`        OUT/data.mdb + lock.mdb, the layout of the CRNN/deep-text-recognition-benchmark
              family: `image-%09d` (PNG bytes) and `label-%09d` (UTF-8) from 1, and
              `num-samples`. Needs the `lmdb` package (`pip install polyglyph[export]`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.errors import PolyglyphError
from pipelines.export.base import ExportFormat, ExportSummary, RowSource
from pipelines.export.formats.lines import add_arguments, check_options, encode_png, iter_crops
from pipelines.export.spool import JsonListSpool, write_document

MMOCR_METAINFO = {"dataset_type": "TextRecogDataset", "task_name": "textrecog"}
LMDB_MAP_SIZE = 1 << 40  # address space only: the file grows with what is written


def write_paddle(source: RowSource, out: Path, args: argparse.Namespace,
                 progress: bool) -> ExportSummary:
    summary = ExportSummary(unit="line")
    (out / "images").mkdir()
    chars: set[str] = set()
    with (out / "rec_gt.txt").open("w", encoding="utf-8") as listing:
        for crop in iter_crops(source, args, summary, progress):
            text = crop.line["text"]
            if "\t" in text:
                summary.skip("text holds a tab (the list's separator)")
                continue
            rel = f"images/{crop.name}.png"
            (out / rel).write_bytes(encode_png(crop.image))
            listing.write(f"{rel}\t{text}\n")
            chars.update(text)
            summary.written += 1
    (out / "dict.txt").write_text("".join(f"{c}\n" for c in sorted(chars) if c != " "),
                                  encoding="utf-8")
    if " " in chars:
        summary.notes.append("labels hold spaces: set `use_space_char: true` in the PaddleOCR "
                             "config (dict.txt lists the other characters)")
    return summary


def write_mmocr(source: RowSource, out: Path, args: argparse.Namespace,
                progress: bool) -> ExportSummary:
    summary = ExportSummary(unit="line")
    (out / "textrecog_imgs").mkdir()
    entries = JsonListSpool(out, "data_list")  # one per line: never the whole list in memory
    for crop in iter_crops(source, args, summary, progress):
        rel = f"textrecog_imgs/{crop.name}.png"
        (out / rel).write_bytes(encode_png(crop.image))
        entries.add({"img_path": rel, "height": int(crop.image.shape[0]),
                     "width": int(crop.image.shape[1]),
                     "instances": [{"text": crop.line["text"]}]})
        summary.written += 1
    write_document(out / "textrecog_train.json",
                   [("metainfo", MMOCR_METAINFO), ("data_list", entries)])
    return summary


def write_lmdb(source: RowSource, out: Path, args: argparse.Namespace,
               progress: bool) -> ExportSummary:
    lmdb = _lmdb()
    summary = ExportSummary(unit="line")
    env = lmdb.open(str(out), map_size=LMDB_MAP_SIZE, subdir=True, lock=True)
    try:
        txn = env.begin(write=True)
        for crop in iter_crops(source, args, summary, progress):
            summary.written += 1
            key = f"{summary.written:09d}"
            txn.put(f"image-{key}".encode(), encode_png(crop.image))
            txn.put(f"label-{key}".encode(), crop.line["text"].encode("utf-8"))
            if summary.written % 1000 == 0:  # bounded transactions on large exports
                txn.commit()
                txn = env.begin(write=True)
        txn.put(b"num-samples", str(summary.written).encode())
        txn.commit()
    finally:
        env.close()
    return summary


def check_lmdb(args: argparse.Namespace) -> None:
    check_options(args)
    _lmdb()


def _lmdb() -> Any:
    try:
        import lmdb
    except ImportError:
        raise PolyglyphError("--format lmdb needs the lmdb package: "
                             "pip install 'polyglyph[export]' (or pip install lmdb)") from None
    return lmdb


def _format(name: str, summary: str, write: Callable[..., ExportSummary],
            check: Callable[[argparse.Namespace], None] = check_options) -> ExportFormat:
    return ExportFormat(name=name, summary=summary, description=__doc__ or "",
                        add_arguments=add_arguments, write=write, check=check)


FORMATS = (
    _format("paddle-rec", "PaddleOCR rec list: images/NAME.png + rec_gt.txt (path<TAB>label) "
            "+ dict.txt", write_paddle),
    _format("mmocr-rec", "MMOCR 1.x textrecog_train.json (metainfo + data_list) + line PNGs",
            write_mmocr),
    _format("lmdb", "LMDB of line PNGs: image-%09d / label-%09d / num-samples (CRNN layout)",
            write_lmdb, check_lmdb),
)
