"""Warichu (synth.scenes.warichu): notes in half-size characters on two sub-columns inside a
classical leaf's column, the main text running on below them; labels stay the text drawn."""

from __future__ import annotations

import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from synth.page import axis_box
from synth.render import PageSpec, RenderContext, render_page
from synth.rng import sample_rng
from synth.scenes import warichu

SEARCH = 40  # seeds searched for zh-Hant 1024x1448 vertical pages with notes


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    return RenderContext(FontRegistry.load(), load_corpus(languages=["zh-Hant"]))


def _page(ctx: RenderContext, seed: int):
    return render_page(PageSpec("zh-Hant", width=1024, height=1448, vertical=True),
                       sample_rng(seed), ctx)


def _body_text(page) -> str:
    return "".join(ln.text for ln in page.lines if ln.role not in ("header", "page-number"))


def _notes(page) -> list[int]:
    body = page.render["sizes"]["body"]
    return [k for k, ln in enumerate(page.lines) if ln.role == "paragraph" and ln.size < body]


@pytest.fixture(scope="module")
def noted(ctx) -> list[int]:
    """Seeds whose page has notes (a quarter of vertical pages are leaves with notes, not all
    of them with a body of 20 px or more)."""
    seeds: list[int] = []
    for seed in range(SEARCH):
        if len(seeds) < 2 and _notes(_page(ctx, seed)):
            seeds.append(seed)
    assert len(seeds) == 2
    return seeds


@pytest.mark.parametrize("which", [0, 1])
def test_notes_sit_in_their_column_and_read_in_order(ctx, noted, which: int,
                                                     monkeypatch) -> None:
    seed = noted[which]
    page = _page(ctx, seed)
    body = page.render["sizes"]["body"]
    lines = page.lines
    notes = _notes(page)
    assert notes and len(notes) % 2 == 0
    for k in notes[::2]:
        right, left = axis_box(lines[k].polygon), axis_box(lines[k + 1].polygon)
        before, after = axis_box(lines[k - 1].polygon), None
        assert lines[k].size == lines[k + 1].size == warichu.note_size(body)
        assert abs(right[0] - left[2]) < 1.0  # side by side, the first half on the right
        assert before[0] - 1.5 <= left[0] and right[2] <= before[2] + 1.5  # in the column
        assert right[1] >= before[3] - 1.5  # below the main text it follows (whole pixels)
        if k + 2 < len(lines) and axis_box(lines[k + 2].polygon)[0] == before[0]:
            after = axis_box(lines[k + 2].polygon)  # the main text running on below
            assert after[1] >= max(right[3], left[3]) - 1.5  # polygons are whole pixels
    # the lines, read in order, are the text a page without notes draws (it ends elsewhere)
    with_notes = _body_text(page)
    monkeypatch.setattr(warichu, "MIN_NOTE_SIZE", 10**6)
    plain = _body_text(_page(ctx, seed))
    common = min(len(with_notes), len(plain))
    assert with_notes[:common] == plain[:common] and common > 500
