"""Every view's answer parses back and matches the label tree it was made from.

Pages come from two real sources: the synth renderer (document, table, form scenes) and
qa_factory.sample_pages (drawn with Pillow+raqm and Noto fonts, with receipts and CJK).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest

from pipelines.errors import PolyglyphError
from qa_factory import sample_pages
from qa_factory.formats import (
    cells_to_grid,
    normalised_box,
    parse_html_table,
    parse_json_answer,
    parse_number,
    parse_spotting,
    parse_spotting_json,
)
from qa_factory.markdown import page_markdown, page_plain_text
from qa_factory.views import TASKS, make_views
from synth.rng import child_rng, sample_rng

ALL_ON = {task: 1.0 for task in TASKS} | {"reasoning": 6.0, "extraction_key": 3.0}


@pytest.fixture(scope="module")
def corpus():
    from fonts_manifest.corpus import load_corpus

    return load_corpus()


@pytest.fixture(scope="module")
def rendered(corpus):
    from fonts_manifest.registry import FontRegistry
    from synth.render import PageSpec, RenderContext, render_page

    ctx = RenderContext(FontRegistry.load(), corpus)
    pages = {}
    for i, (language, scene) in enumerate(
        [
            ("en", "document"),
            ("ru", "document"),
            ("zh-Hans", "document"),
            ("en", "table"),
            ("en", "form"),
        ]
    ):
        spec = PageSpec(language=language, scene=scene, width=800, height=1100)
        pages[(language, scene)] = render_page(spec, child_rng(sample_rng(100 + i), "render"), ctx)
    return pages


@pytest.fixture(scope="module")
def drawn():
    return {
        "doc_en": sample_pages.document_page("en"),
        "doc_zh": sample_pages.document_page("zh-Hans"),
        "doc_ar": sample_pages.document_page("ar"),
        "receipt": sample_pages.receipt_page(),
        "table": sample_pages.table_page(),
    }


def _views(page, seed=0, corpus=None, **kwargs):
    return make_views(page, sample_rng(seed), task_mix=ALL_ON, corpus=corpus, **kwargs)


def _by_task(views, task):
    return [v for v in views if v["task"] == task]


def _all_pages(rendered, drawn):
    return list(rendered.values()) + list(drawn.values())


def test_every_view_has_task_prompt_answer_and_json_meta(rendered, drawn, corpus) -> None:
    for page in _all_pages(rendered, drawn):
        views = _views(page, corpus=corpus)
        assert {"spotting", "parsing"} <= {v["task"] for v in views}
        for view in views:
            assert view["task"] in TASKS and view["prompt"] and view["answer"]
            assert isinstance(json.loads(view["meta"]), dict)


def test_spotting_boxes_equal_normalised_line_boxes_in_reading_order(rendered, drawn) -> None:
    for page in _all_pages(rendered, drawn):
        expected = [
            (ln.text.strip(), normalised_box(ln.polygon, page.width, page.height))
            for ln in page.lines
            if ln.visible >= 0.5 and ln.text.strip()
        ] + [  # stamps are drawn text too: spotted after the lines
            (r.text.strip(), normalised_box(r.polygon, page.width, page.height))
            for r in page.regions
            if r.kind == "stamp" and r.text.strip() and r.polygon and r.visible >= 0.5
        ]
        views = _views(page)
        assert parse_spotting(_by_task(views, "spotting")[0]["answer"]) == expected
        assert parse_spotting_json(_by_task(views, "spotting_json")[0]["answer"]) == expected
        for _, box in expected:
            assert all(0 <= v <= 1000 for v in box) and box[0] <= box[2] and box[1] <= box[3]


def test_lines_below_visibility_threshold_are_left_out(drawn) -> None:
    page = drawn["doc_en"]
    hidden = page.lines[3]
    original = hidden.visible
    try:
        hidden.visible = 0.2
        views = _views(page)
        texts = [t for t, _ in parse_spotting(_by_task(views, "spotting")[0]["answer"])]
        assert hidden.text not in texts and len(texts) == len(page.lines) - 1
        assert hidden.text not in _by_task(views, "text")[0]["answer"]
    finally:
        hidden.visible = original


def test_markdown_has_paragraphs_in_order_and_no_furniture(rendered, drawn) -> None:
    for page in [rendered[("en", "document")], rendered[("ru", "document")], drawn["doc_en"]]:
        markdown = page_markdown(page)
        for line in page.lines:
            if line.role in ("header", "footer", "page-number"):
                assert line.text.strip() not in markdown.split("\n"), line.text
        position, found = 0, 0
        for block in page.blocks:
            if block.role == "paragraph":
                first_line = page.lines[block.line_indices[0]].text.strip()
                position = markdown.find(first_line, position)  # -1 when missing or out of order
                assert position >= 0, first_line
                found += 1
        assert found >= 2
    doc = drawn["doc_en"]
    markdown = page_markdown(doc)
    assert markdown.startswith("# " + sample_pages.TITLES["en"])
    for paragraph in sample_pages.PARAGRAPHS["en"]:
        assert f"\n\n{paragraph}\n\n" in markdown  # lines joined back into the paragraph
    assert "\n\n- Article one" in markdown and "UDHR 1948" not in markdown


def test_cjk_lines_join_without_spaces(drawn, rendered) -> None:
    markdown = page_markdown(drawn["doc_zh"])
    for paragraph in sample_pages.PARAGRAPHS["zh-Hans"]:
        assert paragraph in markdown
    zh = rendered[("zh-Hans", "document")]
    body = [b for b in zh.blocks if b.role == "paragraph" and len(b.line_indices) > 1]
    assert body, "the rendered Chinese page should wrap at least one paragraph"
    joined = "".join(zh.lines[i].text.strip() for i in body[0].line_indices)
    assert joined in page_markdown(zh)


def test_table_html_parses_back_to_the_drawn_cells(rendered, drawn) -> None:
    for page in (rendered[("en", "table")], drawn["table"]):
        view = _by_task(_views(page), "table_html")[0]
        table = page.tables[0]
        parsed = parse_html_table(view["answer"])
        assert sorted(
            (c.row, c.col, c.text, c.rowspan, c.colspan, c.header) for c in parsed
        ) == sorted(
            (c.row, c.col, c.text.strip(), c.rowspan, c.colspan, c.header) for c in table.cells
        )
        assert view["answer"] in page_markdown(page)
    grid = cells_to_grid(
        parse_html_table(_by_task(_views(drawn["table"]), "table_html")[0]["answer"])
    )
    assert grid[1] == ["Lagos", "Nigeria", "15388000"]


def test_extraction_values_equal_drawn_field_values(rendered, drawn) -> None:
    for page in (rendered[("en", "form")], drawn["receipt"]):
        views = _views(page, seed=3)
        by_key = {f.key: f.value for f in page.fields}
        singles = _by_task(views, "extraction_key")
        assert singles
        for view in singles:
            key = next(k for k in by_key if view["prompt"].count(k))
            index = json.loads(view["meta"])["field_indices"][0]
            assert view["answer"] == page.fields[index].value.strip() == by_key[key].strip()
        multi = _by_task(views, "extraction_json")[0]
        answer = parse_json_answer(multi["answer"])
        assert answer and all(answer[k] == by_key[k].strip() for k in answer)
        assert all(k in multi["prompt"] for k in answer)


def test_no_fields_means_no_extraction_views(drawn) -> None:
    tasks = {v["task"] for v in _views(drawn["doc_en"])}
    assert not tasks & {"extraction_key", "extraction_json"}


def test_reasoning_answers_are_computed_from_drawn_values(drawn) -> None:
    page = drawn["receipt"]
    views = _by_task(_views(page, seed=5), "reasoning")
    kinds = {json.loads(v["meta"])["kind"]: v for v in views}
    assert {
        "sum",
        "total_check",
        "count_items",
        "difference",
        "date_difference",
        "date_compare",
    } <= set(kinds)
    amounts = [parse_number(i["amount"]) for i in page.extras["items"]]
    assert (
        parse_number(kinds["sum"]["answer"])
        == sum(amounts, Decimal(0))
        == parse_number(page.extras["total"])
    )
    assert kinds["total_check"]["answer"] in ("yes", "是")
    assert kinds["count_items"]["answer"] == str(len(page.extras["items"]))
    assert parse_number(kinds["difference"]["answer"]) == max(amounts) - min(amounts)
    days = (dt.date(2024, 4, 19) - dt.date(2024, 3, 5)).days
    assert kinds["date_difference"]["answer"] == str(days)
    assert kinds["date_compare"]["answer"] == "2024-03-05"
    computation = json.loads(kinds["sum"]["meta"])["computation"]
    assert computation["op"] == "sum" and computation["operands"] == [
        i["amount"] for i in page.extras["items"]
    ]


def test_total_check_says_no_when_total_does_not_add_up(drawn) -> None:
    page = drawn["receipt"]
    saved = page.extras["total"]
    try:
        page.extras["total"] = "99.99"
        views = _by_task(_views(page, seed=5), "reasoning")
        check = [v for v in views if json.loads(v["meta"])["kind"] == "total_check"][0]
        assert check["answer"] in ("no", "否")
    finally:
        page.extras["total"] = saved


def test_table_row_count_question(rendered) -> None:
    page = rendered[("en", "table")]
    views = _by_task(_views(page, seed=1), "reasoning")
    rows = [v for v in views if json.loads(v["meta"])["kind"] == "table_rows"]
    assert rows
    table = page.tables[0]
    header_rows = {c.row for c in table.cells if c.header}
    assert rows[0]["answer"] == str(table.rows - len(header_rows))


def test_translation_gives_aligned_target_paragraphs(rendered, drawn, corpus) -> None:
    page = rendered[("ru", "document")]
    view = _by_task(_views(page, corpus=corpus), "translation")[0]
    meta = json.loads(view["meta"])
    target = dict(zip(corpus["en"].paragraph_ids, corpus["en"].paragraphs, strict=False))
    assert view["answer"] == "\n\n".join(target[i] for i in meta["paragraph_ids"])
    complete = [p["id"] for p in page.extras["paragraphs"] if p["complete"]]
    assert meta["paragraph_ids"] and set(meta["paragraph_ids"]) <= set(complete)
    assert "English" in view["prompt"] or "英文" in view["prompt"]
    small = sample_pages.sample_corpus()
    view = _by_task(_views(drawn["doc_ar"], corpus=small, target_language="ru"), "translation")[0]
    assert view["answer"] == "\n\n".join(sample_pages.PARAGRAPHS["ru"])
    # a page already in the target language, or without a corpus, has no translation view
    assert not _by_task(_views(drawn["doc_en"], corpus=small), "translation")
    assert not _by_task(_views(drawn["doc_ar"]), "translation")


def test_views_are_deterministic_and_tasks_independent(drawn) -> None:
    page = drawn["receipt"]
    assert make_views(page, sample_rng(11)) == make_views(page, sample_rng(11))
    base = make_views(page, sample_rng(11), task_mix={"text": 0.0})
    more = make_views(page, sample_rng(11), task_mix={"text": 1.0})
    assert [v for v in more if v["task"] != "text"] == base
    assert not _by_task(base, "text") and _by_task(more, "text")


def test_task_mix_weights_set_frequencies(drawn) -> None:
    page = drawn["doc_en"]
    counts = {"spotting_json": 0, "text": 0}
    zh_prompts = 0
    for seed in range(200):
        views = make_views(page, sample_rng(seed), task_mix={"spotting_json": 0.25, "text": 0.75})
        for v in views:
            if v["task"] in counts:
                counts[v["task"]] += 1
            zh_prompts += json.loads(v["meta"])["prompt_language"] == "zh"
    assert 30 <= counts["spotting_json"] <= 70 and 130 <= counts["text"] <= 170
    assert zh_prompts > 0


def test_unknown_task_in_mix_is_a_user_error(drawn) -> None:
    with pytest.raises(PolyglyphError, match="unknown task 'ocr'"):
        make_views(drawn["doc_en"], sample_rng(0), task_mix={"ocr": 1.0})


def test_plain_text_keeps_furniture_in_reading_order(drawn) -> None:
    page = drawn["doc_en"]
    assert page_plain_text(page).split("\n") == [ln.text for ln in page.lines]


def test_image_is_not_touched(drawn) -> None:
    page = drawn["doc_ar"]
    before = page.image.copy()
    _views(page)
    assert np.array_equal(before, page.image)


def test_views_follow_warped_labels(drawn) -> None:
    import warping

    for name in ("photo", "wild"):
        page = warping.warp_page(drawn["receipt"], name, sample_rng(21))
        assert not np.array_equal(page.image, drawn["receipt"].image)
        views = _views(page, seed=2)
        expected = [  # illegible lines keep their box, text `###` (ICDAR's don't-care)
            (ln.text.strip() if ln.legible else "###",
             normalised_box(ln.polygon, page.width, page.height))
            for ln in page.lines
            if ln.visible >= 0.5
        ]  # fmt: skip
        assert parse_spotting(_by_task(views, "spotting")[0]["answer"]) == expected
        for view in _by_task(views, "extraction_key"):
            index = json.loads(view["meta"])["field_indices"][0]
            assert view["answer"] == page.fields[index].value
