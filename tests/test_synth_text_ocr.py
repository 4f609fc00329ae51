"""Real Tesseract reads our clean renders of UDHR Article 1: shaping, bidi and fonts are right.

Each line is cut out by its own polygon and read alone (`--psm 7`): a wrong polygon would cut
glyphs off and show up as errors too. Stacked crops read as one block (`--psm 6`) are cheaper but
Tesseract then takes Myanmar stacked marks for extra lines and skips long Arabic lines.
The per-language table is written by `bench/bench_render.py`; the test checks the median.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from qa_factory.textmetrics import levenshtein
from synth.linebreak import NO_SPACE_SCRIPTS
from synth.scenes import render_text_block
from synth.text import TextEngine, TextStyle

TESSERACT_LANGS = {
    "ar": "ara", "he": "heb", "fa": "fas", "ur": "urd", "hi": "hin", "bn": "ben", "ta": "tam",
    "th": "tha", "km": "khm", "my": "mya", "bo": "bod", "am": "amh", "ka": "kat", "hy": "hye",
    "el": "ell", "ru": "rus", "ko": "kor", "ja": "jpn", "zh-Hans": "chi_sim", "vi": "vie",
}

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")


def normalise(text: str, script: str) -> str:
    """NFKC, invisible format characters (ZWNJ that Tesseract emits after Tamil virama) dropped,
    whitespace removed where the script has no word spaces, else folded."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    if script in NO_SPACE_SCRIPTS or script in ("Hang", "Jpan"):
        return re.sub(r"\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def line_crops(image: np.ndarray, lines, pad: int = 12) -> np.ndarray:
    """Each line cut out by its polygon and stacked with white space between."""
    crops = []
    for line in lines:
        pts = np.asarray(line.polygon)
        x0, y0 = np.maximum(pts.min(axis=0).astype(int) - pad, 0)
        x1, y1 = pts.max(axis=0).astype(int) + pad
        crops.append(image[y0:y1, x0:x1])
    width = max(c.shape[1] for c in crops)
    rows = []
    for crop in crops:
        row = np.full((crop.shape[0] + pad, width, 3), 255, np.uint8)
        row[: crop.shape[0], : crop.shape[1]] = crop
        rows.append(row)
    stack = np.concatenate(rows, axis=0)
    framed = np.full((stack.shape[0] + 4 * pad, stack.shape[1] + 4 * pad, 3), 255, np.uint8)
    framed[2 * pad : 2 * pad + stack.shape[0], 2 * pad : 2 * pad + stack.shape[1]] = stack
    return framed


def tesseract_line(image: np.ndarray, lang: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "line.png"
        Image.fromarray(image).save(path)
        proc = subprocess.run(["tesseract", str(path), "-", "-l", lang, "--psm", "7"],
                              capture_output=True, text=True, check=True,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return proc.stdout.strip()


def article1_cer(registry: FontRegistry, corpus, code: str, lang: str) -> float:
    """Character error rate of Tesseract on the line crops of UDHR Article 1 in `code`."""
    info = registry.language(code)
    text = corpus[info.code]
    paragraph = dict(zip(text.paragraph_ids, text.paragraphs, strict=True))["a1.p0"]
    style = TextStyle(tuple(registry.chain(info.code)), 32, info.code, info.script,
                      info.direction)
    image, lines = render_text_block(TextEngine(registry), [paragraph], style, 1000)
    hypothesis = " ".join(tesseract_line(line_crops(image, [line]), lang) for line in lines)
    reference = normalise(" ".join(line.text for line in lines), info.script)
    return levenshtein(reference, normalise(hypothesis, info.script)) / max(1, len(reference))


def article1_table(max_workers: int = 2) -> dict[str, float]:
    registry, corpus = FontRegistry.load(), load_corpus()
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = {code: pool.submit(article1_cer, registry, corpus, code, lang)
                   for code, lang in TESSERACT_LANGS.items()}
        return {code: f.result() for code, f in futures.items()}


def test_tesseract_reads_article_1_with_low_error():
    cer = article1_table()
    assert statistics.median(cer.values()) <= 0.03, cer
    assert max(cer.values()) < 0.2, cer  # no language is garbled (reversed, unjoined, tofu)
