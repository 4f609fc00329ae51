"""Real Tesseract reads clean line crops of the beyond-document scenes as their labels say:
six scenes x en, ar, zh-Hans, hi, th, ru, median character error <= 5 % per scene and language.

Crops come from the clean render itself (scene backgrounds, bubbles, frames and all), cut at the
line polygon's box with a margin of a quarter line height; display lines (bent, outlined or
gradient headlines, listed by the scene) are left out, as plain-text OCR is not expected to
read art faces. Outlined subtitles are NOT left out: subtitles are for reading.

The reader is qa_factory's Tesseract judge (`line` task: in-process tesserocr when the judges
extra is installed, the CLI otherwise, `<pack>+eng` for non-Latin scripts). Crops taller than
CROP_HEIGHT are scaled down to it first, as an OCR front end normalises line height: Tesseract's
LSTM reads lines at a fixed ~36 px, and through psm 7 its Arabic model returned nothing for clean
Naskh lines 60-120 px tall that it read exactly at 40 px (measured on poster body lines).

    PYTHONPATH=$PWD .venv/bin/python tests/test_synth_scenes_beyond_ocr.py  # prints the table
"""

from __future__ import annotations

import shutil
import unicodedata

import cv2
import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from synth.render import PageSpec, RenderContext, apply_render, sample_render
from synth.rng import sample_rng
from synth.text.bidi import bidi_levels, has_rtl, visual_order

pytestmark = [pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed"),
              pytest.mark.slow]
SCENES = ("screenshot", "video-frame", "ticket", "scene-text", "poster", "game-ui")
LANGUAGES = ("en", "ar", "zh-Hans", "hi", "th", "ru")
SEEDS = range(4)
CROP_HEIGHT = 40
MAX_MEDIAN_CER = 0.05


def cer(ref: str, hyp: str) -> float:
    """Edit distance over the reference length, NFKC, whitespace ignored (Tesseract spaces CJK)."""
    ref, hyp = (unicodedata.normalize("NFKC", "".join(s.split())) for s in (ref, hyp))
    prev = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, 1):
        cur = [i]
        for j, b in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b)))
        prev = cur
    return prev[-1] / max(1, len(ref))


def line_cer(line, hyp: str) -> float:
    """CER against the label; a line on a right-to-left page with no right-to-left letter
    ('188.06 SAR', a phone number) is also scored against its display order, since Tesseract
    prints such a line left to right as it appears ('SAR 188.06'), not in logical order."""
    best = cer(line.text, hyp)
    if line.direction == "rtl" and not has_rtl(line.text):
        levels = bidi_levels(line.text, base_rtl=True)
        best = min(best, cer("".join(line.text[i] for i in visual_order(levels)), hyp))
    return best


def display_lines(record: dict) -> set[int]:
    """Lines in display treatments: bent, outlined (not subtitles), gradient, or on a bent sign."""
    out = set(record.get("extras", {}).get("display_lines", []))
    orders = list(record.get("lines", [])) + [o for p in record.get("planes", []) for o in p["lines"]]
    for i, order in enumerate(orders):
        fx = order.get("fx") or {}
        if order.get("path") or fx.get("gradient") or ("outline" in fx and order["role"] != "subtitle"):
            out.add(i)
    return out


def line_crop(image: np.ndarray, polygon: list[list[float]]) -> np.ndarray:
    pts = np.asarray(polygon)
    pad = max(4, int((pts[:, 1].max() - pts[:, 1].min()) * 0.25))
    x0, y0 = np.floor(pts.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + pad
    crop = image[max(0, y0) : y1, max(0, x0) : x1]
    if crop.shape[0] > CROP_HEIGHT:
        scale = CROP_HEIGHT / crop.shape[0]
        crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), CROP_HEIGHT),
                          interpolation=cv2.INTER_AREA)
    return crop


def line_cers(ctx, judge, scene: str, language: str, seeds: range = SEEDS) -> list[float]:
    """CER of up to ~5 plain lines of each page (every k-th, so long pages are sampled evenly)."""
    errors = []
    for seed in seeds:
        record = sample_render(PageSpec(language=language, scene=scene), sample_rng(seed), ctx)
        page = apply_render(record, ctx)
        skip = display_lines(record)
        lines = [ln for i, ln in enumerate(page.lines) if i not in skip and len(ln.text.strip()) >= 3]
        for line in lines[:: max(1, len(lines) // 5)]:
            # the line's own language (bilingual subtitles, Latin plates read with +eng)
            view = {"task": "line", "language": line.language or language}
            errors.append(line_cer(line, judge.answer(line_crop(page.image, line.polygon), view)))
    return errors


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus()
    return RenderContext(FontRegistry.load(corpus=corpus), corpus)


@pytest.fixture(scope="module")
def judge():
    from qa_factory.judges.tesseract import TesseractJudge, tesseract_language

    missing = [code for code in LANGUAGES if tesseract_language(code) is None]
    if missing:
        pytest.skip(f"no tesseract pack for {missing}")
    return TesseractJudge()


@pytest.mark.parametrize("scene", SCENES)
def test_clean_line_crops_read_back(ctx, judge, scene) -> None:
    medians = {}
    for language in LANGUAGES:
        errors = line_cers(ctx, judge, scene, language)
        assert len(errors) >= 3, (scene, language, errors)
        medians[language] = round(float(np.median(errors)), 3)
    bad = {k: v for k, v in medians.items() if v > MAX_MEDIAN_CER}
    assert not bad, (scene, medians)


if __name__ == "__main__":  # the CER table of the report
    from qa_factory.judges.tesseract import TesseractJudge

    corpus = load_corpus()
    context = RenderContext(FontRegistry.load(corpus=corpus), corpus)
    reader = TesseractJudge()
    print("| scene | " + " | ".join(LANGUAGES) + " | all: median | all: mean | lines over 5 % |")
    print("|---" * (len(LANGUAGES) + 4) + "|")
    for name in SCENES:
        cells, pooled = [], []
        for code in LANGUAGES:
            errs = line_cers(context, reader, name, code)
            pooled += errs
            cells.append(f"{np.median(errs):.3f} ({len(errs)})")
        over = sum(e > MAX_MEDIAN_CER for e in pooled)
        print(f"| {name} | " + " | ".join(cells) + f" | {np.median(pooled):.3f} | {np.mean(pooled):.3f} | "
              f"{over}/{len(pooled)} |", flush=True)
