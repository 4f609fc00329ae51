"""Display formulas and charts between the paragraphs of a document page.

Sampling adds `record["figures"]`: each figure follows paragraph `after` (its position in
`record["paragraphs"]`) and is sized for one column (formula: the mathtext mask; chart: the
sampled chart, plus a caption line in the page's language). The planner places a figure after
that paragraph's lines, moving to the next column when it does not fit (and leaving it out when
no column is left). Drawing interleaves figures with the lines in reading order: a chart's texts
become label lines right after the paragraph it follows, its caption comes next.

Figures are drawn from their own child Generator after every other document choice, so a page
without figures keeps every other choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.formula import (
    FONTSETS,
    composite_mask,
    render_formula,
    render_formula_with_baseline,
    sample_formula,
    sample_inline_formula,
)
from synth.page import Block, Line, Region, Word, min_area_quad
from synth.render import RenderContext, pick
from synth.rng import child_rng
from synth.scenes import union_box
from synth.scenes.chart import chart_words, place_chart, sample_chart_record
from synth.scenes.formula import formula_region

FORMULA_SHARE = 0.3  # pages with display formulas
CHART_SHARE = 0.2  # pages with a chart or flowchart
INLINE_SHARE = 0.3  # left-to-right pages with a line of text holding inline math


def column_width(record: dict[str, Any]) -> float:
    left, _, right, _ = record["margins"]
    n, gap = int(record["columns"]), float(record["column_gap"])
    return (record["width"] - left - right - gap * (n - 1)) / n


def sample_figures(rng: np.random.Generator, ctx: RenderContext,
                   record: dict[str, Any]) -> list[dict[str, Any]]:
    """Figures of a horizontal page (none for vertical ones)."""
    if record["mode"] != "horizontal" or not record["paragraphs"]:
        return []
    rng = child_rng(rng, "document-figures")
    width = column_width(record)
    count = len(record["paragraphs"])
    figures: list[dict[str, Any]] = []
    if rng.random() < FORMULA_SHARE:
        for _ in range(int(rng.integers(1, 3))):
            formula = sample_formula(rng)
            fontset = pick(rng, FONTSETS)
            size = int(record["sizes"]["body"] * rng.uniform(1.0, 1.5))
            mask = render_formula(formula["latex"], fontset, size)
            while mask.shape[1] > 0.95 * width and size > 10:
                size = int(size * 0.85)
                mask = render_formula(formula["latex"], fontset, size)
            if mask.shape[1] > 0.95 * width:
                continue
            figures.append({"kind": "formula", "after": int(rng.integers(0, min(count, 6))),
                            "formula": formula, "fontset": fontset, "size": size,
                            "width": int(mask.shape[1]), "height": int(mask.shape[0])})
    words = chart_words(ctx, record["language"])
    if rng.random() < INLINE_SHARE and record["direction"] == "ltr" and len(words) >= 6:
        picked = [str(w) for w in rng.permutation(words)[:7]]
        cut = int(rng.integers(2, 5))
        figures.append({"kind": "inline", "after": int(rng.integers(0, min(count, 6))),
                        "formula": sample_inline_formula(rng), "fontset": pick(rng, FONTSETS),
                        "size": int(record["sizes"]["body"]), "lead": " ".join(picked[:cut]),
                        "tail": " ".join(picked[cut:])})
    if rng.random() < CHART_SHARE and len(words) >= 6 and width >= 240:
        chart = sample_chart_record(rng, ctx, record["language"], int(width * rng.uniform(0.8, 1)))
        caption = " ".join(str(w) for w in rng.permutation(words)[: int(rng.integers(2, 6))])
        figures.append({"kind": "chart", "after": int(rng.integers(0, min(count, 5))),
                        "chart": chart, "caption": caption, "width": chart["width"],
                        "height": chart["height"]})
    return sorted(figures, key=lambda f: f["after"])


def draw_figure(canvas: np.ndarray, ctx: RenderContext, record: dict[str, Any],
                placement: dict[str, Any], first_line: int
                ) -> tuple[list[Line], list[Region], Block]:
    """Draw one placed figure; returns its lines (chart texts), its region and its block."""
    figure = record["figures"][placement["figure"]]
    x, y = int(round(placement["x"])), int(round(placement["y"]))
    if figure["kind"] == "inline":
        return _inline_line(canvas, ctx, record, figure, placement, first_line)
    if figure["kind"] == "formula":
        latex = figure["formula"]["latex"]
        mask = render_formula(latex, figure["fontset"], int(figure["size"]))
        polygon = composite_mask(canvas, mask, x, y, record["colours"]["body"])
        region = formula_region(latex, figure["formula"]["field"], figure["fontset"],
                                int(figure["size"]), polygon)
        return [], [region], Block(role="formula", polygon=polygon, text=latex)
    lines, region, block = place_chart(canvas, ctx, record["language"], figure["chart"], (x, y),
                                       first_line)
    return lines, [region], block


def _inline_line(canvas: np.ndarray, ctx: RenderContext, record: dict[str, Any],
                 figure: dict[str, Any], placement: dict[str, Any], first_line: int
                 ) -> tuple[list[Line], list[Region], Block]:
    """`lead $latex$ tail` on one baseline: text by the text engine, math by mathtext. The line's
    text is exactly that (the math as its LaTeX between dollars), its words the lead words, the
    math and the tail words."""
    from synth.layout import DocumentPlanner

    style = DocumentPlanner(record, ctx, record["width"], record["height"]).style("paragraph")
    colour = record["colours"]["body"]
    latex = figure["formula"]["latex"]
    mask, baseline = render_formula_with_baseline(latex, figure["fontset"], int(figure["size"]))
    x, base = float(placement["x"]), float(placement["baseline"])
    space = ctx.engine.width(" ", style)
    parts: list[Line] = []
    lead = ctx.engine.layout_line(figure["lead"], style)
    parts.append(ctx.engine.line_label(lead, ctx.engine.draw_line(canvas, lead, (x, base),
                                                                  colour=colour)))
    mx = int(round(x + lead.advance + space))
    polygon = composite_mask(canvas, mask, mx, int(round(base - baseline)), colour)
    tail = ctx.engine.layout_line(figure["tail"], style)
    tx = mx + mask.shape[1] + space
    parts.append(ctx.engine.line_label(tail, ctx.engine.draw_line(canvas, tail, (tx, base),
                                                                  colour=colour)))
    math_word = Word(text=f"${latex}$", polygon=polygon, line_index=first_line)
    words = [*parts[0].words, math_word, *parts[1].words]
    for word in words:
        word.line_index = first_line
    outline = union_box([parts[0].polygon, polygon, parts[1].polygon])
    line = Line(text=f"{figure['lead']} ${latex}$ {figure['tail']}", polygon=outline,
                quad=min_area_quad(outline), language=parts[0].language, script=parts[0].script,
                direction="ltr", font=parts[0].font, font_family=parts[0].font_family,
                role="paragraph", size=parts[0].size, words=words)
    region = formula_region(latex, figure["formula"]["field"], figure["fontset"],
                            int(figure["size"]), polygon, display=False)
    block = Block(role="paragraph", polygon=outline, line_indices=[first_line], text=line.text)
    return [line], [region], block


def interleave(canvas: np.ndarray, ctx: RenderContext, record: dict[str, Any],
               placements: list[dict[str, Any]], lines: list[Line], blocks: list[Block],
               extras: dict[str, Any]) -> tuple[list[Line], list[Block], list[Region]]:
    """Draw the placed figures and merge their lines and blocks into reading order.

    `lines`, `blocks` and `extras` come in planned-line indices; figure lines go where their
    figure was placed (after `after_line` planned lines), and every index is renumbered."""
    drawn = {id(p): draw_figure(canvas, ctx, record, p, 0) for p in placements}
    final: list[Line] = []
    regions: list[Region] = []
    planned_map: list[int] = []
    figure_blocks: list[tuple[int, Block]] = []
    for i in range(len(lines) + 1):
        for placement in (p for p in placements if p["after_line"] == i):
            fig_lines, fig_regions, block = drawn[id(placement)]
            offset = len(final)
            for line in fig_lines:
                for word in line.words:
                    word.line_index += offset
            block.line_indices = [k + offset for k in block.line_indices]
            for region in fig_regions:
                if "line_indices" in region.attributes:
                    region.attributes["line_indices"] = list(block.line_indices)
            final.extend(fig_lines)
            regions.extend(fig_regions)
            figure_blocks.append((i, block))
        if i < len(lines):
            planned_map.append(len(final))
            lines[i].words = [_renumbered(w, len(final)) for w in lines[i].words]
            final.append(lines[i])
    merged: list[Block] = []
    pending = list(figure_blocks)
    for block in blocks:
        first = min(block.line_indices) if block.line_indices else len(lines)
        while pending and pending[0][0] <= first:
            merged.append(pending.pop(0)[1])
        block.line_indices = [planned_map[k] for k in block.line_indices]
        merged.append(block)
    merged.extend(b for _, b in pending)
    for entry in extras.get("paragraphs", []):
        entry["line_indices"] = [planned_map[k] for k in entry["line_indices"]]
    return final, merged, regions


def _renumbered(word: Any, index: int) -> Any:
    word.line_index = index
    return word
