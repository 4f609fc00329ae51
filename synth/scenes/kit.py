"""Layout records shared by the table, form, receipt, card and note scenes.

These scenes measure text while sampling (shaped widths from the text engine) and write every
decision into the record as plain drawing orders: graphics (rules, boxes, fills) and lines
(text, pen position, anchor, size, font style, colour, handwriting). `draw_orders` replays them,
so `apply` is a pure function of the record. Labels come from the drawn ink through
`synth.scenes.draw_labelled_line`, the same path the document scene uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth.linebreak import NO_SPACE_SCRIPTS, break_segments, grapheme_clusters, iter_lines
from synth.opencv import cv2
from synth.page import Block, Line, Polygon, box_polygon, table_html
from synth.scenes import draw_labelled_line, sample_hand, union_box
from synth.text import TextStyle, clean_text

PRINT_INKS = ((20, 20, 20), (0, 0, 0), (35, 35, 40), (45, 40, 38), (25, 30, 60), (50, 50, 50))


def chain_for(ctx: Any, language: str, font: str) -> tuple[Any, ...]:
    """Font chain for a font name: sans | serif | handwriting, or `handwriting#k` for the k-th
    handwriting face of the language (several exist for Latin, Korean, Traditional Chinese),
    backed by the language's usual handwriting chain for characters that face lacks."""
    code = ctx.language(language).code
    if not font.startswith("handwriting#"):
        return ctx.chain(code, font)
    cache = ctx.memo  # per-worker facts (synth.render.RenderContext)
    key = ("scenes.kit.hand_chain", code, font)
    if key not in cache:
        faces = ctx.registry.handwriting_faces(code)
        base = ctx.chain(code, "handwriting")
        pick_face = faces[int(font.split("#", 1)[1]) % len(faces)] if faces else None
        cache[key] = base if pick_face is None else (pick_face, *[f for f in base if f != pick_face])
    return cache[key]


def style_for(ctx: Any, language: str, size: float, font: str = "sans", bold: bool = False) -> TextStyle:
    """The TextStyle of a line order; one object per worker for equal arguments, so the
    engine's caches find it by identity (a new style per call also had to be built and
    hashed, and compared field by field in every cache lookup)."""
    key = ("style_for", language, int(round(size)), font, bold)
    style = ctx.memo.get(key)
    if style is None:
        style = ctx.memo[key] = _make_style(ctx, language, size, font, bold)
    return style


def _make_style(ctx: Any, language: str, size: float, font: str, bold: bool) -> TextStyle:
    if font.startswith("handwriting#"):
        info = ctx.language(language)
        style = TextStyle(chain=chain_for(ctx, language, font), size=int(round(size)),
                          language=info.code, script=info.script, direction=info.direction)
    else:
        style = ctx.style(language, int(round(size)), font)
    if bold and "bold" in {f.name for f in dataclasses.fields(style)}:
        style = dataclasses.replace(style, bold=True)
    return style


def width_of(ctx: Any, language: str, text: str, size: float, font: str = "sans", bold: bool = False) -> float:
    return float(ctx.engine.width(text, style_for(ctx, language, size, font, bold)))


def metrics(ctx: Any, language: str, size: float, font: str = "sans") -> tuple[int, int]:
    """(ascent, descent) of the preferred face at this size."""
    return ctx.engine.metrics(style_for(ctx, language, size, font))


def covers(ctx: Any, language: str, font: str = "sans") -> Callable[[str], bool]:
    """Whether the language's font chain draws every character of a text (no tofu)."""
    chain = chain_for(ctx, language, font)

    def check(text: str) -> bool:
        try:
            ctx.registry.itemize(text, list(chain))
        except Exception:  # MissingGlyphError: the text cannot be drawn with these fonts
            return False
        return True

    return check


FIT_SLACK = 1e-6  # px: float rounding, never a visible overhang


def fit(ctx: Any, language: str, text: str, size: float, max_width: float, font: str = "sans",
        bold: bool = False) -> str:
    """`text` if it fits `max_width`, else its longest prefix of whole words that does (word
    breaks as lines break: ICU, dictionaries for Thai, Khmer, Lao, Myanmar), else, when not even
    its first word fits, its longest grapheme-cluster prefix (≥ 1 cluster). A cut inside a word
    drew fragments as if they were words: a card's name 'Титова Кла', a sign's 'மூலம் துன்புறுத்தலிலிரு'... and
    labelled them so. A width equal to `max_width` up to rounding fits: a table column is as
    wide as its widest cell, and the cell's room, recomputed from the column's edges, came out
    a few ulps short, so every date of a date column lost its last digit (11.10.201)."""
    max_width += FIT_SLACK
    if width_of(ctx, language, text, size, font, bold) <= max_width:
        return text
    style = style_for(ctx, language, size, font, bold)
    head = next(iter_lines(text, style.language, max_width, lambda s: ctx.engine.width(s, style)), "")
    words = head.rstrip()  # whole words, or a cut of the first word when it alone is too wide
    if words and _ends_a_word(words, text, style.language) \
            and width_of(ctx, language, words, size, font, bold) <= max_width:
        return words
    clusters = grapheme_clusters(text)
    lo, hi = 1, len(clusters)
    while lo < hi:  # binary search on the number of clusters kept
        mid = (lo + hi + 1) // 2
        if width_of(ctx, language, "".join(clusters[:mid]).rstrip(), size, font, bold) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return "".join(clusters[:lo]).rstrip() or clusters[0]


def _ends_a_word(head: str, text: str, language: str) -> bool:
    """Whether `head`, a prefix of `text` (spaces aside), ends at one of its line breaks."""
    at = 0
    for segment in break_segments(text, language):
        at += len(segment)
        if len(text[:at].rstrip()) == len(head):
            return True
    return False


def paragraph(ctx: Any, language: str, index: int) -> str:
    """Corpus paragraph `index`, cleaned of control characters so it can be drawn."""
    return clean_text(ctx.text(language).paragraphs[index])


def paragraph_index(rng: np.random.Generator, ctx: Any, language: str) -> int:
    """A random body paragraph (not the title at 0), or 0 when the text has only one."""
    count = len(ctx.text(language).paragraphs)
    return int(rng.integers(1, count)) if count > 1 else 0


def line_order(
    text: str,
    x: float,
    baseline: float,
    size: float,
    *,
    anchor: str = "left",
    font: str = "sans",
    colour: list[int] | tuple[int, ...] = (20, 20, 20),
    role: str = "paragraph",
    hand: dict[str, Any] | None = None,
    bold: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """One drawing order for a line; `anchor` says which end of the line sits at `x`."""
    order = {
        "text": text, "x": round(float(x), 2), "y": round(float(baseline), 2),
        "size": int(round(size)), "anchor": anchor, "font": font,
        "colour": [int(c) for c in colour], "role": role,
    }
    if bold:  # defaults are left out: a table page holds hundreds of orders
        order["bold"] = True
    if hand is not None:
        order["hand"], order["seed"] = hand, int(seed)
    return order


def hand_for(ctx: Any, rng: np.random.Generator, language: str, size: float) -> tuple[str, dict[str, Any] | None]:
    """(font style, hand record) of a handwritten line: a real handwriting font where the
    language has one, else imitation on the print font."""
    from synth.handwriting import sample_handwriting

    has_font = ctx.has_style(language, "handwriting")
    hand = sample_hand(rng, size, has_font)
    face = int(rng.integers(0, 1 << 16))  # drawn either way, so records stay aligned
    mild = sample_handwriting(rng, size)
    if has_font and hand is not None and rng.random() < 0.5:
        # A handwriting font still writes on a ruler-straight baseline: half of the writers
        # also get a gentle imitation (half amplitudes, no slant change, no thickening).
        for key in ("wobble_amplitude", "jitter_x", "jitter_y", "jitter_scale"):
            mild[key] = round(mild[key] * 0.5, 4)
        mild.update(slant=round(mild["slant"] * 0.3, 4), thickness=0, ink=list(hand["ink"]))
        hand = {"kind": "imitation", "params": mild}
    return (f"handwriting#{face}" if has_font else "sans"), hand


def draw_graphics(image: np.ndarray, orders: list[dict[str, Any]]) -> None:
    """Rules, boxes and fills (in place). Coordinates are page pixels."""
    for g in orders:
        colour = tuple(int(c) for c in g["colour"])
        if g["kind"] == "fill":
            x0, y0, x1, y1 = (int(round(v)) for v in g["box"])
            cv2.rectangle(image, (x0, y0), (x1, y1), colour, -1)
        elif g["kind"] == "rect":
            x0, y0, x1, y1 = (int(round(v)) for v in g["box"])
            cv2.rectangle(image, (x0, y0), (x1, y1), colour, int(g.get("thickness", 1)), cv2.LINE_AA)
        elif g["kind"] == "line":
            (x0, y0), (x1, y1) = g["points"]
            cv2.line(image, (int(round(x0)), int(round(y0))), (int(round(x1)), int(round(y1))),
                     colour, int(g.get("thickness", 1)), cv2.LINE_AA)
        elif g["kind"] == "dashes":
            (x0, y0), (x1, _) = g["points"]
            step = float(g.get("step", 8.0))
            for x in np.arange(x0, x1 - step / 2, step):
                cv2.line(image, (int(round(x)), int(round(y0))), (int(round(x + step / 2)), int(round(y0))),
                         colour, 1, cv2.LINE_AA)
        else:
            raise ValueError(f"unknown graphic kind {g['kind']!r}")


def draw_orders(image: np.ndarray, ctx: Any, language: str, orders: list[dict[str, Any]]) -> list[Line]:
    """Draw every line order into `image` and return their labels, index i for order i."""
    lines: list[Line] = []
    for index, order in enumerate(orders):
        style = style_for(ctx, language, order["size"], order["font"], order.get("bold", False))
        layout = ctx.engine.layout_line(order["text"], style)
        x = float(order["x"])
        if order["anchor"] == "right":
            x -= layout.advance
        elif order["anchor"] == "center":
            x -= layout.advance / 2
        line = draw_labelled_line(
            ctx.engine, image, layout, (x, float(order["y"])), colour=order["colour"],
            role=order["role"], line_index=index, hand=order.get("hand"),
            line_seed=order.get("seed", 0),
        )
        lines.append(line)
    return lines


def block(role: str, lines: list[Line], indices: list[int], table_index: int = -1,
          polygon: Polygon | None = None) -> Block:
    """A block around some lines (their text joined by newlines, in the given order)."""
    chosen = [lines[i] for i in indices]
    poly = polygon if polygon is not None else union_box([ln.polygon for ln in chosen])
    return Block(role=role, polygon=poly, line_indices=list(indices),
                 text="\n".join(ln.text for ln in chosen), table_index=table_index)


def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    return [round(float(x0), 2), round(float(y0), 2), round(float(x1), 2), round(float(y1), 2)]


def box_poly(b: list[float]) -> Polygon:
    return box_polygon(*b)


def seed_of(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def pick(rng: np.random.Generator, options: Any) -> Any:
    item = options[int(rng.integers(len(options)))]
    return list(item) if isinstance(item, tuple) else item


def apply_layout(record: dict[str, Any], ctx: Any) -> Any:
    """Re-make a page from a layout record: paper, graphics, lines, then the label structure.

    Record keys: `paper` (synth.render background record), `graphics`, `lines` (line orders in
    reading order), `blocks` ({role, lines}), `fields` ({key, value, key_line, value_line,
    kind}), `tables` ({rows, cols, box, cells: {row, col, rowspan, colspan, header, box,
    lines}}), `extras`.
    """
    from synth.page import Cell, Field, Page, Table
    from synth.render import apply_background

    width, height = int(record["width"]), int(record["height"])
    language = record["language"]
    info = ctx.language(language)
    image = apply_background(record["paper"], width, height)
    draw_graphics(image, record.get("graphics", []))
    lines = draw_orders(image, ctx, language, record["lines"])
    blocks = [block(b["role"], lines, b["lines"], b.get("table_index", -1),
                    box_poly(b["box"]) if b.get("box") else None)
              for b in record.get("blocks", [])]
    fields = [
        Field(key=f["key"], value=f["value"], key_polygon=lines[f["key_line"]].polygon,
              value_polygon=lines[f["value_line"]].polygon, kind=f.get("kind", "text"))
        for f in record.get("fields", [])
    ]
    tables = []
    joiner = "" if info.script in NO_SPACE_SCRIPTS else " "  # wrapped cell lines back to one text
    for t in record.get("tables", []):
        cells = [
            Cell(row=c["row"], col=c["col"], text=joiner.join(lines[i].text for i in c["lines"]),
                 polygon=box_poly(c["box"]), rowspan=c["rowspan"], colspan=c["colspan"],
                 header=c["header"])
            for c in t["cells"]
        ]
        tables.append(Table(rows=t["rows"], cols=t["cols"], cells=cells, polygon=box_poly(t["box"]),
                            html=table_html(cells)))
    return Page(
        image=image, language=info.code, script=info.script, direction=info.direction,
        scene=record["scene"], lines=lines, blocks=blocks, tables=tables, fields=fields,
        extras=dict(record.get("extras", {})),
    )



def option(spec: Any, name: str, drawn: Any, choices: tuple[Any, ...] | None = None,
           bounds: tuple[int, int] | None = None) -> Any:
    """`spec.options[name]` when set (validated), else the value drawn by the scene.

    The draw happens either way, so setting one option never shifts the other choices.
    """
    options = getattr(spec, "options", None) or {}
    if name not in options or options[name] is None:
        return drawn
    value = options[name]
    if choices is not None and value not in choices:
        raise PolyglyphError(f"{spec.scene} option {name}={value!r}: choose from {', '.join(map(str, choices))}")
    if bounds is not None:
        if not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
            raise PolyglyphError(f"{spec.scene} option {name}={value!r}: an integer in {bounds[0]}..{bounds[1]}")
    return value
