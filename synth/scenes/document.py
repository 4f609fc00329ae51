"""Document scene: a page of running text like a printed report or book.

Title across the columns, article headings, paragraphs and lists flowing through 1–3 columns
(right to left on RTL pages), a running header, a footer and a page number (flagged by role so
the parsing target can skip them). Text is a contiguous run of the language's corpus paragraphs,
so `extras["paragraphs"]` names exactly which (possibly cut) paragraphs the page shows.

Layout is planned first (which text goes where) and drawn second. Vertical CJK is laid out
top-to-bottom by raqm (`ttb`); vertical Mongolian (and any other script asked to be vertical) is
planned on the transposed page, drawn horizontally and turned a quarter clockwise with its labels,
because raqm's `ttb` puts every Mongolian glyph on one spot.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from pipelines.errors import PolyglyphError
from synth.linebreak import break_segments
from synth.page import Block, Page, map_page_geometry
from synth.render import (
    ACCENT_INKS,
    PRINT_INKS,
    PageSpec,
    RenderContext,
    apply_background,
    pick,
    sample_background,
)
from synth.scenes import draw_labelled_line, sample_hand, union_box
from synth.text import TextStyle, clean_text, face_name

TTB_SCRIPTS = frozenset({"Hani", "Hans", "Hant", "Jpan", "Kore", "Hang", "Hira", "Kana"})
LIST_MARKERS = ("1.", "1)", "(a)", "•", "–", "i.")
RTL_LIST_MARKERS = ("1.", "1)", "•", "–")
DATE_FOOTERS = ("1948-12-10", "10.12.1948")
FOOTER_TEXTS = (*DATE_FOOTERS, "A/RES/217 (III)", "UDHR 1948")


def _kind(paragraph_id: str) -> str:
    if paragraph_id == "title":
        return "title"
    if paragraph_id.endswith(".h"):
        return "heading"
    return "paragraph"


def _even(value: float) -> int:
    return int(2 * round(float(value) / 2))


def _marker(style: str, n: int) -> str:
    if style in ("1.", "1)"):
        return f"{n}{style[-1]}"
    if style == "(a)":
        return f"({chr(ord('a') + (n - 1) % 26)})"
    if style == "i.":
        romans = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
        return f"{romans[(n - 1) % 10]}."
    return style


def sample(spec: PageSpec, rng: np.random.Generator, ctx: RenderContext) -> dict[str, Any]:
    info = ctx.language(spec.language)
    corpus = ctx.text(info.code)
    w, h = int(spec.width), int(spec.height)
    mode = "horizontal"
    if spec.vertical and info.script in TTB_SCRIPTS:
        mode = "ttb"
    elif spec.vertical and info.direction == "ltr":  # Mongolian; Latin etc. like a book spine
        mode = "rotated"  # (RTL scripts have no top-to-bottom tradition: they stay horizontal)
    scale = min(w, h) / 1024.0
    lo, hi = spec.font_size or (max(12, round(17 * scale)), max(13, round(28 * scale)))
    # Even sizes only: pages in one worker then share more shaped words (cache hits).
    body = min(int(hi), max(int(lo), _even(rng.integers(int(lo), int(hi) + 1))))
    font_style = spec.font_style or pick(rng, ("serif", "sans"))
    heading_style = pick(rng, ("serif", "sans"))
    sizes = {
        "body": body,
        "title": _even(body * rng.uniform(1.45, 2.0)),
        "heading": _even(body * rng.uniform(1.05, 1.35)),
        "small": max(10, _even(body * rng.uniform(0.72, 0.88))),
    }
    margin_frac = spec.margin if spec.margin is not None else float(rng.uniform(0.05, 0.1))
    margin = margin_frac * min(w, h)
    margins = [round(float(margin * rng.uniform(0.85, 1.2)), 1) for _ in range(4)]  # l t r b
    has_hand_font = ctx.has_style(info.code, "handwriting")
    notes: list[dict[str, Any]] = []
    if spec.style_mix > 0 and mode == "horizontal" and rng.random() < min(1.0, 2 * spec.style_mix):
        side = int(pick(rng, (0, 2)))  # margin notes in a widened left or right margin
        margins[side] = round(max(margins[side], 0.17 * w), 1)
        for _ in range(int(rng.integers(1, 3))):
            notes.append({
                "side": side,
                "index": int(rng.integers(0, len(corpus.paragraph_ids))),
                "segments": int(rng.integers(2, 6)),
                "y": round(float(rng.uniform(0.15, 0.8)), 4),
                "hand": sample_hand(rng, body, has_hand_font),
            })
    body_w = (h if mode == "rotated" else w) - margins[0] - margins[2]
    max_columns = int(max(1, min(3, body_w // (body * 13))))
    columns = int(spec.columns) if spec.columns else int(rng.integers(1, max_columns + 1))
    body_colour = pick(rng, PRINT_INKS)
    accent = pick(rng, ACCENT_INKS) if rng.random() < 0.45 else body_colour

    ids = corpus.paragraph_ids
    start = int(rng.integers(0, max(1, len(ids) - 2)))
    show_title = start == 0 or (ids[0] == "title" and rng.random() < 0.5)
    budget = int(3 * w * h / (body * body)) + 200  # generous: apply stops when the page is full
    paragraphs: list[dict[str, Any]] = []
    if show_title and ids[0] == "title":
        paragraphs.append({"index": 0, "id": "title", "kind": "title"})
        start = max(start, 1)
    chars = 0
    list_style, list_n, list_article = None, 0, None
    for index in range(start, len(ids)):
        pid = ids[index]
        kind = _kind(pid)
        item: dict[str, Any] = {"index": index, "id": pid, "kind": kind}
        article = pid.split(".")[0]
        if kind == "paragraph":
            if article != list_article:
                list_article, list_n = article, 0
                siblings = sum(1 for other in ids if other.split(".")[0] == article)
                many = siblings > 2 or not pid.startswith("a")
                markers = RTL_LIST_MARKERS if info.direction == "rtl" else LIST_MARKERS
                list_style = pick(rng, markers) if many and rng.random() < 0.35 else None
            if list_style is not None:
                list_n += 1
                item["kind"] = "list-item"
                item["marker"] = _marker(list_style, list_n)
            if spec.style_mix > 0 and rng.random() < spec.style_mix:
                item["hand"] = sample_hand(rng, body * 1.1, has_hand_font)
        paragraphs.append(item)
        chars += len(corpus.paragraphs[index])
        if chars > budget:
            break

    header, footer, number = _sample_decorations(rng, ctx, info, corpus, mode)
    return {
        "scene": "document",
        "language": info.code,
        "script": info.script,
        "direction": "ttb" if mode != "horizontal" else info.direction,
        "mode": mode,
        "width": w,
        "height": h,
        "background": sample_background(rng, w, h, tuple(spec.backgrounds)),
        "fonts": {"body": font_style, "heading": heading_style},
        "font_files": {  # what those styles resolve to here (for the row; apply re-resolves)
            "body": [face_name(f) for f in ctx.chain(info.code, font_style)[:2]],
            "heading": [face_name(f) for f in ctx.chain(info.code, heading_style)[:2]],
        },
        "sizes": sizes,
        "bold": {"title": bool(rng.random() < 0.75), "heading": bool(rng.random() < 0.7)},
        "colours": {"body": body_colour, "accent": accent, "small": pick(rng, PRINT_INKS)},
        "margins": margins,
        "columns": columns,
        "column_gap": round(float(body * rng.uniform(1.2, 2.4)), 1),
        "line_spacing": round(float(rng.uniform(1.15, 1.6)), 3),
        "paragraph_gap": round(float(rng.uniform(0.25, 0.9)), 3),
        "title_align": pick(rng, ("start", "center")),
        "justify": bool(rng.random() < 0.5),
        "rules": bool(rng.random() < 0.35),  # thin lines under the header / above the footer
        "paragraphs": paragraphs,
        "notes": notes,
        "header": header,
        "footer": footer,
        "page_number": number,
        "page_number_align": pick(rng, ("center", "end")),
    }


def _sample_decorations(rng: np.random.Generator, ctx: RenderContext, info: Any, corpus: Any,
                        mode: str) -> tuple[str | None, str | None, str | None]:
    """Running header, footer and page number (the page number in native digits when the
    corpus writes them and the fonts have them)."""
    ids = corpus.paragraph_ids
    header = None
    if rng.random() < 0.6 and mode == "horizontal":
        title = clean_text(corpus.paragraphs[0]) if ids and ids[0] == "title" else info.name
        header = title if len(title) < 70 else info.name
        if info.direction == "rtl" and rng.random() < 0.7:
            header = f"{header} · UDHR 1948"  # Latin and digits inside an RTL line: bidi
    footer = pick(rng, FOOTER_TEXTS) if rng.random() < 0.45 and mode == "horizontal" else None
    number = None
    if rng.random() < 0.75 and mode != "ttb":
        digits = str(int(rng.integers(1, 400)))
        native = _native_digits(ctx, info, corpus)
        if native and rng.random() < 0.5:
            digits = "".join(native[int(d)] for d in digits)
        number = pick(rng, (digits, f"– {digits} –", digits))
    return header, footer, number


def _native_digits(ctx: RenderContext, info: Any, corpus: Any) -> str | None:
    """The script's own 0-9 if the corpus uses them and the language's fonts draw all ten."""
    key = ("native-digits", info.code, id(corpus))
    if key not in ctx.memo:
        ctx.memo[key] = _find_native_digits(ctx, info, corpus)
    return ctx.memo[key]


def _find_native_digits(ctx: RenderContext, info: Any, corpus: Any) -> str | None:
    for paragraph in corpus.paragraphs:
        for ch in paragraph:
            if unicodedata.category(ch) == "Nd" and not ch.isascii():
                zero = ord(ch) - unicodedata.digit(ch)
                digits = "".join(chr(zero + k) for k in range(10))
                try:
                    ctx.engine.itemize(digits, ctx.style(info.code, 20))
                except PolyglyphError:
                    return None
                return digits
    return None


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


def apply(record: dict[str, Any], ctx: RenderContext) -> Page:
    code = record["language"]
    mode = record["mode"]
    w, h = int(record["width"]), int(record["height"])
    plan_w, plan_h = (h, w) if mode == "rotated" else (w, h)
    planner = _Planner(record, ctx, plan_w, plan_h)
    planned = planner.plan_ttb() if mode == "ttb" else planner.plan_horizontal()
    canvas = apply_background(record["background"], w, h)
    if mode == "rotated":
        # Lines fill the transposed page bottom-up, so after the clockwise quarter turn the
        # columns read left to right with glyph tops facing right, as Mongolian is written.
        for line in planned:
            ascent, descent = planner._ink_extent(line.style)
            line.y = plan_h - line.y + ascent - descent
        canvas = np.ascontiguousarray(np.rot90(canvas, k=1))  # turned back after drawing
    if mode == "horizontal" and record.get("rules"):
        _draw_rules(canvas, record)
    lines = []
    for index, item in enumerate(planned):
        layout = ctx.engine.layout_line(item.text, item.style, item.justify)
        lines.append(draw_labelled_line(
            ctx.engine, canvas, layout, (item.x, item.y), colour=item.colour, role=item.role,
            line_index=index, hand=item.hand, line_seed=index,
        ))
    info = ctx.language(code)
    page = Page(image=canvas, language=code, script=info.script,
                direction=record["direction"], scene="document", lines=lines)
    page.blocks, page.extras = _blocks_and_paragraphs(record, planned, lines)
    if mode == "rotated":
        for line in page.lines:
            line.direction = "ttb"
        page = map_page_geometry(
            page, np.ascontiguousarray(np.rot90(canvas, k=-1)),
            lambda pts: np.stack([plan_h - pts[:, 1], pts[:, 0]], axis=1),
        )
    return page


def _draw_rules(canvas: np.ndarray, record: dict[str, Any]) -> None:
    """Hairlines between the running header/footer and the body (drawn before the text)."""
    left, top, right, bottom = record["margins"]
    h, w = canvas.shape[:2]
    colour = tuple(int(c) for c in record["colours"]["small"])
    if record.get("header"):
        y = int(round(top * 0.8))
        cv2.line(canvas, (int(left), y), (int(w - right), y), colour, 1, cv2.LINE_AA)
    if record.get("footer") or record.get("page_number"):
        y = int(round(h - bottom * 0.8))
        cv2.line(canvas, (int(left), y), (int(w - right), y), colour, 1, cv2.LINE_AA)


def _blocks_and_paragraphs(record: dict[str, Any], planned: list[PlannedLine],
                           lines: list[Any]) -> tuple[list[Block], dict[str, Any]]:
    """One block per paragraph per column (reading order), and which paragraphs are shown."""
    blocks: list[Block] = []
    keys: list[tuple[int, int, str]] = []
    shown: dict[int, list[int]] = {}
    for index, item in enumerate(planned):
        key = (item.paragraph, item.column, item.role)
        if item.paragraph != -1 and keys and keys[-1] == key:
            blocks[-1].line_indices.append(index)
        else:
            blocks.append(Block(role=item.role, polygon=[], line_indices=[index]))
            keys.append(key)
        if item.paragraph >= 0:
            shown.setdefault(item.paragraph, []).append(index)
    for block in blocks:
        block.polygon = union_box([lines[i].polygon for i in block.line_indices])
        block.text = "\n".join(lines[i].text for i in block.line_indices)
    paragraphs = record["paragraphs"]
    extras: dict[str, Any] = {"paragraphs": [
        {"id": paragraphs[k]["id"], "line_indices": indices,
         "complete": bool(planned[indices[-1]].last)}
        for k, indices in sorted(shown.items())
    ]}
    if record.get("footer") in DATE_FOOTERS:
        extras["dates"] = [record["footer"]]
    return blocks, extras


class _Planner:
    """Where every line of the page goes (no drawing): header, title, flow, footer."""

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
            key = ("hand", False, "handwriting")
            size = _even(sizes["body"] * 1.3)  # script fonts run small for their size
        elif role == "title":
            key, size = ("heading", bold["title"], fonts["heading"]), sizes["title"]
        elif role == "heading":
            key, size = ("heading", bold["heading"], fonts["heading"]), sizes["heading"]
        elif role in ("header", "footer", "page-number"):
            key, size = ("small", False, fonts["body"]), sizes["small"]
        else:
            key, size = ("body", False, fonts["body"]), sizes["body"]
        full_key = (key[0] + str(size), key[1], key[2])
        style = self._styles.get(full_key)
        if style is None:
            base = self.ctx.style(self.code, size, key[2], self.base_direction)
            style = TextStyle(base.chain, base.size, base.language, base.script, base.direction,
                              bold=key[1])
            self._styles[full_key] = style
        return style

    def line_box(self, style: TextStyle) -> tuple[float, float]:
        """(ascent, line pitch): the record's spacing times the font size, but never less than
        the extent of typical words of the corpus (scripts with tall stacks need more room)."""
        ascent, descent = self._ink_extent(style)
        pitch = max(style.size * float(self.r["line_spacing"]), (ascent + descent) * 1.05)
        return ascent, pitch

    def _ink_extent(self, style: TextStyle) -> tuple[float, float]:
        key = ("ink-extent", style)
        cached = self._extents.get(key)
        if cached is None:
            sample = clean_text(max(self.corpus.paragraphs[:12], key=len)[:300])
            ascent, descent = self.engine.typical_extent(sample, style)
            cached = (max(ascent, style.size * 0.5), max(descent, style.size * 0.1))
            self._extents[key] = cached
        return cached

    def _x(self, x0: float, x1: float, advance: float, align: str) -> float:
        if align == "center":
            return x0 + (x1 - x0 - advance) / 2
        at_end = (align == "end") != self.rtl
        return x1 - advance if at_end else x0

    def plan_horizontal(self) -> list[PlannedLine]:
        left, top, right, bottom = self.r["margins"]
        x0, x1 = left, self.width - right
        y, y_end = top, self.height - bottom
        out: list[PlannedLine] = []
        colours = self.r["colours"]
        if self.r.get("header"):
            style = self.style("header")
            ascent, lh = self.line_box(style)
            text = self._fit(self.r["header"], style, x1 - x0)
            adv = self.engine.width(text, style)
            out.append(PlannedLine(text, style, "header", self._x(x0, x1, adv, "start"),
                                   max(ascent + 2, top * 0.5 + ascent * 0.4), colours["small"],
                                   -1, 0))
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
        paragraphs = self.r["paragraphs"]
        k = 0
        if paragraphs and paragraphs[0]["kind"] == "title":
            style = self.style("title")
            ascent, lh = self.line_box(style)
            for text in self.engine.wrap(clean_text(self.corpus.paragraphs[0]), style, x1 - x0):
                if y + lh > y_end:
                    break
                adv = self.engine.width(text, style)
                out.append(PlannedLine(text, style, "title",
                                       self._x(x0, x1, adv, self.r["title_align"]), y + ascent,
                                       colours["accent"], 0, 0, width=adv))
                y += lh
            if out:
                out[-1].last = True
            y += lh * 0.6
            k = 1
        out.extend(self._flow(paragraphs[k:], k, x0, x1, y, y_end))
        out.extend(self._notes(y_end))
        return out + tail

    def _notes(self, y_end: float) -> list[PlannedLine]:
        """Handwritten margin notes: a few words of the corpus in the widened margin."""
        out: list[PlannedLine] = []
        left, _, right, _ = self.r["margins"]
        for number, note in enumerate(self.r.get("notes", [])):
            segments = break_segments(clean_text(self.corpus.paragraphs[note["index"]]),
                                      self.code)
            text = "".join(segments[: note["segments"]]).strip()
            if not text:
                continue
            style = self.style("note", note["hand"])
            ascent, lh = self.line_box(style)
            margin = left if note["side"] == 0 else right
            pad = margin * 0.12
            x0 = pad if note["side"] == 0 else self.width - right + pad
            x1 = x0 + margin - 2 * pad
            y = note["y"] * self.height
            for line_text in self.engine.wrap(text, style, x1 - x0):
                if y + lh > y_end:
                    break
                adv = self.engine.width(line_text, style)
                out.append(PlannedLine(line_text, style, "note", self._x(x0, x1, adv, "start"),
                                       y + ascent, self.r["colours"]["body"], -2 - number, 0,
                                       hand=note["hand"], width=adv))
                y += lh
        return out

    def _columns(self, x0: float, x1: float) -> list[tuple[float, float]]:
        n, gap = int(self.r["columns"]), float(self.r["column_gap"])
        col_w = (x1 - x0 - gap * (n - 1)) / n
        cols = [(x0 + i * (col_w + gap), x0 + i * (col_w + gap) + col_w) for i in range(n)]
        return cols[::-1] if self.rtl else cols

    def _flow(self, paragraphs: list[dict[str, Any]], offset: int, x0: float, x1: float,
              y0: float, y_end: float) -> list[PlannedLine]:
        out: list[PlannedLine] = []
        columns = self._columns(x0, x1)
        column, y = 0, y0
        colours = self.r["colours"]
        body_lh = self.line_box(self.style("paragraph"))[1]
        for pos, item in enumerate(paragraphs, start=offset):
            kind, hand = item["kind"], item.get("hand")
            role = {"heading": "heading", "list-item": "list-item"}.get(kind, "paragraph")
            style = self.style(role, hand)
            ascent, lh = self.line_box(style)
            text = clean_text(self.corpus.paragraphs[item["index"]])
            hang = 0.0
            if kind == "list-item":
                text = f"{item['marker']} {text}"
                hang = self.engine.width(item["marker"] + " ", style)
            cx0, cx1 = columns[column]
            wrapped = self.engine.wrap(text, style, cx1 - cx0 - hang)
            if kind == "heading" and y + lh * 2.2 > y_end:  # keep a heading with its paragraph
                if column + 1 >= len(columns):
                    return out
                column, y = column + 1, y0
            colour = colours["accent"] if kind == "heading" else colours["body"]
            for n, line_text in enumerate(wrapped):
                if y + ascent + self._ink_extent(style)[1] > y_end:
                    if column + 1 >= len(columns):
                        return out
                    column, y = column + 1, y0
                cx0, cx1 = columns[column]
                indent = hang if n > 0 else 0.0
                adv = self.engine.width(line_text, style)
                target, justify = cx1 - cx0 - indent, None
                if (self.r.get("justify") and kind != "heading" and hand is None
                        and n < len(wrapped) - 1 and " " in line_text
                        and 0 < target - adv < 0.25 * target):
                    adv = justify = target
                x = cx1 - indent - adv if self.rtl else cx0 + indent
                planned = PlannedLine(line_text, style, role, x, y + ascent, colour, pos, column,
                                      hand=hand, width=adv, justify=justify)
                out.append(planned)
                y += lh
            if out and out[-1].paragraph == pos:
                out[-1].last = True
            y += body_lh * self.r["paragraph_gap"] * (0.5 if kind == "heading" else 1.0)
        return out

    def _fit(self, text: str, style: TextStyle, max_width: float) -> str:
        lines = self.engine.wrap(text, style, max_width)
        return lines[0] if lines else text

    def plan_ttb(self) -> list[PlannedLine]:
        """Vertical CJK: columns top to bottom, placed right to left."""
        left, top, right, bottom = self.r["margins"]
        x, x_end = self.width - right, left
        y0, y1 = top, self.height - bottom
        out: list[PlannedLine] = []
        colours = self.r["colours"]
        for pos, item in enumerate(self.r["paragraphs"]):
            kind = item["kind"]
            role = {"heading": "heading", "list-item": "list-item", "title": "title"}.get(
                kind, "paragraph")
            style = self.style(role)
            text = clean_text(self.corpus.paragraphs[item["index"]])
            if kind == "list-item":
                text = f"{item['marker']} {text}"
            pitch = style.size * self.r["line_spacing"] * 1.15
            colour = colours["accent"] if kind in ("title", "heading") else colours["body"]
            for line_text in self.engine.wrap(text, style, y1 - y0):
                if x - pitch < x_end:
                    return out
                out.append(PlannedLine(line_text, style, role, x - pitch / 2, y0, colour, pos, 0))
                x -= pitch
            if out and out[-1].paragraph == pos:
                out[-1].last = True
            x -= pitch * self.r["paragraph_gap"]
        return out
