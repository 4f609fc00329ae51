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
cached per (text, face, size, direction, language, bold) (`synth.text.shaper`, the caching half
of the engine: itemising, shaping, measuring); every cache is bounded and none can change what
is drawn. A character no font can draw raises `PolyglyphError` before anything is
drawn (no tofu, ever).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth.linebreak import word_spans
from synth.page import Line, Word, box_polygon
from synth.text.bidi import bidi_levels, visual_order
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
from synth.text.shaper import Shaper
from synth.text.vertical import orientation_runs

__all__ = [
    "FontSource", "Ink", "LineGeometry", "LineLayout", "Piece", "TextEngine", "TextStyle",
    "bidi_levels", "bold_sibling", "clean_text", "composite", "face_name", "visual_order",
]


class TextEngine(Shaper):
    """Lines shaped, laid out, drawn and labelled; one per worker (its `Shaper` caches fonts
    and shaped pieces across pages)."""

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
            adv = self.advance(piece_text, face, style.size, direction, style.shaping_language,
                               style.bold)
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

    def line_geometry(self, layout: LineLayout, origin: tuple[float, float]) -> LineGeometry:
        """Ink-tight word boxes and the line polygon, without drawing."""
        return self._geometry(layout, origin, None, (0, 0, 0), 1.0)

    def draw_line(self, canvas: np.ndarray, layout: LineLayout, origin: tuple[float, float],
                  colour: Sequence[int] = (0, 0, 0), opacity: float = 1.0) -> LineGeometry:
        """Draw every piece at its visual position into `canvas`; return where the ink went."""
        return self._geometry(layout, origin, canvas, colour, opacity)

    def line_extent(self, layout: LineLayout) -> tuple[float, float]:
        """(top, bottom) of the line's ink box when drawn at origin (0, 0): exactly
        `line_geometry(layout, (0.0, 0.0)).box[1::2]`, without the word boxes and polygons.

        Planning (settling a line on the ink above it) needs only this; the inks it looks up
        stay with the layout for drawing, so the line's geometry pass runs once, when drawn.
        """
        top = bottom = None
        vertical = layout.style.direction == "ttb"
        for piece, ink in zip(layout.pieces, self._piece_inks(layout), strict=True):
            mask = ink.mask
            if mask is None or piece.word < 0:
                continue
            # as `_geometry` places it: the pen on whole pixels, row round(0) = 0 across
            y0 = ink.y + (int(round(piece.offset)) if vertical else 0)
            y1 = y0 + mask.shape[0]
            if top is None or y0 < top:
                top = y0
            if bottom is None or y1 > bottom:
                bottom = y1
        if top is None or bottom is None:
            box = self._advance_box(layout, (0.0, 0.0))
            return float(box[1]), float(box[3])
        return float(top), float(bottom)

    def _piece_inks(self, layout: LineLayout) -> list[Ink]:
        """Each piece's ink, looked up once per layout (kept on it for the drawing pass)."""
        inks = layout.inks
        if inks is None:
            style = layout.style
            size, language, bold = style.size, style.shaping_language, style.bold
            inks = layout.inks = [self.ink(piece.text, piece.face, size, piece.direction,
                                           language, bold) for piece in layout.pieces]
        return inks

    def _geometry(self, layout: LineLayout, origin: tuple[float, float],
                  canvas: np.ndarray | None, colour: Sequence[int], opacity: float
                  ) -> LineGeometry:
        style = layout.style
        inks = self._piece_inks(layout)
        word_boxes: list[list[float] | None] = [None] * len(layout.words)
        placed: list[tuple[Ink, int, int]] = []
        ox, oy = origin
        vertical = style.direction == "ttb"
        for piece, ink in zip(layout.pieces, inks, strict=True):
            mask = ink.mask
            if mask is None:
                continue
            if vertical:  # the pen on whole pixels: down the column, or along the baseline
                px, py = int(round(ox)), int(round(oy + piece.offset))
            else:
                px, py = int(round(ox + piece.offset)), int(round(oy))
            placed.append((ink, px, py))
            if piece.word < 0:
                continue
            h, w = mask.shape
            bx0, by0 = px + ink.x, py + ink.y
            bx1, by1 = bx0 + w, by0 + h
            current = word_boxes[piece.word]
            if current is None:
                word_boxes[piece.word] = [bx0, by0, bx1, by1]
            else:
                if bx0 < current[0]:
                    current[0] = bx0
                if by0 < current[1]:
                    current[1] = by0
                if bx1 > current[2]:
                    current[2] = bx1
                if by1 > current[3]:
                    current[3] = by1
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
