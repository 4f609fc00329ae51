"""`--format lines`: one PNG per text line + its exact text, the Tesseract/Calamari/kraken layout.

    OUT/NAME.png       the line, cut by its polygon/quad and rectified upright
    OUT/NAME.gt.txt    the line's text in logical order, UTF-8, one line + "\\n"
    OUT/index.jsonl    one JSON object per crop: name, row id, line index, text, language,
                       script, direction, role, style, font, size, crop width/height
    OUT/export.json    options and the summary (what was written, what was skipped and why)

NAME is `<row id>_<line index, 3 digits>`, so crops sort in dataset order. A line a finger,
clutter, a tear or the frame edge hides in part (flagged illegible, with legible words) gives
its readable runs of consecutive words instead (`qa_factory.runs`; NAME gets `_w<first word,
2 digits>`, index.jsonl `word_range`); `--no-runs` skips it whole. See
`pipelines.export.crops` for how a line is cut, and how vertical lines are turned.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.errors import PolyglyphError
from pipelines.export.base import ExportFormat, ExportSummary, RowSource, decode_image
from qa_factory.runs import row_line_instances

COLUMNS = ["id", "image", "lines", "words"]
MIN_CROP_PX = 4
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--min-visible", type=float, default=1.0, metavar="F",
                       help="skip lines with less than this fraction inside the image "
                       "(the row's `visible`; default 1: cut-off lines would teach a "
                       "recognizer to read text that is not there)")
    group.add_argument("--pad", type=float, default=0.15, metavar="F",
                       help="margin around each line, in line heights (0..2, default 0.15)")
    group.add_argument("--height", type=int, default=0, metavar="PX",
                       help="scale every crop to this height in pixels (8..512; "
                       "default 0 keeps each line's own size)")
    group.add_argument("--vertical", choices=["rotate", "keep"], default="rotate",
                       help="vertical CJK columns: `rotate` 90 degrees counter-clockwise so the "
                       "crop reads left to right (PaddleOCR/CRNN convention; default) or "
                       "`keep` them upright (for vertical-text models such as Tesseract's "
                       "*_vert). Turned Latin/Mongolian lines always come out upright")
    group.add_argument("--keep-illegible", action="store_true",
                       help="also cut lines the row marks `legible: false` (default: skip them)")
    group.add_argument("--runs", action=argparse.BooleanOptionalAction, default=True,
                       help="cut a partly hidden line's readable runs of words as crops of "
                       "their own, NAME_wK (K = the run's first word; default); --no-runs "
                       "skips such a line whole")


def check_options(args: argparse.Namespace) -> None:
    if not 0.0 <= args.min_visible <= 1.0:
        raise PolyglyphError(f"--min-visible {args.min_visible}: use a fraction between 0 and 1")
    if not 0.0 <= args.pad <= 2.0:
        raise PolyglyphError(f"--pad {args.pad}: use 0..2 line heights")
    if args.height != 0 and not 8 <= args.height <= 512:
        raise PolyglyphError(f"--height {args.height}: use 0 (own size) or 8..512 pixels")


def crop_name(row_id: str, index: int) -> str:
    return f"{_UNSAFE.sub('_', row_id) or 'row'}_{index:03d}"


def skip_reason(line: dict[str, Any], args: argparse.Namespace) -> str | None:
    """Why a line is not cut, or None. The reasons are the summary's wording."""
    text = line.get("text") or ""
    if line.get("role") == "dont-care":
        return "role dont-care (no reliable text)"
    if not text.strip():
        return "empty text"
    if "\n" in text or "\r" in text:
        return "text holds a line break"
    visible = line.get("visible")
    if visible is not None and float(visible) < args.min_visible:
        return f"visible < {args.min_visible:g} (partly outside the image)"
    if line.get("legible") is False and not args.keep_illegible:
        return "marked illegible by the row (legible: false)"
    return None


@dataclass(frozen=True)
class Crop:
    """One cut line: its file stem, the row and line it came from, and the RGB strip."""

    name: str
    row: dict[str, Any]
    number: int
    line: dict[str, Any]
    image: np.ndarray


def iter_crops(source: RowSource, args: argparse.Namespace, summary: ExportSummary,
               progress: bool) -> Iterator[Crop]:
    """Every line that passes `skip_reason`, cut and rectified, in dataset order; skips are
    counted in `summary` and vertical lines noted there. Shared by every recognizer format."""
    from tqdm import tqdm

    from pipelines.export.crops import line_corners, rectify, strip_size

    columns = upright = 0
    with tqdm(total=source.total, unit="row", disable=not progress, dynamic_ncols=True) as bar:
        for row in source.rows(COLUMNS):
            summary.rows += 1
            bar.update(1)
            lines = row.get("lines") or []
            try:
                image = decode_image(row)
            except (OSError, ValueError) as exc:
                summary.skip(f"row image unreadable ({type(exc).__name__})", len(lines))
                continue
            for number, line, span in row_line_instances(row, getattr(args, "runs", True)):
                reason = skip_reason(line, args)
                corners = None if reason else line_corners(line.get("polygon"), line.get("quad"))
                if reason is None and corners is None:
                    reason = "unusable polygon and quad"
                if reason:
                    summary.skip(reason)
                    continue
                vertical = line.get("direction") == "ttb"
                crop = rectify(image, corners, pad=args.pad, height=args.height,
                               vertical=vertical, rotate_ttb=args.vertical == "rotate")
                if min(crop.shape[:2]) < MIN_CROP_PX:
                    summary.skip(f"crop under {MIN_CROP_PX} px")
                    continue
                length, thickness = strip_size(corners)
                columns += int(vertical and thickness > length)
                upright += int(vertical and thickness <= length)
                name = crop_name(str(row.get("id") or f"row{summary.rows - 1:06d}"), number)
                if span is not None:
                    name, line = f"{name}_w{span[0]:02d}", {**line, "word_range": list(span)}
                yield Crop(name, row, number, line, crop)
    if columns:
        how = ("turned 90 degrees counter-clockwise to read left to right"
               if args.vertical == "rotate" else "kept upright, reading top to bottom")
        summary.notes.append(f"{columns} vertical columns {how} (--vertical {args.vertical})")
    if upright:
        summary.notes.append(f"{upright} lines of turned (vertical Latin/Mongolian) pages set "
                             "upright, reading left to right")


def encode_png(crop: np.ndarray) -> bytes:
    """PNG bytes of an RGB strip (lossless: a recognizer should see the pixels as cut)."""
    from synth.opencv import cv2

    ok, data = cv2.imencode(".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    if not ok:
        raise PolyglyphError("cannot encode a line crop as PNG")
    return data.tobytes()


def write(source: RowSource, out: Path, args: argparse.Namespace, progress: bool) -> ExportSummary:
    summary = ExportSummary(unit="line")
    with (out / "index.jsonl").open("w", encoding="utf-8") as index:
        for crop in iter_crops(source, args, summary, progress):
            (out / f"{crop.name}.png").write_bytes(encode_png(crop.image))
            (out / f"{crop.name}.gt.txt").write_text(crop.line["text"] + "\n", encoding="utf-8")
            index.write(json.dumps(_index_entry(crop.name, crop.row, crop.number, crop.line,
                                                crop.image), ensure_ascii=False) + "\n")
            summary.written += 1
    return summary


def _index_entry(name: str, row: dict[str, Any], number: int, line: dict[str, Any],
                 crop: Any) -> dict[str, Any]:
    keys = ("text", "language", "script", "direction", "role", "style", "font", "size")
    run = {"word_range": line["word_range"]} if "word_range" in line else {}
    return {"name": name, "row_id": row.get("id"), "line": number,
            **{k: line.get(k) for k in keys}, **run,
            "width": int(crop.shape[1]), "height": int(crop.shape[0])}


FORMAT = ExportFormat(
    name="lines",
    summary="line crops NAME.png + NAME.gt.txt (Tesseract, Calamari, kraken training layout)",
    description=__doc__ or "",
    add_arguments=add_arguments,
    write=write,
    check=check_options,
)
