"""Layout views: both wire formats parse back to the regions, and every region holds its lines."""

from __future__ import annotations

import pytest

import warping
from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from qa_factory import sample_pages
from qa_factory.formats import normalised_box
from qa_factory.layout import LAYOUT_CATEGORIES, layout_items, parse_layout, parse_layout_json
from qa_factory.markdown import page_markdown
from qa_factory.prompts import task_of_prompt
from qa_factory.scoring import score_answer
from qa_factory.views import TASKS, make_views
from synth.render import PageSpec, RenderContext, render_page
from synth.rng import child_rng, sample_rng

LAYOUT_ONLY = {task: 0.0 for task in TASKS} | {"layout": 1.0, "layout_json": 1.0}
CASES = [("en", {}, None), ("ar", {"columns": 2}, "scan"), ("zh-Hans", {}, "photo"),
         ("ja", {"vertical": True}, None), ("ru", {"style_mix": 0.5}, "photo")]


@pytest.fixture(scope="module")
def pages() -> list:
    ctx = RenderContext(FontRegistry.load(),
                        load_corpus(languages=["en", "ar", "zh-Hans", "ja", "ru"]))
    out = [sample_pages.document_page("en"), sample_pages.table_page()]
    for i, (language, knobs, profile) in enumerate(CASES):
        spec = PageSpec(language=language, width=700, height=900, **knobs)
        page = render_page(spec, child_rng(sample_rng(40 + i), "render"), ctx)
        if profile:
            page = warping.warp_page(page, profile, child_rng(sample_rng(40 + i), "warp"))
        out.append(page)
    return out


def _contains(outer: list[int], inner: list[int]) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1]
            and outer[2] >= inner[2] and outer[3] >= inner[3])


def test_layout_answers_parse_in_both_formats_and_boxes_hold_their_lines(pages) -> None:
    with_view = 0
    for page in pages:
        items = layout_items(page)
        views = {v["task"]: v for v in make_views(page, sample_rng(0), task_mix=LAYOUT_ONLY)
                 if v["task"].startswith("layout")}
        if items is None:
            assert not views
            continue
        with_view += 1
        assert parse_layout(views["layout"]["answer"]) == items
        assert parse_layout_json(views["layout_json"]["answer"]) == items
        for task, view in views.items():
            assert task_of_prompt(view["prompt"]) == task
            assert score_answer(task, view["answer"], view["answer"]) == 1.0
        assert {i.category for i in items} <= set(LAYOUT_CATEGORIES)
        kept = [b for b in page.blocks if any(page.lines[i].visible > 0 for i in b.line_indices)
                or not b.line_indices]
        assert len(items) == len(kept)
        for item, block in zip(items, kept, strict=True):
            assert all(0 <= v <= 1000 for v in item.box)
            for i in block.line_indices:
                line = page.lines[i]
                if line.visible > 0:
                    box = normalised_box(line.polygon, page.width, page.height)
                    assert _contains(item.box, box), (item, line.text)
    assert with_view >= 5


def test_headers_and_footers_are_layout_regions_but_not_parsing_targets(pages) -> None:
    seen = 0
    for page in pages:
        items = layout_items(page) or []
        markdown = page_markdown(page)
        for item in items:
            if item.category in ("header", "footer") and item.text:
                seen += 1
                assert item.text not in markdown.split("\n\n")
    assert seen >= 2


def test_swapped_category_or_moved_box_scores_below_one(pages) -> None:
    page = pages[0]
    view = next(v for v in make_views(page, sample_rng(0), task_mix=LAYOUT_ONLY)
                if v["task"] == "layout")
    items = parse_layout(view["answer"])
    wrong = view["answer"].replace(f"<layout>{items[1].category}</layout>",
                                   "<layout>stamp</layout>", 1)
    assert score_answer("layout", view["answer"], wrong) < 1.0
