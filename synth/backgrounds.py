"""User background images (`--backgrounds DIR|PARQUET`): street, frame and table photos.

One reusable source for every scene that draws on a photo (scene-text, video-frame, poster;
document photos on a table can use the same). Three steps, each deterministic:

1. `index_backgrounds(location)` reads the images once, at the start of a run: a folder of
   .jpg/.jpeg/.png/.webp files, or a Parquet file with an image column (a `datasets` Image
   struct {bytes, path} or plain binary). Each image is checked while it is read: byte size
   capped before decoding, pixel count capped from the header, then decoded; a bad one is
   skipped with a one-line reason. Items are sorted by CONTENT digest, so the list (and every
   draw from it) depends on the images, never on file names, file order or worker.
2. `BackgroundSource.sample(rng, width, height)` draws a record: which image (its digest and
   where it was read from), a zoom and a crop position. A row's `render` record keeps it.
3. `draw_image_background(record, width, height)` re-makes the pixels from the record alone
   (the image is read again from its reference, its digest checked, the decode cached).

Usage from a scene: `source = backgrounds_of(spec, ctx)`; `if source: bg = source.sample(rng,
w, h)`; then `draw_image_background(bg, w, h)` (or `synth.scenes.stage.draw_background`).
"""

from __future__ import annotations

import hashlib
import io
import sys
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_BYTES = 50 * 1024 * 1024  # a background file larger than this is skipped unread
MAX_PIXELS = 40_000_000  # and one whose header says more pixels (a decompression bomb)
MIN_SIDE = 32
DIGEST_CHARS = 32  # hex characters of sha256 kept: 128 bits name an image
_DECODED: OrderedDict[str, np.ndarray] = OrderedDict()  # digest -> RGB, a few per process
_DECODED_KEEP = 8
_GROUP: list[Any] = [None, None]  # (file, row group) and its image column, the last one read


@dataclass(frozen=True)
class BackgroundSource:
    """Validated user images, as (digest, reference) pairs sorted by digest.

    A reference is a file path, or `PARQUET#ROW` for row ROW of a Parquet file."""

    location: str
    items: tuple[tuple[str, str], ...]

    def __len__(self) -> int:
        return len(self.items)

    @property
    def digest(self) -> str:
        """One digest of the whole set (what a run's config hash records)."""
        h = hashlib.sha256("\n".join(d for d, _ in self.items).encode())
        return h.hexdigest()[:DIGEST_CHARS]

    def sample(self, rng: np.random.Generator, width: int, height: int,
               zoom: tuple[float, float] = (1.0, 1.4), fade: float = 0.0) -> dict[str, Any]:
        """A background record: one image (by the draw, from the digest-sorted list), a zoom
        and a crop position; `draw_image_background` makes its pixels."""
        digest, ref = self.items[int(rng.integers(len(self.items)))]
        return {"kind": "image", "digest": digest, "path": ref,
                "zoom": round(float(rng.uniform(*zoom)), 3), "crop_x": round(float(rng.random()), 3),
                "crop_y": round(float(rng.random()), 3), "fade": float(fade),
                "size": [int(width), int(height)]}

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "digest": self.digest, "count": len(self.items),
                "items": [list(item) for item in self.items]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackgroundSource:
        return cls(str(data["location"]), tuple((str(d), str(r)) for d, r in data["items"]))


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_CHARS]


def check_image(data: bytes) -> str | None:
    """Why these bytes are not a usable background (None when they are): size first, then
    the header's pixel count, then a full decode."""
    from PIL import Image

    from synth.image_read import rgb_pixels

    if len(data) > MAX_BYTES:
        return f"{len(data)} bytes is over the {MAX_BYTES} byte cap"
    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                return f"{w}x{h} is over the {MAX_PIXELS} pixel cap"
            if min(w, h) < MIN_SIDE:
                return f"{w}x{h} is under {MIN_SIDE} px on a side"
            rgb_pixels(im)  # a full decode, through the same conversion the run uses
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a skip reason
        return f"not a readable image ({type(exc).__name__})"
    return None


def _warn(message: str) -> None:
    print(f"backgrounds: {message}", file=sys.stderr)


def index_backgrounds(location: str | Path, warn: Callable[[str], None] = _warn) -> BackgroundSource:
    """Read and check every image of a folder or Parquet file; PolyglyphError when none is
    usable or the location is neither."""
    path = Path(location).expanduser()
    if not path.exists():
        raise PolyglyphError(f"--backgrounds {location}: does not exist")
    if path.is_dir():
        pairs = _index_folder(path, warn)
    elif path.is_file() and path.suffix.lower() == ".parquet":
        pairs = _index_parquet(path, warn)
    else:
        raise PolyglyphError(f"--backgrounds {location}: give a folder of images or a .parquet file")
    unique = dict(sorted(pairs))  # by digest; a duplicate image counts once
    if not unique:
        raise PolyglyphError(f"--backgrounds {location}: no usable image (jpg, png, webp)")
    return BackgroundSource(str(path.resolve()), tuple(unique.items()))


def _index_folder(folder: Path, warn: Callable[[str], None]) -> list[tuple[str, str]]:
    pairs = []
    for file in sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        if file.stat().st_size > MAX_BYTES:  # cap before reading the bytes at all
            warn(f"skip {file}: {file.stat().st_size} bytes is over the {MAX_BYTES} byte cap")
            continue
        data = file.read_bytes()
        reason = check_image(data)
        if reason:
            warn(f"skip {file}: {reason}")
            continue
        pairs.append((content_digest(data), str(file.resolve())))
    return pairs


def _image_column(schema: Any) -> str:
    import pyarrow as pa

    for name in ("image", "background", "img"):
        if name in schema.names:
            return name
    for f in schema:
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) or (
                pa.types.is_struct(f.type) and f.type.get_field_index("bytes") >= 0):
            return f.name
    raise PolyglyphError("backgrounds parquet: no image column (a {bytes, path} struct or binary)")


def _parquet_bytes(value: Any) -> bytes | None:
    if isinstance(value, dict):
        value = value.get("bytes")
    return bytes(value) if value else None


def _index_parquet(file: Path, warn: Callable[[str], None]) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(file)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
        raise PolyglyphError(f"--backgrounds {file}: not a readable Parquet file ({exc})") from None
    column = _image_column(handle.schema_arrow)
    pairs, row = [], 0
    for batch in handle.iter_batches(columns=[column], batch_size=64):
        for value in batch.column(0).to_pylist():
            data = _parquet_bytes(value)
            reason = "no image bytes" if data is None else check_image(data)
            if reason:
                warn(f"skip {file}#{row}: {reason}")
            else:
                pairs.append((content_digest(data), f"{file.resolve()}#{row}"))
            row += 1
    return pairs


def read_reference(ref: str) -> bytes:
    """The bytes behind a reference: a file, or row N of a Parquet file (`FILE#N`). Parquet
    row groups are read whole, so a set of large photos is best written with small groups
    (e.g. `row_group_size=32`)."""
    if "#" in ref and ref.rsplit("#", 1)[0].lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        file, row = ref.rsplit("#", 1)
        handle = pq.ParquetFile(file)
        column, index = _image_column(handle.schema_arrow), int(row)
        for g in range(handle.num_row_groups):
            rows = handle.metadata.row_group(g).num_rows
            if index < rows:
                key = (file, g)
                if _GROUP[0] != key:  # a row group is read whole: keep the last one (Arrow memory)
                    _GROUP[:] = [key, handle.read_row_group(g, columns=[column]).column(0)]
                value = _GROUP[1][index].as_py()
                data = _parquet_bytes(value)
                if data is None:
                    break
                return data
            index -= rows
        raise PolyglyphError(f"background {ref}: no such row")
    try:
        return Path(ref).read_bytes()
    except OSError as exc:
        raise PolyglyphError(f"cannot read background image {ref}: {exc}") from None


def load_image(ref: str, digest: str | None = None) -> np.ndarray:
    """The RGB pixels of a background (cached per process by digest); a changed file (its
    digest no longer the recorded one) is an error, not a silently different row."""
    from PIL import Image

    from synth.image_read import rgb_pixels

    if digest and digest in _DECODED:
        _DECODED.move_to_end(digest)
        return _DECODED[digest]
    data = read_reference(ref)
    found = content_digest(data)
    if digest and found != digest:
        raise PolyglyphError(f"background {ref} changed since the run was planned (digest {found}, "
                             f"recorded {digest})")
    reason = check_image(data)
    if reason:
        raise PolyglyphError(f"background {ref}: {reason}")
    with Image.open(io.BytesIO(data)) as im:
        pixels = rgb_pixels(im)  # 16-bit grey scaled, transparency over white
    _DECODED[found] = pixels
    while len(_DECODED) > _DECODED_KEEP:
        _DECODED.popitem(last=False)
    return pixels


def crop_cover(src: np.ndarray, width: int, height: int, zoom: float, crop_x: float,
               crop_y: float) -> np.ndarray:
    """`src` scaled to cover width x height (times `zoom`), cut at the relative crop point."""
    from synth.opencv import cv2

    sh, sw = src.shape[:2]
    scale = max(width / sw, height / sh) * float(zoom)
    # crop in source pixels first, so a 12 MP photo is never resized whole
    cw, ch = min(sw, width / scale), min(sh, height / scale)
    x0, y0 = float(crop_x) * (sw - cw), float(crop_y) * (sh - ch)
    cut = src[int(y0) : int(np.ceil(y0 + ch)), int(x0) : int(np.ceil(x0 + cw))]
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(cut), (int(width), int(height)), interpolation=interpolation)


def draw_image_background(record: dict[str, Any], width: int, height: int) -> np.ndarray:
    """H x W x 3 uint8 pixels of an image background record (`fade` blends towards white)."""
    src = load_image(record["path"], record.get("digest"))
    out = crop_cover(src, width, height, record["zoom"], record["crop_x"], record["crop_y"])
    fade = float(record.get("fade", 0.0))
    if fade > 0:
        out = (out.astype(np.float32) * (1 - fade) + 255.0 * fade + 0.5).astype(np.uint8)
    return out


def backgrounds_of(spec: Any, ctx: Any) -> BackgroundSource | None:
    """The run's user backgrounds (`ctx.backgrounds`, set from the config), else the spec's
    explicit paths (`render --background`), else None (procedural backgrounds)."""
    source = getattr(ctx, "backgrounds", None)
    if source is not None:
        return source
    paths: Sequence[str] = tuple(getattr(spec, "backgrounds", ()) or ())
    if not paths:
        return None
    key = ("synth.backgrounds", tuple(paths))
    memo = getattr(ctx, "memo", {})
    if key not in memo:
        pairs = []
        for p in paths:
            data = read_reference(str(p))
            reason = check_image(data)
            if reason:
                raise PolyglyphError(f"background {p}: {reason}")
            pairs.append((content_digest(data), str(p)))
        memo[key] = BackgroundSource("paths", tuple(sorted(dict(pairs).items())))
    return memo[key]
