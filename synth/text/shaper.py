"""Shaping, itemising and measuring text, with the caches a worker keeps across pages.

`synth.text.TextEngine` lays lines out and draws them on top of this: everything here answers
"which font draws these characters, how wide is this piece, what ink does it make" and keeps
the answer, so a word met again on the next page costs a dictionary look-up. Every cache is
bounded (`fit_to_languages` shrinks them for runs over many languages) and none can change what
is drawn: a cached piece is the same piece shaped again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Hashable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from PIL import ImageFont

from fonts_manifest.errors import PolyglyphError
from synth.linebreak import fill_lines
from synth.memo import MEMO_LANGUAGES
from synth.text.glyphs import EMPTY_INK, GLYPH_CACHE_BYTES, GlyphRasteriser, Shaped
from synth.text.model import FontSource, TextStyle, bold_sibling
from synth.text.paint import Ink
from synth.text.vertical import MIXED_UPRIGHT, VERTICAL_KINDS, VerticalShaper

WORD_OR_SPACE = re.compile(r"\s+|\S+")
CACHE_LIMIT = 40_000  # entries per text cache (shaped pieces ~0.6 KB each: ~25 MB at most)
INK_CACHE_BYTES = 16 << 20  # composed piece masks kept per engine (a worker's RSS matters)
# text extents (ascent, descent) kept: keys are handwritten lines' texts and typical words per
# chain, so the dict grew by ~23 entries (~7 KB) a row for as long as a worker lived (4,544
# entries after 200 rows of the end-to-end config, ~310 B each); hits come from recent pages
EXTENT_LIMIT = 4096
# what a run over more languages than a worker's memo keeps of each cache (`fit_to_languages`)
MANY_LANGUAGES_SHARE = 8
MANY_LANGUAGES_EXTENT_SHARE = 4


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

class Shaper:
    """Shaping, itemising and measuring with caches; `TextEngine` adds layout and drawing."""

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
        self.extent_limit = EXTENT_LIMIT

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
        keeps an eighth (at 384 default rows these caches were ~80 MiB of live heap and
        still filling: shaped 28, glyph tables 19, inks 15, widths 6.5, items 4.3), and a
        quarter of the text extents. A quarter was kept until issue 22's figures: an eighth
        lowered the mean RSS of rows 256-511 of the issue's run by 10 MiB (316 -> 306) at the
        same CPU (the figures are in the commit that made it an eighth)."""
        many = count > MEMO_LANGUAGES
        share = MANY_LANGUAGES_SHARE if many else 1
        self.cache_limit = CACHE_LIMIT // share
        self.ink_cache_bytes = INK_CACHE_BYTES // share
        self.glyphs.max_bytes = GLYPH_CACHE_BYTES // share
        self.extent_limit = EXTENT_LIMIT // (MANY_LANGUAGES_EXTENT_SHARE if many else 1)

    def cache_sizes(self) -> dict[str, int]:
        """Entries and bytes held by the shaping caches (memory reports)."""
        return {"widths": len(self._widths), "pieces": len(self._shaped), "inks": len(self._inks),
                "ink_bytes": self.ink_bytes, "items": sum(len(e[1]) for e in self._items.values()),
                "extents": len(self._extents),
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
            box = font.getbbox(run_text, direction=direction,
                               language=style.shaping_language or None,
                               anchor="mt" if direction == "ttb" else "ls")
            ascent, descent = max(ascent, -float(box[1])), max(descent, float(box[3]))
        self._remember_extent(key, (ascent, descent))
        return ascent, descent

    def _remember_extent(self, key: Hashable, value: tuple[float, float]) -> None:
        if len(self._extents) >= self.extent_limit:
            _forget_oldest_half(self._extents)
        self._extents[key] = value

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
            self._remember_extent(key, ratios)
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
                                          style.shaping_language, style.bold)
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
