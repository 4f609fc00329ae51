"""What the text engine works with: styles, laid-out lines, their geometry, and clean text.

Split from `synth.text` (the engine) so each module stays small; everything here is re-exported
there, so `from synth.text import TextStyle` keeps working.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from PIL import ImageFont

from fonts_manifest.chains import HashOnce
from synth.page import Polygon

Box = tuple[float, float, float, float]
CONTROL_CHAR = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc, exactly


class FontSource(Protocol):
    """What the engine needs from `fonts_manifest.registry.FontRegistry`."""

    def itemize(self, text: str, chain: Sequence[Any]) -> list[tuple[str, Any]]: ...

    def pil_font(self, face: Any, size: int) -> ImageFont.FreeTypeFont: ...


@dataclass(frozen=True)
class TextStyle(HashOnce):
    chain: tuple[Any, ...]  # FontFace objects, first = preferred
    size: int
    language: str  # BCP 47, passed to raqm (Urdu digits, Serbian forms...)
    script: str  # ISO 15924; decides whether words are space-delimited
    direction: str = "ltr"  # paragraph base direction: ltr | rtl | ttb
    bold: bool = False  # drawn with the face's Bold sibling file when one is installed
    # ttb only: Latin letters and longer numbers stand upright one per em (CSS `text-orientation:
    # upright`) instead of turning sideways (`mixed`, the default); see synth.text.vertical
    upright_latin: bool = False

    __hash__ = HashOnce.__hash__  # else @dataclass(frozen=True) generates a per-call hash

    @property
    def shaping_language(self) -> str:
        """The tag HarfBuzz (and raqm) shape with: a bare language tag of Han text gets the
        text's script. `yue` alone is Hong Kong to HarfBuzz (OpenType ZHH): Noto Sans CJK SC's
        `locl` then drew 771 glyphs of the Simplified yue corpus in HK forms (。、 centred
        too); `yue-Hans` is ZHS, the forms the text is written in. The label keeps `language`."""
        if self.script in ("Hans", "Hant") and "-" not in self.language:
            return f"{self.language}-{self.script}"
        return self.language


class Piece(NamedTuple):
    """One shaping call: a run of one font, one bidi level, inside one word (or a space).

    A named tuple: a page makes a few hundred per line of layout, and a frozen dataclass's
    `__init__` (one `object.__setattr__` per field) cost several times more to build."""

    start: int  # logical character range in the line text
    end: int
    text: str
    face: Any
    direction: str  # ltr | rtl | ttb
    offset: float  # pen offset from the line origin along the line (x, or y for ttb)
    advance: float
    word: int  # index into LineLayout.words, -1 for whitespace


@dataclass
class LineLayout:
    text: str  # logical order
    style: TextStyle
    pieces: list[Piece]  # visual order
    advance: float  # total pen advance (width, or height for ttb)
    words: list[tuple[int, int]]  # logical spans
    # each piece's ink, found when the line was first measured or drawn: a planned line is
    # settled on its ink, then drawn, and the second pass need not look every piece up again
    # (not an init field, so `dataclasses.replace` never carries inks over to other pieces)
    inks: list[Any] | None = field(default=None, init=False, repr=False, compare=False)


@dataclass
class LineGeometry:
    polygon: Polygon
    box: Box
    word_boxes: list[Box | None] = field(default_factory=list)  # None: the word drew no ink


def clean_text(text: str) -> str:
    """Text safe to draw: C1 controls from cp1252 mis-decodes mapped back, other controls dropped.

    Some corpus texts carry U+0092 where ’ was meant; fonts map no glyph to controls, so drawing
    them would show tofu boxes.
    """
    if CONTROL_CHAR.search(text) is None:
        return text
    out = []
    for c in text:
        if unicodedata.category(c) != "Cc":
            out.append(c)
        elif c in "\t\n":
            out.append(" ")
        elif 0x80 <= ord(c) <= 0x9F:
            try:
                out.append(bytes([ord(c)]).decode("cp1252"))
            except UnicodeDecodeError:
                continue
    return "".join(out)


@lru_cache(maxsize=512)
def bold_sibling(path: str) -> str | None:
    """`NotoSansArabic-Bold.ttf` next to `NotoSansArabic-Regular.ttf`, when installed."""
    base = os.path.basename(path)
    if "Regular" not in base:
        return None
    candidate = os.path.join(os.path.dirname(path), base.replace("Regular", "Bold"))
    return candidate if os.path.exists(candidate) else None


@lru_cache(maxsize=1024)
def face_name(face: Any) -> str:
    """Short, stable font name for labels: file name, plus the face index inside a collection."""
    path = str(getattr(face, "path", face))
    index = int(getattr(face, "index", 0))
    base = os.path.basename(path)
    return f"{base}#{index}" if index else base
