"""`polyglyph inspect DIR|URI [--index I] --out PNG`: one row drawn with its polygons.

Line polygons in colour (don't-care in grey), their quads thin, words faint, with the row's id,
language and scene in a caption strip, so a glance tells whether labels sit on the ink.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
from PIL import Image, ImageDraw, ImageFont

from pipelines.errors import ArgParser, PolyglyphError

from .containment import dataset_overlap
from .dataset import open_dataset
from .output import require_target
from .storage import is_uri

PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (128, 128, 0)]

REQUIRED = {"image", "lines"}  # what `draw_row` reads; other columns are optional


def read_row(target: str | Path, index: int) -> dict[str, Any]:
    """Row `index` counted across the shards in name order (or within one parquet file);
    `target` is a folder, a file or a URI (`s3://…`). A Parquet file polyglyph did not make
    (no `image` or `lines` column) is a one-line error, not a traceback in `draw_row`."""
    if index < 0:
        raise PolyglyphError(f"--index must be >= 0, got {index}")
    data = open_dataset(target, flag="")
    for name in data.files:
        missing = sorted(REQUIRED - set(data.parquet(name).schema_arrow.names))
        if missing:
            raise PolyglyphError(f"{data.shown(name)} is not a polyglyph shard: no column(s) "
                                 f"{', '.join(missing)}")
    try:
        return _one_row(data, index)
    except (OSError, pa.ArrowInvalid) as exc:  # a corrupt page behind a footer that reads
        raise PolyglyphError(f"{target}: row {index} is unreadable Parquet data: {exc}"
                             ) from None


def _one_row(data: Any, index: int) -> dict[str, Any]:
    """Row `index` read from its row group alone: reading its whole shard (as `Dataset.row`
    does) held every image of the shard in memory, hundreds of MB for a PNG dataset."""
    seen = 0
    for name, count in zip(data.files, data.counts, strict=True):
        if index < seen + count:
            shard, offset = data.parquet(name), index - seen
            for group in range(shard.num_row_groups):
                rows = shard.metadata.row_group(group).num_rows
                if offset < rows:
                    return shard.read_row_group(group).slice(offset, 1).to_pylist()[0]
                offset -= rows
        seen += count
    return data.row(index)  # past the end (its one-line error) or a footer that miscounts


def draw_row(row: dict[str, Any]) -> Image.Image:
    data = (row.get("image") or {}).get("bytes") if isinstance(row.get("image"), dict) else None
    if not data:
        raise PolyglyphError(f"row {row.get('id')!r} holds no image bytes")
    try:
        image = Image.open(io.BytesIO(data)).convert("RGB")
    except (OSError, ValueError) as exc:
        raise PolyglyphError(f"row {row.get('id')!r}: unreadable image: {exc}") from None
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    width = max(1, round(max(image.size) / 600))
    for word in row.get("words") or []:
        if len(word["polygon"]) >= 3:
            pen.polygon([tuple(p) for p in word["polygon"]], outline=(255, 200, 0, 140))
    for i, line in enumerate(row.get("lines") or []):
        pts = [tuple(p) for p in line["polygon"]]
        if len(pts) < 3:
            continue
        colour = (128, 128, 128) if line.get("role") == "dont-care" else PALETTE[i % len(PALETTE)]
        pen.polygon(pts, fill=(*colour, 40), outline=(*colour, 255), width=width)
        if line.get("quad"):
            pen.polygon([tuple(p) for p in line["quad"]], outline=(*colour, 120))
        pen.ellipse([pts[0][0] - 2 * width, pts[0][1] - 2 * width,
                     pts[0][0] + 2 * width, pts[0][1] + 2 * width], fill=(*colour, 255))
    for key in ("fields",):
        for fld in json.loads(row.get(key) or "[]"):
            for poly in (fld.get("key_polygon"), fld.get("value_polygon")):
                if poly and len(poly) >= 3:
                    pen.polygon([tuple(p) for p in poly], outline=(0, 0, 0, 160))
    drawn = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    caption = (f"{row.get('id')}  {row.get('language')}/{row.get('script')}  {row.get('scene')}  "
               f"profile={row.get('profile')}  lines={len(row.get('lines') or [])}  "
               f"{row.get('width')}x{row.get('height')}")
    pen_text = ImageDraw.Draw(drawn)
    font = ImageFont.load_default(size=max(11, drawn.width // 70))
    rows_of_text, current = [], ""
    for word in caption.split("  "):
        trial = f"{current}  {word}" if current else word
        if current and pen_text.textlength(trial, font=font) > drawn.width - 12:
            rows_of_text.append(current)
            current = word
        else:
            current = trial
    rows_of_text.append(current)
    strip_h = 8 + int(font.size * 1.3) * len(rows_of_text)
    canvas = Image.new("RGB", (drawn.width, drawn.height + strip_h), (255, 255, 255))
    canvas.paste(drawn, (0, strip_h))
    ImageDraw.Draw(canvas).multiline_text((6, 4), "\n".join(rows_of_text), fill=(0, 0, 0),
                                          font=font, spacing=int(font.size * 0.3))
    return canvas


MARK = ("Software", "polyglyph inspect")  # a tEXt chunk: says which tool drew the PNG


def write_png(image: Image.Image, out: Path) -> None:
    """Written beside `out` and renamed: a crash or a full disk leaves no half image."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(*MARK)
    tmp = out.with_name(out.name + ".tmp")
    try:
        image.save(tmp, "PNG", pnginfo=info)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


MAX_INDEX = 10**10  # generate's largest --num: no polyglyph dataset has a row past it


def build_parser() -> ArgParser:
    """The flags of `inspect` (a function of its own, so tests/test_flag_audit sees them)."""
    p = ArgParser(prog="polyglyph inspect", description="Draw one dataset row with its polygons "
                  "(each line in its own colour with its quad, words faint, don't-care grey).",
                  examples=["polyglyph inspect out/ --index 7 --out row7.png",
                            "polyglyph inspect s3://bucket/run-01 --out row0.png"])
    p.add_argument("dataset", metavar="DIR",
                   help="dataset directory (shards in its data/), one parquet file, or a URI "
                   "of either (s3://bucket/run)")
    p.add_argument("--index", type=int, default=0,
                   help=f"row number across shards, 0..{MAX_INDEX - 1:,} and below the dataset's "
                   "row count (default 0)")
    p.add_argument("--out", required=True, metavar="PNG",
                   help="output image path (an existing file there is kept unless --overwrite)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing file at --out")
    return p


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not 0 <= args.index < MAX_INDEX:  # before the dataset is opened (a slow URI, say)
        raise PolyglyphError(f"--index {args.index}: must be in [0, {MAX_INDEX:,})")
    require_target(args.dataset, "DIR")
    require_target(args.out)
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        # the drawing is PNG: a PNG named .jpg misleads every tool that trusts the name, and
        # `--out OUT/data/part-00000.parquet --overwrite` replaced the dataset's own shard
        raise PolyglyphError(f"--out {out}: inspect writes PNG; give a .png path")
    if out.is_dir():
        raise PolyglyphError(f"--out {out}: is a folder; give a .png path")
    blocker = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:  # before the dataset is read; mkdir said only "File exists"
        raise PolyglyphError(f"--out {out}: {blocker} is a file, not a folder")
    local = not is_uri(args.dataset) and Path(args.dataset).exists()  # missing: read_row says
    overlap = dataset_overlap(out, Path(args.dataset), args.dataset, "a path") if local else None
    if overlap:  # a PNG among the shards or beside data/: `load_dataset(OUT)` reads it too
        raise PolyglyphError(overlap)
    if not args.overwrite and out.exists():  # an earlier inspect image too: as render, export
        raise PolyglyphError(f"--out {out}: exists; pass --overwrite to replace it")
    row = read_row(args.dataset, args.index)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_png(draw_row(row), out)
    except OSError as exc:
        raise PolyglyphError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {out} (row {args.index}: {row.get('id')}, {len(row.get('lines') or [])} lines)")
    return 0
