"""Documents with display formulas and charts: figures sit between paragraphs, never on text,
and every target (parsing, layout, spotting) carries them."""

from __future__ import annotations

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from qa_factory.layout import layout_items
from qa_factory.markdown import page_markdown
from synth.formula import render_formula
from synth.page import axis_box
from synth.render import PageSpec, RenderContext, apply_background, apply_render, sample_render
from synth.rng import sample_rng


@pytest.fixture(scope="module")
def pages() -> list:
    ctx = RenderContext(FontRegistry.load(), load_corpus(languages=["en", "ar"]))
    found: dict[str, object] = {}
    for seed in range(60):
        language = ("en", "ar")[seed % 2]
        record = sample_render(PageSpec(language, width=1024, height=1448), sample_rng(seed), ctx)
        if not record.get("figures"):
            continue
        page = apply_render(record, ctx)
        kinds = {r.kind if r.attributes.get("display", True) else "inline" for r in page.regions}
        for kind in kinds - set(found) - {"stamp"}:
            found[kind] = page
        if {"formula", "chart", "inline"} <= set(found):
            break
    assert {"formula", "chart", "inline"} <= set(found)
    return list(found.values())


def _overlap(a: list[float], b: list[float]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def test_figures_never_cover_text_and_targets_carry_them(pages) -> None:
    for page in pages:
        assert page.regions
        markdown = page_markdown(page)
        categories = [i.category for i in layout_items(page) or []]
        for region in page.regions:
            own = set(region.attributes.get("line_indices", []))
            if not region.attributes.get("display", True):  # inline math: inside its own line
                own |= {i for i, ln in enumerate(page.lines)
                        if any(w.polygon == region.polygon for w in ln.words)}
            box = axis_box(region.polygon)
            for i, line in enumerate(page.lines):
                if i not in own:
                    assert _overlap(box, axis_box(line.polygon)) == 0, (region.kind, line.text)
            if region.kind == "formula" and not region.attributes["display"]:
                line = next(ln for ln in page.lines if f"${region.text}$" in ln.text)
                assert f" ${region.text}$ " in markdown and line.role == "paragraph"
                assert _overlap(box, axis_box(line.polygon)) > 0  # the math is in its line
                word = next(w for w in line.words if w.text == f"${region.text}$")
                assert word.polygon == region.polygon
                again = render_formula(region.text, region.attributes["fontset"],
                                       region.attributes["size"])
                assert _iou(_ink(_drawn(page, region)), _ink(again > 127)) >= 0.9
            elif region.kind == "formula":
                assert f"$${region.text}$$" in markdown
                assert "formula" in categories
            else:
                assert "figure" in categories and "figure_title" in categories
                for i in own:  # chart texts: spotted lines inside the chart, not parsing text
                    assert _overlap(box, axis_box(page.lines[i].polygon)) > 0
                    assert page.lines[i].role.startswith("chart-")
                caption = next(ln for ln in page.lines if ln.role == "figure-caption")
                assert caption.text in markdown
        # reading order: line indices of every block increase through the page
        firsts = [min(b.line_indices) for b in page.blocks if b.line_indices]
        assert firsts == sorted(firsts)


def _ink(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    return mask[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa, pb = np.zeros((h, w), bool), np.zeros((h, w), bool)
    pa[: a.shape[0], : a.shape[1]] = a
    pb[: b.shape[0], : b.shape[1]] = b
    return float((pa & pb).sum() / max(1, (pa | pb).sum()))


def _drawn(page, region) -> np.ndarray:
    """Coverage of the body ink inside the region, against the re-made paper."""
    paper = apply_background(page.render["background"], page.width, page.height)
    ink = np.asarray(page.render["colours"]["body"], np.float32)
    contrast = np.abs(ink - paper.astype(np.float32)).max(axis=2)
    moved = np.abs(page.image.astype(np.float32) - paper.astype(np.float32)).max(axis=2)
    x0, y0, x1, y1 = (int(round(v)) for v in axis_box(region.polygon))
    alpha = moved[y0:y1, x0:x1] / np.maximum(contrast[y0:y1, x0:x1], 1.0)
    return alpha > 0.5
