"""Entities for running text: locale numbers, dates, prices, codes, URLs, e-mails, phones,
model numbers and Latin tokens (what real documents hold between their words).

Numbers, dates and prices follow the language's CLDR conventions through `babel` (grouping,
decimal mark, month names, currency placement, sometimes the locale's own digits); codes, URLs
and model numbers are ASCII, so they also put Latin tokens inside CJK, Arabic or Indic lines.
Every entity is checked with `covers` (the page fonts draw it) and returned exactly as drawn:
bidi marks babel adds are dropped and no-break spaces become spaces, so the label is the ink.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from synth.memo import language_budget, language_lru

KINDS = ("number", "decimal", "percent", "price", "date", "time", "code", "model", "url",
         "email", "phone", "acronym", "unit")
_WEIGHTS = np.array([3, 2, 1, 4, 3, 1, 3, 2, 1, 1, 1, 2, 2], dtype=np.float64)
_CUM = np.cumsum(_WEIGHTS / _WEIGHTS.sum())
_ACRONYMS = ("USB", "PDF", "GPS", "LED", "HDMI", "API", "CPU", "SIM", "QR", "DNA", "GDP", "SMS",
             "VAT", "ISO", "IBAN", "SWIFT", "ATM", "PIN", "LCD", "RAM", "SSD", "Wi-Fi", "5G",
             "4K", "HTTP", "XML", "JSON", "UTC", "FAQ", "CEO", "B2B", "eSIM", "USB-C", "NFC")
_UNITS = ("kg", "g", "mg", "km", "m", "cm", "mm", "ml", "L", "kW", "kWh", "V", "W", "GB", "MB",
          "TB", "GHz", "MHz", "°C", "km/h", "m²", "%", "h", "min", "px", "dpi")
_TLDS = ("com", "org", "net", "io", "info", "gov", "edu", "co", "shop", "eu", "de", "fr", "jp",
         "cn", "in", "br", "ru", "kr", "uk", "es", "it", "nl")
_SYLLABLES = ("ka", "lo", "mi", "ra", "to", "ne", "su", "vi", "da", "ren", "tal", "mon", "bel",
              "cor", "fin", "gra", "lux", "nor", "pol", "sar", "tek", "zen", "ber", "dex", "ova")
_CODE_PREFIXES = ("INV", "ORD", "REF", "SKU", "PO", "No.", "ID", "TX", "CASE", "DOC", "ACC",
                  "LOT", "SN", "KD", "AWB")
_DATE_FORMATS = ("short", "medium", "long", "full", "yyyy-MM-dd", "dd.MM.yyyy", "d/M/yy")


@language_lru
def babel_locale(code: str) -> Any:
    """babel Locale of a corpus code (its primary subtag as fallback), or None."""
    try:
        from babel import Locale, UnknownLocaleError, localedata
    except ImportError:
        return None
    clear = getattr(localedata, "clear_caches", None)  # babel >= 2.x; live Locales keep theirs
    if clear is not None and len(getattr(localedata, "_cache", ())) > 2 * language_budget():
        clear()
    for candidate in (code.replace("-", "_"), code.split("-")[0]):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return None


@lru_cache(maxsize=256)
def locale_currency(code: str) -> str:
    """The ISO currency of the language's most likely territory (EUR when unknown)."""
    try:
        from babel.core import get_global
        from babel.numbers import get_territory_currencies
    except ImportError:
        return "EUR"
    likely = get_global("likely_subtags").get(code.replace("-", "_")) or get_global(
        "likely_subtags").get(code.split("-")[0])
    if not likely:
        return "EUR"
    territory = likely.split("_")[-1]
    try:
        currencies = get_territory_currencies(territory)
    except Exception:  # babel raises plain errors for territories it lacks
        return "EUR"
    return currencies[0] if currencies else "EUR"


def clean_entity(text: str) -> str:
    """Drop bidi and other format marks babel inserts; spaces of any kind become one space."""
    out = []
    for ch in text:
        if ch in "\u200e\u200f\u061c\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e":
            continue
        out.append(" " if ch in "\u00a0\u202f\u2009\u2007" else ch)
    return " ".join("".join(out).split())


class EntityMaker:
    """Entities of one language; `make(rng)` → (kind, text) with text drawable, or None."""

    def __init__(self, code: str, covers: Callable[[str], bool], ascii_words: tuple[str, ...] = ()):
        self.code = code
        self.covers = covers
        self.locale = babel_locale(code)
        self.currency = locale_currency(code)
        self.ascii_words = tuple(w for w in ascii_words if w.isascii() and w.isalpha() and len(w) > 2)
        native = getattr(self.locale, "default_numbering_system", "latn") if self.locale else "latn"
        self.native = native != "latn" and covers(self._format(1234567890, "default"))

    def make(self, rng: np.random.Generator, kind: str | None = None) -> tuple[str, str] | None:
        kind = kind or KINDS[int(np.searchsorted(_CUM, rng.random(), side="right").clip(0, len(KINDS) - 1))]
        text = clean_entity(getattr(self, "_" + kind)(rng))
        if not text:
            return None
        if not self.covers(text):
            return None
        return kind, text

    # -- numbers -------------------------------------------------------------------------
    def _system(self, rng: np.random.Generator) -> str:
        return "default" if self.native and rng.random() < 0.4 else "latn"

    def _format(self, value: float, system: str = "latn", pattern: str | None = None) -> str:
        if self.locale is None:
            return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
        from babel.numbers import format_decimal

        try:
            return format_decimal(value, format=pattern, locale=self.locale, numbering_system=system)
        except Exception:  # an unknown numbering system for this locale
            return format_decimal(value, format=pattern, locale=self.locale)

    def _int(self, rng: np.random.Generator) -> int:
        return int(10 ** rng.uniform(0, 7))

    def _number(self, rng: np.random.Generator) -> str:
        return self._format(self._int(rng), self._system(rng))

    def _decimal(self, rng: np.random.Generator) -> str:
        value = round(float(10 ** rng.uniform(-1, 5)), int(rng.integers(1, 4)))
        return self._format(value, self._system(rng))

    def _percent(self, rng: np.random.Generator) -> str:
        value = round(float(rng.uniform(0, 1.2)), 3)
        if self.locale is None:
            return f"{value * 100:.1f}%"
        from babel.numbers import format_percent

        return format_percent(value, format="#,##0.#%", locale=self.locale)

    def _price(self, rng: np.random.Generator) -> str:
        amount = round(float(10 ** rng.uniform(-0.5, 5.5)), 2)
        currency = self.currency if rng.random() < 0.8 else str(rng.choice(["USD", "EUR", "GBP", "JPY", "CNY"]))
        if self.locale is None:
            return f"{currency} {amount:,.2f}"
        from babel.numbers import format_currency

        return format_currency(amount, currency, locale=self.locale)

    # -- dates and times -----------------------------------------------------------------
    def _date(self, rng: np.random.Generator) -> str:
        day = dt.date.fromordinal(int(rng.integers(dt.date(1950, 1, 1).toordinal(),
                                                   dt.date(2035, 12, 31).toordinal())))
        fmt = _DATE_FORMATS[int(rng.integers(len(_DATE_FORMATS)))]
        if self.locale is None:
            return day.isoformat()
        from babel.dates import format_date

        return format_date(day, format=fmt, locale=self.locale)

    def _time(self, rng: np.random.Generator) -> str:
        hour, minute = int(rng.integers(0, 24)), int(rng.integers(0, 60))
        if self.locale is None or rng.random() < 0.5:
            return f"{hour:02d}:{minute:02d}"
        from babel.dates import format_time

        return format_time(dt.time(hour, minute), format="short", locale=self.locale)

    # -- codes and Latin tokens ----------------------------------------------------------
    def _code(self, rng: np.random.Generator) -> str:
        prefix = _CODE_PREFIXES[int(rng.integers(len(_CODE_PREFIXES)))]
        digits = "".join(str(int(d)) for d in rng.integers(0, 10, int(rng.integers(4, 10))))
        style = int(rng.integers(4))
        if style == 0:
            return f"{prefix}-{int(rng.integers(2015, 2028))}-{digits}"
        if style == 1:
            return f"{prefix} {digits}"
        if style == 2:
            letters = "".join(chr(65 + int(i)) for i in rng.integers(0, 26, 2))
            return f"{letters}{digits[:2]} {digits[2:]} {int(rng.integers(1000, 9999))}"
        return f"{prefix}#{digits}"

    def _model(self, rng: np.random.Generator) -> str:
        letters = "".join(chr(65 + int(i)) for i in rng.integers(0, 26, int(rng.integers(1, 4))))
        number = int(rng.integers(10, 9999))
        suffix = "".join(chr(65 + int(i)) for i in rng.integers(0, 26, int(rng.integers(0, 3))))
        sep = ("-", "", " ")[int(rng.integers(3))]
        return f"{letters}{sep}{number}{suffix}"

    def _name(self, rng: np.random.Generator) -> str:
        if self.ascii_words and rng.random() < 0.7:
            return self.ascii_words[int(rng.integers(len(self.ascii_words)))].lower()
        n = int(rng.integers(2, 4))
        return "".join(_SYLLABLES[int(i)] for i in rng.integers(0, len(_SYLLABLES), n))

    def _url(self, rng: np.random.Generator) -> str:
        host = f"{self._name(rng)}.{_TLDS[int(rng.integers(len(_TLDS)))]}"
        if rng.random() < 0.6:
            host = "www." + host
        path = "" if rng.random() < 0.4 else f"/{self._name(rng)}/{int(rng.integers(1, 99999))}"
        scheme = "https://" if rng.random() < 0.7 else ""
        return scheme + host + path

    def _email(self, rng: np.random.Generator) -> str:
        sep = (".", "_", "")[int(rng.integers(3))]
        user = f"{self._name(rng)}{sep}{self._name(rng)}"
        return f"{user}@{self._name(rng)}.{_TLDS[int(rng.integers(len(_TLDS)))]}"

    def _phone(self, rng: np.random.Generator) -> str:
        d = "".join(str(int(x)) for x in rng.integers(0, 10, 12))
        style = int(rng.integers(4))
        if style == 0:
            return f"+{int(rng.integers(1, 999))} {d[:3]} {d[3:6]} {d[6:10]}"
        if style == 1:
            return f"({d[:3]}) {d[3:6]}-{d[6:10]}"
        if style == 2:
            return f"0{d[:2]}-{d[2:6]}-{d[6:10]}"
        return f"+{int(rng.integers(1, 99))} {d[:2]} {d[2:10]}"

    def _acronym(self, rng: np.random.Generator) -> str:
        return _ACRONYMS[int(rng.integers(len(_ACRONYMS)))]

    def _unit(self, rng: np.random.Generator) -> str:
        unit = _UNITS[int(rng.integers(len(_UNITS)))]
        value = self._format(round(float(10 ** rng.uniform(0, 3)), int(rng.integers(0, 2))))
        return f"{value}{'' if unit in ('%', '°C') else ' '}{unit}"
