"""Real Tesseract reads the printed lines of table/receipt/card pages as their labels say."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import cv2
import numpy as np
import pytest

from fonts_manifest.catalog import DECORATIVE
from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from synth.render import PageSpec, RenderContext, apply_render, sample_render
from synth.rng import sample_rng

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")


def _cer(ref: str, hyp: str) -> float:
    ref, hyp = (unicodedata.normalize("NFKC", "".join(s.split())) for s in (ref, hyp))
    prev = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, 1):
        cur = [i]
        for j, b in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b)))
        prev = cur
    return prev[-1] / max(1, len(ref))


def _ocr(crop: np.ndarray, lang: str) -> str:
    ok, png = cv2.imencode(".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    assert ok
    result = subprocess.run(["tesseract", "stdin", "stdout", "-l", lang, "--psm", "7"],
                            input=png.tobytes(), capture_output=True, check=True, timeout=60)
    return result.stdout.decode("utf-8").strip()


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus()
    return RenderContext(FontRegistry.load(corpus=corpus), corpus)


@pytest.mark.parametrize("scene,language,tess", [("receipt", "en", "eng"), ("receipt", "ru", "rus"),
                                                 ("table", "en", "eng"), ("card", "el", "ell")])
def test_printed_lines_read_back_as_labelled(ctx, scene, language, tess) -> None:
    spec = PageSpec(language=language, scene=scene, font_style="sans", options=(
        {"ruling": "none"} if scene == "table" else {}))
    record = sample_render(spec, sample_rng(21), ctx)
    record = dict(record, paper={"kind": "plain", "tint": [255, 255, 255]}, graphics=[])
    page = apply_render(record, ctx)
    errors = []
    classes = ctx.registry.catalog.classes  # display/handwriting faces: not for this check
    printed = [ln for ln in page.lines if ln.style == "printed" and len(ln.text) >= 3
               and classes.get(ln.font_family) not in DECORATIVE]
    for line in printed[:: max(1, len(printed) // 10)]:  # about ten lines: one OCR call each
        pts = np.asarray(line.polygon)
        x0, y0 = np.floor(pts.min(axis=0)).astype(int) - 6
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 6
        crop = page.image[max(0, y0) : y1, max(0, x0) : x1]
        if crop.min() > 200:
            continue  # light text (white on a coloured band) vanishes on white paper
        scale = max(1.0, 40.0 / crop.shape[0])
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        errors.append(_cer(line.text, _ocr(crop, tess)))
    assert len(errors) >= 4
    print(scene, language, "median CER", float(np.median(errors)), "lines", len(errors))
    assert float(np.median(errors)) <= 0.05, errors
