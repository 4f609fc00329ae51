"""One output row per Page, and the Arrow schema every shard shares (DESIGN §3).

Lines and words carry `legible` (bool) and `legibility` (0-1) from the warp's physics
(`warping.legibility`): whether a reader could make the text out in this image.

The schema is fixed here, not inferred from data, so an empty list or a missing optional value
never changes a shard's bytes, and the `huggingface` schema metadata (the features JSON of
`datasets.Features(...).arrow_schema`, lists spelt as plain JSON lists so that every `datasets`
from 2.19 to 5.x reads it) makes `image` decode as a PIL image in `datasets`.
Labels that are not text lines (stamps, formulas, charts, UI elements, layout blocks) share one
`regions` column: list<struct<kind, text, polygon, attributes (JSON object), visible, legible,
legibility>> (legibility as for lines; null when no warp measured it).
`scene_group` is HunyuanOCR's tag of the scene (`synth.render.scene_group`): doc, scene, ads,
hand, screen, receipt/card, game, video or art.
"""

from __future__ import annotations

import io
import json
from dataclasses import fields
from typing import Any

import numpy as np
import pyarrow as pa
from PIL import Image

from synth.image_read import rgb_pixels
from synth.page import Page, Region, Word
from synth.render import scene_group
from warping.photometric import jpeg_bytes

POINTS = pa.list_(pa.list_(pa.float32()))

LINE_TYPE = pa.struct(
    [
        ("text", pa.string()),
        ("polygon", POINTS),
        ("quad", POINTS),
        ("language", pa.string()),
        ("script", pa.string()),
        ("direction", pa.string()),
        ("style", pa.string()),
        ("role", pa.string()),
        ("font", pa.string()),
        ("font_family", pa.string()),
        ("size", pa.float32()),
        ("visible", pa.float32()),
        ("legible", pa.bool_()),
        ("legibility", pa.float32()),
    ]
)
WORD_TYPE = pa.struct(
    [
        ("text", pa.string()),
        ("polygon", POINTS),
        ("line_index", pa.int32()),
        ("visible", pa.float32()),
        ("legible", pa.bool_()),
        ("legibility", pa.float32()),
    ]
)
REGION_TYPE = pa.struct(
    [
        ("kind", pa.string()),
        ("text", pa.string()),
        ("polygon", POINTS),
        ("attributes", pa.string()),  # JSON object: the kind's own payload
        ("visible", pa.float32()),
        # from the warp's physics like lines' (warping.legibility); null: never measured
        ("legible", pa.bool_()),
        ("legibility", pa.float32()),
    ]
)
TASK_TYPE = pa.struct(
    [("task", pa.string()), ("prompt", pa.string()), ("answer", pa.string()), ("meta", pa.string())]
)
IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])

COLUMNS: list[tuple[str, pa.DataType]] = [
    ("id", pa.string()),
    ("image", IMAGE_TYPE),
    ("width", pa.int32()),
    ("height", pa.int32()),
    ("language", pa.string()),
    ("script", pa.string()),
    ("direction", pa.string()),
    ("scene", pa.string()),
    ("scene_group", pa.string()),
    ("text", pa.string()),
    ("lines", pa.list_(LINE_TYPE)),
    ("words", pa.list_(WORD_TYPE)),
    ("regions", pa.list_(REGION_TYPE)),
    ("markdown", pa.string()),
    ("fields", pa.string()),
    ("tables_html", pa.list_(pa.string())),
    ("tables", pa.string()),
    ("blocks", pa.string()),
    ("extras", pa.string()),
    ("tasks", pa.list_(TASK_TYPE)),
    ("render", pa.string()),
    ("warp", pa.string()),
    ("profile", pa.string()),
    ("source", pa.string()),
    ("index", pa.int64()),
    ("seed", pa.int64()),
    ("dewarp_map", pa.binary()),
]

IMAGE_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}


def _feature(arrow_type: pa.DataType) -> Any:
    """The `datasets` feature JSON for an Arrow type: Value, a dict of features for a struct,
    and for a list the plain JSON list `[item feature]`, the one spelling every `datasets`
    from 2.19 to 5.x reads as a list (4.x writes `{"_type": "List"}`, which 2.x-3.x do not
    know; `Sequence` of a struct would read back as a struct of lists)."""
    if pa.types.is_list(arrow_type):
        return [_feature(arrow_type.value_type)]
    if pa.types.is_struct(arrow_type):
        return {f.name: _feature(f.type) for f in arrow_type}
    dtype = {pa.string(): "string", pa.binary(): "binary"}.get(arrow_type, str(arrow_type))
    if dtype == "float":
        dtype = "float32"
    elif dtype == "double":
        dtype = "float64"
    return {"dtype": dtype, "_type": "Value"}


def portable_features(feature: Any) -> Any:
    """Features JSON with every `{"feature": F, "_type": "List"}` (datasets 4.x and later)
    as `[F]`, which older versions read too (for shards written before this spelling)."""
    if isinstance(feature, list):
        return [portable_features(f) for f in feature]
    if not isinstance(feature, dict):
        return feature
    if feature.get("_type") == "List" and set(feature) == {"feature", "_type"}:
        return [portable_features(feature["feature"])]
    return {k: portable_features(v) for k, v in feature.items()}


def hf_features() -> dict[str, Any]:
    features = {name: _feature(t) for name, t in COLUMNS}
    features["image"] = {"_type": "Image"}
    return features


SCHEMA = pa.schema(
    [pa.field(name, t) for name, t in COLUMNS],
    metadata={"huggingface": json.dumps({"info": {"features": hf_features()}})},
)


def encode_image(image: np.ndarray, fmt: str, quality: int) -> bytes:
    """Encode deterministically: fixed options, no timestamps or EXIF, same bytes every time.

    JPEG goes through the warp's own encoder (`warping.photometric.jpeg_bytes`: OpenCV, baseline
    4:2:0), which writes the same bytes Pillow's `save(quality=q, subsampling=2)` wrote here
    (same libjpeg-turbo tables and header; a test compares them) without Pillow's 4-byte-a-pixel
    copy of the frame: a 7 MP frame peaked ~70 MiB above the row in Pillow's encode. A
    C-contiguous writable uint8 RGB frame is swapped to BGR in place and back."""
    rgb = np.ascontiguousarray(image[..., :3]).astype(np.uint8, copy=False)
    if fmt == "jpeg":
        return jpeg_bytes(rgb, quality, in_place=True)
    pil = Image.fromarray(rgb, "RGB")
    buf = io.BytesIO()
    if fmt == "png":
        pil.save(buf, "PNG", compress_level=6, optimize=False)
    elif fmt == "webp":
        pil.save(buf, "WEBP", quality=quality, method=4, exact=False)
    else:
        raise ValueError(f"unknown image format {fmt!r}")
    return buf.getvalue()


def stored_image_bytes(page: Page, image_format: str, quality: int) -> bytes:
    """The row's image: the warp's own JPEG when it ended in one (those bytes are the image
    labels and judges saw), else a fresh deterministic encoding of the warped pixels. A warp
    that skipped its decode back (`image_jpeg_decoded` False) left the pre-JPEG pixels in
    `page.image`; another format then encodes the decoded JPEG, not those."""
    warp_jpeg = page.extras.get("image_jpeg")
    if image_format == "jpeg" and warp_jpeg is not None:
        return warp_jpeg
    pixels = page.image
    if warp_jpeg is not None and page.extras.get("image_jpeg_decoded") is False:
        pixels = np.asarray(Image.open(io.BytesIO(warp_jpeg)).convert("RGB"))
    return encode_image(pixels, image_format, quality)


def dump_json(value: Any) -> str:
    """Canonical JSON (sorted keys) so equal records give equal bytes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _points(poly: Any) -> Any:
    """Polygons go to Arrow as they are (lists or arrays of [x, y]); Arrow casts to float32."""
    if poly is None:
        return []
    return poly.tolist() if isinstance(poly, np.ndarray) else poly


def _shallow(obj: Any) -> dict[str, Any]:
    out = {f.name: getattr(obj, f.name) for f in fields(obj)}
    if "cells" in out:
        out["cells"] = [_shallow(c) for c in out["cells"]]
    return out


def dewarp_bytes(dewarp_map: Any) -> bytes | None:
    """The dewarp map as float16 `.npy` bytes (read back with `numpy.load(io.BytesIO(b))`)."""
    if dewarp_map is None:
        return None
    if isinstance(dewarp_map, bytes):
        return dewarp_map
    buf = io.BytesIO()
    np.save(buf, np.asarray(dewarp_map, dtype=np.float16), allow_pickle=False)
    return buf.getvalue()


def page_to_row(
    page: Page,
    *,
    row_id: str,
    index: int,
    seed: int,
    image_format: str,
    quality: int,
    tasks: list[dict[str, Any]] | None = None,
    markdown: str = "",
    profile: str = "",
    source: str = "",
) -> dict[str, Any]:
    extras = dict(page.extras)
    dewarp = dewarp_bytes(extras.pop("dewarp_map", None))
    extras.pop("image_jpeg", None)
    extras.pop("image_jpeg_decoded", None)
    lines = [
        {
            "text": ln.text,
            "polygon": _points(ln.polygon),
            "quad": _points(ln.quad),
            "language": ln.language,
            "script": ln.script,
            "direction": ln.direction,
            "style": ln.style,
            "role": ln.role,
            "font": ln.font,
            "font_family": ln.font_family,
            "size": float(ln.size),
            "visible": float(ln.visible),
            "legible": bool(ln.legible),
            "legibility": float(ln.legibility),
        }
        for ln in page.lines
    ]
    words = [
        {
            "text": wd.text,
            "polygon": _points(wd.polygon),
            "line_index": li,  # the position of the owning line, whatever the word recorded
            "visible": float(wd.visible),
            "legible": bool(wd.legible),
            "legibility": float(wd.legibility),
        }
        for li, ln in enumerate(page.lines)
        for wd in ln.words
    ]
    # Page.to_dict() deep-copies every polygon through dataclasses.asdict (~0.25 s a page);
    # the label lists are plain data already, so a shallow view serialises the same JSON.
    tree = {name: [_shallow(x) for x in getattr(page, name)] for name in ("fields", "tables", "blocks")}
    return {
        "id": row_id,
        "image": {
            "bytes": stored_image_bytes(page, image_format, quality),
            "path": f"{row_id}.{IMAGE_EXT[image_format]}",
        },
        "width": page.width,
        "height": page.height,
        "language": page.language,
        "script": page.script,
        "direction": page.direction,
        "scene": page.scene,
        "scene_group": scene_group(page.scene, page.render),
        "text": page.reading_text(),
        "lines": lines,
        "words": words,
        "regions": regions_to_row(page.regions),
        "markdown": markdown,
        "fields": dump_json(tree["fields"]),
        "tables_html": [t.html for t in page.tables],
        "tables": dump_json(tree["tables"]),
        "blocks": dump_json(tree["blocks"]),
        "extras": dump_json(extras),
        "tasks": [
            {
                "task": str(t.get("task", "")),
                "prompt": str(t.get("prompt", "")),
                "answer": str(t.get("answer", "")),
                "meta": t["meta"] if isinstance(t.get("meta"), str) else dump_json(t.get("meta")),
            }
            for t in (tasks or [])
        ],
        "render": dump_json(page.render),
        "warp": dump_json(page.warp),
        "profile": profile,
        "source": source,
        "index": int(index),
        "seed": int(seed),
        "dewarp_map": dewarp,
    }


def regions_to_row(regions: list[Region]) -> list[dict[str, Any]]:
    """Regions of every kind in one generic list; `attributes` as canonical JSON."""
    return [
        {
            "kind": r.kind,
            "text": r.text,
            "polygon": _points(r.polygon),
            "attributes": dump_json(r.attributes),
            "visible": float(r.visible),
            "legible": r.legible,
            "legibility": None if r.legibility is None else float(r.legibility),
        }
        for r in regions
    ]


def regions_from_row(items: list[dict[str, Any]] | None) -> list[Region]:
    """The inverse of `regions_to_row` (polygons come back as float32-rounded floats)."""
    return [
        Region(kind=r["kind"], polygon=r["polygon"] or [], text=r["text"] or "",
               attributes=json.loads(r["attributes"] or "{}"),
               visible=1.0 if r.get("visible") is None else float(r["visible"]),
               legible=r.get("legible"),
               legibility=None if r.get("legibility") is None else float(r["legibility"]))
        for r in items or []
    ]


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def row_to_page(row: dict[str, Any]) -> Page:
    """Rebuild a Page (image + lines + tree) from a row, for variants of our own datasets."""
    with Image.open(io.BytesIO(row["image"]["bytes"])) as im:
        image = rgb_pixels(im)  # a row from --input may hold any PNG, not only ours
    data = {
        "language": row["language"],
        "script": row["script"],
        "direction": row["direction"],
        "scene": row["scene"],
        "lines": [
            {**{k: ln[k] for k in ln if k != "words"}, "words": []} for ln in row["lines"]
        ],
        "blocks": json.loads(row.get("blocks") or "[]"),
        "tables": json.loads(row.get("tables") or "[]"),
        "fields": json.loads(row.get("fields") or "[]"),
        "extras": json.loads(row.get("extras") or "{}"),
        "render": json.loads(row.get("render") or "{}"),
        "warp": json.loads(row.get("warp") or "{}"),
    }
    page = Page.from_dict(data, image)
    page.regions = regions_from_row(row.get("regions"))
    for wd in row.get("words") or []:
        li = int(wd["line_index"])
        if 0 <= li < len(page.lines):
            page.lines[li].words.append(
                Word(text=wd["text"], polygon=wd["polygon"], line_index=li, visible=wd["visible"],
                     legibility=wd.get("legibility", 1.0), legible=wd.get("legible", True))
            )
    return page
