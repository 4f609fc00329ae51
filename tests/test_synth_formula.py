"""Formulas: the LaTeX answer, re-rendered by the same engine, draws the ink of the formula region."""

from __future__ import annotations

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.errors import PolyglyphError
from qa_factory.layout import layout_items
from qa_factory.markdown import page_markdown
from qa_factory.prompts import task_of_prompt
from qa_factory.views import TASKS, make_views
from synth.formula import FIELDS, render_formula, sample_formula
from synth.page import axis_box
from synth.render import PageSpec, RenderContext, apply_background, render_page
from synth.rng import child_rng, sample_rng

FORMULA_ONLY = {task: 0.0 for task in TASKS} | {"formula": 1.0, "parsing": 1.0}


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    return RenderContext(FontRegistry.load(), load_corpus(languages=["en"]))


def _ink(mask: np.ndarray) -> np.ndarray:
    """The ink cropped to its own bounding box (alignment by the ink's top-left corner)."""
    rows, cols = np.nonzero(mask)
    return mask[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa, pb = np.zeros((h, w), bool), np.zeros((h, w), bool)
    pa[: a.shape[0], : a.shape[1]] = a
    pb[: b.shape[0], : b.shape[1]] = b
    return float((pa & pb).sum() / max(1, (pa | pb).sum()))


def _drawn_ink(page, region) -> np.ndarray:
    """Coverage of the formula's ink as drawn: (page - paper) / (ink - paper), per pixel, with
    the paper re-made from the record, so texture and ink colour cancel out."""
    record = page.render
    paper = apply_background(record["background"], page.width, page.height).astype(np.float32)
    ink = np.asarray(record["ink"], np.float32)
    contrast = np.abs(ink - paper)
    channel = contrast.argmax(axis=2)[..., None]
    moved = np.take_along_axis(np.abs(page.image.astype(np.float32) - paper), channel, 2)[..., 0]
    alpha = moved / np.maximum(np.take_along_axis(contrast, channel, 2)[..., 0], 1.0)
    x0, y0, x1, y1 = (int(round(v)) for v in axis_box(region.polygon))
    return alpha[max(0, y0 - 3): y1 + 3, max(0, x0 - 3): x1 + 3] > 0.5


@pytest.mark.parametrize("seed", range(12))
def test_latex_answer_rerenders_to_the_drawn_ink(ctx: RenderContext, seed: int) -> None:
    spec = PageSpec(language="en", scene="formula", width=900, height=400)
    page = render_page(spec, child_rng(sample_rng(seed), "render"), ctx)
    views = [v for v in make_views(page, sample_rng(seed), task_mix=FORMULA_ONLY)
             if v["task"] == "formula"]
    assert len(views) == 1 and len(page.regions) == 1
    region, answer = page.regions[0], views[0]["answer"]
    assert task_of_prompt(views[0]["prompt"]) == "formula"
    assert answer == page.render["formula"]["latex"] == region.attributes["latex"]
    again = render_formula(answer, region.attributes["fontset"], region.attributes["size"])
    assert _iou(_ink(_drawn_ink(page, region)), _ink(again > 127)) >= 0.9
    assert page_markdown(page) == f"$${answer}$$"
    assert [i.category for i in layout_items(page)] == ["formula"]


def test_a_different_formula_does_not_match(ctx: RenderContext) -> None:
    spec = PageSpec(language="en", scene="formula", width=900, height=400)
    page = render_page(spec, child_rng(sample_rng(0), "render"), ctx)
    region = page.regions[0]
    drawn = _ink(_drawn_ink(page, region))
    other = sample_formula(sample_rng(99))["latex"]  # IoU tolerates one changed symbol, by design
    for wrong in (region.text.replace("x", "y"), other):
        assert wrong != region.text
        again = render_formula(wrong, region.attributes["fontset"], region.attributes["size"])
        assert _iou(drawn, _ink(again > 127)) < 0.9, wrong


def test_sampler_covers_every_field_and_every_formula_draws() -> None:
    seen = set()
    for i in range(80):
        formula = sample_formula(sample_rng(i))
        seen.add(formula["field"])
        assert render_formula(formula["latex"], "cm", 24).any()
    assert seen == set(FIELDS)
    with pytest.raises(PolyglyphError, match="cannot be drawn"):
        render_formula(r"\begin{matrix} a \end{matrix}")
    with pytest.raises(PolyglyphError, match="size"):
        render_formula("x", size=1000)


def test_font_lookup_at_one_size_finds_the_file_matplotlib_finds() -> None:
    """The size-free look-up (one cache entry for every formula size, among matplotlib's own
    faces) picks the face the full manager picks."""
    from matplotlib import font_manager

    from synth.formula import _size_free_findfont

    find = _size_free_findfont()
    for family in ("sans-serif", "serif", "STIXGeneral", "DejaVu Sans", "DejaVu Serif",
                   "DejaVu Sans Mono", "cmr10", "cmmi10", "STIXSizeOneSym"):
        for size, style, weight in ((7.0, "normal", "normal"), (64.0, "italic", "bold")):
            prop = font_manager.FontProperties(family=family, size=size, style=style,
                                               weight=weight)
            assert find(prop) == font_manager.fontManager.findfont(prop), (family, style)


def test_mathtext_symbol_cache_does_not_grow_with_formulas() -> None:
    # mathtext caches sized alternatives per parse's font set (new every parse): kept, it
    # grew ~11.5 KiB a formula over a run; emptied after each parse, the drawing is the same
    from matplotlib import _mathtext

    method = _mathtext.StixFonts.get_sized_alternatives_for_symbol
    first = render_formula(r"\left(\sum_{k=1}^{n} \sqrt{x_k}\right)^{2}", "stix", 31)
    for size in range(20, 30):
        render_formula(r"\left[\int_0^{1} \frac{a}{b_" + str(size) + r"}\,dx\right]", "stix", size)
        assert method.cache_info().currsize == 0
    from synth.formula import _render_cached

    _render_cached.cache_clear()  # drawn again from scratch: same mask
    again = render_formula(r"\left(\sum_{k=1}^{n} \sqrt{x_k}\right)^{2}", "stix", 31)
    assert np.array_equal(first, again)
