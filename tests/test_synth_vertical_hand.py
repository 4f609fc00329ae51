"""`generate`'s vertical and handwriting shares: vertical CJK pages with ttb lines that Tesseract's
vertical models read, and handwriting that never lands on other text."""

from __future__ import annotations

import subprocess
import unicodedata

import cv2
import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.sample import WorkerContext, page_style, plan_sample
from qa_factory.textmetrics import text_similarity
from synth.page import axis_box
from synth.render import PageSpec, RenderContext, render_page
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


def _ocr_vertical(crop: np.ndarray, model: str) -> str:
    ok, png = cv2.imencode(".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    assert ok
    out = subprocess.run(["tesseract", "stdin", "stdout", "-l", model, "--psm", "5"],
                         input=png.tobytes(), capture_output=True, timeout=60, check=True)
    return "".join(out.stdout.decode("utf-8").split())


def _clean_crop(page, line) -> np.ndarray:
    """The column's ink box (+2 px) on a margin of its own paper colour, 0.4 of its width
    wide, at 2x: the column alone, as the label claims it.

    A crop of the page with that margin holds a classical leaf's column rules (界行, 0.2-0.4 em
    beside the text) and slivers of the neighbouring columns, which Tesseract read as '|', '_'
    or '[' or as a second column (the whole column lost twice in 90 default-mix ja lines).
    Painting rules out with the judge's remove_rulings also erased text on some leaves."""
    x0, y0, x1, y1 = (int(round(v)) for v in axis_box(line.polygon))
    tight = page.image[max(0, y0 - 2): y1 + 2, max(0, x0 - 2): x1 + 2]
    paper = np.median(np.concatenate([tight[0], tight[-1], tight[:, 0], tight[:, -1]]), axis=0)
    pad = int(0.4 * (x1 - x0))
    crop = cv2.copyMakeBorder(tight, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                              value=[int(v) for v in paper])
    return cv2.resize(crop, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)


def _line_cer(line, read: str) -> float:
    truth = "".join(unicodedata.normalize("NFKC", line.text).split())
    return 1.0 - text_similarity(truth, unicodedata.normalize("NFKC", read))


@pytest.mark.slow
@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_vertical_lines_read_back_with_tesseract_vertical_models(language) -> None:
    # running text (UDHR only): the vertical models read it at median 2.1 % (ja) / 4.0 %
    # (zh-Hant). The default mix (vocabulary words in random order, boosted rare characters,
    # entities) reads at median 8.3 % (ja, 95 lines of 12 pages) and 15.9 % (zh-Hant, 97 lines
    # of 13 pages) with these crops, while the horizontal models read the same line texts set
    # horizontally in the same face and size at 3.7 % / 6.7 %, and pure-CJK lines drawn
    # vertically by Pillow/raqm instead of synth.text.vertical read exactly as ours (zh-Hant
    # 12.5 % median on 30 lines at 16 px): the gap is the vertical models' on that text, not the
    # drawing (report of #16). Sideways Latin and long numbers: 19-35 % on lines holding them.
    # Since vertical pages carry numbers and Latin as vertical books do (synth.vertical_text),
    # 64 default-mix lines a language at 720x960 read at 7.0 % (ja) / 9.1 % (zh-Hant) median
    # (horizontal models, same texts: 2.0 / 2.3 %); at generate's default 1024x1448 page,
    # 4.1 % / 10.0 % (horizontal 1.6 / 1.8 %). zh-Hant's gap is chi_tra_vert's on Han text:
    # its pure-Han lines read at 9.5 % (horizontal 1.8 %); without the rare-character boost
    # and with Zipf word frequencies still 5.2 % (horizontal 0.0 %).
    udhr = RenderContext(FontRegistry.load(), load_corpus(languages=[language]),
                         text={"sources": {"udhr": 1.0}})
    page = render_page(PageSpec(language, width=720, height=960, vertical=True,
                                font_style="sans"), sample_rng(3), udhr)
    assert page.direction == "ttb"
    body = [ln for ln in page.lines if ln.role == "paragraph" and len(ln.text) >= 8][:8]
    assert len(body) >= 4 and all(ln.direction == "ttb" for ln in body)
    errors = []
    for line in body:
        x0, y0, x1, y1 = axis_box(line.polygon)
        assert y1 - y0 > 3 * (x1 - x0)  # a column, not a row
        errors.append(_line_cer(line, _ocr_vertical(_clean_crop(page, line),
                                                    TESSERACT_VERT[language])))
    assert float(np.median(errors)) <= 0.05, errors


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
