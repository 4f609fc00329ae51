"""Document scene: every drawn pixel of text lies inside a word polygon, and every word has ink.

The ink of a page is where it differs from its paper (re-made from the record), so this checks
the labels against the pixels for horizontal, RTL multi-column, handwritten, vertical CJK and
rotated vertical pages alike.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from synth.render import PageSpec, RenderContext, apply_background, render_page
from synth.rng import sample_rng

CASES = [
    ("ar", {"columns": 2}),
    ("hi", {}),
    ("th", {"columns": 1}),
    ("he", {"style_mix": 0.5}),
    ("ru", {"style_mix": 1.0}),
    ("ja", {"vertical": True}),
    ("en", {"vertical": True}),
    ("mn-Mong", {"vertical": True}),  # drawn horizontally, turned a quarter clockwise
    ("am", {}),
    ("zh-Hans", {}),
    ("my", {}),
]


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus()
    return RenderContext(FontRegistry.load(), corpus)


@pytest.mark.parametrize(("language", "knobs"), CASES, ids=[c[0] + str(c[1]) for c in CASES])
def test_ink_lies_inside_word_polygons(ctx, language, knobs):
    page = render_page(PageSpec(language, width=720, height=960, **knobs), sample_rng(21), ctx)
    paper = apply_background(page.render["background"], page.width, page.height)
    difference = np.abs(page.image.astype(np.int16) - paper.astype(np.int16)).max(axis=2)
    ink, faint = difference > 60, difference > 20
    inside = np.zeros(ink.shape, np.uint8)
    for word in page.words:
        cv2.fillPoly(inside, [np.round(np.asarray(word.polygon)).astype(np.int32)], 1)
        region = np.zeros(ink.shape, np.uint8)
        cv2.fillPoly(region, [np.round(np.asarray(word.polygon)).astype(np.int32)], 1)
        assert (faint & (region > 0)).sum() >= 1, (language, word.text)
    for region in page.regions:  # formulas and charts: their ink is labelled by the region
        cv2.fillPoly(inside, [np.round(np.asarray(region.polygon)).astype(np.int32)], 1)
    inside = cv2.dilate(inside, np.ones((5, 5), np.uint8)) > 0
    share = (ink & inside).sum() / max(1, ink.sum())
    assert ink.sum() > 2000
    assert share >= 0.97, (language, share)


def test_page_text_matches_labels_and_reading_order(ctx):
    page = render_page(PageSpec("fa", width=800, height=1100, columns=2), sample_rng(4), ctx)
    assert page.reading_text().split("\n") == [line.text for line in page.lines if line.visible]
    roles = [line.role for line in page.lines]
    body = [k for k, r in enumerate(roles) if r not in ("header", "footer", "page-number")]
    if "header" in roles:
        assert roles.index("header") < body[0]
    for role in ("footer", "page-number"):
        if role in roles:
            assert roles.index(role) > body[-1]
    for line in page.lines:
        words = [w.text for w in line.words]
        assert " ".join(words) == " ".join(line.text.split())  # logical order, no text lost


def test_margin_notes_are_handwritten_and_sit_in_the_margin(ctx):
    found = 0
    for seed in range(6):
        page = render_page(PageSpec("en", width=900, height=1200, style_mix=0.5),
                           sample_rng(seed), ctx)
        left, _, right, _ = page.render["margins"]
        for line in page.lines:
            if line.role != "note":
                continue
            found += 1
            assert line.style == "handwritten"
            xs = np.asarray(line.polygon)[:, 0]
            in_left = xs.max() <= left + 3
            in_right = xs.min() >= page.width - right - 3
            assert in_left or in_right, (seed, line.text, left, right)
        notes = [b for b in page.blocks if b.role == "note"]
        assert len(notes) <= len(page.render["notes"])
    assert found > 0


def test_vertical_mongolian_columns_run_left_to_right(ctx):
    page = render_page(PageSpec("mn-Mong", width=720, height=960, vertical=True, columns=1),
                       sample_rng(1), ctx)  # one band: a second starts at the left again
    assert page.direction == "ttb" and len(page.lines) >= 3
    body = [line for line in page.lines if line.role == "paragraph"]
    centres = []
    for line in body:
        x0, y0 = np.min(line.polygon, axis=0)
        x1, y1 = np.max(line.polygon, axis=0)
        # columns run down the page (a short last line of a paragraph is still taller than wide)
        tall = 3 if len(line.text) >= 10 else 1
        assert y1 - y0 > tall * (x1 - x0) and line.direction == "ttb"
        centres.append((round(y0 / 10), (x0 + x1) / 2))
    for band in {top for top, _ in centres}:  # two text columns: two bands of vertical lines
        xs = [x for top, x in centres if top == band]
        assert xs == sorted(xs)  # first column at the left
    for line in body:  # words run down the column in logical order
        tops = [np.min(np.asarray(w.polygon)[:, 1]) for w in line.words]
        assert tops == sorted(tops)


def test_native_digits_are_the_first_non_ascii_decimal_digit_of_the_corpus(ctx) -> None:
    """The page number's native digits come from the corpus's first decimal digit beyond
    0-9 (searched a paragraph at a time), as a run of ten from its zero; none without one."""
    from types import SimpleNamespace

    from synth.scenes.document import _find_native_digits

    info = ctx.language("ar")
    found = SimpleNamespace(paragraphs=["Article 12 ½ ²", "no digits", "x ٣ y ۴", "٧"])
    assert _find_native_digits(ctx, info, found) == "٠١٢٣٤٥٦٧٨٩"
    ascii_only = SimpleNamespace(paragraphs=["Article 12", "1948 ² ½ Ⅻ"])  # ² ½ Ⅻ are not Nd
    assert _find_native_digits(ctx, info, ascii_only) is None
