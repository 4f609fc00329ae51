"""Checks on one face while its file is scanned, so that a face never draws nothing where
a label says text (empty outlines, issue 21), never stops a page mid-render (hinting FreeType
rejects), and never draws lowercase as capitals (small caps: the label would lie)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

PANOSE_KEYS = ("bFamilyType", "bSerifStyle", "bWeight", "bProportion")


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
    from fonts_manifest.fontdb import Coverage

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
