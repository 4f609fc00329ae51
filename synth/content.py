"""Field content for forms, receipts, cards and tables: names, addresses, dates, items, money.

Faker supplies locale-true content for about 60 languages (seeded per page through
`Faker.seed_instance`, never the global seed); every other language falls back to words from its
own corpus text plus digits, so a Yoruba receipt is still in Yoruba script. Every string is
returned exactly as it will be drawn; money is kept as integer minor units next to its drawn
text so amounts add up exactly and `parse_amount` can read a drawn string back.

Money and native digits are `synth.money`; the printed field labels ("Total", "Name") of the
languages we can label truthfully are `synth.field_labels`.
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from fonts_manifest.textsources import primary
from synth.linebreak import break_segments
from synth.memo import language_lru
from synth.money import to_digits

# Faker locale per primary language subtag (first choice), and the script it writes in.
_FAKER_LOCALE = {
    "am": "am_ET", "ar": "ar_SA", "az": "az_AZ", "bg": "bg_BG", "bn": "bn_BD", "bs": "bs_BA",
    "cs": "cs_CZ", "da": "da_DK", "de": "de_DE", "el": "el_GR", "en": "en_US", "es": "es_ES",
    "et": "et_EE", "fa": "fa_IR", "fi": "fi_FI", "fil": "fil_PH", "fr": "fr_FR", "ga": "ga_IE",
    "gu": "gu_IN", "ha": "ha_NG", "he": "he_IL", "hi": "hi_IN", "hr": "hr_HR", "hu": "hu_HU",
    "hy": "hy_AM", "id": "id_ID", "ig": "ig_NG", "is": "is_IS", "it": "it_IT", "ja": "ja_JP",
    "ka": "ka_GE", "ko": "ko_KR", "lb": "lb_LU", "lt": "lt_LT", "lv": "lv_LV", "mk": "mk_MK",
    "mr": "mr_IN", "mt": "mt_MT", "ne": "ne_NP", "nl": "nl_NL", "nb": "no_NO", "no": "no_NO",
    "or": "or_IN", "pl": "pl_PL", "pt": "pt_BR", "ro": "ro_RO", "ru": "ru_RU", "si": "si_LK",
    "sk": "sk_SK", "sl": "sl_SI", "sq": "sq_AL", "sv": "sv_SE", "sw": "sw", "ta": "ta_IN",
    "th": "th_TH", "tl": "tl_PH", "tr": "tr_TR", "uk": "uk_UA", "uz": "uz_UZ", "vi": "vi_VN",
    "yo": "yo_NG", "zu": "zu_ZA", "zh-Hans": "zh_CN", "zh-Hant": "zh_TW", "pt-PT": "pt_PT",
    "en-GB": "en_GB", "fr-CA": "fr_CA",
}
_NON_LATIN_FAKER = {
    "am": "Ethi", "ar": "Arab", "bg": "Cyrl", "bn": "Beng", "el": "Grek", "fa": "Arab",
    "gu": "Gujr", "he": "Hebr", "hi": "Deva", "hy": "Armn", "ja": "Jpan", "ka": "Geor",
    "ko": "Hang", "mk": "Cyrl", "mr": "Deva", "ne": "Deva", "or": "Orya", "ru": "Cyrl",
    "si": "Sinh", "ta": "Taml", "th": "Thai", "uk": "Cyrl", "zh": "Hans",
}

_DATE_PATTERNS = {
    "en": ("%m/%d/%Y", "%Y-%m-%d"), "ru": ("%d.%m.%Y",), "de": ("%d.%m.%Y",), "uk": ("%d.%m.%Y",),
    "ja": ("%Y/%m/%d", "%Y年%m月%d日"), "zh": ("%Y-%m-%d", "%Y年%m月%d日"), "ko": ("%Y. %m. %d.",),
    "fr": ("%d/%m/%Y",), "hu": ("%Y.%m.%d.",), "pl": ("%d.%m.%Y",), "cs": ("%d.%m.%Y",),
}


def faker_locale(language: str, script: str) -> str | None:
    """The Faker locale for a BCP 47 code, or None when Faker has none in the page's script."""
    locale = _FAKER_LOCALE.get(language) or _FAKER_LOCALE.get(primary(language))
    if locale is None:
        return None
    lang = primary(language)
    expected = _NON_LATIN_FAKER.get(lang, "Latn")
    if lang == "zh":
        expected = "Hant" if locale == "zh_TW" else "Hans"
    return locale if expected == script else None


@lru_cache(maxsize=128)
def _has_lorem(locale: str) -> bool:
    """Faker falls back to Latin lorem ipsum where a locale has no word list of its own."""
    import importlib.util

    return importlib.util.find_spec(f"faker.providers.lorem.{locale}") is not None


# The Faker providers Content calls (name, company, address, city, phone_number, email, word),
# plus the ones their templates reach into (emails carry years, fil_PH addresses mountains).
# Building a Faker with only these is ~30x cheaper than with all of them (a first page in a new
# locale paid ~20 ms), and every output is identical: tests/test_synth_scenes_content.py
# compares them with a full Faker.
FAKER_PROVIDERS = tuple(f"faker.providers.{name}" for name in (
    "person", "company", "address", "phone_number", "internet", "lorem", "date_time", "misc"))


# Locale packages of each Faker provider, listed once per process. Faker lists them again for
# every new locale (pkgutil lists each locale directory: ~10 ms per locale, paid by every worker
# for each of its languages); the listing cannot change while a worker runs.
_PROVIDER_LOCALES: dict[str, list[str]] = {}


def _locales_listed_once(module: Any) -> list[str]:
    from faker.utils.loading import list_module

    names = _PROVIDER_LOCALES.get(module.__name__)
    if names is None:
        names = _PROVIDER_LOCALES[module.__name__] = list_module(module)
    return list(names)


@language_lru  # one Faker per locale, for the languages a worker used last
def _faker(locale: str) -> Any:
    from faker import Faker, factory

    listing = factory.list_module
    factory.list_module = _locales_listed_once  # only while this Faker is built
    loaded = set(sys.modules)
    try:
        return Faker(locale, providers=list(FAKER_PROVIDERS))
    finally:
        factory.list_module = listing
        _forget_locale_modules(factory.Factory, set(sys.modules) - loaded)


def _forget_locale_modules(factory: Any, names: set[str]) -> None:
    """Let the locale modules (`faker.providers.<provider>.<locale>`) a Faker just imported go
    with that Faker when `_faker` drops it.

    The Faker's providers keep their classes (and through them the modules' code and data).
    Three other references kept every locale a worker had met: sys.modules, the provider
    package's attribute, and Faker's own unbounded `Factory._find_provider_class` cache of
    those classes. A default run (every language) piled up ~300 such modules, ~20 MiB, growing
    until all 66 locales had come up (issue 22). A locale that comes back imports its modules
    again from the same files: the same data, so the same output."""
    factory._find_provider_class.cache_clear()
    for name in names:
        parts = name.split(".")
        if len(parts) != 4 or parts[:2] != ["faker", "providers"]:
            continue
        sys.modules.pop(name, None)
        package = sys.modules.get(".".join(parts[:3]))
        if package is not None and package.__dict__.get(parts[3]) is not None:
            delattr(package, parts[3])


_CJK = ("Hans", "Hant", "Jpan", "Hani")


def _strip_punctuation(segment: str) -> str:
    """A break segment without its trailing space and word separators (Ethiopic ፡ is one)."""
    start, end = 0, len(segment)
    while start < end and unicodedata.category(segment[start])[0] in "PZ":
        start += 1
    while end > start and unicodedata.category(segment[end - 1])[0] in "PZ":
        end -= 1
    return segment[start:end]


JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ


@language_lru  # like RenderContext.memo: a worker's recent languages
def corpus_words(language: str, script: str, text: str) -> tuple[str, ...]:
    """Distinct word-like pieces of a corpus text, free of digits and punctuation.

    Spaced scripts split at spaces (ICU breaks Hangul between syllables); Thai, Khmer, Lao and
    Myanmar use ICU dictionary segments; CJK runs are cut into 2-3 character pieces.
    """
    from synth.linebreak import NO_SPACE_SCRIPTS

    # Categories per distinct character, once (a text has a few hundred), then C-level passes.
    # ZWJ and ZWNJ are inside words (Malayalam chillus written ര്‍, Sinhala ශ්‍රී, Persian
    # می‌خواهم): as separators they made fragments no one writes, drawn as words (ണ്ണവുമായ).
    distinct = set(text)
    letters_only = {ord(c): " " for c in distinct
                    if unicodedata.category(c)[0] not in "LM" and c not in JOINERS}
    rejected = frozenset(c for c in distinct
                         if unicodedata.category(c)[0] in "PNSZC" and c not in JOINERS)
    if script in _CJK:
        pieces = []
        for run in text.translate(letters_only).split():
            pieces.extend(run[i : i + 2 + (i // 2) % 2] for i in range(0, len(run) - 1, 3))
    elif script in NO_SPACE_SCRIPTS:
        pieces = [_strip_punctuation(seg) for seg in break_segments(text, language)]
    else:
        pieces = text.translate(letters_only).split()
    seen: dict[str, None] = {}
    for word in pieces:
        # a joiner opening a word joins nothing; one ending it stays, as the text writes it
        # (a final ZWJ after a virama makes the Malayalam chillu: ലോകത്തില്‍)
        word = word.lstrip(JOINERS)
        if len(word) < 2 or len(word) > 24 or not rejected.isdisjoint(word):
            continue
        seen.setdefault(word, None)
    return tuple(seen)


class Content:
    """Locale content for one page: holds the seeded Faker and the page's Generator.

    `covers(text)` says whether the page's fonts draw every character; Faker output that fails
    it (e.g. a rare CJK name character) is replaced by corpus words, so nothing drawn is tofu.
    """

    def __init__(
        self,
        language: str,
        script: str,
        rng: np.random.Generator,
        words: Sequence[str],
        covers: Callable[[str], bool] = lambda _text: True,
        digits: str = "latin",
    ) -> None:
        self.language = language
        self.script = script
        self.rng = rng
        self.words = list(words) or ["ABC", "XYZ"]
        self.covers = covers
        self.digits = digits
        self.locale = faker_locale(language, script)
        self.fake = _faker(self.locale) if self.locale else None
        patterns = _DATE_PATTERNS.get(primary(language), ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"))
        self.date_pattern = patterns[int(rng.integers(len(patterns)))]  # one format per page
        if self.fake is not None:
            self.fake.seed_instance(int(rng.integers(0, 2**31 - 1)))

    # -- helpers --------------------------------------------------------------------------
    def _pick_words(self, low: int, high: int) -> str:
        n = int(self.rng.integers(low, high + 1))
        picked = [self.words[int(i)] for i in self.rng.integers(0, len(self.words), n)]
        joiner = "" if self.script in (*_CJK, "Thai", "Khmr", "Laoo", "Mymr", "Tibt") else " "
        return joiner.join(picked)

    def _try(self, make: Callable[[], str], fallback: Callable[[], str]) -> str:
        if self.fake is not None:
            for _ in range(3):
                try:
                    text = " ".join(str(make()).split())  # Faker addresses hold newlines
                except AttributeError:  # this locale lacks the provider (tl_PH has no phones)
                    break
                if self.script != "Latn" and any("a" <= c.lower() <= "z" for c in text):
                    continue  # untranslated template pieces ("Inc", lorem words) in a non-Latin page
                if text and self.covers(text):
                    return text
        return fallback()

    def number(self, text: str) -> str:
        return to_digits(text, self.digits)

    # -- content --------------------------------------------------------------------------
    def person_name(self) -> str:
        return self._try(lambda: self.fake.name(), lambda: self._pick_words(2, 2))

    def company(self) -> str:
        return self._try(lambda: self.fake.company(), lambda: self._pick_words(1, 3))

    def address(self) -> str:
        def fallback() -> str:
            return f"{self._pick_words(1, 2)} {self.number(str(int(self.rng.integers(1, 200))))}"

        return self._try(lambda: self.fake.address(), fallback)

    def city(self) -> str:
        return self._try(lambda: self.fake.city(), lambda: self._pick_words(1, 1))

    def phone(self) -> str:
        def fallback() -> str:
            d = self.rng.integers(0, 10, 10)
            return self.number(f"+{d[0] + 1}{d[1]} {''.join(map(str, d[2:5]))} {''.join(map(str, d[5:]))}")

        text = self._try(lambda: self.fake.phone_number(), fallback)
        return self.number(text)

    def email(self) -> str:
        if self.fake is not None and self.script == "Latn":
            return self.fake.email()
        user = "".join(chr(97 + int(i)) for i in self.rng.integers(0, 26, int(self.rng.integers(4, 9))))
        host = ("mail", "post", "example", "office")[int(self.rng.integers(4))]
        return f"{user}@{host}.org"

    def word(self) -> str:
        if not (self.locale and _has_lorem(self.locale)):
            return self._pick_words(1, 1)
        return self._try(lambda: self.fake.word(), lambda: self._pick_words(1, 1))

    def item_name(self) -> str:
        if not (self.locale and _has_lorem(self.locale)):
            return self._pick_words(1, 2)

        def make() -> str:
            n = int(self.rng.integers(1, 3))
            joiner = "" if self.script in ("Hans", "Hant", "Jpan", "Thai") else " "
            return joiner.join(self.fake.word() for _ in range(n))

        return self._try(make, lambda: self._pick_words(1, 2))

    def text_phrase(self, low: int = 1, high: int = 4) -> str:
        return self._pick_words(low, high)

    def date(self, start_year: int = 2015, end_year: int = 2027) -> tuple[str, str]:
        """(drawn text, ISO date) of a date in the given years, in the page's date pattern."""
        start = dt.date(start_year, 1, 1).toordinal()
        day = dt.date.fromordinal(int(self.rng.integers(start, dt.date(end_year, 12, 31).toordinal())))
        text = self.number(day.strftime(self.date_pattern))
        if not self.covers(text):
            text = self.number(day.isoformat())
        return text, day.isoformat()

    def id_number(self, length: int = 9) -> str:
        digits = "".join(str(int(d)) for d in self.rng.integers(0, 10, length))
        letters = "".join(chr(65 + int(i)) for i in self.rng.integers(0, 26, 2))
        return letters + self.number(digits)
