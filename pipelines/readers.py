"""Readers for labelled text benchmarks, each giving (items, problems).

An item is one image with its text polygons; a problem is one line naming a file and what is
wrong with it. Bad files and bad annotation lines are reported and skipped so one broken file in
a thousand never stops a run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from synth.page import Line, Page, make_clockwise, min_area_quad

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
DONT_CARE = "dont-care"
EXPORT_RECORD = "export.json"  # `polyglyph export`'s own record beside a COCO export, not labels


@dataclass
class SourceLine:
    text: str
    polygon: list[list[float]]
    dont_care: bool = False


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


def _images_by_stem(root: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
            out.setdefault(p.stem, []).append(p)
    return out


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _ring(coords: Iterable[Any]) -> list[list[float]]:
    flat = [float(v) for v in coords]
    if len(flat) < 6 or len(flat) % 2:
        raise ValueError(f"needs an even number (>= 6) of coordinates, got {len(flat)}")
    if not np.all(np.isfinite(flat)):
        raise ValueError("non-finite coordinate")
    pts = np.asarray(flat, dtype=np.float64).reshape(-1, 2)
    return make_clockwise(pts).tolist()


def read_icdar2015(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """`gt_<stem>.txt` files anywhere under root: `x1,y1,...,x4,y4,text`; `###` = don't care."""
    images = _images_by_stem(root)
    items, problems = [], []
    for gt in sorted(root.rglob("gt_*.txt")):
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
            lines.append(SourceLine(transcription, polygon, transcription == "###"))
        items.append(SourceItem(_rel(root, image), _rel(root, gt), image, lines))
    return items, problems


def _find_image(root: Path, base: Path, name: str, images: dict[str, list[Path]]) -> Path | None:
    for folder in (base, *base.parents):
        candidate = folder / name
        if candidate.is_file():
            return candidate
        if folder == root or root not in folder.parents:
            break
    by_name = [p for p in images.get(Path(name).stem, []) if p.name == Path(name).name]
    return by_name[0] if by_name else None


def _load_json(root: Path, path: Path, problems: list[Problem]) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem(_rel(root, path), f"not valid JSON: {str(exc).splitlines()[0]}"))
        return None


def read_mmocr(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """MMOCR 1.x `textdet_*.json` / `textspotting_*.json`: data_list[].instances[].polygon."""
    images = _images_by_stem(root)
    items, problems = [], []
    files = sorted({*root.rglob("textdet_*.json"), *root.rglob("textspotting_*.json")})
    for path in files:
        data = _load_json(root, path, problems)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("data_list"), list):
            problems.append(Problem(_rel(root, path), "no `data_list` list (not MMOCR 1.x)"))
            continue
        for n, entry in enumerate(data["data_list"]):
            where = f"{_rel(root, path)}#data_list[{n}]"
            name = entry.get("img_path") if isinstance(entry, dict) else None
            if not isinstance(name, str):
                problems.append(Problem(where, "entry without img_path"))
                continue
            image = _find_image(root, path.parent, name, images)
            if image is None:
                problems.append(Problem(where, f"image {name} not found"))
                continue
            lines = []
            for k, inst in enumerate(entry.get("instances") or []):
                try:
                    coords = inst.get("polygon") or _bbox_ring(inst["bbox"], corners=True)
                    polygon = _ring(coords)
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    problems.append(Problem(f"{where}.instances[{k}]", f"malformed instance skipped: {exc}"))
                    continue
                text = str(inst.get("text", ""))
                lines.append(SourceLine(text, polygon, bool(inst.get("ignore", False))))
            items.append(SourceItem(_rel(root, image), where, image, lines))
    return items, problems


def _bbox_ring(bbox: Any, corners: bool) -> list[float]:
    """Box → 8 coords. MMOCR bbox is [x1, y1, x2, y2]; COCO bbox is [x, y, w, h]."""
    x0, y0, a, b = (float(v) for v in bbox)
    x1, y1 = (a, b) if corners else (x0 + a, y0 + b)
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def read_coco(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """COCO-Text v2 (`imgs`/`anns` with `mask`, `utf8_string`, `legibility`) or plain COCO
    (`images`/`annotations` with `segmentation` and a `utf8_string`/`text` per annotation)."""
    images = _images_by_stem(root)
    items, problems = [], []
    for path in sorted(root.rglob("*.json")):
        if path.name == EXPORT_RECORD:
            continue
        data = _load_json(root, path, problems)
        if data is None:
            continue
        if isinstance(data, dict) and "imgs" in data and "anns" in data:
            imgs = list(data["imgs"].values())
            anns = list(data["anns"].values())
        elif isinstance(data, dict) and "images" in data and "annotations" in data:
            imgs, anns = data["images"], data["annotations"]
        else:
            problems.append(Problem(_rel(root, path), "neither COCO-Text (imgs/anns) nor COCO (images/annotations)"))
            continue
        by_image: dict[Any, list[tuple[int, dict]]] = {}
        for k, ann in enumerate(anns):
            by_image.setdefault(ann.get("image_id") if isinstance(ann, dict) else None, []).append((k, ann))
        for info in imgs:
            name = info.get("file_name") if isinstance(info, dict) else None
            where = f"{_rel(root, path)}#image {info.get('id') if isinstance(info, dict) else '?'}"
            if not isinstance(name, str):
                problems.append(Problem(where, "image entry without file_name"))
                continue
            image = _find_image(root, path.parent, name, images)
            if image is None:
                problems.append(Problem(where, f"image {name} not found"))
                continue
            lines = []
            for k, ann in by_image.get(info.get("id"), []):
                try:
                    lines.append(_coco_line(ann))
                except (ValueError, TypeError, KeyError, IndexError) as exc:
                    problems.append(Problem(f"{_rel(root, path)}#annotation {ann.get('id', k)}",
                                            f"malformed annotation skipped: {exc}"))
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
    return SourceLine(str(text), _ring(coords), illegible or text == "###")


def read_parquet(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """Our own contract: rows are listed here (ids only) and decoded when warped, each into
    its full Page again (all labels, not only lines)."""
    import pyarrow.parquet as pq

    files = [root] if root.is_file() else sorted(root.rglob("*.parquet"))
    base = root.parent if root.is_file() else root
    items, problems = [], []
    for path in files:
        try:
            ids = pq.read_table(path, columns=["id"]).column("id").to_pylist()
        except (OSError, ValueError, KeyError) as exc:
            problems.append(Problem(_rel(base, path), f"unreadable parquet: {str(exc).splitlines()[0]}"))
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


@lru_cache(maxsize=2)
def _parquet_table(folder: str, path: str) -> Any:
    """A shard read whole (variants warps its rows one after another): a local file, or
    `path` inside the dataset URI `folder`."""
    import pyarrow.parquet as pq

    if not folder:
        return pq.read_table(path)
    from .output import Output

    return Output(folder, "--input").open_parquet(path).read()


READERS: dict[str, Reader] = {
    "icdar2015": read_icdar2015,
    "mmocr": read_mmocr,
    "coco": read_coco,
    "parquet": read_parquet,
}


def load_image(path: Path) -> np.ndarray:
    """Decode fully (not lazily) so a truncated file fails here, not mid-warp."""
    with Image.open(io.BytesIO(path.read_bytes())) as im:
        im.load()
        return np.asarray(im.convert("RGB"))


def item_page(item: SourceItem) -> Page:
    """The Page of a benchmark image: its polygons as lines; don't-care lines kept, flagged."""
    if item.row is not None:
        from .rows import row_to_page

        folder, path, number = item.row
        try:
            return row_to_page(_parquet_table(folder, path).slice(number, 1).to_pylist()[0])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"bad row: {exc}") from None
    assert item.image_path is not None
    image = load_image(item.image_path)
    lines = [
        Line(
            text=src.text,
            polygon=src.polygon,
            quad=min_area_quad(src.polygon),
            language="und",
            script="Zyyy",
            direction="ltr",
            role=DONT_CARE if src.dont_care else "text",
        )
        for src in item.lines
    ]
    return Page(image=image, language="und", script="Zyyy", direction="ltr",
                scene="benchmark", lines=lines,
                render={"source": item.key, "annotation": item.annotation})
