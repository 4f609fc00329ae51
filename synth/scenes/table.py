"""Table page: a ruled or unruled grid with header rows, row and column spans, and HTML truth.

The span structure is drawn first as a list of cells that covers the rows x cols grid exactly
once; column widths come from the shaped widths of the cell texts (shrinking the font, then
cutting texts, when the page is too narrow). RTL languages lay column 0 out on the right while
the HTML stays in logical order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth import content as fake
from synth.money import format_money, money_format
from synth.render import sample_background
from synth.rng import child_rng
from synth.scenes import kit
from synth.scenes.form import make_content

RULINGS = ("full", "horizontal", "outer", "header", "none")
COLUMN_KINDS = ("text", "amount", "number", "date", "name", "word", "phrase")
MAX_CELL_LINES = 3


def span_grid(rng: np.random.Generator, rows: int, cols: int, header_rows: int) -> list[dict[str, Any]]:
    """Cells (row, col, rowspan, colspan, header) covering every grid slot exactly once."""
    owner = [[False] * cols for _ in range(rows)]
    cells: list[dict[str, Any]] = []

    def add(r: int, c: int, rs: int, cs: int, header: bool) -> None:
        for rr in range(r, r + rs):
            for cc in range(c, c + cs):
                assert not owner[rr][cc], "span overlap"
                owner[rr][cc] = True
        cells.append({"row": r, "col": c, "rowspan": rs, "colspan": cs, "header": header})

    if header_rows == 2:
        add(0, 0, 2, 1, True)
        c = 1
        while c < cols:
            if c + 1 < cols and rng.random() < 0.7:
                add(0, c, 1, 2, True)
                add(1, c, 1, 1, True)
                add(1, c + 1, 1, 1, True)
                c += 2
            else:
                add(0, c, 2, 1, True)
                c += 1
    else:
        for c in range(cols):
            add(0, c, 1, 1, True)
    group_first_col = rows - header_rows >= 4 and rng.random() < 0.45
    r = header_rows
    while r < rows:
        if group_first_col and rows - r >= 2 and rng.random() < 0.5:
            span = int(rng.integers(2, min(4, rows - r) + 1))
            add(r, 0, span, 1, False)
            r += span
        else:
            add(r, 0, 1, 1, False)
            r += 1
    for r in range(header_rows, rows):
        c = 1
        while c < cols:
            if owner[r][c]:
                c += 1
                continue
            if c + 1 < cols and not owner[r][c + 1] and rng.random() < 0.06:
                add(r, c, 1, 2, False)
                c += 2
            else:
                add(r, c, 1, 1, False)
                c += 1
    return sorted(cells, key=lambda cell: (cell["row"], cell["col"]))


def _cell_text(kind: str, source: fake.Content, money: dict[str, Any], rng: np.random.Generator) -> str:
    if kind == "amount":
        return format_money(int(rng.integers(100, 500_000)), money, with_symbol=rng.random() < 0.3)
    if kind == "number":
        return source.number(str(int(rng.integers(0, 10 ** int(rng.integers(1, 5))))))
    if kind == "date":
        return source.date()[0]
    if kind == "name":
        return source.person_name()
    if kind == "word":
        return source.word()
    if kind == "phrase":  # a few corpus words that may wrap inside the cell
        return source.text_phrase(3, 10)
    return source.item_name()


def edges_of(col_w: np.ndarray, col: int, colspan: int) -> tuple[float, float]:
    """Logical x-range of a span of columns (from the table's start edge)."""
    edges = np.concatenate([[0.0], np.cumsum(col_w)])
    return float(edges[col]), float(edges[col + colspan])


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    info = ctx.language(spec.language)
    code, rtl = info.code, info.direction == "rtl"
    width, height = int(spec.width), int(spec.height)
    scale = min(width, height) / 1024
    margin = (spec.margin if spec.margin is not None else float(rng.uniform(0.05, 0.09))) * min(width, height)
    font = ctx.sample_font(rng, code, "table", spec.font_style)
    source, label = make_content(spec, rng, ctx, font)
    money = money_format(code, info.script, rng, source.digits)
    paper = sample_background(child_rng(rng, "paper"), width, height, tuple(spec.backgrounds),
                              ruling="none")
    ink = kit.pick(rng, kit.PRINT_INKS)
    low, high = spec.font_size or (int(16 * scale) + 1, int(26 * scale) + 2)
    size = float(rng.integers(max(8, low), max(9, high)))

    cols = kit.option(spec, "cols", int(rng.integers(2, 7)), bounds=(1, 12))
    header_rows = 2 if cols >= 3 and rng.random() < 0.3 else 1
    rows = header_rows + kit.option(spec, "body_rows", int(rng.integers(3, 24)), bounds=(1, 60))
    kinds = ["text"] + [kit.pick(rng, COLUMN_KINDS) for _ in range(cols - 1)]
    cells = span_grid(rng, rows, cols, header_rows)
    header_words = [label[k] for k in ("item", "qty", "price", "amount", "date", "name", "city", "company")]
    for cell in cells:
        if cell["header"]:
            cell["text"] = header_words[int(rng.integers(len(header_words)))] if rng.random() < 0.5 \
                else source.word()
        elif rng.random() < 0.04:
            cell["text"] = ""  # empty cells exist in real tables
        else:
            cell["text"] = _cell_text(kinds[cell["col"]], source, money, rng)

    pad_x, avail = size * 0.6, width - 2 * margin
    for _ in range(4):  # shrink until the natural widths fit, then cut what still does not
        col_w = np.full(cols, size * 2.0)
        for cell in cells:
            if cell["colspan"] == 1 and cell["text"]:
                w = kit.width_of(ctx, code, cell["text"], size, font, cell["header"]) + 2 * pad_x
                if kinds[cell["col"]] == "phrase" and not cell["header"]:
                    w = min(w, avail * 0.3)  # long text wraps instead of widening the column
                col_w[cell["col"]] = max(col_w[cell["col"]], w)
        if col_w.sum() <= avail or size <= 10 * scale:
            break
        size = max(10 * scale, size * 0.85)
        pad_x = size * 0.6
    if col_w.sum() > avail:
        col_w = col_w * (avail / col_w.sum())
    elif rng.random() < 0.5:
        col_w = col_w + (avail - col_w.sum()) / cols  # full-width table
    ascent, descent = kit.metrics(ctx, code, size, font)
    row_h = (ascent + descent) * float(rng.uniform(1.35, 1.9))
    pitch = (ascent + descent) * 1.12  # between wrapped lines inside one cell
    style = kit.style_for(ctx, code, size, font)
    for cell in cells:  # wrap long cells (single-row ones only) within their column
        x0, x1 = edges_of(col_w, cell["col"], cell["colspan"])
        if cell["text"] and kinds[cell["col"]] == "phrase" and not cell["header"] and cell["rowspan"] == 1:
            cell["wrapped"] = ctx.engine.wrap(cell["text"], style, x1 - x0 - 2 * pad_x)[:MAX_CELL_LINES]
        else:
            cell["wrapped"] = [cell["text"]] if cell["text"] else []
    heights = np.full(rows, row_h)
    for cell in cells:
        if cell["rowspan"] == 1 and len(cell["wrapped"]) > 1:
            heights[cell["row"]] = max(heights[cell["row"]], row_h + (len(cell["wrapped"]) - 1) * pitch)

    lines: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    y = margin
    if rng.random() < 0.8:
        title_size = size * float(rng.uniform(1.3, 1.8))
        t_ascent, t_descent = kit.metrics(ctx, code, title_size, font)
        title = source.company() if rng.random() < 0.5 else source.text_phrase(1, 4)
        title = kit.fit(ctx, code, title, title_size, avail, font, bold=True)
        y += t_ascent
        lines.append(kit.line_order(title, (width - margin) if rtl else margin, y, title_size,
                                    anchor="right" if rtl else "left", font=font, colour=ink,
                                    role="title", bold=True))
        blocks.append({"role": "title", "lines": [0]})
        y += t_descent + size * 1.2
    if rng.random() < 0.4:  # an introductory paragraph from the corpus
        text = kit.paragraph(ctx, code, kit.paragraph_index(rng, ctx, code))
        wrapped = ctx.engine.wrap(text, kit.style_for(ctx, code, size, font), avail)
        first = len(lines)
        for text in wrapped[: int(rng.integers(1, 6))]:
            y += ascent
            lines.append(kit.line_order(text, (width - margin) if rtl else margin, y, size,
                                        anchor="right" if rtl else "left", font=font, colour=ink,
                                        role="paragraph"))
            y += descent + size * 0.4
        blocks.append({"role": "paragraph", "lines": list(range(first, len(lines)))})
        y += size
    max_rows = int(np.searchsorted(np.cumsum(heights), height - margin - y - size * 3, side="right"))
    if rows > max_rows:  # page too short: keep whole header plus the body rows that fit
        rows = max(header_rows + 1, max_rows)
        cells = [c for c in cells if c["row"] < rows]
        for c in cells:
            c["rowspan"] = min(c["rowspan"], rows - c["row"])
        heights = heights[:rows]

    table_w = float(col_w.sum())
    x_left = (width - margin - table_w) if rtl else margin
    edges = np.concatenate([[0.0], np.cumsum(col_w)])
    top = y
    row_top = top + np.concatenate([[0.0], np.cumsum(heights)])

    def col_span(c: int, cs: int) -> tuple[float, float]:
        a, b = edges[c], edges[c + cs]
        return (x_left + table_w - b, x_left + table_w - a) if rtl else (x_left + a, x_left + b)

    ruling = kit.option(spec, "ruling", kit.pick(rng, RULINGS), RULINGS)
    rule_colour = ink if rng.random() < 0.6 else [int(v) for v in rng.integers(90, 160, 3)]
    graphics: list[dict[str, Any]] = []
    bottom = float(row_top[rows])
    if rng.random() < 0.4:
        shade = [int(v) for v in rng.integers(205, 235, 3)]
        graphics.append({"kind": "fill", "box": kit.box(x_left, top, x_left + table_w, row_top[header_rows]),
                         "colour": shade})
    if rng.random() < 0.2:
        stripe = [int(v) for v in rng.integers(225, 245, 3)]
        for r in range(header_rows + 1, rows, 2):
            graphics.append({"kind": "fill", "box": kit.box(x_left, row_top[r], x_left + table_w,
                                                            row_top[r + 1]), "colour": stripe})
    # Filled-in tables: some body cells written by hand (spec.style_mix, else now and then).
    hand_share = float(spec.style_mix) if spec.style_mix else (0.5 if rng.random() < 0.15 else 0.0)
    hand_font, hand = kit.hand_for(ctx, rng, code, size) if hand_share > 0 else (font, None)
    hand_scale = 1.25 if hand_font.startswith("handwriting") else 1.0  # script fonts run small
    table_cells = []
    first_cell_line = len(lines)
    for cell in cells:
        x0, x1 = col_span(cell["col"], cell["colspan"])
        y0, y1 = row_top[cell["row"]], row_top[cell["row"] + cell["rowspan"]]
        by_hand = not cell["header"] and rng.random() < hand_share
        cell_font = hand_font if by_hand else font
        cell_size = size * (hand_scale if by_hand else 1.0)
        texts = [kit.fit(ctx, code, t, cell_size, x1 - x0 - 2 * pad_x, cell_font, cell["header"])
                 for t in cell["wrapped"]]
        cell_lines = []
        numeric = kinds[cell["col"]] in ("amount", "number") and not cell["header"]
        if cell["header"]:
            anchor, x = "center", (x0 + x1) / 2
        elif numeric != rtl:
            anchor, x = "right", x1 - pad_x
        else:
            anchor, x = "left", x0 + pad_x
        first_baseline = (y0 + y1) / 2 - (len(texts) - 1) * pitch / 2 + (ascent - descent) / 2
        for n, text in enumerate(texts):  # wrapped lines centred as a block in the cell
            cell_lines.append(len(lines))
            lines.append(kit.line_order(text, x, first_baseline + n * pitch, cell_size, anchor=anchor,
                                        font=cell_font, colour=ink, role="table-cell",
                                        bold=cell["header"], hand=hand if by_hand else None,
                                        seed=len(lines)))
        if ruling == "full":
            graphics.append({"kind": "rect", "box": kit.box(x0, y0, x1, y1), "colour": rule_colour,
                             "thickness": 1})
        elif ruling == "horizontal":
            graphics.append({"kind": "line", "points": [[x0, y1], [x1, y1]], "colour": rule_colour,
                             "thickness": 1})
        table_cells.append({"row": cell["row"], "col": cell["col"], "rowspan": cell["rowspan"],
                            "colspan": cell["colspan"], "header": cell["header"],
                            "box": kit.box(x0, y0, x1, y1), "lines": cell_lines})
    x_right = x_left + table_w
    if ruling in ("outer", "header", "horizontal", "full"):
        heavy = 2 if ruling in ("header", "outer") else 1
        graphics.append({"kind": "line", "points": [[x_left, top], [x_right, top]], "colour": rule_colour,
                         "thickness": heavy})
        graphics.append({"kind": "line", "points": [[x_left, bottom], [x_right, bottom]],
                         "colour": rule_colour, "thickness": heavy})
        graphics.append({"kind": "line", "points": [[x_left, row_top[header_rows]],
                                                    [x_right, row_top[header_rows]]],
                         "colour": rule_colour, "thickness": 1})
    if ruling == "outer":
        graphics.append({"kind": "rect", "box": kit.box(x_left, top, x_right, bottom),
                         "colour": rule_colour, "thickness": 1})
    table_lines = list(range(first_cell_line, len(lines)))
    table_box = kit.box(x_left, top, x_right, bottom)
    blocks.append({"role": "table", "lines": table_lines, "table_index": 0, "box": table_box})
    y = bottom + size * 1.2
    if rng.random() < 0.5 and y + size * 2 < height - margin:
        caption = kit.paragraph(ctx, code, kit.paragraph_index(rng, ctx, code))
        caption = ctx.engine.wrap(caption, kit.style_for(ctx, code, size * 0.9, font), avail)[0]
        y += ascent
        lines.append(kit.line_order(caption, (width - margin) if rtl else margin, y, size * 0.9,
                                    anchor="right" if rtl else "left", font=font, colour=ink,
                                    role="caption"))
        blocks.append({"role": "caption", "lines": [len(lines) - 1]})
    return {
        "scene": spec.scene, "language": code, "width": width, "height": height, "paper": paper,
        "font": font, "size": round(size, 2), "ruling": ruling, "graphics": graphics, "lines": lines,
        "blocks": blocks,
        "tables": [{"rows": rows, "cols": cols, "box": table_box, "cells": table_cells}],
        "extras": {"currency": money["code"]},
    }


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return kit.apply_layout(record, ctx)
