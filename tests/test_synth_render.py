"""Render plumbing: determinism, sample/apply equivalence, every language without tofu, CLI."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.errors import PolyglyphError
from synth.render import SCENES, PageSpec, RenderContext, apply_render, render_page, sample_render
from synth.rng import sample_rng, sample_seed
from synth.text import clean_text

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def ctx(corpus) -> RenderContext:
    return RenderContext(FontRegistry.load(), corpus)


@cache
def cmap_of(path: str, index: int) -> frozenset[int]:
    font = TTFont(path, fontNumber=index, lazy=True)
    return frozenset(font.getBestCmap())


def same_page(a, b) -> bool:
    return np.array_equal(a.image, b.image) and a.to_dict() == b.to_dict()


def test_same_spec_and_seed_give_identical_pixels_and_labels(ctx, corpus):
    for language in ("ar", "hi", "en"):
        spec = PageSpec(language=language, width=600, height=800, style_mix=0.3)
        first = render_page(spec, sample_rng(11), ctx)
        fresh = RenderContext(FontRegistry.load(), corpus)  # cold caches must not matter
        second = render_page(spec, sample_rng(11), fresh)
        assert same_page(first, second), language
        other = render_page(spec, sample_rng(12), ctx)
        assert not np.array_equal(first.image, other.image)


def test_apply_of_sampled_record_equals_render_page(ctx):
    spec = PageSpec(language="he", width=640, height=900, columns=2)
    record = sample_render(spec, sample_rng(5), ctx)
    record = json.loads(json.dumps(record))  # the record is plain JSON and survives a round trip
    page = apply_render(record, ctx)
    assert same_page(page, render_page(spec, sample_rng(5), ctx))
    assert page.render["columns"] == 2 and page.render["spec"]["language"] == "he"


def test_every_language_renders_a_small_page_without_tofu(ctx):
    """All usable languages, 320x400: no error, text drawn, every drawn char in its face's cmap.
    Half the languages are drawn in a second process (its own context, the same pages: each
    page's seed is its language's index), so both cores work: the test was 80 s of the suite."""
    infos = ctx.registry.languages()
    assert len(infos) >= 400
    pages = [(index, info.code) for index, info in enumerate(infos)]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        other = pool.submit(tofu_pages, pages[1::2])
        failures, missing = tofu_pages(pages[0::2], ctx)
        their_failures, their_missing = other.result()
    assert not failures + their_failures, (failures + their_failures)[:10]
    assert not missing | their_missing, sorted(missing | their_missing)[:10]


def tofu_pages(pages: list[tuple[int, str]], ctx: RenderContext | None = None
               ) -> tuple[list[str], set[tuple[str, str]]]:
    """Draw each (index, language) page; (what failed, characters drawn without a glyph).
    Without `ctx` (in the second process) a fresh context of every language is made."""
    ctx = ctx or RenderContext(FontRegistry.load(), load_corpus())
    failures: list[str] = []
    missing: set[tuple[str, str]] = set()
    audited: set[tuple[str, object]] = set()
    for n, (index, code) in enumerate(pages):
        try:
            page = render_page(PageSpec(code, width=320, height=400),
                               sample_rng(sample_seed(3, index)), ctx)
        except PolyglyphError as exc:  # pragma: no cover - reported below
            failures.append(f"{code}: {exc}")
            continue
        if not page.lines or not page.words:
            failures.append(f"{code}: no text drawn")
        if (page.image.min(axis=2) < 100).sum() < 50:
            failures.append(f"{code}: no ink on the page")
        if n % 50 == 49 or n == len(pages) - 1:  # audit before the cache may evict
            missing |= untofu_audit(ctx, audited)
    return failures, missing


def untofu_audit(ctx: RenderContext, audited: set) -> set[tuple[str, str]]:
    """Characters of drawn pieces that the face drawing them has no glyph for."""
    missing = set()
    for text, face in ctx.engine.shaped_pieces():
        if (text, face) in audited:
            continue
        audited.add((text, face))
        cmap = cmap_of(face.path, face.index)
        for ch in text:
            if ch.isspace() or unicodedata.category(ch) == "Cf":
                continue
            if ord(ch) not in cmap:
                missing.add((ch, face.path))
    return missing


def test_document_structure_and_paragraph_provenance(ctx, corpus):
    roles_seen: set[str] = set()
    for seed, language in enumerate(("en", "ar", "th", "ja", "ru", "fa")):
        page = render_page(PageSpec(language, width=900, height=1200), sample_rng(100 + seed), ctx)
        roles_seen.update(line.role for line in page.lines)
        text = corpus[page.language]
        by_id = dict(zip(text.paragraph_ids, text.paragraphs, strict=True))
        # synthesised paragraphs (ids "syn:…") carry their text in the render record
        by_id.update((p["id"], p["text"]) for p in page.render["paragraphs"] if "text" in p)
        shown = page.extras["paragraphs"]
        assert shown, language
        for item in shown:
            drawn = "".join(page.lines[i].text for i in item["line_indices"])
            source = clean_text(by_id[item["id"]])
            strip = "".join(drawn.split())
            if page.lines[item["line_indices"][0]].role == "list-item":
                strip = strip[len("".join(page.lines[item["line_indices"][0]].text.split()[0])):]
            if item["complete"]:
                assert strip == "".join(source.split()), (language, item["id"])
            else:
                assert "".join(source.split()).startswith(strip), (language, item["id"])
        covered = sorted(i for b in page.blocks for i in b.line_indices)
        assert covered == list(range(len(page.lines)))
        for line in page.lines:
            x0, y0 = np.min(line.polygon, axis=0)
            x1, y1 = np.max(line.polygon, axis=0)
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
            assert line.words and line.script == page.script
    assert {"paragraph", "heading"} <= roles_seen
    assert roles_seen & {"header", "footer", "page-number"}


def test_rtl_columns_read_right_to_left(ctx):
    page = render_page(PageSpec("ar", width=1024, height=1448, columns=2), sample_rng(3), ctx)
    body = [b for b in page.blocks if b.role in ("paragraph", "heading", "list-item")]
    centres = [np.mean(np.asarray(b.polygon)[:, 0]) for b in body]
    first_left = next(k for k, c in enumerate(centres) if c < page.width / 2)
    assert first_left > 0
    assert all(c > page.width / 2 for c in centres[:first_left])
    assert all(c < page.width / 2 for c in centres[first_left:])


def test_style_mix_marks_handwritten_lines(ctx):
    for language in ("en", "ar"):
        page = render_page(PageSpec(language, width=800, height=1100, style_mix=1.0),
                           sample_rng(8), ctx)
        styles = {line.style for line in page.lines if line.role in ("paragraph", "list-item")}
        assert styles == {"handwritten"}, language
        assert any(line.style == "printed" for line in page.lines)


def test_vertical_japanese_page(ctx):
    page = render_page(PageSpec("ja", width=800, height=1000, vertical=True), sample_rng(2), ctx)
    assert page.direction == "ttb" and len(page.lines) >= 3
    spans = []
    for line in page.lines:
        x0, y0 = np.min(line.polygon, axis=0)
        x1, y1 = np.max(line.polygon, axis=0)
        assert y1 - y0 > x1 - x0 or len(line.text) <= 2
        if line.role not in ("header", "footer", "page-number"):  # a leaf's centre fold
            spans.append((x0, x1))  # holds its title and page number: read first / last
    # body columns right to left: no line starts right of the one before it ends (a warichu
    # note's two half-size lines sit inside their column, right half first)
    for (_, before_x1), (x0, x1) in zip(spans, spans[1:], strict=False):
        assert (x0 + x1) / 2 <= before_x1, (spans, x0, x1)


def test_unknown_language_and_scene_are_one_line_errors(ctx):
    with pytest.raises(PolyglyphError, match="xx-nope"):
        render_page(PageSpec("xx-nope"), sample_rng(0), ctx)
    with pytest.raises(PolyglyphError, match="unknown scene"):
        render_page(PageSpec("en", scene="billboard-xyz"), sample_rng(0), ctx)
    assert "document" in SCENES


def test_render_cli_writes_png_and_json(tmp_path):
    out = tmp_path / "page.png"
    proc = subprocess.run([POLYGLYPH, "render", "--language", "ar", "--seed", "4", "--width",
                           "500", "--height", "700", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    image = np.asarray(Image.open(out))
    label = json.loads(out.with_suffix(".json").read_text("utf-8"))
    assert image.shape == (700, 500, 3) and label["width"] == 500
    assert label["direction"] == "rtl" and label["lines"]
    line = label["lines"][0]
    assert {"text", "polygon", "words", "style", "direction", "script", "language"} <= set(line)
    bad = tmp_path / "bad.png"
    proc = subprocess.run([POLYGLYPH, "render", "--language", "zz-bogus", "--out", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "zz-bogus" in proc.stderr
    assert not list(tmp_path.glob("bad*"))


def test_render_cli_uses_a_user_corpus(tmp_path):
    text = tmp_path / "mine.txt"
    text.write_text("Zebra quartz polyglyph paragraph one.\nSecond paragraph of mine.\n", "utf-8")
    out = tmp_path / "user.png"
    proc = subprocess.run([POLYGLYPH, "render", "--language", "en", "--corpus", f"en={text}",
                           "--width", "600", "--height", "500", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    label = json.loads(out.with_suffix(".json").read_text("utf-8"))
    drawn = " ".join(line["text"] for line in label["lines"])
    assert "polyglyph" in drawn or "Second paragraph" in drawn
    ids = {p["id"] for p in label["extras"]["paragraphs"]}
    # the user's rows (u<row>) and, with the default text mix, synthesised paragraphs
    assert ids & {"u0", "u1"} and ids - {"u0", "u1"} == {i for i in ids if i.startswith("syn:")}
