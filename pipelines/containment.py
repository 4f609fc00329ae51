"""Containment of benchmark inputs (`polyglyph variants --input`): a hostile file is one skipped
image or one dropped annotation with a one-line reason, never a stopped run, a read outside
`--input`, or an allocation sized by a number in someone else's file.

- Image size is read from the header (PIL opens lazily) and checked against `max_pixels`
  (`--max-image-pixels`, default 50 MP) BEFORE any pixel is decoded; the file size is capped
  from it too (8 bytes a pixel: 16-bit RGBA uncompressed), so the bytes are never read for a
  file no legal image of that cap could be. PIL's own bomb check (`Image.MAX_IMAGE_PIXELS`,
  `DecompressionBombError`/`Warning`) is set to the same cap while decoding and reported alike.
- Paths: every file read (annotation, image) must resolve, symlinks followed, under the
  resolved input root; names from annotations may not be absolute or hold a `..` part.
- Coordinates: finite, at most `MAX_POINTS` points; a polygon reaching at most `EDGE_SLACK` of
  the image's longer side (plus 2 px) outside the image is clipped to it (annotation tools
  round boxes to the border or one pixel past it); one reaching further is dropped with its
  reason, since its label would describe pixels that do not exist; so is one that covers less
  than `MIN_AREA` (a zero-area box: its text would label nothing drawn).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
from PIL import Image, ImageOps

from synth.image_read import rgb_pixels  # moved to synth; re-exported for our callers
from synth.opencv import cv2

DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
MAX_IMAGE_PIXELS_CAP = 2_000_000_000  # the most --max-image-pixels accepts (~8 GB as RGBA)
BYTES_PER_PIXEL_CAP = 8  # the largest raw pixel (16-bit RGBA): a bigger file is not an image
MAX_POINTS = 4096  # points in one polygon
MAX_TEXT = 10_000  # characters in one transcription
EDGE_SLACK = 0.02  # of the image's longer side: clipped within it, dropped beyond
MIN_AREA = 1.0  # px²: a polygon (after clipping) smaller covers no pixel its text could be in


class Refused(ValueError):
    """An input refused before it was decoded; the message is the one-line reason."""


def outside_reason(real_root: Path, path: Path) -> str | None:
    """None when `path`, symlinks followed, lies under `real_root` (already resolved)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        return f"cannot resolve: {exc}"
    if real != real_root and real_root not in real.parents:
        return f"resolves to {real}, outside --input {real_root}"
    return None


def folders_overlap(out: Path, inputs: list[Path]) -> bool:
    """Whether `out` holds an input or lies inside one: `--overwrite` empties `out` first (an
    input inside it would be deleted), and output inside a benchmark or dataset puts files
    among the user's own. An input file counts as its folder."""
    target = out.resolve()
    for given in inputs:
        where = given.resolve()
        where = where.parent if where.is_file() else where
        if target == where or target in where.parents or where in target.parents:
            return True
    return False


def dataset_folder(given: Path) -> Path:
    """The folder a dataset named by `given` occupies, resolved: a shard file's folder, and for
    the `data/` folder of a polyglyph OUT (its parent holds manifest.json) that OUT, since
    output in OUT/ beside data/ still lands in the dataset (`load_dataset(OUT)` reads it)."""
    where = given.resolve()
    if where.is_file():
        where = where.parent
    if where.name == "data" and (where.parent / "manifest.json").is_file():
        where = where.parent
    return where


def dataset_overlap(out: Path, data: Path, given: str, what: str = "a folder") -> str | None:
    """The one-line refusal when `out` (a folder, or a file's path) and the local --input
    dataset at `data` (`given` as the user wrote it) overlap, naming both; None when apart. Output inside the dataset puts
    files among its own (a second dataset under its shards, a card it never wrote); a dataset
    inside --out is what `--overwrite` of --out deletes."""
    target, where = out.resolve(), dataset_folder(data)
    if target == where:
        return f"--out {out}: is the --input dataset {given}; choose another folder"
    if where in target.parents:
        shown = "" if where == data.resolve() else f" (the dataset at {where})"
        return f"--out {out}: inside --input {given}{shown}; choose {what} outside it"
    if target in where.parents:
        return f"--out {out}: holds --input {given}; choose {what} outside it"
    return None


def name_reason(name: str) -> str | None:
    """A file name taken from an annotation: relative, without `..`, without NUL."""
    if "\x00" in name:
        return "NUL byte in file name"
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or PureWindowsPath(name).drive:
        return f"absolute path {name!r} (names must be relative to --input)"
    if ".." in posix.parts:
        return f"`..` in {name!r} (names must stay inside --input)"
    return None


@contextmanager
def pil_cap(max_pixels: int | None) -> Iterator[None]:
    """PIL's bomb limit for the duration (None while reading a header we check ourselves)."""
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = old


def load_image_checked(path: Path, max_pixels: int,
                       declared: tuple[int, int] | None = None) -> np.ndarray:
    """Decode fully (a truncated file fails here, not mid-warp), after the size checks.

    Pixels are the file's stored ones (EXIF orientation ignored: ICDAR/MMOCR polygons are drawn
    on them, as MMOCR's `color_ignore_orientation` loading says), unless the annotation
    `declared` a size that only the EXIF-turned image has: then its labels were drawn on that
    view, and the image is turned. A declared size neither view has (a resized copy, the
    wrong file) is refused: its polygons would land beside the text."""
    size = path.stat().st_size
    if size > BYTES_PER_PIXEL_CAP * max_pixels + (1 << 20):
        raise Refused(f"file of {size} bytes exceeds what --max-image-pixels {max_pixels} allows")
    data = path.read_bytes()
    try:
        with pil_cap(None), Image.open(io.BytesIO(data)) as im:
            check_pixels(im.size, max_pixels)  # from the header; nothing decoded yet
            im.load()
            if declared is None or tuple(declared) == im.size:
                return rgb_pixels(im)
            turned = ImageOps.exif_transpose(im)
            if turned.size == tuple(declared):
                return rgb_pixels(turned)
            raise Refused(f"the annotation declares {declared[0]}x{declared[1]} but the file is "
                          f"{im.size[0]}x{im.size[1]}: its polygons would not sit on the text")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused(f"over --max-image-pixels {max_pixels}: {exc}") from None


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise Refused(f"{width}x{height} = {width * height:,} pixels declared, over "
                      f"--max-image-pixels {max_pixels:,} (raise it to accept)")


def content_sha256(path: Path) -> str:
    """Bytes, not size or mtime: a replaced image of the same size is new input."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def fit_polygon(polygon: list[list[float]], width: int, height: int
                ) -> tuple[list[list[float]] | None, str | None]:
    """(polygon clipped to the image, None) or (None, why it was dropped)."""
    pts = np.asarray(polygon, dtype=np.float64)
    slack = EDGE_SLACK * max(width, height) + 2.0
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if lo[0] < -slack or lo[1] < -slack or hi[0] > width + slack or hi[1] > height + slack:
        return None, (f"polygon spans ({lo[0]:g}, {lo[1]:g})..({hi[0]:g}, {hi[1]:g}), outside "
                      f"the {width}x{height} image")
    pts[:, 0] = np.clip(pts[:, 0], 0.0, float(width))
    pts[:, 1] = np.clip(pts[:, 1], 0.0, float(height))
    # the hull's area, not the ring's: a quad listed in bow-tie order has a ring area of 0
    area = float(cv2.contourArea(cv2.convexHull(pts.astype(np.float32))))
    if area < MIN_AREA:  # a point, a segment, or a box wholly in the margin clipped flat
        return None, (f"polygon of area {area:g} px² spans ({lo[0]:g}, {lo[1]:g})..({hi[0]:g}, "
                      f"{hi[1]:g}) in the {width}x{height} image: no pixels to label")
    return pts.tolist(), None
