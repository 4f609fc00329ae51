"""Readers of the JSON benchmark formats: MMOCR 1.x (`textdet_*.json`, `textspotting_*.json`)
and COCO-Text / COCO-style files. Each gives (items, problems) like every reader
(`pipelines.readers`); a malformed entry is a problem, never the end of the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pipelines.errors import PolyglyphError
from synth.opencv import cv2
from synth.page import make_clockwise

from .source_items import (
    BAD_SHAPE,
    NONE_READ,
    Problem,
    SourceItem,
    SourceLine,
    contained_files,
    find_image,
    images_by_stem,
    known_images,
    load_json,
    rel_name,
    ring,
    transcription,
)

EXPORT_RECORD = "export.json"  # `polyglyph export`'s own record beside a COCO export, not labels


def read_mmocr(root: Path) -> tuple[list[SourceItem], list[Problem]]:
    """MMOCR 1.x `textdet_*.json` / `textspotting_*.json`: data_list[].instances[].polygon."""
    items: list[SourceItem] = []
    problems: list[Problem] = []
    images = images_by_stem(root, problems)
    known = known_images(images)
    found = {*root.rglob("textdet_*.json"), *root.rglob("textspotting_*.json")}
    for path in contained_files(root, found, problems):
        data = load_json(root, path, problems)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("data_list"), list):
            problems.append(Problem(rel_name(root, path), "no `data_list` list (not MMOCR 1.x)"))
            continue
        for n, entry in enumerate(data["data_list"]):
            where = f"{rel_name(root, path)}#data_list[{n}]"
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
    image = find_image(root, path.parent, name, images, known)
    if isinstance(image, str):
        problems.append(Problem(where, f"skipped: {image}"))
        return None
    instances = entry.get("instances")
    if instances is None:  # [] is an image without text; a missing list says nothing of it
        problems.append(Problem(where, f"skipped: no `instances` list {NONE_READ}"))
        return None
    if not isinstance(instances, list):
        raise TypeError(f"`instances` is {type(instances).__name__}, not a list")
    lines = []
    for k, inst in enumerate(instances):
        try:
            coords = inst.get("polygon") or _bbox_ring(inst["bbox"], corners=True)
            lines.append(SourceLine(transcription(inst.get("text", "")), ring(coords),
                                    bool(inst.get("ignore", False))))
        except BAD_SHAPE as exc:
            problems.append(Problem(f"{where}.instances[{k}]",
                                    f"malformed instance skipped: {_first(exc)}"))
    if instances and not lines:
        problems.append(Problem(where, f"skipped: none of its {len(instances)} instances could "
                                f"be read {NONE_READ}"))
        return None
    return SourceItem(rel_name(root, image), where, image, lines, declared=_declared_size(entry))


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
    images = images_by_stem(root, problems)
    known = known_images(images)
    found = (p for p in root.rglob("*.json") if p.name != EXPORT_RECORD)
    for path in contained_files(root, found, problems):
        data = load_json(root, path, problems)
        if data is None:
            continue
        try:
            lists = _coco_lists(data)
        except TypeError as exc:
            problems.append(Problem(rel_name(root, path), f"not COCO: {exc}"))
            continue
        if lists is None:
            problems.append(Problem(rel_name(root, path), "neither COCO-Text (imgs/anns) nor COCO (images/annotations)"))
            continue
        imgs, anns = lists
        _refuse_duplicate_ids(path, imgs)
        by_image: dict[Any, list[tuple[int, Any]]] = {}
        for k, ann in enumerate(anns):
            key = _hashable(ann.get("image_id")) if isinstance(ann, dict) else None
            by_image.setdefault(key, []).append((k, ann))
        for info in imgs:
            ident = _hashable(info.get("id")) if isinstance(info, dict) else "?"
            where = f"{rel_name(root, path)}#image {ident}"
            name = info.get("file_name") if isinstance(info, dict) else None
            if not isinstance(name, str):
                problems.append(Problem(where, "image entry without file_name"))
                continue
            image = find_image(root, path.parent, name, images, known)
            if isinstance(image, str):
                problems.append(Problem(where, f"skipped: {image}"))
                continue
            lines = []
            for k, ann in by_image.get(ident, []):
                try:
                    lines.append(_coco_line(ann))
                except BAD_SHAPE as exc:
                    label = _hashable(ann.get("id", k)) if isinstance(ann, dict) else k
                    problems.append(Problem(f"{rel_name(root, path)}#annotation {label}",
                                            f"malformed annotation skipped: {_first(exc)}"))
            if by_image.get(ident) and not lines:
                problems.append(Problem(where, f"skipped: none of its {len(by_image[ident])} "
                                        f"annotations could be read {NONE_READ}"))
                continue
            items.append(SourceItem(rel_name(root, image), where, image, lines,
                                    declared=_declared_size(info)))
        _report_orphans(rel_name(root, path), imgs, by_image, problems)
    return items, problems


def _report_orphans(name: str, imgs: list[Any], by_image: dict[Any, list[tuple[int, Any]]],
                    problems: list[Problem]) -> None:
    """Annotations whose image_id no image entry has were left out without a word, and their
    image's row said "no text" (ids written as "1" against 1 by a CSV-born tool, a list)."""
    ids = {_hashable(info.get("id")) for info in imgs if isinstance(info, dict)}
    orphans = [key for key in by_image if key not in ids]
    if orphans:
        count = sum(len(by_image[key]) for key in orphans)
        problems.append(Problem(name, f"{count} annotation(s) skipped: image_id {orphans[0]!r}"
                                f"{' and others' if len(orphans) > 1 else ''} matches no image "
                                "entry (ids compare with their JSON type: 1 is not \"1\")"))


def _declared_size(info: dict[str, Any]) -> tuple[int, int] | None:
    """The image entry's `width` and `height` (COCO image entries, MMOCR data_list entries)
    when both are positive integers (tools that leave them out or write 0 declare nothing)."""
    width, height = info.get("width"), info.get("height")
    if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (width, height)):
        return width, height
    return None


def _coco_line(ann: dict[str, Any]) -> SourceLine:
    coords = ann.get("mask") or ann.get("segmentation")
    parts = 1
    if isinstance(coords, list) and coords and isinstance(coords[0], list):
        parts = len(coords)
        if not all(isinstance(part, list) for part in coords):
            raise TypeError("segmentation mixes polygons and numbers")
        coords = [value for part in coords for value in part]
    if not coords:
        coords = _bbox_ring(ann["bbox"], corners=False)
    text = ann.get("utf8_string", ann.get("text", ""))
    illegible = ann.get("legibility") == "illegible" or bool(ann.get("ignore", False))
    polygon = ring(coords)
    if parts > 1:  # a word in pieces (split by an occluder): one label, so the outline of all
        # of them; the first piece alone would carry the whole text over part of its ink
        hull = cv2.convexHull(np.asarray(polygon, np.float32)).reshape(-1, 2)
        polygon = make_clockwise(hull.astype(np.float64)).tolist()
    return SourceLine(transcription(text), polygon, illegible or text == "###")


def _first(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
