"""Detection sets: whole pages with every line's polygon and text, for text detectors/spotters.

Pages are written once each, as stored (the row's own encoded bytes, no re-encoding), named
`img_N` with N counted from 1 in dataset order; OUT/index.jsonl maps N to the row id.

`icdar2015`  OUT/images/img_N.EXT and OUT/gt/gt_img_N.txt, one line per text line:
             `x1,y1,x2,y2,x3,y3,x4,y4,text` (the line's quad, integer pixels, clockwise from
             the text's own top-left, so turned lines keep their reading direction);
             illegible and dont-care lines have the text `###`.
`coco`       OUT/images/img_N.EXT and OUT/coco_text.json in COCO layout with COCO-Text's
             fields: images [{id, file_name, width, height}], annotations [{id, image_id,
             category_id, bbox [x, y, w, h], segmentation [[x1, y1, ...]] (the full polygon;
             also as COCO-Text v2's flat `mask`),
             area, iscrowd, utf8_string, legibility "legible"|"illegible", language, script}].

A line a finger, clutter, a tear or the frame edge hides in part (flagged illegible, with
legible words) is written as its runs of consecutive words (`qa_factory.runs`): readable runs
with their text, hidden runs illegible, as benchmarks annotate occluded text (`--no-runs`: the
line whole). Lines with no visible part or fewer than 3 points are left out and counted. Both layouts read
back with `polyglyph variants --input OUT --format icdar2015|coco`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.export.base import ExportFormat, ExportSummary, RowSource, image_ext
from pipelines.export.spool import JsonListSpool, write_document
from qa_factory.runs import row_line_instances

COLUMNS = ["id", "image", "width", "height", "lines", "words"]


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--illegible", choices=["mark", "skip"], default="mark",
                       help="lines the row marks `legible: false`: `mark` them (ICDAR `###`, "
                       "COCO legibility illegible; default) or `skip` them")
    group.add_argument("--runs", action=argparse.BooleanOptionalAction, default=True,
                       help="a partly hidden line as its runs of words: readable runs as text "
                       "instances, hidden runs as illegible ones (default); --no-runs keeps "
                       "such a line whole (illegible)")


def pages(source: RowSource, out: Path, summary: ExportSummary,
          progress: bool) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(N, image file relative to OUT, row) per readable row, the image already written."""
    from tqdm import tqdm

    (out / "images").mkdir()
    number = 0
    with (out / "index.jsonl").open("w", encoding="utf-8") as index, \
            tqdm(total=source.total, unit="row", disable=not progress, dynamic_ncols=True) as bar:
        for row in source.rows(COLUMNS):
            summary.rows += 1
            bar.update(1)
            data = (row.get("image") or {}).get("bytes") or b""
            try:
                ext = image_ext(data)
            except ValueError:
                summary.skip("row image missing or not JPEG/PNG/WebP")
                continue
            number += 1
            rel = f"images/img_{number}.{ext}"
            (out / rel).write_bytes(data)
            index.write(json.dumps({"image": rel, "row_id": row.get("id")}) + "\n")
            summary.written += 1
            yield number, rel, row


def labelled_lines(row: dict[str, Any], args: argparse.Namespace,
                   summary: ExportSummary) -> Iterator[tuple[dict[str, Any], bool]]:
    """(line, legible) for every line a detector should see; the others counted as skipped."""
    for _, line, _span in row_line_instances(row, getattr(args, "runs", True)):
        polygon = line.get("polygon") or []
        visible = line.get("visible")
        if len(polygon) < 3 or not np.all(np.isfinite(np.asarray(polygon, dtype=float))):
            summary.skip("line without a usable polygon")
        elif visible is not None and float(visible) <= 0.0:
            summary.skip("line entirely outside the image")
        elif line.get("legible") is False and args.illegible == "skip":
            summary.skip("marked illegible by the row (--illegible skip)")
        else:
            readable = (line.get("role") != "dont-care" and line.get("legible") is not False
                        and bool((line.get("text") or "").strip()))
            yield line, readable


def write_icdar(source: RowSource, out: Path, args: argparse.Namespace,
                progress: bool) -> ExportSummary:
    summary = ExportSummary(unit="image")
    (out / "gt").mkdir()
    marked = 0
    for number, _rel, row in pages(source, out, summary, progress):
        lines = []
        for line, readable in labelled_lines(row, args, summary):
            text = line.get("text") or ""
            if readable and ("\n" in text or "\r" in text):
                summary.skip("line text holds a line break")
                continue
            coords = ",".join(str(int(round(v))) for point in reading_quad(line) for v in point)
            lines.append(f"{coords},{text if readable else '###'}")
            marked += int(not readable)
        (out / "gt" / f"gt_img_{number}.txt").write_text("".join(f"{x}\n" for x in lines),
                                                         encoding="utf-8")
    if marked:
        summary.notes.append(f"{marked} illegible or dont-care lines written as ###")
    return summary


def reading_quad(line: dict[str, Any]) -> list[list[float]]:
    """The line's quad, clockwise from the text's own top-left corner (ICDAR's order).

    The stored quad starts at the corner nearest the image's top-left, which for a turned or
    steeply rotated line is not where its text starts; the polygon's first point is (see
    `pipelines.export.crops`), so the quad is rolled to start at the corner nearest it."""
    polygon = np.asarray(line["polygon"], dtype=float)[:, :2]
    quad = line.get("quad") or []
    box = np.asarray(quad, dtype=float)[:, :2] if len(quad) == 4 else polygon[:4]
    start = int(np.argmin(((box - polygon[0]) ** 2).sum(axis=1)))
    return np.roll(box, -start, axis=0).tolist()


def write_coco(source: RowSource, out: Path, args: argparse.Namespace,
               progress: bool) -> ExportSummary:
    summary = ExportSummary(unit="image")
    images, annotations = JsonListSpool(out, "images"), JsonListSpool(out, "annotations")
    for number, rel, row in pages(source, out, summary, progress):
        images.add({"id": number, "file_name": rel, "width": int(row.get("width") or 0),
                    "height": int(row.get("height") or 0), "row_id": row.get("id")})
        for line, readable in labelled_lines(row, args, summary):
            annotations.add(coco_annotation(annotations.count + 1, number, line, readable))
    count = annotations.count
    write_document(out / "coco_text.json", [
        ("info", {"description": "polyglyph export --format coco (COCO-Text fields)"}),
        ("categories", [{"id": 1, "name": "text"}]), ("images", images),
        ("annotations", annotations)])
    summary.notes.append(f"{count} text annotations in coco_text.json")
    return summary


def coco_annotation(ann_id: int, image_id: int, line: dict[str, Any],
                    readable: bool) -> dict[str, Any]:
    """One line as a COCO annotation; the polygon exactly as stored (2 decimals)."""
    points = np.asarray(line["polygon"], dtype=float)[:, :2]
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    x, y = points[:, 0], points[:, 1]
    flat = [round(float(v), 2) for v in points.reshape(-1)]
    area = abs(0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return {"id": ann_id, "image_id": image_id, "category_id": 1,
            "bbox": [round(float(v), 2) for v in (x0, y0, x1 - x0, y1 - y0)],
            "segmentation": [flat], "mask": flat,
            "area": round(area, 2), "iscrowd": 0,
            "utf8_string": line.get("text") or "",
            "legibility": "legible" if readable else "illegible",
            "language": line.get("language"), "script": line.get("script")}


FORMATS = (
    ExportFormat(name="icdar2015", summary="ICDAR 2015 detection: images/img_N + gt/gt_img_N.txt "
                 "(x1,y1,...,x4,y4,text; ### = illegible)", description=__doc__ or "",
                 add_arguments=add_arguments, write=write_icdar),
    ExportFormat(name="coco", summary="COCO-Text-style JSON: images, annotations with bbox, "
                 "polygon, utf8_string, legibility", description=__doc__ or "",
                 add_arguments=add_arguments, write=write_coco),
)
