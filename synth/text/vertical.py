"""Vertical (top-to-bottom) pieces: CJK upright with vertical glyph forms, Latin turned sideways,
short digit runs set across the column (tate-chu-yoko).

Why not Pillow/raqm (which drew `ttb` pieces before): raqm dropped the `vert` forms of brackets
inside a run with ideographs (「値し」 came out with horizontal 「」, readable as ┌ by Tesseract's
vertical models), and it set every ASCII letter and digit upright on a full em (1983 ran over
four ems with gaps). Here each piece is cut into orientation runs after UTR #50 in its common
simplification:

* upright (`ttb-up`): wide and fullwidth characters (ideographs, kana, CJK punctuation, fullwidth
  forms) and East Asian ambiguous non-letters (…, ※, ○). Shaped by HarfBuzz in the `ttb`
  direction, which applies the font's `vert`/`vrt2` forms: 、。 sit at the top right of their
  em, 「」（） turn, ー and … run along the column. A face without some of those forms has
  them made from its own horizontal glyph (`synth.text.vertforms`).
* tate-chu-yoko (`ttb-tcy`): a run of one or two ASCII digits standing between upright text,
  set horizontally in the font's half-width forms and centred on one em (what JIS X 4051 does
  with two-digit numbers).
* sideways (`ttb-r`): everything else (Latin words, longer numbers, ASCII punctuation,
  spaces) is set as a horizontal run turned a quarter clockwise, its em box centred on the
  column, glyph tops facing right, as Japanese and Chinese books set Latin text. A style with
  `upright_latin` sets those runs upright instead, a character per em (the other convention,
  common for acronyms and in newspapers); spaces stay narrow either way.

Geometry: the pen is the top centre of the column, y grows down the page. An upright glyph's
placement comes from HarfBuzz's vertical origin (the font's VORG/vmtx); the sideways centre
line is that origin's baseline distance, so Latin and ideographs share one column axis.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np
import uharfbuzz as hb

from synth.text import vertforms
from synth.text.glyphs import EMPTY_INK, GlyphRasteriser, Shaped
from synth.text.paint import Ink, union_masks

UPRIGHT, SIDEWAYS, TCY = "ttb-up", "ttb-r", "ttb-tcy"  # a laid-out piece's exact kind
# measuring text not yet cut into runs (line breaking): "ttb" splits it as a `mixed` line would,
# "ttb-u" as an `upright_latin` one
MIXED, MIXED_UPRIGHT = "ttb", "ttb-u"
VERTICAL_KINDS = frozenset({UPRIGHT, SIDEWAYS, TCY, MIXED, MIXED_UPRIGHT})
TCY_MAX = 2  # digits set across the column; longer numbers turn sideways


@lru_cache(maxsize=8192)
def upright(char: str) -> bool:
    """Whether a character stands upright in a vertical line (UTR #50 U/Tu/Tr, simplified)."""
    width = unicodedata.east_asian_width(char)
    if width in ("W", "F", "H"):
        return True
    return width == "A" and not unicodedata.category(char).startswith(("L", "Z"))


def orientation_runs(text: str, upright_latin: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, kind) runs of `text`: upright, sideways, or tate-chu-yoko digits.
    `upright_latin`: runs that would turn sideways stand upright instead (one em a character,
    the `vert` forms where the font has them); short digit runs stay tate-chu-yoko."""
    runs: list[tuple[int, int, str]] = []
    start = 0
    classes = [_class(c) for c in text]
    for k in range(1, len(text) + 1):
        if k == len(text) or classes[k] != classes[start]:
            chunk = text[start:k]
            kind = UPRIGHT if classes[start] == "upright" else SIDEWAYS
            if classes[start] == "other":
                if len(chunk) <= TCY_MAX and chunk.isascii() and chunk.isdigit():
                    kind = TCY
                elif upright_latin:
                    kind = UPRIGHT
            runs.append((start, k, kind))
            start = k
    return runs


def _class(char: str) -> str:
    """upright, space (always narrow and sideways) or other (Latin, digits, ASCII marks)."""
    if char.isspace():
        return "space"
    return "upright" if upright(char) else "other"


def _hb_buffer(font: Any, text: str, language: str, direction: str,
               features: dict[str, bool] | None = None) -> Any:
    """`text` shaped by HarfBuzz as one run in `direction` (the shaped buffer)."""
    buf = hb.Buffer()
    buf.add_str(text)
    buf.direction = direction
    if language:
        buf.language = language
    buf.guess_segment_properties()
    hb.shape(font, buf, features or {})
    return buf


def _hb_run(font: Any, text: str, language: str, direction: str,
            features: dict[str, bool] | None = None) -> Shaped:
    """One HarfBuzz run laid along its own axis, origins as `Shaped` wants them (26.6): `ttb`
    pens run down from the top centre (y up, so negative), `ltr` pens run right."""
    buf = _hb_buffer(font, text, language, direction, features)
    down = direction == "ttb"
    glyphs, xs, ys = [], [], []
    pen = 0
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        glyphs.append(info.codepoint)
        xs.append(pos.x_offset if down else pen + pos.x_offset)
        ys.append(pen + pos.y_offset if down else pos.y_offset)
        pen += pos.y_advance if down else pos.x_advance
    return Shaped(tuple(glyphs), tuple(xs), tuple(ys), (-pen if down else pen) / 64.0)


def _upright_shaped(font: Any, text: str, language: str) -> Shaped:
    """HarfBuzz `ttb` shaping; origins as `Shaped` wants them (26.6, y up, pen at top centre)."""
    return _hb_run(font, text, language, "ttb")


def _tcy_shaped(font: Any, text: str, language: str) -> Shaped:
    """Tate-chu-yoko digits shaped horizontally with the font's half-width forms (`hwid`), as
    typesetters set them: two digits fill one em (Noto CJK's proportional 88 is 1.12 em wide,
    wider than the column). Fonts without `hwid` keep their proportional digits."""
    return _hb_run(font, text, language, "ltr", {"hwid": True})


def _baseline_drop(font: Any) -> float:
    """Pixels from the top of an upright em to its baseline (HarfBuzz's vertical origin)."""
    return float(font.get_glyph_v_origin(0)[1]) / 64.0


class VerticalShaper:
    """Measures and draws vertical pieces with a worker's `GlyphRasteriser` (its caches)."""

    def __init__(self, glyphs: GlyphRasteriser) -> None:
        self.glyphs = glyphs
        # (path, index, language, script) -> character -> its horizontal glyph id (bounded:
        # the few characters of vertforms.NEEDS_FORM for each face and language drawn)
        self._flat: dict[tuple[str, int, str, str], dict[str, int]] = {}

    def advance(self, path: str, index: int, size: int, text: str, kind: str,
                language: str) -> float:
        """Length down the column; `kind` "ttb" on mixed text measures each run as drawn."""
        total = 0.0
        for start, end, run_kind in self._runs(text, kind):
            total += self._run_advance(path, index, size, text[start:end], run_kind, language)
        return total

    def ink(self, path: str, index: int, size: int, text: str, kind: str, language: str
            ) -> Ink:
        """Coverage of the piece relative to its pen (top centre of the column)."""
        placed: list[tuple[np.ndarray, int, int]] = []
        pen = 0.0
        for start, end, run_kind in self._runs(text, kind):
            run = text[start:end]
            ink = self._run_ink(path, index, size, run, run_kind, language)
            if ink.mask is not None:
                placed.append((ink.mask, ink.x, ink.y + int(round(pen))))
            pen += self._run_advance(path, index, size, run, run_kind, language)
        union = union_masks(placed) if placed else None
        if union is None:
            return EMPTY_INK
        mask, x0, y0 = union
        return Ink(mask, int(x0), int(y0))

    @staticmethod
    def _runs(text: str, kind: str) -> list[tuple[int, int, str]]:
        if kind in (UPRIGHT, SIDEWAYS, TCY):  # the layout already decided (line context)
            return [(0, len(text), kind)]
        return orientation_runs(text, kind == MIXED_UPRIGHT)

    def _run_advance(self, path: str, index: int, size: int, run: str, kind: str,
                     language: str) -> float:
        if kind == TCY:
            return float(size)
        if kind == SIDEWAYS:
            return self.glyphs.shape(path, index, size, run, "ltr", language).advance
        return _upright_shaped(self.glyphs.hb_font(path, index, size), run, language).advance

    def _run_ink(self, path: str, index: int, size: int, run: str, kind: str, language: str
                 ) -> Ink:
        font = self.glyphs.hb_font(path, index, size)
        if kind == UPRIGHT:
            if vertforms.may_need(run):
                return self._upright_forms_ink(path, index, size, font, run, language)
            return self.glyphs.ink(path, index, size, _upright_shaped(font, run, language))
        shaped = _tcy_shaped(font, run, language) if kind == TCY else self.glyphs.shape(
            path, index, size, run, "ltr", language)
        ink = self.glyphs.ink(path, index, size, shaped)
        if ink.mask is None:
            return EMPTY_INK
        drop = _baseline_drop(font)
        if kind == TCY:  # across the column, centred, on the upright baseline
            return Ink(ink.mask, ink.x - int(round(shaped.advance / 2)), ink.y + int(round(drop)))
        # a quarter turn clockwise: (x, y) -> (c - y, x), c centring the em box on the axis
        h, _ = ink.mask.shape
        centre = size / 2.0 - drop  # the em box's middle, relative to the baseline (y down)
        turned = np.ascontiguousarray(np.rot90(ink.mask, k=-1))
        return Ink(turned, int(round(centre - (ink.y + h))), ink.x)

    def _upright_forms_ink(self, path: str, index: int, size: int, font: Any, run: str,
                           language: str) -> Ink:
        """An upright run whose characters may want vertical forms: glyphs the face has a
        form for are drawn as HarfBuzz placed them, the others (the same glyph as when the run
        is shaped horizontally, `locl` forms included) are made from that horizontal glyph
        (`synth.text.vertforms`). Same glyphs and pens as `_upright_shaped` otherwise, so the
        advance and every other glyph stay as they were."""
        down = _hb_buffer(font, run, language, "ttb")
        # a run of punctuation only has no script (down.script is None): its characters are
        # shaped with none, never with the text "None" (an unknown script tag to HarfBuzz)
        flats = self._flat_glyphs(path, index, font, run, language, down.script or "")
        glyphs, xs, ys = [], [], []
        made: list[tuple[np.ndarray, int, int]] = []
        pen = 0
        for info, pos in zip(down.glyph_infos, down.glyph_positions, strict=True):
            char = run[info.cluster]
            how = vertforms.fallback(char, language) if char in vertforms.NEEDS_FORM else None
            if how is None:
                glyphs.append(info.codepoint)
                xs.append(pos.x_offset)
                ys.append(pen + pos.y_offset)
                pen += pos.y_advance
                continue
            flat = flats.get(char)
            centre = ((pos.x_offset + font.get_glyph_h_advance(info.codepoint) / 2) / 64,
                      -(pen + pos.y_advance / 2) / 64)  # the cell's centre, y down
            if how == "centre" and flat is not None:
                # a mark drawn centred is kept (Noto TC's own vertical form, UKai's horizontal
                # one); a raised one (a Simplified or Japanese face's `vert` knows one
                # convention) gives way to the horizontal mark, centred
                if vertforms.centred(self._glyph_ink(path, index, size, info.codepoint, pos,
                                                     pen), *centre, size):
                    how = None
            elif info.codepoint != flat:
                how = None  # the face's own vertical form
            if how is not None and flat is not None:
                ink = vertforms.place(self._glyph_ink(path, index, size, flat, pos, pen), how,
                                      *centre, size)
                if ink.mask is not None:
                    made.append((ink.mask, ink.x, ink.y))
            else:
                glyphs.append(info.codepoint)
                xs.append(pos.x_offset)
                ys.append(pen + pos.y_offset)
            pen += pos.y_advance
        rest = self.glyphs.ink(path, index, size, Shaped(tuple(glyphs), tuple(xs), tuple(ys),
                                                          -pen / 64.0))
        if not made:  # the face has every form: exactly the plain path's ink
            return rest
        if rest.mask is not None:
            made.append((rest.mask, rest.x, rest.y))
        union = union_masks(made)
        if union is None:
            return EMPTY_INK
        mask, x0, y0 = union
        return Ink(mask, int(x0), int(y0))

    def _flat_glyphs(self, path: str, index: int, font: Any, run: str, language: str,
                     script: str) -> dict[str, int]:
        """Horizontal glyph (`locl` forms included) of each character of `run` that may want
        a vertical form, kept per face, language and the run's script ("" for none). Each is
        shaped alone with that script, so the answer never depends on which run met it first."""
        known = self._flat.setdefault((path, index, language, script), {})
        for char in vertforms.NEEDS_FORM.intersection(run).difference(known):
            buf = hb.Buffer()
            buf.add_str(char)
            buf.direction = "ltr"
            if script:
                buf.script = script
            if language:
                buf.language = language
            hb.shape(font, buf, {})
            known[char] = buf.glyph_infos[0].codepoint if buf.glyph_infos else 0
        return known

    def _glyph_ink(self, path: str, index: int, size: int, gid: int, pos: Any, pen: int
                   ) -> Ink:
        """One glyph's ink where HarfBuzz placed the upright glyph at `pos` (pen in 26.6)."""
        one = Shaped((gid,), (pos.x_offset,), (pen + pos.y_offset,), 0.0)
        return self.glyphs.ink(path, index, size, one)
