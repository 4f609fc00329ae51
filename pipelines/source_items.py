"""What the benchmark readers give (`pipelines.readers`): items, their text lines and the problems
found, and the checks every reader shares (files contained in --input, polygons within bounds,
images found by name).

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

from fonts_manifest.corpus_stream import INVISIBLE
from synth.page import make_clockwise

from .containment import (
    MAX_POINTS,
    MAX_TEXT,
    name_reason,
    outside_reason,
)

# why an image whose every annotation was dropped is skipped, not made into a row
NONE_READ = "(a row without them would say the image has no text)"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


@dataclass
class SourceLine:
    text: str
    polygon: list[list[float]]
    dont_care: bool = False

    def __post_init__(self) -> None:
        self.text = readable(self.text)
        if not self.text.strip():  # a box without a transcription: its text is unknown
            self.dont_care = True


# C0 and C1 controls and DEL: drawn as nothing, so no reader of the image can label them (a
# NUL or ESC in a label also breaks line-based trainer files); white space ones (tab, line and
# paragraph separators) stand for a space, as `--corpus` text's do
_CONTROLS: dict[int, str | None] = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])
_CONTROLS.update(dict.fromkeys([0x09, 0x0A, 0x0B, 0x0C, 0x0D, *range(0x1C, 0x20), 0x85, 0x2028,
                                 0x2029], " "))  # tab, line and paragraph breaks


def readable(text: str) -> str:
    """A benchmark transcription as a reader of the image could write it: the bidi overrides,
    embeddings, isolates and other invisible format characters `--corpus` text loses
    (`fonts_manifest.corpus_stream.INVISIBLE`: an RLO in a label reverses how a trainer reads
    it) and control characters removed, tabs and line breaks made spaces (a tab in a label
    splits the `path<TAB>label` line of a PaddleOCR list, a line break a `.gt.txt` file).
    Any other text is returned unchanged."""
    if text.isprintable():
        return text
    return text.translate(INVISIBLE).translate(_CONTROLS)


@dataclass
class SourceItem:
    key: str  # stable name: image path relative to the input root, or a row id
    annotation: str  # the file the labels came from
    image_path: Path | None = None
    lines: list[SourceLine] = field(default_factory=list)
    # our own rows, read lazily: (dataset URI or "" for a local file, parquet file, row number)
    row: tuple[str, str, int] | None = None
    # (width, height) the annotation file declares for the image (COCO), checked when decoded
    declared: tuple[int, int] | None = None


@dataclass
class Problem:
    file: str
    problem: str


Reader = Callable[[Path], tuple[list[SourceItem], list[Problem]]]



def contained_files(root: Path, paths: Iterable[Path], problems: list[Problem]) -> list[Path]:
    """The regular files among `paths` that resolve inside root; the others are problems."""
    real_root = root.resolve()
    kept = []
    for p in sorted(paths):
        if not p.is_file():  # folders, FIFOs, devices (/dev/zero), dangling links
            continue
        reason = outside_reason(real_root, p)
        if reason:
            problems.append(Problem(rel_name(root, p), f"skipped: {reason}"))
        else:
            kept.append(p)
    return kept


def images_by_stem(root: Path, problems: list[Problem]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    found = (p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    for p in contained_files(root, found, problems):
        out.setdefault(p.stem, []).append(p)
    return out


def rel_name(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def ring(coords: Any) -> list[list[float]]:
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



def find_image(root: Path, base: Path, name: str, images: dict[str, list[Path]],
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


MAX_GT_BYTES = 64 << 20  # one ICDAR gt_*.txt (one image's lines: a few KiB in the benchmarks)
MAX_JSON_BYTES = 512 << 20  # one MMOCR / COCO file (COCO-Text's is ~100 MB); parsed whole, ~8x


def read_capped(root: Path, path: Path, cap: int, problems: list[Problem]) -> bytes | None:
    """An annotation file's bytes, or None and a problem naming its size and the cap. The read
    itself stops at cap + 1 bytes: a file growing after its size was checked (or one whose
    size lies, /proc-like) never makes a read of its whole length."""
    try:
        with path.open("rb") as handle:
            data = handle.read(cap + 1)
            size = max(path.stat().st_size, len(data))
    except OSError as exc:
        problems.append(Problem(rel_name(root, path), f"cannot read: {exc.strerror or exc}"))
        return None
    if len(data) > cap:
        problems.append(Problem(rel_name(root, path), f"skipped: {size:,} bytes, over the "
                                f"{cap >> 20} MiB an annotation file may hold (split it)"))
        return None
    return data


def load_json(root: Path, path: Path, problems: list[Problem]) -> Any:
    data = read_capped(root, path, MAX_JSON_BYTES, problems)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[…
        problems.append(Problem(rel_name(root, path), f"not valid JSON: {str(exc).splitlines()[0]}"))
        return None


BAD_SHAPE = (ValueError, TypeError, KeyError, AttributeError, IndexError)  # wrong JSON types


def known_images(images: dict[str, list[Path]]) -> set[Path]:
    return {p for paths in images.values() for p in paths}


def transcription(value: Any) -> str:
    """A transcription; JSON `null` is no transcription (don't-care), never the text "None"."""
    if isinstance(value, (list, dict)):  # str() would make a label of "['a', 'b']"
        raise ValueError(f"transcription is a {type(value).__name__}, not text")
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        raise ValueError(f"transcription over {MAX_TEXT} characters")
    return text

