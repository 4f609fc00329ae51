"""Readers for labelled text benchmarks, each giving (items, problems): ICDAR 2015 and our own
Parquet here, MMOCR and COCO in `pipelines.json_readers`; the item and problem types and the
shared checks in `pipelines.source_items` (re-exported here, the import path callers use; its
docstring says what an item and a problem are).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .containment import MAX_TEXT
from .json_readers import read_coco, read_mmocr
from .source_items import (
    IMAGE_SUFFIXES,
    MAX_GT_BYTES,
    NONE_READ,
    Problem,
    Reader,
    SourceItem,
    SourceLine,
    contained_files,
    images_by_stem,
    read_capped,
    rel_name,
    ring,
)

__all__ = [
    "IMAGE_SUFFIXES", "READERS", "Problem", "Reader", "SourceItem", "SourceLine",
    "read_coco", "read_dataset_rows", "read_icdar2015", "read_mmocr", "read_parquet",
    "unique_keys",
]


# The script column of ICDAR 2017/2019 MLT ground truth (`x1,y1,...,x4,y4,script,text`), whose
# files are named `gt_<image>.txt` as ICDAR 2015's are
LINE_END = re.compile("\r\n|\r|\n")
MLT_SCRIPTS = frozenset({"Arabic", "Latin", "Chinese", "Japanese", "Korean", "Bangla", "Hindi",
                         "Symbols", "Mixed", "None"})


def is_mlt(rows: Iterable[list[str]]) -> bool:
    """Whether a gt file is MLT's: every line has a script name before its text. Read as ICDAR
    2015, each label would be "Latin,CLIPS"; a 2015 file whose every transcription starts with
    one of those names and a comma is not a risk worth a flag."""
    seen = False
    for parts in rows:
        if len(parts) < 10 or parts[8] not in MLT_SCRIPTS:
            return False
        seen = True
    return seen


def read_icdar2015(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """`gt_<stem>.txt` files anywhere under root: `x1,y1,...,x4,y4,text`; `###` = don't care.
    ICDAR 2017/2019 MLT files (`...,y4,script,text`) are recognised and their script column
    left out of the text."""
    items: list[SourceItem] = []
    problems: list[Problem] = []
    images = images_by_stem(root, problems)
    for gt in contained_files(root, root.rglob("gt_*.txt"), problems):
        stem = gt.stem[3:]
        candidates = images.get(stem, [])
        same_dir = [p for p in candidates if p.parent == gt.parent]
        image = (same_dir or candidates or [None])[0]
        if image is None:
            problems.append(Problem(rel_name(root, gt), f"no image named {stem}.* under the input"))
            continue
        data = read_capped(root, gt, MAX_GT_BYTES, problems)
        if data is None:
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(Problem(rel_name(root, gt), f"not UTF-8: {exc.reason} at byte {exc.start}"))
            continue
        lines = []
        # lines end at LF, CRLF or CR only: str.splitlines() also cut a transcription at
        # U+2028, U+0085, VT, FF..., so its box was labelled with the words before the cut
        rows = [(n, raw.strip().split(",")) for n, raw in enumerate(LINE_END.split(text), start=1)
                if raw.strip()]
        first_text = 9 if is_mlt(parts for _, parts in rows) else 8
        for number, parts in rows:
            try:
                if len(parts) < 9:
                    raise ValueError(f"expected 8 coordinates and a transcription, got {len(parts)} fields")
                polygon = ring(parts[:8])
            except ValueError as exc:
                problems.append(Problem(f"{rel_name(root, gt)}:{number}", f"malformed line skipped: {exc}"))
                continue
            transcription = ",".join(parts[first_text:])
            if len(transcription) > MAX_TEXT:
                problems.append(Problem(f"{rel_name(root, gt)}:{number}",
                                        f"transcription over {MAX_TEXT} characters skipped"))
                continue
            lines.append(SourceLine(transcription, polygon, transcription == "###"))
        if rows and not lines:
            problems.append(Problem(rel_name(root, gt), f"skipped: none of its {len(rows)} "
                                    f"annotations could be read {NONE_READ}"))
            continue
        items.append(SourceItem(rel_name(root, image), rel_name(root, gt), image, lines))
    # an image no gt file names would vanish from the run without a word (often a naming
    # slip, `1.jpg` beside `gt_img_1.txt`): say so, and count it as a skipped image
    named = {gt.stem[3:] for gt in root.rglob("gt_*.txt")}  # also those refused above
    for path in sorted(p for stem, found in images.items() if stem not in named for p in found):
        problems.append(Problem(rel_name(root, path), f"skipped: no gt_{path.stem}.txt names it"))
    return items, problems



def read_parquet(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """Our own contract: rows are listed here (ids only) and decoded when warped, each into
    its full Page again (all labels, not only lines)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = root.parent if root.is_file() else root
    items: list[SourceItem] = []
    problems: list[Problem] = []
    files = [root] if root.is_file() else contained_files(root, root.rglob("*.parquet"), problems)
    for path in files:
        try:
            names = set(pq.read_schema(path).names)
            missing = sorted({"id", "image", "lines"} - names)  # an export, someone else's
            ids = [] if missing else pq.read_table(path, columns=["id"]).column("id").to_pylist()
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            problems.append(Problem(rel_name(base, path), f"unreadable parquet: {str(exc).splitlines()[0]}"))
            continue
        if missing:
            problems.append(Problem(rel_name(base, path), "skipped: not a polyglyph shard (no "
                                    f"column {', '.join(missing)})"))
            continue
        for number, row_id in enumerate(ids):
            items.append(SourceItem(str(row_id), rel_name(base, path), None, [],
                                    ("", str(path.resolve()), number)))
    return items, problems


def read_dataset_rows(data: Any) -> tuple[list[SourceItem], list[Problem]]:
    """Our own rows from a dataset anywhere (a `pipelines.dataset.Dataset`, e.g. on `s3://`):
    ids listed here, each row read again where it is warped (a worker on any node)."""
    items, problems = [], []
    for name in data.files:
        try:
            ids = data.parquet(name).read(columns=["id"]).column("id").to_pylist()
        except (OSError, ValueError, KeyError) as exc:
            problems.append(Problem(name, f"unreadable parquet: {str(exc).splitlines()[0]}"))
            continue
        for number, row_id in enumerate(ids):
            items.append(SourceItem(str(row_id), name, None, [],
                                    (data.source.target, name, number)))
    return items, problems


READERS: dict[str, Reader] = {
    "icdar2015": read_icdar2015,
    "mmocr": read_mmocr,
    "coco": read_coco,
    "parquet": read_parquet,
}


def unique_keys(items: list[SourceItem], problems: list[Problem]) -> list[SourceItem]:
    """One item per key, sorted by key. An image annotated in two files (a benchmark's train and
    test lists both naming it, two row ids alike) would give two rows with one key; the first
    annotation file in name order is used and the others are reported, never merged (their
    labels may disagree)."""
    chosen: dict[str, SourceItem] = {}
    for item in sorted(items, key=lambda it: (it.key, it.annotation)):
        first = chosen.setdefault(item.key, item)
        if first is not item:
            problems.append(Problem(item.annotation, f"annotation dropped: {item.key} is also annotated "
                                                     f"in {first.annotation}, whose labels are used"))
    return list(chosen.values())

