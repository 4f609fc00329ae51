"""The typography of a document page: a style per role, line pitch, lines settled on their ink.

`synth.layout.DocumentPlanner` decides where lines go (header, columns, figures, notes); this
is what it asks while doing so: which style a role is set in (even sizes, so pages share cached
word masks), how far apart lines of a style sit (never closer than typical words of the corpus
reach), and where a printed line's baseline must go so its ink keeps TeX's lineskip below the
line above. Kept apart so the spacing rules read in one place, without the flow around them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from synth.text import LineLayout, TextStyle, clean_text

if TYPE_CHECKING:
    from synth.render import RenderContext


def even_size(value: float) -> int:
    """Font sizes are even: pages in one worker then share more cached word masks."""
    return int(2 * round(float(value) / 2))


HAND_PITCH = 1.3  # handwritten lines: pitch x this, so neighbouring lines never overlap
LINESKIP = 0.1  # least gap between the ink of two printed lines, in ems (TeX's \lineskip)


class PageTypesetter:
    """The page's typography: a style per role, line pitch, and lines settled on their ink."""

    def __init__(self, record: dict[str, Any], ctx: RenderContext, width: int, height: int):
        self.r = record
        self.ctx = ctx
        self.engine = ctx.engine
        self.width, self.height = width, height
        self.code = record["language"]
        self.rtl = record["direction"] == "rtl"
        self.corpus = ctx.text(self.code)
        info = ctx.language(self.code)
        self.base_direction = "ttb" if record["mode"] == "ttb" else info.direction
        self._styles: dict[tuple[str, bool, str], TextStyle] = {}
        self._extents: dict[Any, tuple[float, float]] = {}

    def style(self, role: str, hand: dict[str, Any] | None = None) -> TextStyle:
        fonts, sizes, bold = self.r["fonts"], self.r["sizes"], self.r["bold"]
        if hand is not None and hand["kind"] == "font":
            key = ("hand", False, fonts.get("hand", "handwriting"))
            size = even_size(sizes["body"] * 1.3)  # script fonts run small for their size
        elif role == "title":
            key, size = ("heading", bold["title"], fonts["heading"]), sizes["title"]
        elif role == "heading":
            key, size = ("heading", bold["heading"], fonts["heading"]), sizes["heading"]
        elif role in ("header", "footer", "page-number", "caption"):
            key, size = ("small", False, fonts["body"]), sizes["small"]
        else:
            key, size = ("body", False, fonts["body"]), sizes["body"]
        full_key = (key[0] + str(size), key[1], key[2])
        style = self._styles.get(full_key)
        if style is None:
            base = self.ctx.style(self.code, size, "handwriting" if key[2].startswith(
                "handwriting#") else key[2], self.base_direction)
            if key[2].startswith("handwriting#"):  # the page's writer: one of the hand faces
                from synth.scenes.kit import chain_for

                base = TextStyle(chain_for(self.ctx, self.code, key[2]), base.size,
                                 base.language, base.script, base.direction)
            style = TextStyle(base.chain, base.size, base.language, base.script, base.direction,
                              bold=key[1], upright_latin=self.r.get("latin") == "upright")
            self._styles[full_key] = style
        return style

    def line_box(self, style: TextStyle) -> tuple[float, float]:
        """(ascent, line pitch): the record's spacing times the font size, but never less than
        the extent of typical words of the corpus (scripts with tall stacks need more room)."""
        ascent, descent = self.ink_extent(style)
        pitch = max(style.size * float(self.r["line_spacing"]), (ascent + descent) * 1.05)
        return ascent, pitch

    def settle(self, text: str, style: TextStyle, baseline: float, floor: float | None,
               justify: float | None = None, emphasis: tuple[float, int, str] | None = None
               ) -> tuple[float, float, LineLayout]:
        """(baseline, ink bottom, layout) of a printed line whose ink must stay below `floor`
        (the ink bottom of the line above) by LINESKIP ems.

        The page's pitch follows typical words, so a line whose marks reach further (Devanagari
        matras over a conjunct, Arabic stacked harakat, Cyrillic capitals with breve) is moved
        down just enough, as TeX does when its baselineskip would bring two boxes closer than
        its lineskiplimit. The extent is that of the exact ink the line will draw (its layout is
        kept for drawing), so line polygons, which are the ink's box, never overlap.
        """
        layout = self.engine.layout_line(text, style, justify, emphasis)
        top, bottom = self.engine.line_extent(layout)  # only the ink's rows: drawn later
        if floor is not None:
            baseline = max(baseline, math.ceil(floor + LINESKIP * style.size - top))
        return baseline, round(baseline) + bottom, layout

    def ink_extent(self, style: TextStyle) -> tuple[float, float]:
        key = ("ink-extent", style)
        cached = self._extents.get(key)
        if cached is None:
            sample = clean_text(max(self.corpus.paragraphs[:12], key=len)[:300])
            ascent, descent = self.engine.typical_extent(sample, style)
            cached = (max(ascent, style.size * 0.5), max(descent, style.size * 0.1))
            self._extents[key] = cached
        return cached

    def text_of(self, item: dict[str, Any]) -> str:
        """A paragraph record's text: its own (synthesised) or its corpus paragraph's."""
        if "text" in item:
            return clean_text(item["text"])
        return clean_text(self.corpus.paragraphs[item["index"]])

    def _x(self, x0: float, x1: float, advance: float, align: str) -> float:
        if align == "center":
            return x0 + (x1 - x0 - advance) / 2
        at_end = (align == "end") != self.rtl
        return x1 - advance if at_end else x0

    def _fit(self, text: str, style: TextStyle, max_width: float) -> str:
        lines = self.engine.wrap(text, style, max_width)
        return lines[0] if lines else text
