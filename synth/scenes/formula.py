"""Formula scene: one display formula on paper, cropped close like a formula-recognition sample.

The formula comes from `synth.formula` (LaTeX by field, drawn by mathtext); the page is sized to
the formula plus a sampled margin (never larger than the spec's page). Labels: one Region of
kind "formula" (polygon = the ink box as drawn, text and attributes["latex"] = the LaTeX source)
and one Block of role "formula", so layout and parsing views see it like a document formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.formula import FONTSETS, composite_mask, render_formula, sample_formula
from synth.page import Block, Page, Region
from synth.render import (
    PRINT_INKS,
    PageSpec,
    RenderContext,
    apply_background,
    pick,
    sample_background,
)


def formula_region(latex: str, field: str, fontset: str, size: int, polygon: list[list[float]],
                   display: bool = True) -> Region:
    """The one label of a drawn formula (shared with documents)."""
    return Region(kind="formula", polygon=polygon, text=latex,
                  attributes={"latex": latex, "field": field, "fontset": fontset, "size": size,
                              "display": display, "engine": "matplotlib.mathtext"})


def sample(spec: PageSpec, rng: np.random.Generator, ctx: RenderContext) -> dict[str, Any]:
    info = ctx.language(spec.language)
    formula = sample_formula(rng, spec.options.get("formula_field"))
    fontset = pick(rng, FONTSETS)
    size = int(rng.integers(22, 49))
    mask = render_formula(formula["latex"], fontset, size)
    while size > 10 and mask.shape[1] > 0.9 * spec.width:  # a long formula on a narrow page
        size -= 4
        mask = render_formula(formula["latex"], fontset, size)
    pad = [int(v) for v in rng.integers(int(0.3 * size), int(1.6 * size) + 1, size=4)]  # l t r b
    w = int(min(spec.width, mask.shape[1] + pad[0] + pad[2]))
    h = int(min(spec.height, mask.shape[0] + pad[1] + pad[3]))
    return {
        "scene": "formula",
        "language": info.code,
        "script": info.script,
        "direction": "ltr",
        "width": w,
        "height": h,
        "background": sample_background(rng, w, h),
        "formula": formula,
        "fontset": fontset,
        "size": size,
        "ink": pick(rng, PRINT_INKS),
        "origin": [min(pad[0], max(0, w - mask.shape[1])), min(pad[1], max(0, h - mask.shape[0]))],
    }


def apply(record: dict[str, Any], ctx: RenderContext) -> Page:
    w, h = int(record["width"]), int(record["height"])
    canvas = apply_background(record["background"], w, h)
    latex = record["formula"]["latex"]
    mask = render_formula(latex, record["fontset"], int(record["size"]))
    x, y = (int(v) for v in record["origin"])
    polygon = composite_mask(canvas, mask, x, y, record["ink"])
    region = formula_region(latex, record["formula"]["field"], record["fontset"],
                            int(record["size"]), polygon)
    return Page(image=canvas, language=record["language"], script=record["script"],
                direction="ltr", scene="formula", regions=[region],
                blocks=[Block(role="formula", polygon=polygon, text=latex)])
