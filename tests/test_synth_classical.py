"""Classical book leaves on vertical CJK pages: frame, column rules, centre strip, right-to-left
columns, vertical headings, and layout regions that follow them."""

from __future__ import annotations

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from qa_factory.layout import format_layout, layout_items, parse_layout
from synth.page import axis_box
from synth.render import PageSpec, RenderContext
from synth.rng import sample_rng
from synth.scenes import classical, document


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    return RenderContext(FontRegistry.load(), load_corpus(languages=["ja", "zh-Hant"]))


def _leaf(ctx: RenderContext, language: str) -> tuple[dict, object]:
    spec = PageSpec(language, width=900, height=640, vertical=True)
    for seed in range(40):
        record = document.sample(spec, sample_rng(seed), ctx)
        if record.get("classical"):
            return record, document.apply(record, ctx)
    raise AssertionError("no classical leaf in 40 vertical pages")


def test_chinese_numbers() -> None:
    assert [classical.chinese_number(n) for n in (1, 10, 12, 20, 35, 99)] == [
        "一", "十", "十二", "二十", "三十五", "九十九"]


@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_leaf_columns_run_right_to_left_between_the_rules(ctx, language) -> None:
    record, page = _leaf(ctx, language)
    planner = document.DocumentPlanner(record, ctx, page.width, page.height)
    grid = classical.geometry(planner)
    x0, y0, x1, y1 = grid["frame"]
    s0, s1 = grid["strip"]
    assert all(line.direction == "ttb" for line in page.lines)
    body = [ln for ln in page.lines if ln.role not in ("header", "page-number")]
    centres = [(axis_box(ln.polygon)[0] + axis_box(ln.polygon)[2]) / 2 for ln in body]
    assert len(body) >= 8 and centres == sorted(centres, reverse=True)  # reading order: R to L
    rules = sorted(x for half in grid["halves"] for x in half)
    for line in body:
        bx0, by0, bx1, by1 = axis_box(line.polygon)
        assert x0 < bx0 and bx1 < x1 and y0 < by0 and by1 < y1  # inside the frame
        assert not (bx1 > s0 and bx0 < s1)  # never in the centre strip
        assert not any(bx0 < r < bx1 for r in rules), line.text  # never across a column rule
        assert by1 - by0 > 1.5 * (bx1 - bx0) or len(line.text) <= 2
    strip_lines = [ln for ln in page.lines if ln.role in ("header", "page-number")]
    assert strip_lines and all(s0 <= axis_box(ln.polygon)[0] and axis_box(ln.polygon)[2] <= s1
                               for ln in strip_lines)
    # the frame and the rules are drawn: dark pixels along every rule, outside the text
    grey = page.image.mean(axis=2)
    for x in rules[1:-1]:
        column = grey[int(y0) + 2:int(y1) - 2, int(round(x))]
        assert (column < 160).mean() > 0.8


def test_leaf_layout_regions_never_span_the_fold(ctx) -> None:
    record, page = _leaf(ctx, "zh-Hant")
    planner = document.DocumentPlanner(record, ctx, page.width, page.height)
    s0, s1 = classical.geometry(planner)["strip"]
    items = layout_items(page)
    assert items is not None
    categories = {item.category for item in items}
    assert "header" in categories and "paragraph" in categories
    for item in items:
        x0, x1 = item.box[0] * page.width / 1000, item.box[2] * page.width / 1000
        if item.category not in ("header", "footer"):
            assert x1 <= s0 + 2 or x0 >= s1 - 2, item
    assert [i.category for i in parse_layout(format_layout(items))] == [i.category for i in items]
    headings = [ln for ln in page.lines if ln.role in ("heading", "title")]
    for line in headings:  # vertical headings: a column of their own
        bx0, by0, bx1, by1 = axis_box(line.polygon)
        assert by1 - by0 >= bx1 - bx0 or len(line.text) <= 1
    assert np.isfinite([c for item in items for c in item.box]).all()


@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_no_frame_or_rule_ink_inside_any_column(ctx, language) -> None:
    # The double frame's inner line (border width + 3 px inside the outer one) and a thick
    # outer border reached into the em box of the outermost columns at tight line spacing:
    # Tesseract read the column with its rule ('|', 'i' runs) or nothing (ja 24 lines of 12
    # default pages). Furniture drawn alone on a blank leaf must leave every em box blank.
    leaves = doubles = 0
    for seed in range(60):
        spec = PageSpec(language, width=720, height=960, vertical=True)
        record = document.sample(spec, sample_rng(seed), ctx)
        if not record.get("classical"):
            continue
        leaves += 1
        doubles += record["classical"]["double_border"]
        planner = document.DocumentPlanner(record, ctx, spec.width, spec.height)
        canvas = np.full((spec.height, spec.width, 3), 255, np.uint8)
        classical.draw(canvas, planner)
        ink = canvas.min(axis=2) < 250
        for line in classical.plan(planner):
            if line.role in ("header", "page-number"):
                continue  # the strip's title and leaf number sit between the fishtails
            size = line.style.size  # pixels whose centres lie in the em box
            x0, x1 = int(np.ceil(line.x - size / 2 - 0.5)), int(np.floor(line.x + size / 2 - 0.5))
            length = planner.engine.width(line.text, line.style)
            y0, y1 = int(np.floor(line.y)), int(np.ceil(line.y + length))
            assert not ink[y0:y1, x0:x1 + 1].any(), (seed, line.role, line.text[:8], x0, x1)
    assert leaves >= 15 and doubles >= 5



def test_a_leaf_of_your_own_text_carries_its_opening_words_in_the_strip(tmp_path) -> None:
    # a user corpus has no title paragraph: the strip took the language's English name, and a
    # zh-Hant leaf read "Chines" down its fold; it now carries the text's opening words
    import json
    import subprocess
    import sys

    opening = "春眠不覺曉處處聞啼鳥"
    text = tmp_path / "zh.txt"
    text.write_text(f"{opening}，夜來風雨聲。\n床前明月光，疑是地上霜。\n", encoding="utf-8")
    strips = []
    for seed in (2, 3, 4):  # seed 2 is a classical leaf (a page with a strip)
        out = tmp_path / f"p{seed}.png"
        subprocess.run([sys.executable, "-m", "pipelines.cli", "render", "--language", "zh-Hant",
                        "--vertical", "--scene", "document", "--corpus", f"zh-Hant={text}",
                        "--width", "700", "--height", "700", "--seed", str(seed), "--out",
                        str(out)], check=True, capture_output=True, timeout=300)
        page = json.loads(out.with_suffix(".json").read_text())
        lines = page.get("lines") or page["page"]["lines"]
        strips += [ln["text"] for ln in lines if ln.get("role") == "header"]
    assert strips and all(opening.startswith(t) for t in strips), strips
