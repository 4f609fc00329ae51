"""`synth.scenes.kit.fit` cuts a text that does not fit at a word's end, as lines break.

A cut inside a word drew fragments as if they were words, and labelled them so: a card's name
'Титова Кла', a Tamil sign 'மூலம் துன்புறுத்தலிலிரு', a table's dates '11.10.201'. Measured with
the real text engine on the installed fonts.
"""

from __future__ import annotations

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from synth.linebreak import break_segments
from synth.render import RenderContext
from synth.scenes import kit


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus(None, languages=["ru", "th", "ta", "en"])
    return RenderContext(FontRegistry.load(corpus=corpus), corpus)


@pytest.mark.parametrize(("language", "text"), [
    ("ru", "Титова Клавдия Романовна"),
    ("ta", "மூலம் துன்புறுத்தலிலிருந்து விடுதலை"),
    ("th", "มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอภาคกันในเกียรติศักดิ์และสิทธิ"),
])
def test_a_cut_ends_where_a_word_ends(ctx, language, text) -> None:
    full = kit.width_of(ctx, language, text, 30)
    ends = set(np.cumsum([len(s) for s in break_segments(text, ctx.language(language).code)]))
    for share in (0.35, 0.6, 0.85):
        got = kit.fit(ctx, language, text, 30, full * share)
        assert got and text.startswith(got) and got != text, (share, got)
        assert kit.width_of(ctx, language, got, 30) <= full * share
        assert any(len(text[:e].rstrip()) == len(got) for e in ends), (share, got)


def test_a_first_word_too_wide_is_cut_by_clusters(ctx) -> None:
    word = "Antidisestablishmentarianism"
    room = kit.width_of(ctx, "en", word, 30) * 0.5
    got = kit.fit(ctx, "en", word, 30, room)
    assert word.startswith(got) and 1 <= len(got) < len(word)
    assert kit.width_of(ctx, "en", got, 30) <= room


@pytest.mark.parametrize(("language", "script"), [("ml", "Mlym"), ("si", "Sinh"), ("fa", "Arab")])
def test_corpus_words_are_whole_words(language, script) -> None:
    # ZWJ/ZWNJ sit inside words (ര്‍ചില്ല്, ශ්‍රී, می‌خواهم); as separators they cut pieces such as
    # ണ്ണവുമായ out of പൂര്‍ണ്ണവുമായ, and those were drawn as field labels and words
    import re
    import unicodedata

    from synth.content import corpus_words

    text = "\n".join(load_corpus(None, languages=[language])[language].paragraphs)
    inside = {c for c in set(text) if unicodedata.category(c)[0] in "LM"} | {"\u200c", "\u200d"}
    words = corpus_words(language, script, text)
    assert any("\u200c" in w or "\u200d" in w for w in words)
    for word in words:
        whole = any((m.start() == 0 or text[m.start() - 1] not in inside)
                    and (m.end() == len(text) or text[m.end()] not in inside)
                    for m in re.finditer(re.escape(word), text))
        assert whole, word


@pytest.mark.parametrize("language", ["zh-Hans", "ja"])
def test_scene_phrases_start_and_end_at_dictionary_words(language) -> None:
    # Han text breaks between any two characters: phrases cut at those breaks began inside
    # words (a subtitle read 开或秘密地 out of 公开或秘密地)
    from icu4py.breakers import WordBreaker

    from synth.linebreak import icu_locale
    from synth.render import PageSpec
    from synth.scenes.builder import Builder

    corpus = load_corpus(None, languages=[language])
    ctx = RenderContext(FontRegistry.load(corpus=corpus), corpus)
    spec = PageSpec(language=language, scene="poster", width=800, height=600)
    paragraphs = [kit.paragraph(ctx, language, i) for i in range(len(corpus[language].paragraphs))]
    for seed in range(40):
        phrase = Builder(spec, np.random.default_rng(seed), ctx, 800, 600).sentence(6)
        source = next(p for p in paragraphs if phrase in p)
        start = source.index(phrase)
        bounds = set(np.cumsum([0, *(len(w) for w in WordBreaker(source, icu_locale(language)))]))
        assert start in bounds, (seed, phrase)
        assert start + len(phrase) in bounds, (seed, phrase)
