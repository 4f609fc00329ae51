"""All four spotting wire formats parse back to the drawn lines; text-free pages say 没有文字."""

from __future__ import annotations

import numpy as np
import pytest

import warping
from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.sample import plan_sample
from qa_factory import sample_pages
from qa_factory.formats import (
    NO_TEXT,
    SPOTTING_WRITERS,
    normalised_box,
    parse_spotting_any,
    parse_spotting_plain,
    parse_spotting_tokens,
)
from qa_factory.prompts import task_of_prompt
from qa_factory.scoring import score_answer
from qa_factory.views import make_views
from synth.render import PageSpec, RenderContext, render_page
from synth.rng import child_rng, sample_rng

SPOT_ALL = {task: 1.0 for task in SPOTTING_WRITERS} | {"text": 1.0}


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    return RenderContext(FontRegistry.load(), load_corpus(languages=["en", "ar"]))


@pytest.mark.parametrize("language", ["en", "ar", "zh-Hans"])
def test_every_spotting_format_gives_the_drawn_lines(language: str) -> None:
    page = sample_pages.document_page(language)
    views = [v for v in make_views(page, sample_rng(3), task_mix=SPOT_ALL)
             if v["task"] in SPOTTING_WRITERS]
    assert {v["task"] for v in views} == set(SPOTTING_WRITERS)
    expected = [(ln.text.strip(), normalised_box(ln.polygon, page.width, page.height))
                for ln in page.lines if ln.visible >= 0.5 and ln.text.strip()]
    for view in views:
        assert parse_spotting_any(view["answer"]) == expected, view["task"]
        assert task_of_prompt(view["prompt"]) == view["task"]
        assert score_answer(view["task"], view["answer"], view["answer"]) == 1.0
    answers = {v["task"]: v["answer"] for v in views}
    assert answers["spotting_plain"].splitlines()[0].endswith(
        "({},{}),({},{})".format(*expected[0][1]))
    assert answers["spotting_tokens"].startswith("<quad><{}><{}><{}><{}></quad><ref>".format(
        *expected[0][1]))


def test_tolerant_parsers() -> None:
    assert parse_spotting_plain("Total (EUR) ( 10, 20 ),(30,40)\nno box here") == [
        ("Total (EUR)", [10, 20, 30, 40])]
    assert parse_spotting_tokens("<quad>(1,2),(3,4)</quad><ref>a</ref> <quad><5><6><7><8></quad>"
                                 "<ref>b</ref>") == [("a", [1, 2, 3, 4]), ("b", [5, 6, 7, 8])]
    assert parse_spotting_any('```json\n[{"box": [1, 2, 3, 4], "text": "x"}]\n```') == [
        ("x", [1, 2, 3, 4])]


def test_text_free_page_answers_no_text_in_every_format(ctx: RenderContext) -> None:
    spec = PageSpec(language="en", scene="blank", width=600, height=800)
    page = render_page(spec, child_rng(sample_rng(5), "render"), ctx)
    page = warping.warp_page(page, "scan", child_rng(sample_rng(5), "warp"))
    assert not page.lines and page.image.std() > 0  # paper and graphics, no text
    views = make_views(page, sample_rng(1), task_mix=SPOT_ALL)
    assert {v["task"] for v in views} == set(SPOTTING_WRITERS) | {"text"}
    assert all(v["answer"] == NO_TEXT for v in views)
    for v in views:
        assert score_answer(v["task"], v["answer"], NO_TEXT) == 1.0
        assert score_answer(v["task"], v["answer"], "<ref>x</ref><quad>(1,2),(3,4)</quad>") < 1


def test_page_with_text_never_says_no_text() -> None:
    page = sample_pages.receipt_page()
    views = make_views(page, sample_rng(2), task_mix=SPOT_ALL)
    assert views and all(NO_TEXT not in v["answer"] for v in views)
    ref = next(v["answer"] for v in views if v["task"] == "spotting")
    assert score_answer("spotting", ref, NO_TEXT) == 0.0


def test_no_text_share_sets_the_share_of_blank_samples() -> None:
    config = {"languages": {"en": 1.0}, "scenes": {"document": 1.0},
              "profiles": {"clean": {"weight": 1.0}}, "page_sizes": [[600, 800]]}
    plans = [plan_sample({**config, "no_text": 0.25}, sample_rng(i)) for i in range(400)]
    share = np.mean([p["scene"] == "blank" for p in plans])
    assert 0.18 < share < 0.32
    baseline = [plan_sample({**config, "no_text": 0.0}, sample_rng(i)) for i in range(400)]
    assert all(p["scene"] == "document" for p in baseline)
    # every other choice is the same draw with or without negatives
    assert [(p["language"], p["width"]) for p in plans] == [
        (p["language"], p["width"]) for p in baseline]
