"""`generate`'s vertical and handwriting shares: vertical CJK pages with ttb lines that Tesseract's
vertical models read, and handwriting that never lands on other text."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import cv2
import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.sample import WorkerContext, page_style, plan_sample
from synth.page import axis_box
from synth.render import PageSpec, RenderContext, render_page, sample_render
from synth.rng import sample_rng

TESSERACT_VERT = {"ja": "jpn_vert", "zh-Hant": "chi_tra_vert"}


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    languages = ["ja", "zh-Hant", "en", "ar", "he", "fa", "hi", "ru"]
    return RenderContext(FontRegistry.load(), load_corpus(languages=languages))


def _worker(ctx: RenderContext) -> WorkerContext:
    return WorkerContext(config={}, config_hash="test", render_ctx=ctx)


def _config(languages: list[str], **shares: float) -> dict:
    return {"languages": {code: 1.0 for code in languages}, "scenes": {"document": 1.0},
            "profiles": {"clean": {"weight": 1.0}}, "page_sizes": [[720, 960]], **shares}


def test_vertical_share_sets_cjk_pages_vertical_and_leaves_latin_alone(ctx) -> None:
    config = _config(["ja", "zh-Hant", "en"], vertical=0.5)
    plans = [plan_sample(config, sample_rng(i)) for i in range(200)]
    knobs = [page_style(p, _worker(ctx)) for p in plans]
    cjk = [k.get("vertical", False) for p, k in zip(plans, knobs, strict=True)
           if p["language"] != "en"]
    assert 0.35 < np.mean(cjk) < 0.65
    assert not any(k.get("vertical") for p, k in zip(plans, knobs, strict=True)
                   if p["language"] == "en")


def _bench():
    """bench/vertical_cer.py: the clean column crop, the vertical reader and the scoring the
    issue's figures come from (one definition for the bench and these tests)."""
    from bench_module import load_bench

    return load_bench("vertical_cer")


@pytest.mark.slow
@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_vertical_lines_read_back_with_tesseract_vertical_models(language) -> None:
    # running text (UDHR only), one 720x960 page, 20 px: median 0.0 % (ja 5 columns, zh-Hant 7)
    # read as bench/vertical_cer.py reads a column (2.1 % / 4.0 % with the earlier 2x zoomed
    # crops, which chi_tra_vert reads worse). The default mix: test_default_mix_... below.
    # The first page from seed 3 not on manuscript paper or a letter pad (synth.scenes.genko,
    # read back in tests/test_synth_genko.py): zh-Hant's seed 3 became manuscript paper.
    bench = _bench()
    udhr = RenderContext(FontRegistry.load(), load_corpus(languages=[language]),
                         text={"sources": {"udhr": 1.0}})
    spec = PageSpec(language, width=720, height=960, vertical=True, font_style="sans")
    seed = next(s for s in range(3, 40) if "tategaki" not in sample_render(
        spec, sample_rng(s), udhr))
    page = render_page(spec, sample_rng(seed), udhr)
    assert page.direction == "ttb"
    body = [ln for ln in page.lines if ln.role == "paragraph" and len(ln.text) >= 8][:8]
    assert len(body) >= 4 and all(ln.direction == "ttb" for ln in body)
    reader, known = bench.Reader(TESSERACT_VERT[language]), bench.unicharset(
        TESSERACT_VERT[language])
    errors = []
    for line in body:
        x0, y0, x1, y1 = axis_box(line.polygon)
        assert y1 - y0 > 3 * (x1 - x0)  # a column, not a row
        read = reader.read(bench.clean_crop(page, line))
        errors.append(bench.score(line.text, read, known)["cer"])
    assert float(np.median(errors)) <= 0.05, errors


# generate's default page, default text mix, 6 vertical pages (seed 0) a language: median CER
# of every printed column's clean crop, over all characters and over those the model can output
# zh-Hant's known-character figure moves 3.6-5.1 % with which pages a vocabulary change brings
# (12 pages, seeds 0/1 at 09e8bdb: 4.55 / 3.77 %; these 6 pages 5.08 %): its bound sits above that
# spread, a regression guard (a mis-turned or missing glyph reads at 20 % and more)
# Since vertical pages also go on manuscript paper and letter pads (synth.scenes.genko) the
# test reads 12 pages and leaves the manuscript ones out (ja 3, zh-Hant 4 of the 12; bounded in
# tests/test_synth_genko.py): ja's other 9 read at 2.9 % (3.0 % with them), zh-Hant's 8 at
# 7.3 %: 3 of those are letter pads, which read as their own text set on plain paper does
# (62 columns: 7.4 % against 7.8 %), and 4 classical leaves read at 7.0 %, so zh-Hant's
# all-character bound is 8 % (its known-character one stays)
# Each page is read by both variants of the model (bench/vertical_models.py): `fast`, Debian's
# tessdata_fast, always there, and `best_int` (tessdata_best made integer, fetched by `make
# setup`; skipped when it could not be). The same lines without the manuscript pages, seeds
# 0 / 1 / 2, median all / known: ja fast 2.90/1.96, 2.56/1.92, 3.08/2.94 %, best_int
# 2.90/1.96, 2.56/2.04, 3.12/2.94 %; zh-Hant fast 7.27/4.69, 5.51/3.85, 5.41/3.92 %, best_int
# 5.94/4.21, 4.04/2.94, 4.55/3.03 %. So with best_int zh-Hant's known characters meet the
# issue's 5 % on seed 0, and its all-character bound is 7 %.
DEFAULT_MIX_LIMITS = {("ja", "fast"): (0.05, 0.05), ("zh-Hant", "fast"): (0.08, 0.06),
                      ("ja", "best_int"): (0.05, 0.05), ("zh-Hant", "best_int"): (0.07, 0.05)}


def _default_mix_rows(language: str) -> tuple[list[dict], frozenset[str], tuple[str, ...]]:
    """Seed 0's 12 default-mix vertical pages read once by every variant there is (the pages
    are drawn once for both), the manuscript pages left out; and the model's characters."""
    bench = _bench()
    model = TESSERACT_VERT[language]
    variants = tuple(v for v in bench.VARIANTS if v == "fast" or not bench.missing_best([model]))
    ctx = RenderContext(FontRegistry.load(), load_corpus(languages=[language]))
    rows = bench.read_lines(language, 12, (1024, 1448), 0, ctx, variants=variants)
    # pages on manuscript paper (synth.scenes.genko) set 20 characters a column, which
    # chi_tra_vert reads worse however they are drawn (tests/test_synth_genko.py bounds them)
    genko = {i for i, page in bench.pages(language, 12, (1024, 1448), 0, ctx)
             if page.render.get("tategaki", {}).get("kind") == "genko"}
    return [r for r in rows if r["page"] not in genko], bench.unicharset(model), variants


@pytest.fixture(scope="module")
def default_mix(request: pytest.FixtureRequest) -> Iterator[Callable[[str], tuple]]:
    """`_default_mix_rows` once a language. The first call starts the other selected
    languages' in a second process (spawned: a context of its own) and reads its own meanwhile:
    each language is a minute of single-threaded drawing and Tesseract, and CI has two cores."""
    wanted = [item.callspec.params["language"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_default_mix_vertical_pages_read_back"]
    done: dict[str, tuple] = {}
    pending: dict[str, Future[tuple]] = {}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:

        def rows(language: str) -> tuple:
            if language in pending:
                done[language] = pending.pop(language).result()
            if language not in done:
                for other in dict.fromkeys(wanted):
                    if other not in done and other not in pending and other != language:
                        pending[other] = pool.submit(_default_mix_rows, other)
                done[language] = _default_mix_rows(language)
            return done[language]

        yield rows
        for future in pending.values():
            future.cancel()


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["fast", "best_int"])
@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_default_mix_vertical_pages_read_back(language, variant, default_mix) -> None:
    # `generate --languages ja,zh-Hant --scenes document --vertical 1` pages at 1024x1448 (#16),
    # read column by column as bench/vertical_cer.py reads them (the em box alone at the page's
    # resolution). 12 pages (seed 0): ja 244 lines at median 2.8 % (1.96 % without the 76
    # characters jpn_vert cannot output); zh-Hant 232 lines at 5.6 % (4.55 % without its 135:
    # 121 rare Han and 〇, which chi_tra_vert lacks). What is left for zh-Hant is the model's,
    # not the drawing's: Han misread 4.8 % of the time (chi_tra reads these pages' 195
    # paragraph texts set horizontally at 2.0 %; on their 81 pure-Han lines Pillow/raqm's
    # vertical drawing on white reads at 4.1 %, ours at 4.4 %), tate-chu-yoko pairs (JIS X 4051: two
    # digits across the column) read at 35 %, vertical ellipses ︙ at 0 % (read ':'), while
    # upright full-width digits and Latin read at 100 %. zh-Hant columns with none of those
    # read at 2.2 %. So ja meets the 5 % on every character; zh-Hant only on the
    # characters its model knows, and the all-character figure guards against regressions.
    # Since warichu notes and the vertical-paper fix (seed 0, 12 pages): ja 3.0 %, zh-Hant 5.6 %
    # (known 2.1 / 3.9 %); seeds 0-2 and the error analysis in bench/vertical_cer.py.
    bench = _bench()
    if variant != "fast" and (why := bench.missing_best([TESSERACT_VERT[language]])):
        pytest.skip(why)
    rows, known, _ = default_mix(language)
    assert len(rows) >= 100
    every = [bench.score(r["text"], r["reads"][variant], known, r["upright_latin"])["cer"]
             for r in rows]
    knows = [bench.score(r["text"], r["reads"][variant], known, r["upright_latin"], True)["cer"]
             for r in rows]
    limit_all, limit_known = DEFAULT_MIX_LIMITS[language, variant]
    assert float(np.median(every)) <= limit_all, float(np.median(every))
    assert float(np.median(knows)) <= limit_known, float(np.median(knows))


LANGUAGES = ["en", "ar", "he", "fa", "hi", "ru"]


def _boxes_overlap(a: list[float], b: list[float]) -> float:
    """Intersection over the smaller box."""
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return inter / max(small, 1e-6)


def test_handwriting_share_gives_handwriting_that_never_overlaps_text(ctx) -> None:
    # every pair of lines, printed ones too: tall marks (Devanagari, Arabic harakat) used to
    # reach into the next line's box at tight pitch (34 of 200 pages before lines were settled
    # on their ink, synth.layout.DocumentPlanner.settle)
    config = _config(LANGUAGES, handwriting=0.5)
    with_hand = 0
    pages = 0
    for i in range(24):
        plan = plan_sample(config, sample_rng(i))
        spec = PageSpec(plan["language"], width=720, height=960,
                        **page_style(plan, _worker(ctx)))
        page = render_page(spec, sample_rng(1000 + i), ctx)
        pages += 1
        with_hand += any(ln.style == "handwritten" for ln in page.lines)
        shown = [ln for ln in page.lines if ln.visible > 0]
        boxes = [axis_box(ln.polygon) for ln in shown]
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                assert _boxes_overlap(boxes[a], boxes[b]) <= 0.05, (
                    plan["language"], i, shown[a].role, shown[b].role, shown[a].text[:20],
                    shown[b].text[:20])
    assert with_hand >= 0.3 * pages


def _overlaps(page) -> list[tuple[str, str, str, str, float]]:
    """(style, style, role, role, overlap) of line pairs whose polygons share more than 5 % of
    the smaller one's area (polygons filled on the page grid, so bent hand lines stay bent,
    unlike their axis boxes). Every pair, printed and handwritten alike."""
    shown = [ln for ln in page.lines if ln.visible > 0 and len(ln.polygon) >= 3]
    points = [np.round(np.asarray(ln.polygon)).astype(np.int32) for ln in shown]
    found = []
    for a in range(len(shown)):
        for b in range(a + 1, len(shown)):
            lo = np.minimum(points[a].min(0), points[b].min(0))
            hi = np.maximum(points[a].max(0), points[b].max(0))
            if (min(points[a][:, 0].max(), points[b][:, 0].max())
                    < max(points[a][:, 0].min(), points[b][:, 0].min())
                    or min(points[a][:, 1].max(), points[b][:, 1].max())
                    < max(points[a][:, 1].min(), points[b][:, 1].min())):
                continue  # boxes apart: the polygons inside them are too
            size = (int(hi[1] - lo[1]) + 1, int(hi[0] - lo[0]) + 1)
            masks = []
            for pts in (points[a], points[b]):
                mask = np.zeros(size, np.uint8)
                cv2.fillPoly(mask, [pts - lo], 1)
                masks.append(mask.astype(bool))
            small = min(masks[0].sum(), masks[1].sum())
            overlap = float((masks[0] & masks[1]).sum()) / max(float(small), 1.0)
            if overlap > 0.05:
                found.append((shown[a].style, shown[b].style, shown[a].role, shown[b].role,
                              round(overlap, 3)))
    return found


@pytest.mark.slow
def test_no_two_lines_overlap_over_200_pages_in_every_direction(ctx) -> None:
    # render only (no warping), small pages: ~0.1 CPU-s a page. Every pair of lines counts
    # (before lines were settled on their ink: 221 printed pairs on 34 of these 200 pages,
    # hi/ar/fa/ru/he/en, up to 25 % of the smaller line)
    languages = ["en", "ru", "hi", "ar", "he", "fa", "ja", "zh-Hant"]
    # every CJK page vertical, so ttb pages are a quarter of the 200, not an eighth
    config = {**_config(languages, handwriting=0.5, vertical=1.0), "page_sizes": [[360, 480]]}
    with_hand, directions, hand_directions, bad = 0, {}, {}, []
    for i in range(200):
        plan = plan_sample(config, sample_rng(i))
        spec = PageSpec(plan["language"], width=360, height=480, **page_style(plan, _worker(ctx)))
        page = render_page(spec, sample_rng(5000 + i), ctx)
        hand = any(ln.style == "handwritten" for ln in page.lines)
        with_hand += hand
        directions[page.direction] = directions.get(page.direction, 0) + 1
        hand_directions[page.direction] = hand_directions.get(page.direction, 0) + hand
        bad.extend((i, plan["language"], *found) for found in _overlaps(page))
    assert not bad, bad
    assert with_hand >= 0.3 * 200
    assert all(directions.get(d, 0) >= 30 for d in ("ltr", "rtl", "ttb")), directions
    assert all(hand_directions.get(d, 0) >= 2 for d in ("ltr", "rtl", "ttb")), hand_directions
