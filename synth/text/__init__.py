"""Text engine: shape, lay out and draw one line, and say exactly where every word's ink went.

How to draw a line and get its polygons (all scenes do it this way)::

    engine = TextEngine(registry)                      # one per worker; holds the caches
    style = TextStyle(chain=tuple(registry.chain("ar")), size=28, language="ar",
                      script="Arab", direction="rtl")  # direction: paragraph base ltr|rtl|ttb
    for text in engine.wrap(paragraph, style, max_width=600):   # ICU breaks, shaped widths
        layout = engine.layout_line(text, style)        # bidi runs, font runs, advances
        x = right_edge - layout.advance if style.direction == "rtl" else left_edge
        geometry = engine.draw_line(canvas, layout, (x, baseline_y), colour=(20, 20, 20))
        line = engine.line_label(layout, geometry, role="paragraph")   # synth.page.Line

`canvas` is an H x W x 3 uint8 array changed in place (or an H x W coverage mask, with
`colour=(255,)`, for handwriting imitation). The origin is the pen position: the left end of the
baseline for horizontal text, the top centre of the column for `ttb`.
`geometry.word_boxes` are tight to the ink each word drew (union over its font/bidi pieces);
`engine.line_geometry(layout, origin)` gives the same boxes without drawing, for planning.
`engine.width(text, style)` measures like the drawing does; `layout_line(..., justify=W)`
stretches the spaces to width W; `engine.text_extent` / `typical_extent` give ascent and
descent of real text for line spacing; `synth.scenes.draw_labelled_line` wraps all of this with
printed / handwriting-font / imitated-handwriting drawing.

Why pieces: a line is split into pieces of one font (registry itemisation: script fonts lack
digits and punctuation), one bidi level (Arabic with Latin and digits; FriBiDi levels, python-bidi
as fallback) and one word. Each piece is shaped by HarfBuzz (the shaper inside raqm) with its own
direction and the line's language, and placed at its visual position (UAX #9 rule L2 on
pieces); vertical pieces are cut into upright, sideways and tate-chu-yoko runs and shaped by
HarfBuzz `ttb` with the fonts' vertical forms (`synth.text.vertical`). Labels keep logical order; geometry follows the
drawing. A piece is shaped once for measuring and drawing, its mask is the union of glyph
bitmaps rasterised once per (face, size) (`synth.text.glyphs`), and masks of common words are
cached per (text, face, size, direction, language, bold); every cache is bounded and none can
change what is drawn. A character no font can draw raises `PolyglyphError` before anything is
drawn (no tofu, ever).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Hashable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import ImageFont

from fonts_manifest.errors import PolyglyphError
from synth.linebreak import fill_lines, word_spans
from synth.memo import MEMO_LANGUAGES
from synth.page import Line, Word, box_polygon
from synth.text.bidi import bidi_levels, visual_order
from synth.text.glyphs import EMPTY_INK, GLYPH_CACHE_BYTES, GlyphRasteriser, Shaped
from synth.text.model import (
    CONTROL_CHAR,
    Box,
    FontSource,
    LineGeometry,
    LineLayout,
    Piece,
    TextStyle,
    bold_sibling,
    clean_text,
    face_name,
)
from synth.text.paint import Ink, composite, paint_pieces
from synth.text.vertical import (
    MIXED_UPRIGHT,
    VERTICAL_KINDS,
    VerticalShaper,
    orientation_runs,
)

__all__ = [
    "FontSource", "Ink", "LineGeometry", "LineLayout", "Piece", "TextEngine", "TextStyle",
    "bidi_levels", "bold_sibling", "clean_text", "composite", "face_name", "visual_order",
]

WORD_OR_SPACE = re.compile(r"\s+|\S+")
CACHE_LIMIT = 40_000  # entries per text cache (shaped pieces ~0.6 KB each: ~25 MB at most)
INK_CACHE_BYTES = 16 << 20  # composed piece masks kept per engine (a worker's RSS matters)


def _ink_bytes(ink: Ink) -> int:
    """Rough memory of one cached piece mask: the array, plus the Ink, key and dict entry."""
    return 400 + (ink.mask.nbytes if ink.mask is not None else 0)


def _covers(coverage: Any, text: str) -> bool:
    """Whether a face's coverage maps every character of `text` (its own fast check when it
    has one, as `fonts_manifest.fontdb.Coverage` does)."""
    covers = getattr(coverage, "covers", None)
    if covers is not None:
        return bool(covers(text))
    return all(ord(c) in coverage for c in text)


def _forget_oldest_half(cache: dict[Any, Any]) -> None:
    """Bound a cache without losing the words a worker keeps drawing: dicts keep insertion
    order, so the older half goes and recent entries stay."""
    for key in list(itertools.islice(cache, len(cache) // 2)):
        del cache[key]


@lru_cache(maxsize=4)  # bounded: every open face maps its file again (110 faces were 150 MB of RSS)
def _bold_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont | None:
    bold = bold_sibling(path)
    if bold is None:
        return None
    return ImageFont.truetype(bold, size, index=index, layout_engine=ImageFont.Layout.RAQM)


class TextEngine:
    """Shaping with caches; one per worker (fonts and shaped pieces are reused across pages)."""

    def __init__(self, fonts: FontSource) -> None:
        self.fonts = fonts
        self.glyphs = GlyphRasteriser()
        self.vertical = VerticalShaper(self.glyphs)
        self._widths: dict[tuple[str, TextStyle], float] = {}
        self._shaped: dict[Hashable, Shaped | float] = {}  # float: a vertical piece's advance
        self._inks: dict[Hashable, Ink] = {}
        self.ink_bytes = 0
        self.ink_cache_bytes = INK_CACHE_BYTES
        self.cache_limit = CACHE_LIMIT
        self._items: dict[int, tuple[tuple[Any, ...], dict[str, list[tuple[str, Any]]]]] = {}
        self._item_count = 0  # texts in all of _items
        self._extents: dict[Hashable, tuple[float, float]] = {}

    # -- shaping ---------------------------------------------------------------------------

    def _font(self, face: Any, size: int, bold: bool = False, text: str = ""
              ) -> ImageFont.FreeTypeFont:
        if bold:
            strong = self._bold_face(face, text)
            if strong is not None:
                return self.fonts.pil_font(strong, size)
            font = _bold_font(str(getattr(face, "path", "")), int(getattr(face, "index", 0)), size)
            if font is not None:
                return font
        return self.fonts.pil_font(face, size)

    def _bold_face(self, face: Any, text: str) -> Any:
        """The family's bold face when the registry knows one that draws all of `text`."""
        finder = getattr(self.fonts, "emphasis_face", None)
        return finder(face, "bold", text) if finder is not None and text else None

    def _face_file(self, face: Any, bold: bool, text: str = "") -> tuple[str, int]:
        """(path, index) of the file drawing `face`: the family's bold face (or the file's
        Bold sibling) when asked for and installed (the same rule as `_font`)."""
        path, index = str(getattr(face, "path", "")), int(getattr(face, "index", 0))
        if bold:
            strong = self._bold_face(face, text)
            if strong is not None:
                return str(strong.path), int(strong.index)
            path = bold_sibling(path) or path
        return path, index

    def _shape(self, text: str, face: Any, size: int, direction: str, language: str,
               bold: bool) -> Shaped | float:
        """A piece shaped once for both measuring and drawing (vertical: Pillow's advance)."""
        key = (text, face, size, direction, language, bold)
        value = self._shaped.get(key)
        if value is None:
            if len(self._shaped) > self.cache_limit:
                _forget_oldest_half(self._shaped)
            if direction in VERTICAL_KINDS:
                path, index = self._face_file(face, bold, text)
                value = self.vertical.advance(path, index, size, text, direction, language)
            else:
                path, index = self._face_file(face, bold, text)
                value = self.glyphs.shape(path, index, size, text, direction, language)
            self._shaped[key] = value
        return value

    def advance(self, text: str, face: Any, size: int, direction: str, language: str,
                bold: bool = False) -> float:
        value = self._shape(text, face, size, direction, language, bold)
        return value if isinstance(value, float) else value.advance

    def ink(self, text: str, face: Any, size: int, direction: str, language: str,
            bold: bool = False) -> Ink:
        """Shaped coverage of one piece, relative to the pen (left/baseline, or top-centre)."""
        key = (text, face, size, direction, language, bold)
        value = self._inks.get(key)
        if value is None:
            if not text.strip():
                value = EMPTY_INK
            elif direction in VERTICAL_KINDS:
                path, index = self._face_file(face, bold, text)
                value = self.vertical.ink(path, index, size, text, direction, language)
            else:
                shaped = self._shape(text, face, size, direction, language, bold)
                path, index = self._face_file(face, bold, text)
                value = self.glyphs.ink(path, index, size, shaped)
            if self.ink_bytes > self.ink_cache_bytes:
                self._forget_oldest_inks()
            self._inks[key] = value
            self.ink_bytes += _ink_bytes(value)
        return value

    def _forget_oldest_inks(self) -> None:
        for key in list(itertools.islice(self._inks, len(self._inks) // 2)):
            self.ink_bytes -= _ink_bytes(self._inks.pop(key))

    def fit_to_languages(self, count: int) -> None:
        """Bounds for a run over `count` languages. Pieces, widths, inks and glyphs are
        per language and font: a run over more languages than a worker's memo keeps
        (`synth.memo`) rarely meets a language's entries again before they age out, so it
        keeps a quarter (at 384 default rows these caches were ~80 MiB of live heap and
        still filling: shaped 28, glyph tables 19, inks 15, widths 6.5, items 4.3)."""
        share = 4 if count > MEMO_LANGUAGES else 1
        self.cache_limit = CACHE_LIMIT // share
        self.ink_cache_bytes = INK_CACHE_BYTES // share
        self.glyphs.max_bytes = GLYPH_CACHE_BYTES // share

    def cache_sizes(self) -> dict[str, int]:
        """Entries and bytes held by the shaping caches (memory reports)."""
        return {"widths": len(self._widths), "pieces": len(self._shaped), "inks": len(self._inks),
                "ink_bytes": self.ink_bytes, "items": sum(len(e[1]) for e in self._items.values()),
                **self.glyphs.sizes()}

    def itemize(self, text: str, style: TextStyle) -> list[tuple[str, Any]]:
        """Font runs for `text`; a character no font of the chain has is a user-facing error."""
        # Keyed by the chain object (hashing a tuple of faces on every call was most of the
        # cost); the entry holds the chain, so its id cannot be reused while it is cached.
        # Bounded by all texts over all chains (cache_limit), not per chain: a default run
        # (every language) makes new chains all the time, and its items grew by ~170 a row
        # (~20 MiB by row 512); most hits come within a page, from the chains made last.
        chain = style.chain
        entry = self._items.get(id(chain))
        if entry is None or entry[0] is not chain:
            if len(self._items) > 256:
                _forget_oldest_half(self._items)
                self._item_count = sum(len(e[1]) for e in self._items.values())
            entry = self._items[id(chain)] = (chain, {})
        runs = entry[1].get(text)
        if runs is None:
            if self._item_count >= self.cache_limit:
                _forget_oldest_half(self._items)
                if self._items.get(id(chain)) is not entry:  # it was among the oldest
                    entry = self._items[id(chain)] = (chain, {})
                if len(entry[1]) >= self.cache_limit // 2:  # one chain holds most of them
                    _forget_oldest_half(entry[1])
                self._item_count = sum(len(e[1]) for e in self._items.values())
            self._item_count += 1
            first = self._first_face_coverage(chain)
            try:
                if first is not None and text and _covers(first, text):
                    # the preferred face draws every character: the one run the registry's
                    # itemisation gives too, without segmenting grapheme clusters
                    runs = [(text, chain[0])]
                else:
                    runs = self.fonts.itemize(text, list(chain))
            except Exception as exc:  # MissingGlyphError and friends: name the language
                raise PolyglyphError(f"language {style.language!r}: {exc}") from exc
            entry[1][text] = runs
        return runs

    def _first_face_coverage(self, chain: tuple[Any, ...]) -> frozenset[int] | None:
        coverage = getattr(self.fonts, "coverage", None)
        return coverage(chain[0]) if coverage is not None and chain else None

    def shaped_pieces(self) -> list[tuple[str, Any]]:
        """(text, face) of every piece shaped for drawing so far (for no-tofu audits)."""
        return [(key[0], key[1]) for key in self._inks]

    def metrics(self, style: TextStyle) -> tuple[int, int]:
        """(ascent, descent) of the preferred face: the line box used for spacing."""
        path, index = self._face_file(style.chain[0], style.bold)
        return self.glyphs.metrics(path, index, style.size)

    def text_extent(self, text: str, style: TextStyle) -> tuple[float, float]:
        """(ascent, descent) of the glyph boxes of `text` around the baseline, without drawing.

        Script fonts declare very tall line metrics; spacing lines by real glyph extents keeps
        Arabic or Myanmar pages as dense as Latin ones.
        """
        key = ("extent", text, style)
        cached = self._extents.get(key)
        if cached is not None:
            return cached
        ascent = descent = 0.0
        direction = "ttb" if style.direction == "ttb" else style.direction
        for run_text, face in self.itemize(text, style):
            if not run_text.strip():
                continue
            font = self._font(face, style.size, style.bold, run_text)
            box = font.getbbox(run_text, direction=direction, language=style.language or None,
                               anchor="mt" if direction == "ttb" else "ls")
            ascent, descent = max(ascent, -float(box[1])), max(descent, float(box[3]))
        self._extents[key] = (ascent, descent)
        return ascent, descent

    def typical_extent(self, text: str, style: TextStyle, quantile: float = 0.9
                       ) -> tuple[float, float]:
        """(ascent, descent) that `quantile` of the words of `text` stay within, at style.size.

        For line spacing: the tallest stacked mark in a corpus (Naskh, Tibetan) would spread
        every line apart, while typical words set the rhythm a typesetter would use. Measured
        once per font chain at a reference size and scaled, so new sizes cost nothing.
        """
        key = ("typical", text, style.chain, style.bold, style.direction, style.language,
               quantile)
        ratios = self._extents.get(key)
        if ratios is None:
            reference = replace(style, size=64)
            extents = [self.text_extent(word, reference) for word in text.split()[:40]]
            extents = [e for e in extents if e[0] + e[1] > 0] or [self.text_extent(text,
                                                                                    reference)]
            ascents = sorted(e[0] for e in extents)
            descents = sorted(e[1] for e in extents)
            pick = min(len(extents) - 1, int(quantile * len(extents)))
            ratios = (ascents[pick] / 64.0, descents[pick] / 64.0)
            self._extents[key] = ratios
        return ratios[0] * style.size, ratios[1] * style.size

    # -- measuring and breaking ------------------------------------------------------------

    def width(self, text: str, style: TextStyle) -> float:
        """Pen advance of `text` as the engine would draw it (sum of its shaped pieces).

        Runs are measured word by word and space by space, the same strings `layout_line` will
        shape, so laying a line out after wrapping it finds every advance in the cache.
        """
        key = (text, style)
        total = self._widths.get(key)
        if total is None:
            total = 0.0
            chunks = WORD_OR_SPACE.findall(text)
            if len(chunks) > 1:  # a line: the sum of its words and spaces, each cached
                for chunk in chunks:
                    total += self.width(chunk, style)
            else:
                direction = style.direction
                if direction == "ttb" and style.upright_latin:
                    direction = MIXED_UPRIGHT
                for run_text, face in self.itemize(text, style):
                    total += self.advance(run_text, face, style.size, direction,
                                          style.language, style.bold)
            if len(self._widths) > self.cache_limit:
                _forget_oldest_half(self._widths)
            self._widths[key] = total
        return total

    def chunk_runs(self, text: str, style: TextStyle) -> list[tuple[str, Any]]:
        """Font runs of `text`, itemised word by word and space by space.

        Runs never cross a space, so a line re-uses the itemisation and advances its words got
        while the paragraph was wrapped (a whole line is new text every time).
        """
        runs: list[tuple[str, Any]] = []
        for chunk in WORD_OR_SPACE.findall(text):
            runs.extend(self.itemize(chunk, style))
        return runs

    def wrap(self, paragraph: str, style: TextStyle, max_width: float) -> list[str]:
        """Lines of `paragraph` (logical order) that each fit `max_width` when drawn."""
        return fill_lines(
            paragraph, style.language, max_width, lambda s: self.width(s, style)
        )

    # -- layout ----------------------------------------------------------------------------

    def layout_line(self, text: str, style: TextStyle, justify: float | None = None,
                    emphasis: tuple[float, int, str] | None = None) -> LineLayout:
        """Split one line into pieces, order them visually and give each its pen offset.

        `justify`: stretch the spaces so the line is exactly this long (justified text); lines
        without spaces, or already as long, keep their natural spacing.
        `emphasis`: (position 0..1, word count, "bold" | "italic"): those words are set in the
        family's bold or italic face where it has one that draws them (an emphasis run inside
        the line; the label text is unchanged, word boxes follow the ink).
        """
        control = CONTROL_CHAR.search(text)
        if control is not None:
            raise PolyglyphError(
                f"language {style.language!r}: control character U+{ord(control.group()):04X} "
                "in text to draw (clean it with synth.text.clean_text)"
            )
        words = word_spans(text, style.language, style.script)
        vertical = style.direction == "ttb"
        levels = [0] * len(text) if vertical else bidi_levels(text, style.direction == "rtl")

        # A piece ends wherever the font run, the word (or space) or the bidi level changes.
        runs: list[tuple[int, Any]] = []  # (end, face) of each font run
        cuts = {0}
        for run_text, face in self.chunk_runs(text, style):
            end = (runs[-1][0] if runs else 0) + len(run_text)
            runs.append((end, face))
            cuts.add(end)
        for start, end in words:
            cuts.add(start)
            cuts.add(end)
        if any(levels):
            cuts.update(k for k in range(1, len(text)) if levels[k] != levels[k - 1])
        kinds: list[str] = []  # vertical lines: each character's orientation (line context)
        if vertical:
            for start, end, kind in orientation_runs(text, style.upright_latin):
                cuts.update((start, end))
                kinds.extend([kind] * (end - start))
        bounds = sorted(cuts)
        pieces: list[tuple[int, int, Any, int]] = []  # logical (start, end, face, word)
        run_index = word_index = 0
        for start, end in zip(bounds, bounds[1:], strict=False):
            while runs[run_index][0] <= start:
                run_index += 1
            while word_index < len(words) and words[word_index][1] <= start:
                word_index += 1
            inside = word_index < len(words) and words[word_index][0] <= start
            pieces.append((start, end, runs[run_index][1], word_index if inside else -1))

        if emphasis is not None and words:
            pieces = self._emphasised(text, pieces, len(words), emphasis)
        order = visual_order([levels[p[0]] for p in pieces])
        placed: list[Piece] = []
        pen = 0.0
        for index in order:
            start, end, face, word = pieces[index]
            piece_text = text[start:end]
            direction = kinds[start] if vertical else ("rtl" if levels[start] % 2 else "ltr")
            adv = self.advance(piece_text, face, style.size, direction, style.language, style.bold)
            placed.append(Piece(start, end, piece_text, face, direction, pen, adv, word))
            pen += adv
        spaces = [k for k, p in enumerate(placed) if p.word < 0]
        if justify is not None and justify > pen and spaces:
            extra = (justify - pen) / len(spaces)
            stretched, pen = [], 0.0
            for piece in placed:
                adv = piece.advance + (extra if piece.word < 0 else 0.0)
                stretched.append(Piece(piece.start, piece.end, piece.text, piece.face,
                                       piece.direction, pen, adv, piece.word))
                pen += adv
            placed = stretched
        return LineLayout(text=text, style=style, pieces=placed, advance=pen, words=words)

    def _emphasised(self, text: str, pieces: list[tuple[int, int, Any, int]], count: int,
                    emphasis: tuple[float, int, str]) -> list[tuple[int, int, Any, int]]:
        """Pieces of the chosen words with their face swapped for its emphasis face."""
        where, span, kind = emphasis
        first = min(count - 1, int(float(where) * count))
        chosen = range(first, min(count, first + max(1, int(span))))
        finder = getattr(self.fonts, "emphasis_face", None)
        if finder is None:
            return pieces
        out = []
        for start, end, face, word in pieces:
            if word in chosen:
                face = finder(face, kind, text[start:end]) or face
            out.append((start, end, face, word))
        return out

    # -- geometry and drawing --------------------------------------------------------------

    def _piece_pen(self, piece: Piece, layout: LineLayout, origin: tuple[float, float]
                   ) -> tuple[int, int]:
        ox, oy = origin
        if layout.style.direction == "ttb":
            return int(round(ox)), int(round(oy + piece.offset))
        return int(round(ox + piece.offset)), int(round(oy))

    def line_geometry(self, layout: LineLayout, origin: tuple[float, float]) -> LineGeometry:
        """Ink-tight word boxes and the line polygon, without drawing."""
        return self._geometry(layout, origin, None, (0, 0, 0), 1.0)

    def draw_line(self, canvas: np.ndarray, layout: LineLayout, origin: tuple[float, float],
                  colour: Sequence[int] = (0, 0, 0), opacity: float = 1.0) -> LineGeometry:
        """Draw every piece at its visual position into `canvas`; return where the ink went."""
        return self._geometry(layout, origin, canvas, colour, opacity)

    def _geometry(self, layout: LineLayout, origin: tuple[float, float],
                  canvas: np.ndarray | None, colour: Sequence[int], opacity: float
                  ) -> LineGeometry:
        style = layout.style
        word_boxes: list[list[float] | None] = [None] * len(layout.words)
        placed: list[tuple[Ink, int, int]] = []
        for piece in layout.pieces:
            ink = self.ink(piece.text, piece.face, style.size, piece.direction, style.language,
                           style.bold)
            if ink.mask is None:
                continue
            px, py = self._piece_pen(piece, layout, origin)
            placed.append((ink, px, py))
            if piece.word < 0:
                continue
            h, w = ink.mask.shape
            box = [px + ink.x, py + ink.y, px + ink.x + w, py + ink.y + h]
            current = word_boxes[piece.word]
            if current is None:
                word_boxes[piece.word] = box
            else:
                current[0], current[1] = min(current[0], box[0]), min(current[1], box[1])
                current[2], current[3] = max(current[2], box[2]), max(current[3], box[3])
        if canvas is not None and placed:
            paint_pieces(canvas, placed, colour, opacity)
        inked = [b for b in word_boxes if b is not None]
        if inked:
            line_box = (min(b[0] for b in inked), min(b[1] for b in inked),
                        max(b[2] for b in inked), max(b[3] for b in inked))
        else:
            line_box = self._advance_box(layout, origin)
        boxes = [(float(b[0]), float(b[1]), float(b[2]), float(b[3])) if b is not None else None
                 for b in word_boxes]
        line_box = (float(line_box[0]), float(line_box[1]), float(line_box[2]),
                    float(line_box[3]))
        return LineGeometry(polygon=box_polygon(*line_box), box=line_box, word_boxes=boxes)

    def _advance_box(self, layout: LineLayout, origin: tuple[float, float]) -> Box:
        ascent, descent = self.metrics(layout.style)
        ox, oy = origin
        if layout.style.direction == "ttb":
            half = layout.style.size / 2
            return (ox - half, oy, ox + half, oy + max(layout.advance, 1.0))
        return (ox, oy - ascent, ox + max(layout.advance, 1.0), oy + descent)

    def line_label(self, layout: LineLayout, geometry: LineGeometry, *, role: str = "paragraph",
                   style: str = "printed", line_index: int = 0) -> Line:
        """The label-tree `Line` for a drawn line (words without ink get no Word)."""
        words = [
            Word(text=layout.text[s:e], polygon=box_polygon(*box), line_index=line_index)
            for (s, e), box in zip(layout.words, geometry.word_boxes, strict=True)
            if box is not None
        ]
        faces = []
        drawn: dict[str, int] = {}  # family -> characters its pieces drew
        for piece in layout.pieces:
            name = face_name(piece.face)
            if piece.word >= 0:
                if name not in faces:
                    faces.append(name)
                family = str(getattr(piece.face, "family", ""))
                drawn[family] = drawn.get(family, 0) + piece.end - piece.start
        return Line(
            text=layout.text,
            polygon=geometry.polygon,
            quad=[list(p) for p in geometry.polygon],
            language=layout.style.language,
            script=layout.style.script,
            direction=layout.style.direction,
            font="+".join(faces),
            font_family=max(drawn, key=drawn.__getitem__) if drawn else "",
            style=style,
            role=role,
            size=float(layout.style.size),
            words=words,
        )
