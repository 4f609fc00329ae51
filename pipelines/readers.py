"""Readers for labelled text benchmarks, each giving (items, problems).

An item is one image with its text polygons; a problem is one line naming a file and what is
wrong with it. Bad files and bad annotation lines are reported and skipped so one broken file in
a thousand never stops a run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.errors import PolyglyphError
from synth.page import make_clockwise

from .containment import (
    MAX_POINTS,
    MAX_TEXT,
    name_reason,
    outside_reason,
)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
EXPORT_RECORD = "export.json"  # `polyglyph export`'s own record beside a COCO export, not labels


@dataclass
class SourceLine:
    text: str
    polygon: list[list[float]]
    dont_care: bool = False

    def __post_init__(self) -> None:
        if not self.text.strip():  # a box without a transcription: its text is unknown
            self.dont_care = True


@dataclass
class SourceItem:
    key: str  # stable name: image path relative to the input root, or a row id
    annotation: str  # the file the labels came from
    image_path: Path | None = None
    lines: list[SourceLine] = field(default_factory=list)
    # our own rows, read lazily: (dataset URI or "" for a local file, parquet file, row number)
    row: tuple[str, str, int] | None = None


@dataclass
class Problem:
    file: str
    problem: str


Reader = Callable[[Path], tuple[list[SourceItem], list[Problem]]]


def _contained(root: Path, paths: Iterable[Path], problems: list[Problem]) -> list[Path]:
    """The regular files among `paths` that resolve inside root; the others are problems."""
    real_root = root.resolve()
    kept = []
    for p in sorted(paths):
        if not p.is_file():  # folders, FIFOs, devices (/dev/zero), dangling links
            continue
        reason = outside_reason(real_root, p)
        if reason:
            problems.append(Problem(_rel(root, p), f"skipped: {reason}"))
        else:
            kept.append(p)
    return kept


def _images_by_stem(root: Path, problems: list[Problem]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    found = (p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    for p in _contained(root, found, problems):
        out.setdefault(p.stem, []).append(p)
    return out


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _ring(coords: Any) -> list[list[float]]:
    if not isinstance(coords, (list, tuple)) or len(coords) > 2 * MAX_POINTS:
        count = len(coords) if isinstance(coords, (list, tuple)) else type(coords).__name__
        raise ValueError(f"expected a flat list of at most {2 * MAX_POINTS} coordinates, got {count}")
    try:
        flat = [float(v) for v in coords]
    except OverflowError:  # a JSON integer beyond float range
        raise ValueError("coordinate out of float range") from None
    if len(flat) < 6 or len(flat) % 2:
        raise ValueError(f"needs an even number (>= 6) of coordinates, got {len(flat)}")
    if not np.all(np.isfinite(flat)):
        raise ValueError("non-finite coordinate")
    pts = np.asarray(flat, dtype=np.float64).reshape(-1, 2)
    return make_clockwise(pts).tolist()


def read_icdar2015(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """`gt_<stem>.txt` files anywhere under root: `x1,y1,...,x4,y4,text`; `###` = don't care."""
    items: list[SourceItem] = []
    problems: list[Problem] = []
    images = _images_by_stem(root, problems)
    for gt in _contained(root, root.rglob("gt_*.txt"), problems):
        stem = gt.stem[3:]
        candidates = images.get(stem, [])
        same_dir = [p for p in candidates if p.parent == gt.parent]
        image = (same_dir or candidates or [None])[0]
        if image is None:
            problems.append(Problem(_rel(root, gt), f"no image named {stem}.* under the input"))
            continue
        try:
            text = gt.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(Problem(_rel(root, gt), f"not UTF-8: {exc.reason} at byte {exc.start}"))
            continue
        lines = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            parts = raw.strip().split(",")
            try:
                if len(parts) < 9:
                    raise ValueError(f"expected 8 coordinates and a transcription, got {len(parts)} fields")
                polygon = _ring(parts[:8])
            except ValueError as exc:
                problems.append(Problem(f"{_rel(root, gt)}:{number}", f"malformed line skipped: {exc}"))
                continue
            transcription = ",".join(parts[8:])
            if len(transcription) > MAX_TEXT:
                problems.append(Problem(f"{_rel(root, gt)}:{number}",
                                        f"transcription over {MAX_TEXT} characters skipped"))
                continue
            lines.append(SourceLine(transcription, polygon, transcription == "###"))
        items.append(SourceItem(_rel(root, image), _rel(root, gt), image, lines))
    # an image no gt file names would vanish from the run without a word (often a naming
    # slip, `1.jpg` beside `gt_img_1.txt`): say so, and count it as a skipped image
    named = {gt.stem[3:] for gt in root.rglob("gt_*.txt")}  # also those refused above
    for path in sorted(p for stem, found in images.items() if stem not in named for p in found):
        problems.append(Problem(_rel(root, path), f"skipped: no gt_{path.stem}.txt names it"))
    return items, problems


def _find_image(root: Path, base: Path, name: str, images: dict[str, list[Path]],
                known: set[Path]) -> Path | str:
    """The image an annotation names, searched from its folder up to root; else the reason.

    Only files already found under root (contained, regular) are ever returned."""
    bad = name_reason(name)
    if bad:
        return bad
    for folder in (base, *base.parents):
        candidate = folder / name
        if candidate in known:
            return candidate
        if folder == root or root not in folder.parents:
            break
    by_name = [p for p in images.get(Path(name).stem, []) if p.name == Path(name).name]
    return by_name[0] if by_name else f"image {name} not found under --input"


def _load_json(root: Path, path: Path, problems: list[Problem]) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[…
        problems.append(Problem(_rel(root, path), f"not valid JSON: {str(exc).splitlines()[0]}"))
        return None


BAD_SHAPE = (ValueError, TypeError, KeyError, AttributeError, IndexError)  # wrong JSON types


def _known(images: dict[str, list[Path]]) -> set[Path]:
    return {p for paths in images.values() for p in paths}


def _text(value: Any) -> str:
    """A transcription; JSON `null` is no transcription (don't-care), never the text "None"."""
    if isinstance(value, (list, dict)):  # str() would make a label of "['a', 'b']"
        raise ValueError(f"transcription is a {type(value).__name__}, not text")
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        raise ValueError(f"transcription over {MAX_TEXT} characters")
    return text


def read_mmocr(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """MMOCR 1.x `textdet_*.json` / `textspotting_*.json`: data_list[].instances[].polygon."""
    items: list[SourceItem] = []
    problems: list[Problem] = []
    images = _images_by_stem(root, problems)
    known = _known(images)
    found = {*root.rglob("textdet_*.json"), *root.rglob("textspotting_*.json")}
    for path in _contained(root, found, problems):
        data = _load_json(root, path, problems)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("data_list"), list):
            problems.append(Problem(_rel(root, path), "no `data_list` list (not MMOCR 1.x)"))
            continue
        for n, entry in enumerate(data["data_list"]):
            where = f"{_rel(root, path)}#data_list[{n}]"
            try:
                item = _mmocr_item(root, path, where, entry, images, known, problems)
            except BAD_SHAPE as exc:  # one entry of wrong types; the others go on
                problems.append(Problem(where, f"malformed entry skipped: {_first(exc)}"))
                continue
            if item is not None:
                items.append(item)
    return items, problems


def _mmocr_item(root: Path, path: Path, where: str, entry: Any, images: dict[str, list[Path]],
                known: set[Path], problems: list[Problem]) -> SourceItem | None:
    name = entry.get("img_path") if isinstance(entry, dict) else None
    if not isinstance(name, str):
        problems.append(Problem(where, "entry without img_path"))
        return None
    image = _find_image(root, path.parent, name, images, known)
    if isinstance(image, str):
        problems.append(Problem(where, f"skipped: {image}"))
        return None
    instances = entry.get("instances") or []
    if not isinstance(instances, list):
        raise TypeError(f"`instances` is {type(instances).__name__}, not a list")
    lines = []
    for k, inst in enumerate(instances):
        try:
            coords = inst.get("polygon") or _bbox_ring(inst["bbox"], corners=True)
            lines.append(SourceLine(_text(inst.get("text", "")), _ring(coords),
                                    bool(inst.get("ignore", False))))
        except BAD_SHAPE as exc:
            problems.append(Problem(f"{where}.instances[{k}]",
                                    f"malformed instance skipped: {_first(exc)}"))
    return SourceItem(_rel(root, image), where, image, lines)


def _bbox_ring(bbox: Any, corners: bool) -> list[float]:
    """Box → 8 coords. MMOCR bbox is [x1, y1, x2, y2]; COCO bbox is [x, y, w, h]."""
    x0, y0, a, b = (float(v) for v in bbox)
    x1, y1 = (a, b) if corners else (x0 + a, y0 + b)
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def _coco_lists(data: Any) -> tuple[list[Any], list[Any]] | None:
    """(image entries, annotations) of COCO-Text v2 (dicts by id) or plain COCO (lists)."""
    if not isinstance(data, dict):
        return None
    if "imgs" in data and "anns" in data:
        imgs, anns = data["imgs"], data["anns"]
        imgs = list(imgs.values()) if isinstance(imgs, dict) else imgs
        anns = list(anns.values()) if isinstance(anns, dict) else anns
    elif "images" in data and "annotations" in data:
        imgs, anns = data["images"], data["annotations"]
    else:
        return None
    if not isinstance(imgs, list) or not isinstance(anns, list):
        raise TypeError("images and annotations must be lists (or COCO-Text dicts by id)")
    return imgs, anns


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _refuse_duplicate_ids(path: Path, imgs: list[Any]) -> None:
    """Two images with one id would both get that id's annotations: labels that lie."""
    seen: set[Any] = set()
    for info in imgs:
        ident = _hashable(info.get("id")) if isinstance(info, dict) else None
        if ident is not None and ident in seen:
            raise PolyglyphError(f"{path}: image id {ident!r} appears twice; "
                                 "its annotations would go to both images")
        seen.add(ident)


def read_coco(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """COCO-Text v2 (`imgs`/`anns` with `mask`, `utf8_string`, `legibility`) or plain COCO
    (`images`/`annotations` with `segmentation` and a `utf8_string`/`text` per annotation)."""
    items: list[SourceItem] = []
    problems: list[Problem] = []
    images = _images_by_stem(root, problems)
    known = _known(images)
    found = (p for p in root.rglob("*.json") if p.name != EXPORT_RECORD)
    for path in _contained(root, found, problems):
        data = _load_json(root, path, problems)
        if data is None:
            continue
        try:
            lists = _coco_lists(data)
        except TypeError as exc:
            problems.append(Problem(_rel(root, path), f"not COCO: {exc}"))
            continue
        if lists is None:
            problems.append(Problem(_rel(root, path), "neither COCO-Text (imgs/anns) nor COCO (images/annotations)"))
            continue
        imgs, anns = lists
        _refuse_duplicate_ids(path, imgs)
        by_image: dict[Any, list[tuple[int, Any]]] = {}
        for k, ann in enumerate(anns):
            key = _hashable(ann.get("image_id")) if isinstance(ann, dict) else None
            by_image.setdefault(key, []).append((k, ann))
        for info in imgs:
            ident = _hashable(info.get("id")) if isinstance(info, dict) else "?"
            where = f"{_rel(root, path)}#image {ident}"
            name = info.get("file_name") if isinstance(info, dict) else None
            if not isinstance(name, str):
                problems.append(Problem(where, "image entry without file_name"))
                continue
            image = _find_image(root, path.parent, name, images, known)
            if isinstance(image, str):
                problems.append(Problem(where, f"skipped: {image}"))
                continue
            lines = []
            for k, ann in by_image.get(ident, []):
                try:
                    lines.append(_coco_line(ann))
                except BAD_SHAPE as exc:
                    label = _hashable(ann.get("id", k)) if isinstance(ann, dict) else k
                    problems.append(Problem(f"{_rel(root, path)}#annotation {label}",
                                            f"malformed annotation skipped: {_first(exc)}"))
            items.append(SourceItem(_rel(root, image), where, image, lines))
    return items, problems


def _coco_line(ann: dict[str, Any]) -> SourceLine:
    coords = ann.get("mask") or ann.get("segmentation")
    if isinstance(coords, list) and coords and isinstance(coords[0], list):
        coords = coords[0]
    if not coords:
        coords = _bbox_ring(ann["bbox"], corners=False)
    text = ann.get("utf8_string", ann.get("text", ""))
    illegible = ann.get("legibility") == "illegible" or bool(ann.get("ignore", False))
    return SourceLine(_text(text), _ring(coords), illegible or text == "###")


def _first(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def read_parquet(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """Our own contract: rows are listed here (ids only) and decoded when warped, each into
    its full Page again (all labels, not only lines)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = root.parent if root.is_file() else root
    items: list[SourceItem] = []
    problems: list[Problem] = []
    files = [root] if root.is_file() else _contained(root, root.rglob("*.parquet"), problems)
    for path in files:
        try:
            names = set(pq.read_schema(path).names)
            missing = sorted({"id", "image", "lines"} - names)  # an export, someone else's
            ids = [] if missing else pq.read_table(path, columns=["id"]).column("id").to_pylist()
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            problems.append(Problem(_rel(base, path), f"unreadable parquet: {str(exc).splitlines()[0]}"))
            continue
        if missing:
            problems.append(Problem(_rel(base, path), "skipped: not a polyglyph shard (no "
                                    f"column {', '.join(missing)})"))
            continue
        for number, row_id in enumerate(ids):
            items.append(SourceItem(str(row_id), _rel(base, path), None, [],
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

