"""Field content: locale Faker where it exists, corpus words elsewhere, money that parses back."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from synth import content as fake
from synth.field_labels import LABEL_KINDS, labels
from synth.money import ascii_digits, format_money, money_format, parse_amount, to_digits
from synth.rng import sample_rng


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def _content(corpus, code: str, seed: int, digits: str = "latin") -> fake.Content:
    text = corpus[code]
    words = fake.corpus_words(code, text.script, "\n".join(text.paragraphs))
    return fake.Content(code, text.script, sample_rng(seed), words, digits=digits)


def _script_letters(text: str, prefix: str) -> float:
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    return sum(unicodedata.name(c, "").startswith(prefix) for c in letters) / max(1, len(letters))


@pytest.mark.parametrize("code,prefix", [("ru", "CYRILLIC"), ("ar", "ARABIC"), ("th", "THAI"),
                                         ("hi", "DEVANAGARI"), ("he", "HEBREW"), ("ko", "HANGUL")])
def test_faker_locale_content_is_in_the_page_script(corpus, code, prefix) -> None:
    source = _content(corpus, code, 1)
    assert source.locale is not None
    for make in (source.person_name, source.company, source.city, source.item_name):
        text = make()
        assert text and _script_letters(text, prefix) >= 0.9, (make.__name__, text)


@pytest.mark.parametrize("code,prefix", [("am", "ETHIOPIC"), ("km", "KHMER"), ("eu", "LATIN"),
                                         ("bo", "TIBETAN"), ("ml", "MALAYALAM")])
def test_languages_without_faker_text_fall_back_to_their_corpus(corpus, code, prefix) -> None:
    source = _content(corpus, code, 2)
    corpus_text = "".join(corpus[code].paragraphs)
    for make in (source.person_name, source.company, source.item_name, source.word):
        text = make()
        assert text and _script_letters(text, prefix) >= 0.9, (make.__name__, text)
        if prefix not in ("LATIN", "KHMER", "TIBETAN"):  # spaced: whole corpus words
            assert all(piece in corpus_text for piece in text.split())
        assert set(text) - {" "} <= set(corpus_text)


def test_same_seed_same_content_and_seeds_differ(corpus) -> None:
    def draw(seed: int) -> list[str]:
        source = _content(corpus, "en", seed)
        return [source.person_name(), source.address(), source.date()[0], source.company()]

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)


@pytest.mark.parametrize("code", ["en", "ru", "ja", "ar", "fa", "vi", "de", "xx"])
@pytest.mark.parametrize("digits", ["latin", "native"])
def test_money_round_trips_through_the_drawn_string(code, digits) -> None:
    script = {"ar": "Arab", "fa": "Arab", "ja": "Jpan", "ru": "Cyrl"}.get(code, "Latn")
    chosen = "latin"
    if digits == "native":
        chosen = "persian" if code == "fa" else ("Arab" if script == "Arab" else "latin")
    rng = sample_rng(3)
    for _ in range(20):
        fmt = money_format(code, script, rng, chosen)
        minor = int(rng.integers(0, 10_000_000))
        for with_symbol in (True, False):
            text = format_money(minor, fmt, with_symbol)
            assert parse_amount(text, fmt) == minor, text
            if chosen != "latin":
                assert not any("0" <= c <= "9" for c in text)


def test_native_digits_convert_both_ways() -> None:
    assert to_digits("2024-05-17", "Thai") == "๒๐๒๔-๐๕-๑๗"
    assert to_digits("19", "persian") == "۱۹"
    assert ascii_digits("๒๐๒๔ ١٩ ۱۹ २०") == "2024 19 19 20"


def test_dates_keep_drawn_text_and_iso_value(corpus) -> None:
    source = _content(corpus, "ru", 4)
    text, iso = source.date(2020, 2021)
    assert iso[:4] in ("2020", "2021")
    y, m, d = iso.split("-")
    assert text == f"{d}.{m}.{y}"  # Russian date order


def test_labels_are_translated_or_distinct_corpus_words(corpus) -> None:
    assert labels("ja", [], sample_rng(1))["total"] == "合計"
    words = fake.corpus_words("am", "Ethi", "\n".join(corpus["am"].paragraphs))
    fallback = labels("am", words, sample_rng(1))
    assert set(fallback) == set(LABEL_KINDS)
    assert len(set(fallback.values())) == len(LABEL_KINDS)
    assert all(v.split()[0] in words for v in fallback.values())


def test_money_format_fallback_is_deterministic_per_rng() -> None:
    a = money_format("xx", "Latn", np.random.Generator(np.random.PCG64(1)), "latin")
    b = money_format("xx", "Latn", np.random.Generator(np.random.PCG64(1)), "latin")
    assert a == b and a["code"] in ("EUR", "USD")


@pytest.mark.parametrize("code", ["en", "ja", "km"])
def test_one_date_format_per_page(corpus, code) -> None:
    source = _content(corpus, code, 8)
    shapes = {"".join("0" if c.isdigit() else c for c in source.date()[0]) for _ in range(8)}
    assert len(shapes) == 1


@pytest.mark.parametrize("locale", ["en_US", "ru_RU", "ja_JP", "ar_SA", "fil_PH", "hi_IN", "az_AZ",
                                    "zh_TW", "he_IL", "el_GR"])
def test_faker_with_only_our_providers_says_exactly_what_a_full_faker_says(locale) -> None:
    """Content builds Faker with a short provider list (much cheaper to create); a template
    reaching into a provider left out would raise AttributeError, which Content treats as
    'locale has no such data' and silently falls back, so compare every call Content makes."""
    from faker import Faker

    full, ours = Faker(locale), fake._faker(locale)
    for seed in range(12):
        full.seed_instance(seed)
        ours.seed_instance(seed)
        for method in ("name", "company", "address", "city", "phone_number", "email", "word") * 2:
            try:
                expected = getattr(full, method)()
            except AttributeError:
                expected = AttributeError
            try:
                got = getattr(ours, method)()
            except AttributeError:
                got = AttributeError
            assert got == expected, (locale, seed, method)


def test_faker_building_leaves_fakers_own_listing_in_place() -> None:
    """Locale listings are memoised only while our Fakers are built; Faker itself is untouched."""
    from faker import factory
    from faker.utils import loading

    fake._faker("nl_NL")
    assert factory.list_module is loading.list_module
    assert "nl_NL" in fake._PROVIDER_LOCALES["faker.providers.person"]
