"""Shaping and glyph caches are invisible: a page is the same bytes from a cold, a warm or a
starved cache, and the caches stay within their byte bounds."""

from __future__ import annotations

import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from synth.render import PageSpec, RenderContext, render_page
from synth.rng import sample_rng

SPECS = [
    PageSpec("ar", scene="document", width=520, height=700, style_mix=0.3),
    PageSpec("hi", scene="receipt", width=480, height=700),
    PageSpec("ja", scene="table", width=640, height=520),
    PageSpec("en", scene="form", width=600, height=760),
]


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def fresh(corpus) -> RenderContext:
    return RenderContext(FontRegistry.load(), corpus)


def page_bytes(page) -> tuple[bytes, dict]:
    return page.image.tobytes(), page.to_dict()


@pytest.fixture(scope="module")
def cold_pages(corpus):
    """Each spec rendered first thing by its own brand-new context."""
    return [page_bytes(render_page(spec, sample_rng(21), fresh(corpus))) for spec in SPECS]


def test_warm_cache_gives_the_cold_cache_bytes(corpus, cold_pages):
    ctx = fresh(corpus)
    for k, spec in enumerate(SPECS):  # warm with other seeds: other sizes, words, glyphs
        render_page(spec, sample_rng(100 + k), ctx)
        render_page(spec, sample_rng(200 + k), ctx)
    assert ctx.engine.cache_sizes()["inks"] > 0
    for spec, cold in zip(SPECS, cold_pages, strict=True):
        warm = page_bytes(render_page(spec, sample_rng(21), ctx))
        assert warm[0] == cold[0], spec.language
        assert warm[1] == cold[1], spec.language


def test_starved_caches_evict_and_still_give_the_same_bytes(corpus, cold_pages):
    ctx = fresh(corpus)
    ctx.engine.ink_cache_bytes = 4096  # evicts piece masks every few words
    ctx.engine.glyphs.max_bytes = 2048  # evicts glyph tables whenever a new size starts
    ctx.engine.extent_limit = 8  # evicts text extents (line spacing) every few words
    for spec, cold in zip(SPECS, cold_pages, strict=True):
        starved = page_bytes(render_page(spec, sample_rng(21), ctx))
        assert starved[0] == cold[0], spec.language
        assert starved[1] == cold[1], spec.language
    sizes = ctx.engine.cache_sizes()
    assert sizes["ink_bytes"] <= 4096 + 64 * 1024, sizes  # bound + the masks of one word
    assert sizes["glyph_tables"] <= 4, sizes
    assert 0 < sizes["extents"] <= 8, sizes


def test_default_bounds_hold_over_many_pages(corpus):
    ctx = fresh(corpus)
    for seed in range(6):
        for spec in SPECS:
            render_page(spec, sample_rng(seed), ctx)
    sizes = ctx.engine.cache_sizes()
    engine = ctx.engine
    assert 0 < sizes["ink_bytes"] <= engine.ink_cache_bytes + (1 << 20), sizes
    assert 0 < sizes["glyph_bytes"] <= engine.glyphs.max_bytes + (1 << 20), sizes
    assert sizes["ft_faces"] <= engine.glyphs.open_faces, sizes
    assert 0 < sizes["extents"] <= engine.extent_limit, sizes


def test_itemisation_shortcut_matches_the_registry(corpus):
    """The engine's one-run shortcut (preferred face draws every character) gives exactly the
    registry's runs, also for digits and punctuation the script font lacks."""
    from synth.text import TextEngine, TextStyle

    registry = FontRegistry.load()
    engine = TextEngine(registry)
    shortcut = 0
    for code in ("en", "ar", "th", "hi", "ja", "he", "my", "am", "ka"):
        info = registry.language(code)
        chain = tuple(registry.chain(info.code))
        style = TextStyle(chain, 20, info.code, info.script, info.direction)
        words = " ".join(corpus[info.code].paragraphs[:4]).split()[:60]
        for text in [*words, "12,345.67", "(1948)", "“A”", " "]:
            expected = registry.itemize(text, list(chain))
            assert engine.itemize(text, style) == expected, (code, text)
            shortcut += len(expected) == 1 and expected[0][1] == chain[0]
    assert shortcut > 100  # the shortcut was taken, so the comparison covered it
