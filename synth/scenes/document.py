"""Document scene: a page of running text like a printed report or book.

Title across the columns, article headings, paragraphs and lists flowing through 1–3 columns
(right to left on RTL pages), a running header, a footer and a page number (flagged by role so
the parsing target can skip them). Text is a contiguous run of the language's corpus paragraphs,
so `extras["paragraphs"]` names exactly which (possibly cut) paragraphs the page shows.

Layout is planned first (which text goes where) and drawn second. Vertical CJK is laid out
top-to-bottom (`ttb`, `synth.text.vertical`), half of those pages as a classical book leaf
(`synth.scenes.classical`: frame, column rules, centre strip), some of the others on manuscript
paper or a letter pad ruled in columns (`synth.scenes.genko`); vertical Mongolian (and any other
script asked to be vertical) is planned on the transposed page, drawn horizontally and turned a
quarter clockwise with its labels, because `ttb` shaping puts every Mongolian glyph on one spot.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth import vertical_text
from synth.layout import DocumentPlanner, PlannedLine, line_emphasis
from synth.opencv import cv2
from synth.page import Block, Page, map_page_geometry
from synth.pagetext import capacity, language_text, udhr_only
from synth.render import (
    ACCENT_INKS,
    PRINT_INKS,
    PageSpec,
    RenderContext,
    apply_background,
    pick,
    sample_background,
)
from synth.rng import child_rng
from synth.scenes import classical, draw_labelled_line, genko, sample_hand, stamp, union_box
from synth.scenes.doc_figures import interleave, sample_figures
from synth.scenes.doc_paragraphs import corpus_paragraphs, mixed_paragraphs
from synth.text import clean_text, face_name
from synth.typesetting import even_size

TTB_SCRIPTS = frozenset({"Hani", "Hans", "Hant", "Jpan", "Kore", "Hang", "Hira", "Kana"})
DATE_FOOTERS = ("1948-12-10", "10.12.1948")
UPRIGHT_LATIN_SHARE = 0.5  # vertical pages setting Latin upright, one character per em
FOOTER_TEXTS = (*DATE_FOOTERS, "A/RES/217 (III)", "UDHR 1948")
NATIVE_DIGIT = re.compile(r"(?![0-9])\d")  # a decimal digit (Unicode Nd) other than ASCII


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
    body = min(int(hi), max(int(lo), even_size(rng.integers(int(lo), int(hi) + 1))))
    if mode == "horizontal":  # a family per block role from the pool (fonts_manifest.pool)
        font_style = ctx.sample_font(rng, info.code, "body", spec.font_style)
        heading_style = ctx.sample_font(rng, info.code, "heading")
    else:  # vertical setting keeps the script fonts whose vertical metrics are known good
        font_style = spec.font_style or pick(rng, ("serif", "sans"))
        heading_style = pick(rng, ("serif", "sans"))
    hand_font = f"handwriting#{int(rng.integers(0, 1 << 16))}"  # one writer per page
    sizes = {
        "body": body,
        "title": even_size(body * rng.uniform(1.45, 2.0)),
        "heading": even_size(body * rng.uniform(1.05, 1.35)),
        "small": max(10, even_size(body * rng.uniform(0.72, 0.88))),
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

    sources = ctx.text_sources(info.code)
    if udhr_only(sources, corpus):
        paragraphs = corpus_paragraphs(rng, spec, corpus, info, body, w, h, has_hand_font)
    else:
        plan_w, plan_h = (h, w) if mode == "rotated" else (w, h)
        budget = int(1.25 * capacity(plan_w, plan_h, body, info.script))
        lt = language_text(ctx, info.code)
        if mode == "ttb":  # numbers and Latin as vertical books and newspapers set them
            lt = vertical_text.for_page(ctx, lt, child_rng(rng, "vertical-numerals"))
        paragraphs = mixed_paragraphs(rng, spec, lt, info, corpus, sources, budget, body,
                                       has_hand_font)

    header, footer, number = _sample_decorations(rng, ctx, info, corpus, mode)
    record = {
        "scene": "document",
        "language": info.code,
        "script": info.script,
        "direction": "ttb" if mode != "horizontal" else info.direction,
        "mode": mode,
        "width": w,
        "height": h,
        "background": sample_background(rng, w, h, tuple(spec.backgrounds)),
        "fonts": {"body": font_style, "heading": heading_style, "hand": hand_font},
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
        # bold/italic runs inside body lines (lines picked in `apply` from this seed)
        "emphasis": {"seed": int(rng.integers(0, 2**31 - 1)),
                     "share": round(float(rng.choice((0.0, 0.08, 0.2))), 2)},
        "rules": bool(rng.random() < 0.35),  # thin lines under the header / above the footer
        "paragraphs": paragraphs,
        "notes": notes,
        "header": header,
        "footer": footer,
        "page_number": number,
        "page_number_align": pick(rng, ("center", "end")),
    }
    stamp_record = stamp.sample(rng, w, h) if mode == "horizontal" else None
    if stamp_record is not None:  # only stamped pages carry the key
        record["stamp"] = stamp_record
    record["figures"] = sample_figures(rng, ctx, record)  # last: every other choice stays
    if mode == "ttb":  # a classical leaf (frame, column rules, centre strip) or a plain page
        # the book's title, else its opening words as a running head: never the language's
        # English name (a user corpus has no title; "Chines" stood in a zh-Hant leaf's strip)
        opening = clean_text(corpus.paragraphs[0]) if corpus.paragraphs else ""
        title = opening if opening.strip() else info.name
        title = "".join(c for c in title if unicodedata.category(c)[0] in "LN")  # no 『 or space
        book = classical.sample(child_rng(rng, "classical"), title)
        if book is not None:
            record["classical"] = book
        # Latin and long numbers in the columns: turned sideways (CSS `mixed`) or upright
        if child_rng(rng, "vertical-latin").random() < UPRIGHT_LATIN_SHARE:
            record["latin"] = "upright"
        if book is None:  # last draw: manuscript paper or a letter pad ruled in columns
            paper = genko.sample(child_rng(rng, "vertical-paper"), record, has_hand_font)
            if paper is not None:
                record["tategaki"] = paper
        genko.vertical_paper(record)
    return record


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
    for found in filter(None, map(NATIVE_DIGIT.search, corpus.paragraphs)):  # the first one
        zero = ord(found.group()) - unicodedata.digit(found.group())
        digits = "".join(chr(zero + k) for k in range(10))
        try:
            ctx.engine.itemize(digits, ctx.style(info.code, 20))
        except PolyglyphError:
            return None
        return digits
    return None


def apply(record: dict[str, Any], ctx: RenderContext) -> Page:
    code = record["language"]
    mode = record["mode"]
    w, h = int(record["width"]), int(record["height"])
    plan_w, plan_h = (h, w) if mode == "rotated" else (w, h)
    planner = DocumentPlanner(record, ctx, plan_w, plan_h)
    if record.get("classical"):
        planned = classical.plan(planner)
    elif record.get("tategaki"):
        planned = genko.plan(planner)
    else:
        planned = classical.plan_plain(planner) if mode == "ttb" else planner.plan_horizontal()
    canvas = apply_background(record["background"], w, h)
    if record.get("classical"):
        classical.draw(canvas, planner)
    elif record.get("tategaki"):
        genko.draw(canvas, planner)
    if mode == "rotated":
        # Lines fill the transposed page bottom-up, so after the clockwise quarter turn the
        # columns read left to right with glyph tops facing right, as Mongolian is written.
        for line in planned:
            ascent, descent = planner.ink_extent(line.style)
            line.y = plan_h - line.y + ascent - descent
        canvas = np.ascontiguousarray(np.rot90(canvas, k=1))  # turned back after drawing
    if mode == "horizontal" and record.get("rules"):
        _draw_rules(canvas, record)
    lines = []
    emph = record.get("emphasis")  # absent in older records: no emphasis runs
    for index, item in enumerate(planned):
        layout = item.layout or ctx.engine.layout_line(  # settled lines were laid out
            item.text, item.style, item.justify, line_emphasis(emph, index, item.role, item.hand))
        lines.append(draw_labelled_line(
            ctx.engine, canvas, layout, (item.x, item.y), colour=item.colour, role=item.role,
            line_index=index, hand=item.hand, line_seed=index,
        ))
    info = ctx.language(code)
    page = Page(image=canvas, language=code, script=info.script,
                direction=record["direction"], scene="document", lines=lines)
    page.blocks, page.extras = _blocks_and_paragraphs(record, planned, lines)
    if planner.placements:
        page.lines, page.blocks, page.regions = interleave(
            canvas, ctx, record, planner.placements, lines, page.blocks, page.extras)
    if mode == "rotated":
        for line in page.lines:
            line.direction = "ttb"
        page = map_page_geometry(
            page, np.ascontiguousarray(np.rot90(canvas, k=-1)),
            lambda pts: np.stack([plan_h - pts[:, 1], pts[:, 0]], axis=1),
        )
    return stamp.apply(page, record.get("stamp"), ctx)


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
