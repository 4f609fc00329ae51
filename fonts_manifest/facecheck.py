"""Checks on one face while its file is scanned, so that a face never draws nothing where
a label says text (empty outlines, issue 21), never stops a page mid-render (hinting FreeType
rejects), and never draws lowercase as capitals (small caps: the label would lie)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

PANOSE_KEYS = ("bFamilyType", "bSerifStyle", "bWeight", "bProportion")


@contextmanager
def quiet_fonttools() -> Iterator[None]:
    """fontTools logs nothing while a font is read here, and its level is restored after: it
    logs per record it skips, so a name table declaring 32,000 records it does not hold was
    32,000 stderr lines from one file. The callers say what matters in one line each."""
    logger = logging.getLogger("fontTools")  # its modules' loggers inherit this level
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _cff_empty(bytecode: bytes) -> bool:
    """Whether a Type 2 charstring ends before any drawing operator (an empty outline).

    Walks operands and operators only up to the first moveto, hintmask or subroutine call, so a
    real glyph is decided within its first few bytes."""
    i, n = 0, len(bytecode)
    while i < n:
        b = bytecode[i]
        if 32 <= b <= 246:
            i += 1
        elif 247 <= b <= 254:
            i += 2
        elif b == 28:
            i += 3
        elif b == 255:
            i += 5
        elif b in (4, 21, 22, 10, 29, 19, 20):  # movetos, subroutine calls, hintmasks
            return False
        elif b == 14:  # endchar (seac accents carry operands: treated as drawing)
            return True
        elif b == 12:
            i += 2
        else:
            i += 1
    return True


def empty_glyph_codepoints(font: TTFont, cmap: dict[int, str]) -> set[int]:
    """Codepoints (not spaces or controls) whose glyph has no outline at all: a face that maps
    a character to an empty glyph would draw nothing where the label says text (issue 21).

    glyf fonts: a zero-length `loca` entry; CFF: a charstring without drawing operators.
    Bitmap-only or unreadable outlines are left alone."""
    try:
        if "glyf" in font and "loca" in font:
            loca, order = font["loca"], font.getGlyphOrder()
            index = {name: i for i, name in enumerate(order)}
            empty_names = {
                name for name, i in index.items() if i + 1 < len(loca) and loca[i] == loca[i + 1]
            }
            empty_names |= _hollow_composites(font, set(cmap.values()) - empty_names, empty_names)
        elif "CFF " in font:
            top = font["CFF "].cff.topDictIndex[0]
            strings = top.CharStrings
            empty_names = set()
            for name in set(cmap.values()):
                cs = strings[name]
                code = getattr(cs, "bytecode", None)
                if code is not None and len(code) < 40 and _cff_empty(code):
                    empty_names.add(name)
        else:
            return set()
    except Exception:  # noqa: BLE001  # an outline table fontTools cannot read: no verdict
        return set()
    return {
        cp for cp, name in cmap.items()
        if name in empty_names and not chr(cp).isspace() and not _invisible(cp)
    }  # fmt: skip


def _hollow_composites(font: TTFont, names: set[str], empty: set[str]) -> set[str]:
    """Composite glyphs among `names` built only of empty glyphs (at any depth): FreeType
    draws nothing for them though their `loca` entry is not empty (El Abogado Loco's `ī` is
    `macron` + `dotlessi`, both empty). Read from the raw glyf bytes: a glyph's first field
    says whether it is a composite, and only composites' component lists are walked (fontTools'
    own glyf table would build every glyph of a 30,000-glyph CJK face)."""
    raw = font.reader["glyf"]
    loca, order = font["loca"], font.getGlyphOrder()
    starts = np.asarray(loca.locations, np.int64)
    heads = starts[:-1][(starts[1:] - starts[:-1] >= 10) & (starts[:-1] + 2 <= len(raw))]
    data = np.frombuffer(raw, np.uint8)
    first = (data[heads].astype(np.int64) << 8) | data[heads + 1]
    composites = {int(g) for g in heads[first >= 0x8000]}  # numberOfContours < 0, by offset
    if not composites:
        return set()
    index = {name: i for i, name in enumerate(order)}
    empty_ids = {index[name] for name in empty if name in index}
    verdict: dict[int, bool] = {}

    def hollow(gid: int, depth: int) -> bool:
        if gid in empty_ids:
            return True
        if gid in verdict:
            return verdict[gid]
        parts = _components(raw, loca, gid)
        # a simple glyph with contours, a broken record or a cycle: it draws (no verdict)
        verdict[gid] = bool(parts) and depth < 8 and all(hollow(p, depth + 1) for p in parts)
        return verdict[gid]

    return {name for name in names
            if name in index and index[name] + 1 < len(starts)
            and int(starts[index[name]]) in composites and hollow(index[name], 0)}


def _components(raw: bytes, loca: Any, gid: int) -> list[int]:
    """Glyph ids a composite glyph is made of; [] for a simple glyph or a malformed record."""
    if gid + 1 >= len(loca) or loca[gid] >= loca[gid + 1]:
        return []
    pos, end = loca[gid], min(loca[gid + 1], len(raw))
    if pos + 10 > end or int.from_bytes(raw[pos:pos + 2], "big", signed=True) >= 0:
        return []
    pos += 10  # numberOfContours and the bounding box
    parts = []
    while pos + 4 <= end:
        flags = int.from_bytes(raw[pos:pos + 2], "big")
        parts.append(int.from_bytes(raw[pos + 2:pos + 4], "big"))
        pos += 4 + (4 if flags & 0x0001 else 2)  # ARG_1_AND_2_ARE_WORDS
        pos += 8 if flags & 0x0080 else 4 if flags & 0x0040 else 2 if flags & 0x0008 else 0
        if not flags & 0x0020:  # MORE_COMPONENTS
            return parts
    return []  # ran off the record: malformed, no verdict


def undrawn_codepoints(font: TTFont, cmap: dict[int, str]) -> set[int]:
    """Code points the cmap claims but the face does not draw as themselves: empty or hollow
    glyphs, and placeholder glyphs shared by a whole script (never counted as coverage)."""
    return empty_glyph_codepoints(font, cmap) | shared_glyph_codepoints(cmap)


SHARED_GLYPH_MAX = 16  # visible code points one glyph may stand for (none installed: > 8)


def shared_glyph_codepoints(cmap: dict[int, str]) -> set[int]:
    """Visible code points (not spaces or controls) whose glyph stands for more than
    `SHARED_GLYPH_MAX` of them: a placeholder box the face draws for a whole script (a
    last-resort or .notdef font, a font with a block it never drew). Labels would name
    characters the image shows as one shape: tofu. Legitimate sharing (K and the Kelvin sign,
    dash variants, compatibility ideographs) is a handful of code points a glyph; no installed
    face shares one among more than 8."""
    import unicodedata

    by_glyph: dict[str, list[int]] = {}
    for cp, name in cmap.items():
        if unicodedata.category(chr(cp))[0] not in "ZC":
            by_glyph.setdefault(name, []).append(cp)
    return {cp for cps in by_glyph.values() if len(cps) > SHARED_GLYPH_MAX for cp in cps}


def _invisible(cp: int) -> bool:
    """Characters drawn as nothing on purpose (controls, format characters, selectors)."""
    import unicodedata

    from fonts_manifest.chains import is_ignorable

    return unicodedata.category(chr(cp)) in {"Zs", "Zl", "Zp"} or is_ignorable(chr(cp))


def render_error(path: Path, face: dict) -> str:
    """Why FreeType cannot draw this face's letters ('' when it can): some fonts carry hinting
    bytecode FreeType rejects ("invalid opcode"), which would stop a page mid-render."""
    from PIL import ImageFont

    sample, flat = [], face["ranges"]
    for i in range(0, len(flat), 2):
        for cp in range(flat[i], min(flat[i + 1], flat[i] + 64) + 1):
            if chr(cp).isalnum():
                sample.append(chr(cp))
        if len(sample) >= 16:
            break
    text = "".join(sample[:16]) or "x"
    try:
        for size in (12, 23):
            font = ImageFont.truetype(str(path), size, index=int(face["index"]))
            font.getmask(text)
        if caps_only(ImageFont.truetype(str(path), 48, index=int(face["index"])), face):
            return "draws lowercase letters as capitals (small caps): labels would lie"
    except (OSError, ValueError) as exc:
        return f"FreeType cannot draw it ({exc})"
    return ""


def _shape(font: Any, ch: str) -> np.ndarray | None:
    from PIL import Image

    mask = font.getmask(ch)
    if mask.getbbox() is None:
        return None
    image = Image.frombytes("L", mask.size, bytes(mask)).crop(mask.getbbox())
    return np.asarray(image.resize((24, 24)), np.float32) / 255.0


def caps_only(font: Any, face: dict) -> bool:
    """Whether the face's lowercase letters are its capitals' shapes (small caps or an
    all-caps design): compared letter by letter after scaling both to one box."""
    from fonts_manifest.coverage import Coverage

    cov = Coverage(face["ranges"])
    pairs = [c for c in "aegr" if ord(c) in cov and ord(c.upper()) in cov]
    if len(pairs) < 4:
        return False
    alike = 0
    for c in pairs:
        low, up = _shape(font, c), _shape(font, c.upper())
        if low is None or up is None:
            continue
        union = float(np.maximum(low, up).sum())
        if union > 0 and float(np.abs(low - up).sum()) / union < 0.3:  # thin strokes too
            alike += 1
    return alike >= 3
