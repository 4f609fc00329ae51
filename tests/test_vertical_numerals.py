"""Vertical CJK pages carry numbers and Latin the way vertical books and newspapers set them
(synth.vertical_text): kanji numerals or upright digits, no URLs, codes or e-mail addresses."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from synth.render import PageSpec, RenderContext, render_page
from synth.rng import sample_rng
from synth.vertical_text import _WORDS, VerticalEntities, fullwidth, kanji_count


@pytest.mark.parametrize(("n", "ja", "zh"), [
    (10, "十", "十"), (15, "十五", "十五"), (105, "百五", "一百零五"), (110, "百十", "一百一十"),
    (1050, "千五十", "一千零五十"), (10005, "一万五", "一萬零五"), (100000, "十万", "十萬"),
    (20260, "二万二百六十", "二萬零二百六十"), (325, "三百二十五", "三百二十五"),
])
def test_kanji_counting_numerals(n: int, ja: str, zh: str) -> None:
    assert kanji_count(n, _WORDS["Jpan"]) == ja
    assert kanji_count(n, _WORDS["Hant"]) == zh


def test_entities_follow_one_convention_and_keep_ascii_digit_runs_for_tate_chu_yoko() -> None:
    rng = np.random.default_rng(0)
    kanji = VerticalEntities("Jpan", lambda _: True, "kanji")
    news = VerticalEntities("Hant", lambda _: True, "arabic")
    books = [kanji.make(rng) for _ in range(300)]
    papers = [news.make(rng) for _ in range(300)]
    assert all(made is not None for made in books + papers)
    book_texts = [text for kind, text in books if kind != "acronym"]  # type: ignore[misc]
    assert not any(re.search(r"[0-9０-９]", text) for text in book_texts)
    for _, text in papers:  # type: ignore[misc]
        assert all(len(run) <= 2 for run in re.findall(r"[0-9]+", text)), text
        assert not re.search(r"[A-Za-z,]", text), text
    assert kanji._date(np.random.default_rng(3)).count("年") == 1
    assert fullwidth("GDP") == "ＧＤＰ"


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    return RenderContext(FontRegistry.load(), load_corpus(languages=["ja", "zh-Hant"]))


@pytest.mark.parametrize("language", ["ja", "zh-Hant"])
def test_vertical_default_mix_pages_hold_no_urls_codes_or_long_ascii_numbers(ctx, language) -> None:
    # before: 22 % (ja) / 17 % (zh-Hant) of the characters of vertical default-mix lines were
    # ASCII letters, digits and marks (URLs, order codes, phone numbers, grouped prices)
    chars = ascii_chars = 0
    for seed in range(3):
        page = render_page(PageSpec(language, width=720, height=960, vertical=True),
                           sample_rng(7000 + seed), ctx)
        assert page.direction == "ttb"
        for line in page.lines:
            text = "".join(line.text.split())
            chars += len(text)
            ascii_chars += sum(c.isascii() for c in text)
            assert not re.search(r"@|://|www\.|[A-Za-z]{2,}", line.text), line.text
            assert not re.search(r"\(a\)|^[0-9]+[.)]", line.text), line.text  # lists: 一、 ①
            assert all(len(run) <= 2 for run in re.findall(r"[0-9]+", line.text)), line.text
    assert chars > 300 and ascii_chars / chars < 0.05  # tate-chu-yoko digits


def test_classical_strip_keeps_a_short_book_title_whole() -> None:
    from synth.scenes import classical

    leaves = [classical.sample(np.random.default_rng(seed), "世界人権宣言") for seed in range(40)]
    titles = {leaf["title"] for leaf in leaves if leaf is not None}
    assert titles == {"世界人権宣言"}  # was cut to 4-8 characters: 世界人権宣
    long = classical.sample(np.random.default_rng(1), "甲乙丙丁戊己庚辛壬癸")
    assert long is None or 4 <= len(long["title"]) <= 8


def test_two_numbers_side_by_side_do_not_fuse(ctx, monkeypatch) -> None:
    """Two entities drawn next to each other in unspaced text read as one number when both
    edges are numerals (三十五 + 六千四百三十九円 -> 三十五六千四百三十九円, 67万 + 17円 ->
    67万17円): 242 of 6000 vertical sentences with entities did. A comma keeps them apart."""
    import unicodedata

    from synth import vertical_text
    from synth.pagetext import language_text
    from synth.textsynth import LanguageText

    def numeral(c: str) -> bool:
        return c.isdigit() or unicodedata.numeric(c, None) is not None

    made: list[str] = []
    entity = LanguageText.entity

    def recording(self, rng):  # the real entity, remembered
        text = entity(self, rng)
        if text:
            made.append(text)
        return text

    monkeypatch.setattr(LanguageText, "entity", recording)
    fused = pairs = 0
    for language in ("ja", "zh-Hant"):
        lt = language_text(ctx, language)
        for seed in range(700):
            rng = np.random.default_rng(seed)
            page = vertical_text.for_page(ctx, lt, rng)
            made.clear()
            text = page.sentence(rng, [], 1.0)
            for a, b in ((a, b) for a in made for b in made if a is not b):
                if numeral(a[-1]) and numeral(b[0]):
                    fused += (a + b) in text
                    pairs += any(a + c + b in text for c in "、，")
    assert fused == 0 and pairs > 10


def test_vertical_text_has_no_space_beside_digits(ctx) -> None:
    """Horizontal CJK sentences put a space around ASCII digits (各種各樣 7點48分); vertical
    ones run on (各種各樣7點48分): a space left a gap in the column before the tate-chu-yoko
    pair, which no vertical book or newspaper has. Same random draws either way."""
    from synth import vertical_text
    from synth.pagetext import language_text

    spaced = {"h": 0, "v": 0}
    for language in ("ja", "zh-Hant"):
        lt = language_text(ctx, language)
        for seed in range(300):
            page = vertical_text.for_page(ctx, lt, np.random.default_rng(seed))
            if page.entities.style != "arabic":
                continue
            flat = lt.__class__(**{**page.__dict__, "space_digits": True})
            vertical = page.sentence(np.random.default_rng(seed), [], 1.0)
            horizontal = flat.sentence(np.random.default_rng(seed), [], 1.0)
            # the same words and numbers (two numbers side by side get a comma instead)
            assert re.sub("[ ，、]", "", vertical) == re.sub("[ ，、]", "", horizontal)
            spaced["v"] += len(re.findall(r" \d|\d ", vertical))
            spaced["h"] += len(re.findall(r" \d|\d ", horizontal))
    assert spaced["v"] == 0 and spaced["h"] > 20


def test_vertical_pages_have_no_paper_ruled_for_horizontal_writing(ctx) -> None:
    """Rows ruled across every column (horizontal writing paper) are dropped on vertical pages;
    classical leaves and pages on paper ruled for vertical writing (manuscript paper, a letter
    pad: synth.scenes.genko) keep no paper ruling under their own; grid and dotted paper stay
    on plain ones."""
    from synth.render import sample_render

    kinds: dict[str, set[str]] = {"classical": set(), "tategaki": set(), "plain": set()}
    for seed in range(300):
        record = sample_render(PageSpec("zh-Hant", width=720, height=960, vertical=True),
                               sample_rng(seed), ctx)
        paper = record["background"].get("paper")
        if paper is not None:
            kind = "classical" if record.get("classical") else (
                "tategaki" if record.get("tategaki") else "plain")
            kinds[kind].add(paper["ruling"]["kind"])
    assert kinds["classical"] == {"none"} and kinds["tategaki"] == {"none"}
    assert "ruled" not in kinds["plain"] and len(kinds["plain"]) > 1, kinds
