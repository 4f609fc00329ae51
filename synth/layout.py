"""Where every line of a document page goes, before anything is drawn.

The planner reads a document record (see `synth.scenes.document.sample`) and returns planned
lines: text, style, role, pen origin, paragraph and column. Planning apart from drawing lets
the document scene transform the whole plan (vertical Mongolian is planned on the transposed
page and mirrored) and keeps layout rules — columns, keep-with-next headings, hanging list
indents, justification, margin notes — in one readable place. Styles, line pitch and settling
a line on its ink are `synth.typesetting.PageTypesetter`, which the planner extends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from synth.linebreak import break_segments, iter_lines
from synth.text import LineLayout, TextStyle, clean_text
from synth.typesetting import HAND_PITCH, LINESKIP, PageTypesetter

if TYPE_CHECKING:
    from synth.render import RenderContext


def line_emphasis(emph: dict[str, Any] | None, index: int, role: str,
                  hand: dict[str, Any] | None) -> tuple[float, int, str] | None:
    """Whether planned line `index` has a bold or italic run, decided from the record alone
    (its seed and share), so `apply` stays a pure function of the record."""
    if not emph or hand is not None or role not in ("paragraph", "list-item"):
        return None
    rng = np.random.default_rng([int(emph["seed"]), index])
    if rng.random() >= float(emph["share"]):
        return None
    kind = "italic" if rng.random() < 0.5 else "bold"
    return (float(rng.random()), int(rng.integers(1, 3)), kind)


@dataclass
class PlannedLine:
    text: str
    style: TextStyle
    role: str
    x: float  # origin: left end of baseline (horizontal) or top centre (ttb)
    y: float
    colour: list[int]
    paragraph: int  # position in record["paragraphs"], -1 for header/footer/page number
    column: int
    hand: dict[str, Any] | None = None
    width: float = 0.0
    last: bool = False  # last line of its paragraph (the paragraph is complete on the page)
    justify: float | None = None  # stretch spaces to this width (justified paragraphs)
    layout: LineLayout | None = None  # laid out while planning (printed lines that were settled)


class DocumentPlanner(PageTypesetter):
    """Where every line of the page goes (no drawing): header, title, flow, footer."""

    def __init__(self, record: dict[str, Any], ctx: RenderContext, width: int, height: int):
        super().__init__(record, ctx, width, height)
        self.placements: list[dict[str, Any]] = []  # figures placed by _flow (doc_figures)
        self.first_index = 0  # planned-line index of the flow's first line (emphasis seeds)
        self.floor: float | None = None  # ink bottom of the last line in the flow's column
        self.top_floor: float | None = None  # ink bottom of the header and title

    def plan_horizontal(self) -> list[PlannedLine]:
        left, top, right, bottom = self.r["margins"]
        x0, x1 = left, self.width - right
        y, y_end = top, self.height - bottom
        out: list[PlannedLine] = []
        colours = self.r["colours"]
        floor = None  # ink bottom of the last line above (header, then title)
        if self.r.get("header"):
            style = self.style("header")
            ascent, lh = self.line_box(style)
            text = self._fit(self.r["header"], style, x1 - x0)
            adv = self.engine.width(text, style)
            baseline, floor, layout = self.settle(
                text, style, max(ascent + 2, top * 0.5 + ascent * 0.4), None)
            out.append(PlannedLine(text, style, "header", self._x(x0, x1, adv, "start"),
                                   baseline, colours["small"], -1, 0, layout=layout))
        tail: list[PlannedLine] = []
        foot_y = self.height - bottom * 0.45
        if self.r.get("footer"):
            style = self.style("footer")
            adv = self.engine.width(self.r["footer"], style)
            tail.append(PlannedLine(self.r["footer"], style, "footer",
                                    self._x(x0, x1, adv, "start"), foot_y, colours["small"], -1, 0))
        if self.r.get("page_number"):
            style = self.style("page-number")
            adv = self.engine.width(self.r["page_number"], style)
            tail.append(PlannedLine(self.r["page_number"], style, "page-number",
                                    self._x(x0, x1, adv, self.r["page_number_align"]), foot_y,
                                    colours["small"], -1, 0))
        for item in tail:  # the body's ink stays above the footer's
            item.layout = self.engine.layout_line(item.text, item.style)
            ink_top = round(foot_y) + self.engine.line_extent(item.layout)[0]
            y_end = min(y_end, ink_top - LINESKIP * item.style.size)
        paragraphs = self.r["paragraphs"]
        k = 0
        if paragraphs and paragraphs[0]["kind"] == "title":
            style = self.style("title")
            ascent, lh = self.line_box(style)
            for text in self.engine.wrap(self.text_of(paragraphs[0]), style, x1 - x0):
                if y + lh > y_end:
                    break
                adv = self.engine.width(text, style)
                baseline, bottom, layout = self.settle(text, style, y + ascent, floor)
                out.append(PlannedLine(text, style, "title",
                                       self._x(x0, x1, adv, self.r["title_align"]), baseline,
                                       colours["accent"], 0, 0, width=adv, layout=layout))
                floor = bottom
                y = baseline - ascent + lh
            if out and out[-1].role == "title":
                out[-1].last = True
            y += lh * 0.6
            k = 1
        before = len(out)  # placements count lines of the flow; make them page-wide
        self.first_index = before
        out.extend(self._flow(paragraphs[k:], k, x0, x1, y, y_end, floor))
        for placement in self.placements:
            placement["after_line"] += before
        out.extend(self._notes(y_end))
        return out + tail

    def _notes(self, y_end: float) -> list[PlannedLine]:
        """Handwritten margin notes: a few words of the corpus in the widened margin.

        Notes are set top to bottom, each starting below the one before (two notes with close
        sampled heights used to be drawn on top of each other), and a note ends at a line
        wider than the margin (one unbreakable word), which would run into the body text."""
        out: list[PlannedLine] = []
        left, _, right, _ = self.r["margins"]
        notes = list(enumerate(self.r.get("notes", [])))
        free_from = {0: 0.0, 2: 0.0}  # per margin: the first y below the notes set so far
        for number, note in sorted(notes, key=lambda item: (item[1]["y"], item[0])):
            segments = break_segments(clean_text(self.corpus.paragraphs[note["index"]]),
                                      self.code)
            text = "".join(segments[: note["segments"]]).strip()
            if not text:
                continue
            style = self.style("note", note["hand"])
            ascent, lh = self.line_box(style)
            lh *= HAND_PITCH
            margin = left if note["side"] == 0 else right
            pad = margin * 0.12
            x0 = pad if note["side"] == 0 else self.width - right + pad
            x1 = x0 + margin - 2 * pad
            y = max(note["y"] * self.height, free_from[note["side"]])
            for line_text in self.engine.wrap(text, style, x1 - x0):
                adv = self.engine.width(line_text, style)
                if y + lh > y_end or adv > x1 - x0:
                    break
                out.append(PlannedLine(line_text, style, "note", self._x(x0, x1, adv, "start"),
                                       y + ascent, self.r["colours"]["body"], -2 - number, 0,
                                       hand=note["hand"], width=adv))
                y += lh
            free_from[note["side"]] = y + lh * 0.5
        return out

    def _columns(self, x0: float, x1: float) -> list[tuple[float, float]]:
        n, gap = int(self.r["columns"]), float(self.r["column_gap"])
        col_w = (x1 - x0 - gap * (n - 1)) / n
        cols = [(x0 + i * (col_w + gap), x0 + i * (col_w + gap) + col_w) for i in range(n)]
        return cols[::-1] if self.rtl else cols

    def _flow(self, paragraphs: list[dict[str, Any]], offset: int, x0: float, x1: float,
              y0: float, y_end: float, top_floor: float | None = None) -> list[PlannedLine]:
        """Paragraphs, headings, lists and figures down the columns. `top_floor`: the ink
        bottom of what stands above every column (header, title); `self.floor` follows the
        ink bottom of the last line placed in the current column."""
        out: list[PlannedLine] = []
        columns = self._columns(x0, x1)
        column, y = 0, y0
        self.floor = self.top_floor = top_floor
        colours = self.r["colours"]
        body_lh = self.line_box(self.style("paragraph"))[1]
        for pos, item in enumerate(paragraphs, start=offset):
            kind, hand = item["kind"], item.get("hand")
            role = {"heading": "heading", "list-item": "list-item"}.get(kind, "paragraph")
            style = self.style(role, hand)
            ascent, lh = self.line_box(style)
            if hand is not None:  # a hand wobbles and slants past the print line box
                lh *= HAND_PITCH
            text = self.text_of(item)
            hang = 0.0
            if kind == "list-item":
                text = f"{item['marker']} {text}"
                hang = self.engine.width(item["marker"] + " ", style)
            cx0, cx1 = columns[column]
            # wrapped lazily (one line ahead, to know the last): the page often fills up
            # inside a paragraph, and the rest of it is never measured (engine.wrap's lines)
            lines = iter_lines(text, style.language, cx1 - cx0 - hang,
                               lambda s, style=style: self.engine.width(s, style))
            if kind == "heading" and y + lh * 2.2 > y_end:  # keep a heading with its paragraph
                if column + 1 >= len(columns):
                    return out
                column, y, self.floor = column + 1, y0, top_floor
            colour = colours["accent"] if kind == "heading" else colours["body"]
            following, n = next(lines, None), -1
            while following is not None:
                line_text, following, n = following, next(lines, None), n + 1
                line_ascent, line_pitch = self._hand_box(line_text, style, ascent, lh, hand)
                cx0, cx1 = columns[column]
                indent = hang if n > 0 else 0.0
                adv = self.engine.width(line_text, style)
                target, justify = cx1 - cx0 - indent, None
                if (self.r.get("justify") and kind != "heading" and hand is None
                        and following is not None and " " in line_text
                        and 0 < target - adv < 0.25 * target):
                    adv = justify = target
                emphasis = line_emphasis(self.r.get("emphasis"), self.first_index + len(out),
                                         role, hand)
                placed = self._place(line_text, style, y + line_ascent, justify, emphasis, hand)
                if placed[1] > y_end:
                    if column + 1 >= len(columns):
                        return out
                    column, y, self.floor = column + 1, y0, top_floor
                    placed = self._place(line_text, style, y + line_ascent, justify, emphasis,
                                         hand)
                baseline, self.floor, layout = placed
                cx0, cx1 = columns[column]  # columns are equally wide: only x moves
                x = cx1 - indent - adv if self.rtl else cx0 + indent
                out.append(PlannedLine(line_text, style, role, x, baseline, colour, pos, column,
                                       hand=hand, width=adv, justify=justify, layout=layout))
                y = baseline - line_ascent + line_pitch
            if out and out[-1].paragraph == pos:
                out[-1].last = True
            y += body_lh * self.r["paragraph_gap"] * (0.5 if kind == "heading" else 1.0)
            for k, figure in enumerate(self.r.get("figures", [])):
                if figure["after"] == pos:
                    column, y = self._figure(k, figure, columns, column, y, y0, y_end, out)
        return out

    def _place(self, text: str, style: TextStyle, baseline: float, justify: float | None,
               emphasis: tuple[float, int, str] | None, hand: dict[str, Any] | None
               ) -> tuple[float, float, LineLayout | None]:
        """(baseline, ink bottom, layout) of a flow line below `self.floor`: printed lines are
        settled on their exact ink; a handwritten line keeps its wider pitch (its ink is drawn
        later, wobbling) and reports its glyphs' extent."""
        if hand is None:
            return self.settle(text, style, baseline, self.floor, justify, emphasis)
        return baseline, baseline + self.engine.text_extent(text, style)[1], None

    def _hand_box(self, text: str, style: TextStyle, ascent: float, pitch: float,
                  hand: dict[str, Any] | None) -> tuple[float, float]:
        """(ascent, pitch) of one line: the page's for print; for a handwritten line at least
        its own glyphs' extent (a tall stacked mark in a hand font reached into the header
        above: Persian آً, 25 px of ink on a 13 px line)."""
        if hand is None:
            return ascent, pitch
        up, down = self.engine.text_extent(text, style)
        return max(ascent, up), max(pitch, (max(ascent, up) + down) * HAND_PITCH)

    def _figure(self, k: int, figure: dict[str, Any], columns: list[tuple[float, float]],
                column: int, y: float, y0: float, y_end: float,
                out: list[PlannedLine]) -> tuple[int, float]:
        """Place figure k (formula or chart + caption) centred in the column at y, or at the
        top of the next column; a figure that fits nowhere is left out. Appends the caption
        line to `out` and the placement to `self.placements`."""
        if figure["kind"] == "inline":
            return self._inline(k, figure, columns, column, y, y0, y_end, out)
        caption = figure.get("caption")
        style = self.style("caption")
        ascent, lh = self.line_box(style)
        gap = lh * 0.5
        need = figure["height"] + 2 * gap + (lh if caption else 0.0)
        if y + need > y_end:
            if column + 1 >= len(columns) or y0 + need > y_end:
                return column, y
            column, y, self.floor = column + 1, y0, self.top_floor
        cx0, cx1 = columns[column]
        x = cx0 + (cx1 - cx0 - figure["width"]) / 2
        self.placements.append({"figure": k, "x": round(x, 1), "y": round(y + gap, 1),
                                "after_line": len(out)})
        y += gap + figure["height"] + gap
        self.floor = y - gap  # the figure's foot
        if caption:
            text = self._fit(caption, style, cx1 - cx0)
            adv = self.engine.width(text, style)
            baseline, self.floor, layout = self.settle(text, style, y + ascent, self.floor)
            out.append(PlannedLine(text, style, "figure-caption", cx0 + (cx1 - cx0 - adv) / 2,
                                   baseline, self.r["colours"]["body"], -1, column, width=adv,
                                   layout=layout))
            y = baseline - ascent + lh + gap
        return column, y

    def _inline(self, k: int, figure: dict[str, Any], columns: list[tuple[float, float]],
                column: int, y: float, y0: float, y_end: float,
                out: list[PlannedLine]) -> tuple[int, float]:
        """A line of text with inline math: placed at the column's start like a body line;
        left out when it is wider than the column or no column has room."""
        from synth.formula import render_formula

        style = self.style("paragraph")
        ascent, lh = self.line_box(style)
        mask = render_formula(figure["formula"]["latex"], figure["fontset"], figure["size"])
        space = self.engine.width(" ", style)
        width = (self.engine.width(figure["lead"], style) + mask.shape[1] + 2 * space
                 + self.engine.width(figure["tail"], style))
        pitch = max(lh, mask.shape[0] * 1.3)
        if y + pitch > y_end:
            if column + 1 >= len(columns) or y0 + pitch > y_end:
                return column, y
            column, y, self.floor = column + 1, y0, self.top_floor
        cx0, cx1 = columns[column]
        if width > cx1 - cx0:
            return column, y
        self.floor = y + pitch
        self.placements.append({"figure": k, "x": round(cx0, 1), "y": round(y, 1),
                                "baseline": round(y + (pitch - lh) / 2 + ascent, 1),
                                "after_line": len(out), "style_role": "paragraph"})
        return column, y + pitch + lh * self.r["paragraph_gap"]
