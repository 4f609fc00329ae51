"""Horizontal pieces shaped by HarfBuzz and drawn from cached FreeType glyph bitmaps.

Why not Pillow's `getmask2`: it shapes and rasterises every glyph of a string on every call
(about 30 µs per glyph, two glyph loads each), and a piece cache keyed by string misses on
every new font size. Here a piece is shaped once (HarfBuzz, the shaper raqm uses inside
Pillow), each glyph is rasterised once per (face, size) by FreeType with the same load flags,
and a piece's mask is the union of its cached glyph bitmaps (a few µs per glyph). Widths and
masks come from the same shaped result, so measuring and drawing cannot disagree.

Like raqm, a piece is split into script runs (Common and Inherited characters join their
neighbours) and each run is shaped with its script, the piece's direction and the language.
Vertical (`ttb`) pieces are shaped and placed by `synth.text.vertical` on the same caches.
"""

from __future__ import annotations

import ctypes
import re
from typing import Any, NamedTuple

import freetype
import numpy as np
import uharfbuzz as hb
from fontTools import unicodedata as ft_unicodedata
from freetype import raw as ft_raw

from synth.opencv import cv2
from synth.text.paint import Ink, union_masks

GLYPH_CACHE_BYTES = 16 << 20  # rasterised glyphs kept per engine (all faces and sizes)
OPEN_FACES = 12  # FreeType / HarfBuzz faces kept open (each maps its font file; 24 cost ~40 MB RSS)
NEUTRAL_SCRIPTS = frozenset({"Zyyy", "Zinh", "Zzzz"})
ASCII_LETTER = re.compile("[A-Za-z]")
# Light (vertical-only) hinting: TrueType hinting bytecode made each glyph load 3-4x slower
# (Latin 22 -> 7 us, Arabic 37 -> 10 us); no hinting at all was faster still (5 us) but blurred
# Tibetan stacks enough that Tesseract's error on Article 1 rose from 2 % to 30 %.
LOAD_FLAGS = freetype.FT_LOAD_TARGET_LIGHT | freetype.FT_LOAD_NO_BITMAP | freetype.FT_LOAD_RENDER
EMPTY_INK = Ink(None, 0, 0)


class Shaped(NamedTuple):
    """A shaped piece in visual order: glyph ids and their origins in 1/64 px (y up).
    (Named tuples here and below: made per piece and per glyph, where a frozen dataclass's
    `__init__` cost several microseconds each.)"""

    glyphs: tuple[int, ...]
    x: tuple[int, ...]
    y: tuple[int, ...]
    advance: float  # px


class Glyph(NamedTuple):
    """A glyph bitmap cropped to its ink, placed relative to its origin (y down)."""

    mask: np.ndarray | None
    left: int
    top: int  # row of the mask's first line, relative to the baseline (negative = above)


NO_GLYPH = Glyph(None, 0, 0)


def script_runs(text: str, known: dict[str, str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, ISO 15924 script) runs; Common/Inherited characters join their neighbours
    (the run before them, or the first real script when they lead). `known` memoises the
    script of each character (the Unicode table lookup costs ~3 us a character)."""
    if text.isascii():  # Latin letters, or only digits, punctuation and spaces (Common)
        return [(0, len(text), "Latn" if ASCII_LETTER.search(text) else "")]
    known = {} if known is None else known
    scripts = []
    for c in text:
        script = known.get(c)
        if script is None:
            script = known[c] = ft_unicodedata.script(c)
        scripts.append(script)
    first = next((s for s in scripts if s not in NEUTRAL_SCRIPTS), "")
    runs: list[tuple[int, int, str]] = []
    current, start = first, 0
    for k, script in enumerate(scripts):
        if script in NEUTRAL_SCRIPTS or script == current:
            continue
        if k > start:
            runs.append((start, k, current))
        current, start = script, k
    runs.append((start, len(text), current))
    return runs


class GlyphRasteriser:
    """HarfBuzz fonts, FreeType faces and glyph bitmaps of one worker, all bounded."""

    def __init__(self, max_bytes: int = GLYPH_CACHE_BYTES, open_faces: int = OPEN_FACES) -> None:
        self.max_bytes = max_bytes
        self.open_faces = open_faces
        self._hb_faces: dict[tuple[str, int], Any] = {}
        self._hb_fonts: dict[tuple[str, int, int], Any] = {}
        self._ft_faces: dict[tuple[str, int], list[Any]] = {}  # [face, current pixel size]
        self._tables: dict[tuple[str, int, int], dict[int, Glyph]] = {}
        self._table_bytes: dict[tuple[str, int, int], int] = {}
        self.glyph_bytes = 0
        self._scripts: dict[str, str] = {}  # character -> script (bounded by Unicode)
        self._metrics: dict[tuple[str, int, int], tuple[int, int]] = {}  # a few per face

    # -- shaping ---------------------------------------------------------------------------

    def _hb_font(self, path: str, index: int, size: int) -> Any:
        key = (path, index, size)
        font = self._hb_fonts.get(key)
        if font is None:
            face = self._hb_faces.pop((path, index), None)  # re-inserted: recently used last
            if face is None:
                if len(self._hb_faces) >= self.open_faces:  # its file stays mapped while open
                    gone = next(iter(self._hb_faces))
                    del self._hb_faces[gone]
                    for stale in [k for k in self._hb_fonts if k[:2] == gone]:
                        del self._hb_fonts[stale]
                face = hb.Face(hb.Blob.from_file_path(path), index)
            self._hb_faces[(path, index)] = face
            if len(self._hb_fonts) >= 256:
                for old in list(self._hb_fonts)[:128]:
                    del self._hb_fonts[old]
            font = hb.Font(face)
            font.scale = (size * 64, size * 64)
            font.ppem = (size, size)
            self._hb_fonts[key] = font
        return font

    def hb_font(self, path: str, index: int, size: int) -> Any:
        """The HarfBuzz font of a file at `size` px (vertical shaping uses it too)."""
        return self._hb_font(path, index, size)

    def shape(self, path: str, index: int, size: int, text: str, direction: str,
              language: str) -> Shaped:
        """Shape one piece (one font, one bidi direction: ltr or rtl)."""
        font = self._hb_font(path, index, size)
        runs = script_runs(text, self._scripts)
        if direction == "rtl":
            runs.reverse()  # HarfBuzz returns each run left to right; runs go right to left
        glyphs: list[int] = []
        xs: list[int] = []
        ys: list[int] = []
        pen = 0
        for start, end, script in runs:
            buf = hb.Buffer()
            buf.add_str(text[start:end])
            buf.direction = direction
            if script:
                buf.script = script
            if language:
                buf.language = language
            buf.guess_segment_properties()
            hb.shape(font, buf)
            for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
                glyphs.append(info.codepoint)
                xs.append(pen + pos.x_offset)
                ys.append(pos.y_offset)
                pen += pos.x_advance
        return Shaped(tuple(glyphs), tuple(xs), tuple(ys), pen / 64.0)

    # -- rasterising -----------------------------------------------------------------------

    def _ft_face(self, path: str, index: int, size: int) -> Any:
        """The FreeType face of a file at `size` px (a ctypes FT_Face; the Face object that
        owns it stays in the cache)."""
        key = (path, index)
        entry = self._ft_faces.pop(key, None)  # re-inserted below: most recently used last
        if entry is None:
            if len(self._ft_faces) >= self.open_faces:
                del self._ft_faces[next(iter(self._ft_faces))]
            entry = [freetype.Face(path, index), 0]
        self._ft_faces[key] = entry
        if entry[1] != size:
            entry[0].set_pixel_sizes(0, size)
            entry[1] = size
        return entry[0]._FT_Face

    def metrics(self, path: str, index: int, size: int) -> tuple[int, int]:
        """(ascent, descent) of the face at `size` px, rounded up to whole pixels: what
        Pillow's `getmetrics` says (same FreeType size request), without opening a Pillow
        font for every new size."""
        key = (path, index, size)
        found = self._metrics.get(key)
        if found is None:
            metrics = self._ft_face(path, index, size).contents.size.contents.metrics
            found = self._metrics[key] = ((metrics.ascender + 63) >> 6,
                                          (-metrics.descender + 63) >> 6)
        return found

    def _rasterise(self, face: Any, gid: int) -> Glyph:
        """One glyph of `face` (a ctypes FT_Face already at the wanted pixel size)."""
        if ft_raw.FT_Load_Glyph(face, gid, LOAD_FLAGS):
            # bitmap-only faces have no outline: take the embedded strike
            if ft_raw.FT_Load_Glyph(face, gid, freetype.FT_LOAD_RENDER):
                return NO_GLYPH
        slot = face.contents.glyph.contents
        bitmap = slot.bitmap
        rows, width, pitch = bitmap.rows, bitmap.width, bitmap.pitch
        if not rows or not width or pitch <= 0:
            return NO_GLYPH
        data = np.frombuffer(ctypes.string_at(bitmap.buffer, rows * pitch), np.uint8)
        if bitmap.pixel_mode == freetype.FT_PIXEL_MODE_MONO:
            data = np.unpackbits(data.reshape(rows, pitch), axis=1) * np.uint8(255)
            mask = np.ascontiguousarray(data[:, :width])
        else:
            mask = data.reshape(rows, pitch)[:, :width] if pitch != width else data.reshape(
                rows, width)
        x, y, w, h = cv2.boundingRect(mask)  # the ink inside the bitmap (edges may be blank)
        if not w or not h:
            return NO_GLYPH
        return Glyph(mask[y : y + h, x : x + w].copy(), slot.bitmap_left + x, y - slot.bitmap_top)

    def _table(self, path: str, index: int, size: int) -> dict[int, Glyph]:
        """Glyphs of one face at one size. The cache is bounded by bytes, whole tables at a
        time, oldest first: pages change font sizes, so old sizes are what goes stale."""
        key = (path, index, size)
        table = self._tables.get(key)
        if table is None:
            if self.glyph_bytes > self.max_bytes:
                for old in list(self._tables)[: max(1, len(self._tables) // 2)]:
                    del self._tables[old]
                    self.glyph_bytes -= self._table_bytes.pop(old)
            table = self._tables[key] = {}
            self._table_bytes[key] = 0
        return table

    def ink(self, path: str, index: int, size: int, shaped: Shaped) -> Ink:
        """The piece's coverage: the union (max) of its glyph bitmaps, relative to the pen."""
        table = self._table(path, index, size)
        placed = []
        face = None
        for gid, x, y in zip(shaped.glyphs, shaped.x, shaped.y, strict=True):
            glyph = table.get(gid)
            if glyph is None:
                if face is None:  # looked up once per piece: nothing else uses it meanwhile
                    face = self._ft_face(path, index, size)
                glyph = table[gid] = self._rasterise(face, gid)
                nbytes = 64 + (glyph.mask.nbytes if glyph.mask is not None else 0)
                self._table_bytes[(path, index, size)] += nbytes
                self.glyph_bytes += nbytes
            mask = glyph.mask
            if mask is None:
                continue
            # 26.6 origin rounded to the pixel grid, as FreeType-based renderers place glyphs
            gx, gy = ((x + 32) >> 6) + glyph.left, glyph.top - ((y + 32) >> 6)
            placed.append((mask, gx, gy))
        if not placed:
            return EMPTY_INK
        if len(placed) == 1:
            return Ink(placed[0][0], int(placed[0][1]), int(placed[0][2]))
        union = union_masks(placed)
        if union is None:
            return EMPTY_INK
        mask, x0, y0 = union
        return Ink(mask, int(x0), int(y0))

    def sizes(self) -> dict[str, int]:
        """Cache sizes, for reports and memory checks."""
        return {"glyphs": sum(len(t) for t in self._tables.values()),
                "glyph_tables": len(self._tables), "glyph_bytes": self.glyph_bytes,
                "ft_faces": len(self._ft_faces), "hb_fonts": len(self._hb_fonts),
                "hb_faces": len(self._hb_faces)}
