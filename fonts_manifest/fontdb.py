"""Font discovery and the on-disk cmap cache.

Reading ~1,800 Noto files with fontTools takes tens of seconds; every worker and every CLI call
needs the cmaps, so they are read once and kept in a gzip'd JSON keyed by path + size + mtime.
Only new or changed files are re-read, and the cache is replaced atomically so concurrent
workers never see half a file.
"""

from __future__ import annotations

import array
import gzip
import hashlib
import json
import os
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fonts_manifest.coverage import (  # noqa: F401  # re-exported: fontdb.Coverage etc.
    Coverage,
    codepoint_ranges,
    compact_ranges,
    ranges_to_set,
)
from fonts_manifest.errors import PolyglyphError
from fonts_manifest.facecheck import (
    PANOSE_KEYS,
    quiet_fonttools,
    render_error,
    undrawn_codepoints,
)

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

CACHE_VERSION = 3
# read_font_file's checks (2: hollow composites, placeholder glyphs): older entries are read
# again; it is in the fingerprint (no table of old verdicts reused); other checkouts keep theirs
FACE_CHECKS = 2
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
SYSTEM_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)

# Number of font files parsed with fontTools in this process; tests read it to prove that a
# warm start used the cache only.
parse_count = 0


def cache_dir() -> Path:
    """`$POLYGLYPH_CACHE_DIR`, else `$XDG_CACHE_HOME/polyglyph`, else `~/.cache/polyglyph`.
    A relative `XDG_CACHE_HOME` is ignored, as the XDG spec says: it would put the cache (fonts
    tables, judge models) wherever the command happens to run, the source tree included."""
    explicit = os.environ.get("POLYGLYPH_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or ""
    base = xdg if os.path.isabs(xdg) else "~/.cache"
    return Path(base).expanduser() / "polyglyph"


def packaged_font_files() -> list[Path]:
    """Font files shipped by installed `fontpkg-*` distributions (handwriting fonts from PyPI).

    Globbing site-packages is ~50x faster than walking importlib.metadata's distributions."""
    found: list[Path] = []
    for entry in dict.fromkeys(sys.path):
        base = Path(entry or ".")
        if base.is_dir():
            for package in base.glob("fontpkg_*"):
                found.extend(p for p in package.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
    return found


def font_dirs(extra_dirs: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """System dirs (unless `POLYGLYPH_SYSTEM_FONTS=0`, for a container that should use only its
    own fonts), then `POLYGLYPH_FONT_DIRS`, then the caller's dirs."""
    env_dirs = [d for d in os.environ.get("POLYGLYPH_FONT_DIRS", "").split(os.pathsep) if d]
    system = SYSTEM_FONT_DIRS if os.environ.get("POLYGLYPH_SYSTEM_FONTS", "1") != "0" else ()
    dirs = [*system, *env_dirs, *extra_dirs]
    return [Path(d).expanduser() for d in dirs]


def check_font_dirs(dirs: Iterable[str]) -> None:
    """A user's `--font-dir` and each `POLYGLYPH_FONT_DIRS` entry must be a directory: one line
    naming it, before any scan. The variable is as strict as the flag (not lenient like PATH): a
    mistyped entry silently drops the user's fonts, and the dataset changes without a word."""
    for directory in os.environ.get("POLYGLYPH_FONT_DIRS", "").split(os.pathsep):
        if directory and not Path(directory).expanduser().is_dir():
            raise PolyglyphError(f"POLYGLYPH_FONT_DIRS entry {directory}: not a directory")
    for directory in dirs:
        if not Path(directory).expanduser().is_dir():
            raise PolyglyphError(f"--font-dir {directory}: not a directory")


def walk_font_dir(directory: Path) -> Iterator[Path]:
    """Font files under `directory`, following symlinks but entering each real directory once:
    a symlink loop (a link to a parent) would otherwise be walked forever."""
    visited: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(directory, followlinks=True):
        try:
            stat = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (stat.st_dev, stat.st_ino) in visited:
            dirs[:] = []
            continue
        visited.add((stat.st_dev, stat.st_ino))
        dirs.sort()
        yield from (Path(root) / f for f in files if f.lower().endswith(FONT_SUFFIXES))


def find_font_files(
    extra_dirs: Iterable[str | os.PathLike] = (),
) -> list[tuple[Path, os.stat_result]]:
    """All font files with their stat, de-duplicated by inode (symlinks, repeated dirs), sorted."""
    candidates: list[Path] = []
    for directory in font_dirs(extra_dirs):
        if directory.is_dir():
            candidates.extend(walk_font_dir(directory))
    candidates.extend(packaged_font_files())
    seen: set[tuple[int, int]] = set()
    found = []
    for path in sorted(candidates):
        try:
            stat = path.stat()
        except OSError:
            continue
        if (stat.st_dev, stat.st_ino) in seen or not path.is_file():
            continue
        seen.add((stat.st_dev, stat.st_ino))
        found.append((path.absolute(), stat))
    return found


def _name(font: TTFont, *ids: int) -> str:
    table = font["name"] if "name" in font else None
    for name_id in ids:
        record = table.getDebugName(name_id) if table is not None else None
        if record:
            return str(record)
    return ""


def _face_record(font: TTFont, index: int) -> dict:
    os2 = font["OS/2"] if "OS/2" in font else None
    weight = int(getattr(os2, "usWeightClass", 400) or 400)
    subfamily = _name(font, 17, 2) or "Regular"
    italic = bool(os2 and os2.fsSelection & 1) or "italic" in subfamily.lower()
    cmap = font.getBestCmap() or {}
    empty = undrawn_codepoints(font, cmap)
    panose = getattr(os2, "panose", None)
    post = font["post"] if "post" in font else None
    return {
        "index": index,
        "family": _name(font, 16, 1),
        "subfamily": subfamily,
        "full_name": _name(font, 4),
        "weight": weight,
        "italic": italic,
        "width": int(getattr(os2, "usWidthClass", 5) or 5),
        "panose": [int(getattr(panose, k, 0)) for k in PANOSE_KEYS] if panose else [],
        "family_class": int(getattr(os2, "sFamilyClass", 0) or 0),
        "fixed_pitch": bool(post is not None and getattr(post, "isFixedPitch", 0)),
        "licence": (_name(font, 13) or _name(font, 14))[:300],
        "empty_glyphs": len(empty),
        "ranges": codepoint_ranges(cp for cp in cmap if cp not in empty),
    }


def read_font_file(path: Path) -> list[dict]:
    """Face records of one file (several for a .ttc); [] when fontTools cannot read it."""
    # imported here: a warm worker never parses a font, and fontTools.ttLib is ~2.3 MiB of RSS
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    global parse_count
    parse_count += 1
    faces = []
    try:  # fontTools quiet ("timestamp seems very low", a line per bad name record...)
        with quiet_fonttools():  # the failures below are one warning line each
            if path.suffix.lower() == ".ttc":
                collection = TTCollection(str(path), lazy=True)
                faces = [_face_record(font, i) for i, font in enumerate(collection.fonts)]
                collection.close()
            else:
                font = TTFont(str(path), lazy=True)
                faces = [_face_record(font, 0)]
                font.close()
    except (TTLibError, OSError, KeyError, AssertionError, ValueError, TypeError, struct.error,
            IndexError, AttributeError) as exc:
        warn(f"skipping font {path}: unreadable ({type(exc).__name__})")
        return []
    except ImportError:  # a WOFF2 web font (any suffix: the magic decides) without brotli
        warn(f"skipping font {path}: a WOFF2 web font (needs brotli); convert it to .ttf/.otf")
        return []
    from fonts_manifest.catalog import skip_reason

    for face in faces:
        error = render_error(path, face)
        if error:
            face["render_error"] = error
        reason = skip_reason(face)
        if reason:
            warn(f"not sampling font {path}#{face['index']} ({face['family'] or '?'}): {reason}")
    return faces


def warn(message: str) -> None:
    """One line on stderr (a scan happens once per changed file, so this is not repeated)."""
    print(f"polyglyph: warning: {message}", file=sys.stderr)


def _compact_face(entry: dict) -> dict:
    """json object hook: each face's ranges become an array as soon as they are decoded, so the
    whole cache never exists as Python int lists at once."""
    if "ranges" in entry:
        entry["ranges"] = compact_ranges(entry["ranges"])
    return entry


def _json_default(value: object) -> object:
    if isinstance(value, array.array):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _load_cache(path: Path) -> dict:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle, object_hook=_compact_face)
    except (OSError, ValueError, EOFError):
        return {}
    if data.get("version") != CACHE_VERSION:
        return {}
    return data.get("files", {})


def atomic_write_json_gz(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_json_default)
            handle.write(text.encode())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """Exclusive lock on `<cache dir>/<name>.lock`, so parallel workers on a cold machine wait
    for one scan instead of each reading every font; a no-op where locking is impossible, and
    given up after a total wait (`fonts_manifest.cachelock`)."""
    from fonts_manifest.cachelock import waited_lock

    try:
        directory = cache_dir()
    except OSError:
        yield
        return
    with waited_lock(directory / f"{name}.lock", f"{name} cache"):
        yield


def _stale(entry: dict | None, stat: os.stat_result) -> bool:
    """A file is re-read when its size, mtime or ctime changed: ctime also catches a file
    replaced by one of the same size with its mtime preserved (`cp -p`, archives)."""
    return (
        entry is None
        or entry.get("checks", 1) < FACE_CHECKS
        or entry["size"] != stat.st_size
        or entry["mtime_ns"] != stat.st_mtime_ns
        or entry.get("ctime_ns") != stat.st_ctime_ns
    )


def load_face_records(extra_dirs: Iterable[str | os.PathLike] = ()) -> tuple[list[dict], str]:
    """Every face found, each with `path` added, and a fingerprint of the font set."""
    cache_path = cache_dir() / f"fonts-v{CACHE_VERSION}.json.gz"
    found = find_font_files(extra_dirs)
    cached = _load_cache(cache_path)
    if any(_stale(cached.get(str(path)), stat) for path, stat in found):
        with cache_lock("fonts"):
            # Another process may have finished the scan while this one waited.
            cached = _load_cache(cache_path)
            files = _refresh(found, cached, cache_path)
    else:
        files = {str(path): cached[str(path)] for path, _ in found}
    digest = hashlib.sha1(f"face checks {FACE_CHECKS}\n".encode())
    records = []
    env_dirs = [d for d in os.environ.get("POLYGLYPH_FONT_DIRS", "").split(os.pathsep) if d]
    user_roots = tuple(str(Path(d).expanduser().absolute()) + os.sep
                       for d in [*env_dirs, *extra_dirs])
    for key in sorted(files):
        entry = files[key]
        digest.update(f"{key}\0{entry['size']}\0{entry['mtime_ns']}\n".encode())
        user = key.startswith(user_roots)  # a user's --font-dir / POLYGLYPH_FONT_DIRS face
        records.extend(
            {**face, "ranges": compact_ranges(face["ranges"]), "path": key, "user": user}
            for face in entry["faces"]
        )
    return records, digest.hexdigest()


def _refresh(found: list[tuple[Path, os.stat_result]], cached: dict, cache_path: Path) -> dict:
    """Re-read new or changed files and write the merged cache atomically."""
    files: dict[str, dict] = {}
    changed = False
    for path, stat in found:
        key = str(path)
        entry = cached.get(key)
        if _stale(entry, stat):
            entry = {
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "ctime_ns": stat.st_ctime_ns,
                "checks": FACE_CHECKS,
                "faces": read_font_file(path),
            }
            changed = True
        files[key] = entry
    # Keep entries of fonts outside this call's dirs (another caller's extra dirs stay warm)
    # while their files exist.
    kept = {k: v for k, v in cached.items() if k not in files and os.path.isfile(k)}
    merged = {**kept, **files}
    if changed or merged.keys() != cached.keys():
        try:
            atomic_write_json_gz(cache_path, {"version": CACHE_VERSION, "files": merged})
            for stale in cache_path.parent.glob("fonts-v*.json.gz"):
                if stale != cache_path:
                    stale.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only cache dir only costs speed
    return files
