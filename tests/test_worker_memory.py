"""Bounded per-worker state (issue 22): what a worker keeps per language is capped, and the
memory cuts leave every value the same."""

from __future__ import annotations

import numpy as np

from synth.memo import LanguageMemo
from warping.sensor import apply_low_light


def test_memo_keeps_the_languages_used_last() -> None:
    memo = LanguageMemo(languages=2)
    memo[("vocab", "fr")] = 1
    memo[("style", "fr", 12)] = 2
    memo[("vocab", "de")] = 3
    assert memo.get(("vocab", "fr")) == 1  # fr used again: de is now the oldest
    memo[("vocab", "ja")] = 4
    assert ("vocab", "de") not in memo
    assert memo[("style", "fr", 12)] == 2 and memo[("vocab", "ja")] == 4
    assert len(memo) == 3 and sorted(memo, key=str) == sorted(
        [("vocab", "fr"), ("style", "fr", 12), ("vocab", "ja")], key=str)
    del memo[("vocab", "ja")]
    assert ("vocab", "ja") not in memo and memo.get(("vocab", "ja"), "none") == "none"


def test_memo_of_a_render_context_is_bounded() -> None:
    from synth.render import RenderContext

    ctx = RenderContext.__new__(RenderContext)  # the memo alone: no fonts needed
    ctx.memo = LanguageMemo()
    for k in range(100):
        ctx.memo[("pagetext.language", f"x{k}")] = k
    assert len(ctx.memo) == ctx.memo.languages < 100


def test_low_light_in_bands_equals_the_whole_page_formula() -> None:
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (333, 97, 3), dtype=np.uint8)
    rec = {"exposure": 0.3, "boost": 0.9, "read": 2.0, "shot": 0.004, "warmth": 0.1, "seed": 11}
    from synth.opencv import cv2
    from warping.noise import apply_noise
    from warping.sensor import _noise_records

    dim = cv2.convertScaleAbs(img, alpha=0.3)
    noisy = apply_noise(dim, _noise_records(rec))
    gain = 0.9 / 0.3
    gains = np.array([gain * 1.1, gain, gain * 0.9], np.float32)
    expected = np.clip(noisy.astype(np.float32) * gains[None, None, :] + 0.5, 0, 255).astype(np.uint8)
    out = apply_low_light(img, rec)
    assert out.dtype == np.uint8 and np.array_equal(out, expected)
    assert not np.array_equal(out, img)


def test_per_language_caches_follow_the_run_size() -> None:
    """A run over more languages than the memo keeps holds only a few (hits were ~4 % at 24
    of 529); a small run keeps all of its languages. Values do not depend on it."""
    from synth.memo import FEW_LANGUAGES, MEMO_LANGUAGES, language_lru, set_run_languages

    made: list[str] = []

    @language_lru
    def facts(code: str) -> str:
        made.append(code)
        return code.upper()

    memo = LanguageMemo()
    try:
        set_run_languages(529)
        for k in range(10):
            memo[("vocab", f"x{k}")] = k
            assert facts(f"x{k}") == f"X{k}"
        assert len(memo) == memo.languages == FEW_LANGUAGES and facts.cache_len() == FEW_LANGUAGES
        assert facts("x9") == "X9" and made.count("x9") == 1  # recent: kept
        assert facts("x0") == "X0" and made.count("x0") == 2  # evicted: made again, same value
        set_run_languages(10)
        for k in range(10):
            memo[("vocab", f"y{k}")] = k
            facts(f"y{k}")
        assert memo.languages == MEMO_LANGUAGES and facts.cache_len() == 10 + FEW_LANGUAGES
    finally:
        set_run_languages(MEMO_LANGUAGES)


def test_release_input_frees_the_flat_pixels_and_keeps_the_output() -> None:
    """`apply_warp(release_input=True)` (the pipeline's call) leaves the flat page a pixel-less
    stand-in of the same shape and gives the same image, labels and JPEG bytes."""
    import warping
    from synth.rng import sample_rng
    from tests.test_warping_legibility import _text_page

    page = _text_page()
    record = warping.sample_warp("wild", page.width, page.height, sample_rng(4))
    kept = warping.apply_warp(page, record, decode_jpeg=False)
    flat = _text_page()
    freed = warping.apply_warp(flat, record, decode_jpeg=False, release_input=True)
    assert flat.image.shape == page.image.shape and flat.image.strides == (0, 0, 0)
    assert np.array_equal(freed.image, kept.image)
    assert freed.extras["image_jpeg"] == kept.extras["image_jpeg"]
    assert [ln.polygon for ln in freed.lines] == [ln.polygon for ln in kept.lines]
    assert [ln.legibility for ln in freed.lines] == [ln.legibility for ln in kept.lines]


def test_text_caches_shrink_for_runs_over_many_languages() -> None:
    from synth.text import TextEngine
    from synth.text.glyphs import GLYPH_CACHE_BYTES
    from synth.text.shaper import CACHE_LIMIT, EXTENT_LIMIT, INK_CACHE_BYTES

    engine = TextEngine(fonts=None)  # type: ignore[arg-type]  (bounds only: no fonts read)
    engine.fit_to_languages(529)
    assert engine.cache_limit == CACHE_LIMIT // 8 and engine.ink_cache_bytes == INK_CACHE_BYTES // 8
    assert engine.glyphs.max_bytes == GLYPH_CACHE_BYTES // 8
    assert engine.extent_limit == EXTENT_LIMIT // 4
    engine.fit_to_languages(10)
    assert (engine.cache_limit, engine.ink_cache_bytes, engine.glyphs.max_bytes,
            engine.extent_limit) == (CACHE_LIMIT, INK_CACHE_BYTES, GLYPH_CACHE_BYTES, EXTENT_LIMIT)


def test_release_input_without_a_move_leaves_a_stand_in_too() -> None:
    """A record that moves nothing (the `clean` profile: no geometric step, one JPEG step)
    hands the flat frame itself to the JPEG step, which swaps it to BGR in place and leaves it
    so (`decode_jpeg=False`): the caller's page must say no pixels then, as it does when the
    page moves, not hold a frame with its red and blue swapped."""
    import warping
    from synth.rng import sample_rng
    from tests.test_warping_legibility import _text_page

    page = _text_page()
    page.image[10:40, 10:60] = (200, 30, 90)  # red and blue differ: a swap would show
    record = warping.sample_warp("clean", page.width, page.height, sample_rng(0))
    assert not record["geometric"] and [r["step"] for r in record["photometric"]] == ["jpeg"]
    kept = warping.apply_warp(page, record, decode_jpeg=False)
    flat = _text_page()
    flat.image[10:40, 10:60] = (200, 30, 90)
    freed = warping.apply_warp(flat, record, decode_jpeg=False, release_input=True)
    assert flat.image.shape == page.image.shape and flat.image.strides == (0, 0, 0)
    assert freed.extras["image_jpeg"] == kept.extras["image_jpeg"]
    assert [ln.legibility for ln in freed.lines] == [ln.legibility for ln in kept.lines]
