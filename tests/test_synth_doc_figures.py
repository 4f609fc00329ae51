"""Documents with display formulas and charts: figures sit between paragraphs, never on text,
and every target (parsing, layout, spotting) carries them."""

from __future__ import annotations

import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from qa_factory.layout import layout_items
from qa_factory.markdown import page_markdown
from synth.page import axis_box
from synth.render import PageSpec, RenderContext, apply_render, sample_render
from synth.rng import sample_rng


@pytest.fixture(scope="module")
def pages() -> list:
    ctx = RenderContext(FontRegistry.load(), load_corpus(languages=["en", "ar"]))
    found: dict[str, object] = {}
    for seed in range(40):
        language = ("en", "ar")[seed % 2]
        record = sample_render(PageSpec(language, width=1024, height=1448), sample_rng(seed), ctx)
        kinds = {f["kind"] for f in record.get("figures", [])}
        for kind in kinds - set(found):
            found[kind] = apply_render(record, ctx)
        if {"formula", "chart"} <= set(found):
            break
    assert {"formula", "chart"} <= set(found)
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
            box = axis_box(region.polygon)
            for i, line in enumerate(page.lines):
                if i not in own:
                    assert _overlap(box, axis_box(line.polygon)) == 0, (region.kind, line.text)
            if region.kind == "formula":
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
