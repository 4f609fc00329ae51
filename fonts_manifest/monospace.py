"""Whether a face is monospaced for a language's text, measured from its advance widths.

A family's catalogue class comes from its name and tables (`catalog.style_class`): "Mono" in
the name, PANOSE proportion 9, `post.isFixedPitch`. Those speak for some of its glyphs only.
cwTeXMing, cwTeXYen, cwTeXHeiBold and cwTeXKai (fonts-cwtex) set isFixedPitch because every
Han glyph is one cell, while their Latin, Cyrillic and Greek are Computer Modern, proportional;
Noto Sans Mono CJK's and WenQuanYi Zen Hei Mono's Cyrillic and Greek are proportional too;
MotoyaLCedar sets Cyrillic in full-width cells beside half-width digits. Sampled as "mono",
they drew receipts, tables and code lines whose columns do not line up.

So a family keeps class "mono" for a language only when its regular face's `hmtx` gives one
advance to every letter of the language's text and to the face's digits and a few Latin
letters (receipts mix digits and Latin into every script; a face without its own digits has
them drawn by another face), one advance per East Asian width: narrow letters share one cell,
wide ones (Han, kana, Hangul, full-width forms) another. The two cells need not be 1:2:
Noto Sans Mono CJK KR draws Hangul at 920 units beside 500-unit Latin, and a Korean receipt's
columns of each kind line up all the same.

Read only while the language table is computed (a cold start), and only for families whose
catalogue class is "mono".
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

from fonts_manifest.facecheck import quiet_fonttools

# Digits every receipt line holds, and Latin letters and a stop as unlike in width as any.
LATIN_SAMPLE = "0123456789iImMW."
DIGITS = "0123456789"
# Advances within this share of the cell count as one (a designer's rounding, not a design).
TOLERANCE = 0.02


@lru_cache(maxsize=4096)  # a few KB per face: runs of equal advance, not one entry per glyph
def advance_runs(path: str, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, advances): the face's mapped codepoints as inclusive runs of consecutive
    codepoints with one advance; empty arrays when fontTools cannot read the face."""
    from fontTools.ttLib import TTFont  # a warm worker never gets here

    starts: list[int] = []
    ends: list[int] = []
    advances: list[int] = []
    try:
        with quiet_fonttools(), TTFont(path, fontNumber=index, lazy=True) as font:
            # glyph ids for names: a CJK face's CFF charset (65,535 names) is never parsed
            font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
            cmap = font.getBestCmap() or {}
            metrics = font["hmtx"].metrics
            font.tables.clear()  # its tables hold the font: freed now, not at the next gc
            for cp in sorted(cmap):
                advance = int(metrics.get(cmap[cp], (-1, 0))[0])
                if starts and cp == ends[-1] + 1 and advance == advances[-1]:
                    ends[-1] = cp
                else:
                    starts.append(cp)
                    ends.append(cp)
                    advances.append(advance)
    except Exception:  # noqa: BLE001  # unreadable tables: nothing shows it is monospaced
        starts, ends, advances = [], [], []
    return (np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64),
            np.array(advances, dtype=np.int64))


def advances_of(path: str, index: int, chars: str) -> dict[str, int]:
    """{char: advance} of the characters of `chars` the face maps."""
    starts, ends, advances = advance_runs(path, index)
    if not len(starts) or not chars:
        return {}
    cps = np.array([ord(c) for c in chars], dtype=np.int64)
    at = np.searchsorted(starts, cps, side="right") - 1
    found = (at >= 0) & (cps <= ends[np.maximum(at, 0)])
    return {c: int(advances[i]) for c, i, ok in zip(chars, at, found, strict=True) if ok}


def one_cell(widths: list[int]) -> bool:
    """Whether advances are one cell (within TOLERANCE of the widest) and not empty."""
    return bool(widths) and min(widths) > 0 and \
        max(widths) - min(widths) <= TOLERANCE * max(widths)


def wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def monospaced(path: str, index: int, letters: str) -> bool:
    """Whether the face draws `letters` (a text's letters), its digits and LATIN_SAMPLE in
    one narrow cell and one wide cell (see the module docstring)."""
    letters = "".join(c for c in letters if unicodedata.category(c)[0] == "L")
    measured = advances_of(path, index, "".join(dict.fromkeys(LATIN_SAMPLE + letters)))
    if any(d not in measured for d in DIGITS):
        return False
    narrow = [a for c, a in measured.items() if not wide(c)]
    broad = [a for c, a in measured.items() if wide(c)]
    return one_cell(narrow) and (not broad or one_cell(broad))
