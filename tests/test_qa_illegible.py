"""Illegible lines in views, scores and stats (issue 18): spotting marks them `###` (ICDAR's
don't-care) or omits them, parsing omits or marks them, other tasks use legible lines only,
spotting scores ignore what a reader writes over `###`, stats.json counts them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipelines.config import build_config
from pipelines.errors import PolyglyphError
from pipelines.run import legible_share
from pipelines.shard import count_stats
from qa_factory.formats import parse_spotting
from qa_factory.markdown import page_markdown, page_plain_text
from qa_factory.textmetrics import match_spotting
from qa_factory.views import make_views
from synth.page import Line, Page, box_polygon
from synth.rng import sample_rng


def _page() -> Page:
    lines = []
    for k, text in enumerate(["Title line", "Readable body", "Blurred body", "Last line"]):
        poly = box_polygon(10, 10 + 30 * k, 300, 30 + 30 * k)
        line = Line(text, poly, poly, "en", "Latn", "ltr", role="paragraph")
        line.legible, line.legibility = k != 2, 0.1 if k == 2 else 0.9
        lines.append(line)
    return Page(image=np.full((200, 320, 3), 255, np.uint8), language="en", script="Latn",
                direction="ltr", scene="document", lines=lines)  # fmt: skip


def _answer(page: Page, task: str, illegible: dict | None = None) -> str:
    views = make_views(page, sample_rng(0), task_mix={task: 1.0}, illegible=illegible)
    return next(v["answer"] for v in views if v["task"] == task)


def test_spotting_marks_or_omits_illegible_lines() -> None:
    page = _page()
    marked = [t for t, _ in parse_spotting(_answer(page, "spotting"))]
    assert marked == ["Title line", "Readable body", "###", "Last line"]
    omitted = [t for t, _ in parse_spotting(_answer(page, "spotting", {"spotting": "omit"}))]
    assert omitted == ["Title line", "Readable body", "Last line"]


def test_parsing_and_text_omit_or_mark_illegible_lines() -> None:
    page = _page()
    assert "Blurred" not in page_markdown(page) and "###" not in page_markdown(page)
    assert "###" in page_markdown(page, illegible="mark")
    assert page_plain_text(page).split("\n") == ["Title line", "Readable body", "Last line"]
    assert "###" in _answer(page, "text", {"parsing": "mark"})
    assert "Blurred" not in _answer(page, "parsing")


def test_bad_illegible_modes_are_one_line_errors() -> None:
    with pytest.raises(PolyglyphError, match="illegible"):
        make_views(_page(), sample_rng(0), illegible={"spotting": "hide"})
    with pytest.raises(PolyglyphError) as info:
        build_config(None, {"illegible": {"parsing": "drop"}})
    assert "illegible" in str(info.value) and "\n" not in str(info.value)


def test_spotting_score_ignores_answers_over_dont_care() -> None:
    ref = [("hello", [0, 0, 100, 20]), ("###", [0, 40, 100, 60])]
    exact = [("hello", [0, 0, 100, 20])]
    guessed = [*exact, ("h3ll0 w0rld", [0, 40, 100, 60])]
    assert match_spotting(ref, exact)[0] == 1.0
    assert match_spotting(ref, guessed)[0] == 1.0  # neither credited nor charged
    invented = [*exact, ("ghost", [0, 120, 100, 140])]
    assert match_spotting(ref, invented)[0] == pytest.approx(0.5)  # off any region: costs


def test_stats_count_legible_lines() -> None:
    rows = [{"language": "en", "script": "Latn", "scene": "document", "profile": "wild",
             "lines": [{"legible": True, "visible": 1.0}, {"legible": False, "visible": 0.9},
                       {"legible": False, "visible": 0.0}]}]  # fmt: skip
    counts = count_stats(rows)
    assert counts["line_legibility"] == {"illegible": 1, "legible": 1}
    from collections import Counter

    assert legible_share(Counter(counts["line_legibility"])) == 0.5
    assert json.dumps(counts)  # stays plain JSON
