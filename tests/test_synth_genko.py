"""Vertical CJK pages on paper ruled for vertical writing (synth.scenes.genko): manuscript paper
(genkō yōshi) with one character centred in each cell, and a letter pad with the columns
between its rules. Real fonts, real rendering; checked on the drawn ink."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.errors import PolyglyphError
from fonts_manifest.registry import FontRegistry
from qa_factory.layout import format_layout, layout_items, parse_layout
from synth.opencv import cv2
from synth.page import axis_box
from synth.render import PageSpec, RenderContext
from synth.rng import sample_rng
from synth.scenes import document, genko

TEXT_CORE = 110  # grey level under which a pixel is text ink: the paper's rules stay above it


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    return RenderContext(FontRegistry.load(), load_corpus(languages=["ja", "zh-Hant"]))


def _page(ctx: RenderContext, language: str, kind: str, size: tuple[int, int] = (1024, 1448),
          seed: int = 0, hand: bool = False) -> tuple[dict, object]:
    """A plain vertical page (not a classical leaf) with its paper forced to `kind`."""
    spec = PageSpec(language, width=size[0], height=size[1], vertical=True)
    for s in range(seed, seed + 40):
        record = document.sample(spec, sample_rng(s), ctx)
        if not record.get("classical"):
            break
    record["tategaki"] = genko.sample(sample_rng(s + 1000), record, False, kind=kind)
    genko.vertical_paper(record)
    for item in record["paragraphs"]:  # in print, or the whole page by hand
        item.pop("hand", None)
        if hand:
            item["hand"] = {"kind": "font", "ink": [20, 40, 140]}
    return record, document.apply(record, ctx)


def _core(page: object) -> np.ndarray:
    grey = cv2.cvtColor(page.image, cv2.COLOR_RGB2GRAY)
    return grey < TEXT_CORE


def _cell_of(geo: dict, x: float, y: float) -> tuple[int, int] | None:
    for col, (x0, x1) in enumerate(geo["columns"]):
        if x0 <= x < x1:
            row = int((y - geo["rows"][0]) // geo["cell"])
            return (col, row) if 0 <= row < len(geo["rows"]) else None
    return None


def _inked_cells(page: object, geo: dict) -> tuple[dict[tuple[int, int], list[int]], np.ndarray]:
    """Every connected piece of text ink, by the cell holding it (asserting that each piece
    lies inside one cell, clear of the cell's lines), and the component labels."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(_core(page).astype(np.uint8), 8)
    inked: dict[tuple[int, int], list[int]] = {}
    for k in range(1, count):
        x, y, w, h = stats[k, :4]
        first, last = _cell_of(geo, x, y), _cell_of(geo, x + w - 1, y + h - 1)
        assert first is not None and first == last, (x, y, w, h)
        inked.setdefault(first, []).append(k)
    return inked, labels


def _han(text: str) -> bool:
    return len(text) == 1 and unicodedata.name(text, "").startswith("CJK UNIFIED")


@pytest.mark.parametrize(("language", "size"), [("ja", (1024, 1448)), ("zh-Hant", (1024, 1448)),
                                                ("ja", (1448, 1024))])
def test_one_character_per_cell_centred_in_it(ctx, language, size) -> None:
    record, page = _page(ctx, language, "genko", size)
    paper = record["tategaki"]
    geo = genko.grid(paper, record)
    cell = geo["cell"]
    assert paper["columns"] == (20 if size[0] > size[1] else paper["columns"])
    inked, labels = _inked_cells(page, geo)
    lines = [ln for ln in page.lines if ln.direction == "ttb"]
    assert len(lines) >= 8 and all(ln.style == "printed" for ln in lines)
    expected: set[tuple[int, int]] = set()
    offsets, columns = [], []
    for line in lines:
        x0, y0, x1, y1 = axis_box(line.polygon)
        col, row = _cell_of(geo, (x0 + x1) / 2, y0)
        columns.append(col)
        cx0, cx1 = geo["columns"][col]
        assert cx0 < x0 and x1 < cx1  # the column's ink inside its cells
        for i, (a, b) in enumerate(genko.units(line.text)):
            unit = line.text[a:b]
            if unit.isspace():
                assert (col, row + i) not in inked
                continue
            expected.add((col, row + i))
            assert (col, row + i) in inked, (line.text, unit)
            if _han(unit):  # the glyph's ink centred on the cell
                ys, xs = np.nonzero(np.isin(labels, inked[(col, row + i)]))
                centre = ((xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2)
                offsets.append((centre[0] - (cx0 + cx1) / 2,
                                centre[1] - (geo["rows"][row + i] + cell / 2)))
    assert set(inked) == expected  # no ink in a cell no character was set in
    off = np.abs(np.asarray(offsets))
    assert len(off) >= 50
    assert float(np.median(off)) < 0.04 * cell and float(off.max()) < 0.15 * cell, off.max()
    assert columns == sorted(columns) and len(set(columns)) == len(columns)  # right to left
    if paper["fold"]:  # nothing in the fold strip: every column is a grid column
        assert len(set(geo["halves"])) == 2


@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_line_polygons_apart_and_layout_regions_hold_their_lines(ctx, language) -> None:
    for kind in ("genko", "columns"):
        record, page = _page(ctx, language, kind, (1448, 1024), seed=3)
        boxes = [axis_box(ln.polygon) for ln in page.lines]
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                ax0, ay0, ax1, ay1 = boxes[a]
                bx0, by0, bx1, by1 = boxes[b]
                assert min(ax1, bx1) <= max(ax0, bx0) or min(ay1, by1) <= max(ay0, by0)
        items = layout_items(page)
        assert items is not None and {i.category for i in items} <= {
            "paragraph", "section_title", "para_title", "list", "handwriting"}
        assert [i.category for i in parse_layout(format_layout(items))] == [
            i.category for i in items]
        if kind == "genko" and record["tategaki"]["fold"]:  # no region across the fold
            geo = genko.grid(record["tategaki"], record)
            mid = (geo["columns"][9][0] + geo["columns"][10][1]) / 2
            for item in items:
                x0, x1 = item.box[0] * page.width / 1000, item.box[2] * page.width / 1000
                assert x1 <= mid or x0 >= mid, item


@pytest.mark.parametrize(("language", "hand"), [("ja", False), ("zh-Hant", False),
                                                ("ja", True), ("zh-Hant", True)])
def test_letter_pad_rules_fall_between_columns(ctx, language, hand) -> None:
    if hand and not ctx.has_style(language, "handwriting"):
        pytest.skip(f"no {language} handwriting font installed")
    record, page = _page(ctx, language, "columns", seed=1, hand=hand)
    assert all(ln.style == ("handwritten" if hand else "printed") for ln in page.lines)
    rules = genko.column_rules(record)
    core = _core(page)
    spans = []
    for line in page.lines:
        x0, y0, x1, y1 = axis_box(line.polygon)
        between = [k for k in range(len(rules) - 1) if rules[k + 1] < x0 and x1 < rules[k]]
        assert len(between) == 1, (line.text, x0, x1)
        spans.append(between[0])
    assert spans == sorted(spans) and len(spans) >= 10  # a column each, right to left
    for x in rules:  # no text ink on a rule, and the rule is drawn
        column = core[:, int(round(x)) - 1: int(round(x)) + 2]
        assert not column.any()
    grey = cv2.cvtColor(page.image, cv2.COLOR_RGB2GRAY).astype(float)
    mid = int(page.height / 2)
    x = int(round(rules[1]))
    assert grey[mid, x] < np.median(grey[mid, x - 4: x + 5]) + 1 and grey[mid, x] < grey[
        mid, x + 3] - 8


def test_sampling_shares_and_determinism(ctx) -> None:
    spec = PageSpec("ja", width=720, height=960, vertical=True)
    kinds = []
    for seed in range(120):
        record = document.sample(spec, sample_rng(seed), ctx)
        assert record == document.sample(spec, sample_rng(seed), ctx)
        paper = record.get("tategaki")
        kinds.append("classical" if record.get("classical") else
                     (paper["kind"] if paper else "plain"))
        if paper is not None:  # no paper ruling under its own rules
            assert record["background"]["paper"]["ruling"]["kind"] == "none"
    share = {k: kinds.count(k) / len(kinds) for k in set(kinds)}
    assert 0.1 < share["genko"] < 0.28 and 0.07 < share["columns"] < 0.25, share
    with pytest.raises(PolyglyphError, match="vertical paper"):
        genko.sample(sample_rng(0), record, False, kind="grid")


def test_units_set_short_digit_runs_two_to_a_cell() -> None:
    text = "令和5年12月31日、第123号"
    cells = [text[a:b] for a, b in genko.units(text)]
    assert cells == ["令", "和", "5", "年", "12", "月", "31", "日", "、", "第", "1", "2", "3",
                     "号"]


@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_handwritten_manuscript_keeps_to_its_cells(ctx, language) -> None:
    if not ctx.has_style(language, "handwriting"):
        pytest.skip(f"no {language} handwriting font installed")
    record, page = _page(ctx, language, "genko", seed=5, hand=True)
    geo = genko.grid(record["tategaki"], record)
    inked, _ = _inked_cells(page, geo)  # every stroke inside one cell
    assert page.lines and all(ln.style == "handwritten" for ln in page.lines)
    cells = sum(1 for ln in page.lines for a, b in genko.units(ln.text)
                if not ln.text[a:b].isspace())
    assert len(inked) == cells


# median line CER bounds of print on manuscript paper (3 pages, seeds 0/7/21, 1024x1448) by
# model variant (bench/vertical_models.py). Measured on vert16: ja fast 0.0 % (mean 3.5 %),
# best_int 2.4 % (mean 3.5 %); zh-Hant fast 5.6 % (mean 12.7 %), best_int 5.3 % (mean 9.8 %)
READ_BACK = {"ja": ("jpn_vert", {"fast": 0.05, "best_int": 0.05}),
             "zh-Hant": ("chi_tra_vert", {"fast": 0.12, "best_int": 0.08})}


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["fast", "best_int"])
@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_manuscript_page_reads_back_with_the_vertical_model(language, variant) -> None:
    # clean print on manuscript paper, read column by column as bench/vertical_cer.py reads the
    # plain and classical vertical pages (test_synth_vertical_hand: ja median <= 5 %, zh-Hant
    # 7 %). ja reads as well (median 0 %; 7 pages pooled 6.1 % against 4.9 % for the same text
    # set on a plain page); chi_tra_vert reads 20-character columns worse however they are
    # drawn (median 10 %, pooled 12 % against 7 % plain; set solid at one em a character, or
    # without the rules, as badly), so its bound is a regression guard. `best_int` is read
    # only when `make setup` could fetch it (else skipped, naming why)
    from bench_module import load_bench

    bench = load_bench("vertical_cer")
    model, bounds = READ_BACK[language]
    if variant != "fast" and (why := bench.missing_best([model])):
        pytest.skip(why)
    ctx = RenderContext(FontRegistry.load(), load_corpus(languages=[language]))
    reader, known = bench.Reader(model, variant), bench.unicharset(model)
    errors = []
    for seed in (0, 7, 21):
        _, page = _page(ctx, language, "genko", seed=seed)
        for line in page.lines:
            if len(bench.squash(line.text)) >= 4:
                read = reader.read(bench.clean_crop(page, line))
                errors.append(bench.score(line.text, read, known)["cer"])
    assert len(errors) >= 12
    assert float(np.median(errors)) <= bounds[variant], (float(np.median(errors)), errors)
