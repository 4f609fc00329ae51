"""Entities for vertical (ttb) CJK pages, written the way vertical books and newspapers write
them.

Why: the run's default mix drew the horizontal page's entities into vertical columns too: order
codes, URLs, e-mail addresses, phone numbers, model numbers and grouped Arabic numbers
(`LOT-2022-022180`, `zenpol_zentaltek@bertekda.eu`, `+680 792 531 3103`, `￥115,650`). Vertical
text is literature, classics and news, where none of those occur: numbers are kanji numerals
(一九九九年三月六日, 三百二十五円) in books, or in newspapers Arabic digits standing upright,
full-width, one to an em, with one or two digits set across the column (tate-chu-yoko); Latin is
mostly short acronyms set upright (ＧＤＰ). Measured (#16, 64 clean default-mix lines a
language): digits, Latin and ASCII marks were 22 % (ja) / 17 % (zh-Hant) of the characters and
56 % / 42 % of Tesseract's vertical misreads.

`for_page` gives a page's `LanguageText` whose entities follow one convention for the whole
page (`kanji` or `arabic`); everything else (vocabulary, boosted characters, punctuation) is
the language's own, except that no space is put between the text and an ASCII digit run: the
horizontal mix's "各種各樣 7點48分" left a half-em gap in the column before the tate-chu-yoko
pair, which vertical books and newspapers never have (their numbers run on: 七點四十八分,
7點48分). Texts are returned exactly as drawn (labels never lie) and checked with the
language's `covers`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np

from synth.textsynth import LanguageText

STYLES = ("kanji", "arabic")  # book numerals, newspaper numerals
KANJI_SHARE = 0.6  # vertical pages writing numbers in kanji (books) rather than digits (news)
KINDS = ("number", "decimal", "percent", "price", "date", "time", "acronym")
_WEIGHTS = np.array([3, 1, 1, 3, 3, 1, 1], np.float64)
_CUM = np.cumsum(_WEIGHTS / _WEIGHTS.sum())
TCY_DIGITS = 2  # longest ASCII digit run (synth.text.vertical sets it across the column)
# acronyms of at most three capitals, the ones set upright (full-width) in vertical text
ACRONYMS = ("GPS", "LED", "CPU", "SIM", "DNA", "GDP", "SMS", "ATM", "LCD", "SSD", "FAQ",
            "CEO", "UFO", "CD", "DVD", "PC", "IT", "AI", "OB", "TV", "EU", "UN")
_DIGITS = "〇一二三四五六七八九"
# per language family: ten thousand, hundred million, currency, hour, decimal point (kanji and
# digits), percent (kanji pattern, digits suffix), zero inside a number
_WORDS = {
    "Jpan": {"man": "万", "oku": "億", "money": "円", "hour": "時", "point": "・",
             "apoint": "・", "percent": "{}パーセント", "zero": ""},
    "Hant": {"man": "萬", "oku": "億", "money": "元", "hour": "點", "point": "點",
             "apoint": "．", "percent": "百分之{}", "zero": "零"},
    "Hans": {"man": "万", "oku": "亿", "money": "元", "hour": "点", "point": "点",
             "apoint": "．", "percent": "百分之{}", "zero": "零"},
}


def for_page(ctx: Any, lt: LanguageText, rng: np.random.Generator) -> LanguageText:
    """`lt` with vertical entities in the convention drawn for this page (memoised per worker).
    Scripts without numeral words here (Korean) keep their entities."""
    style = STYLES[0] if rng.random() < KANJI_SHARE else STYLES[1]
    if lt.script not in _WORDS:
        return lt
    key = ("vertical_text", lt.code, style)
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = replace(lt, entities=VerticalEntities(lt.script, lt.covers, style),
                                        space_digits=False)
    return found


class VerticalEntities:
    """Same interface as `synth.entities.EntityMaker`: `make(rng)` → (kind, text) or None."""

    def __init__(self, script: str, covers: Any, style: str) -> None:
        self.covers = covers
        self.style = style
        self.words = _WORDS[script]

    def make(self, rng: np.random.Generator, kind: str | None = None) -> tuple[str, str] | None:
        kind = kind or KINDS[int(np.searchsorted(_CUM, rng.random(), side="right").clip(
            0, len(KINDS) - 1))]
        text = getattr(self, "_" + kind)(rng)
        return (kind, text) if text and self.covers(text) else None

    # -- numerals ------------------------------------------------------------------------
    def count(self, n: int) -> str:
        """An amount: kanji counting numerals (三百二十五, 一万二千) or digits (news style)."""
        if self.style == "arabic":
            if n >= 10**8:
                return f"{self.digits(n // 10**8)}{self.words['oku']}"
            if n >= 10**4:
                return f"{self.digits(n // 10**4)}{self.words['man']}"
            return self.digits(n)
        return kanji_count(n, self.words)

    def digits(self, n: int) -> str:
        """Arabic digits as a newspaper's column sets them: one or two across the column
        (ASCII, tate-chu-yoko), more upright and full-width, one to an em."""
        text = str(n)
        return text if len(text) <= TCY_DIGITS else fullwidth(text)

    def positional(self, n: int) -> str:
        """Years and digit strings: 一九九九 (books) or １９９９ (news)."""
        return "".join(_DIGITS[int(d)] for d in str(n)) if self.style == "kanji" \
            else self.digits(n)

    # -- kinds ---------------------------------------------------------------------------
    def _number(self, rng: np.random.Generator) -> str:
        return self.count(int(10 ** rng.uniform(0, 6)))

    def _decimal(self, rng: np.random.Generator) -> str:
        whole, tenth = int(rng.integers(0, 100)), int(rng.integers(1, 10))
        if self.style == "kanji":
            return f"{self.count(whole)}{self.words['point']}{_DIGITS[tenth]}"
        return f"{fullwidth(str(whole))}{self.words['apoint']}{fullwidth(str(tenth))}"

    def _percent(self, rng: np.random.Generator) -> str:
        value = int(rng.integers(1, 100))
        if self.style == "kanji":
            return self.words["percent"].format(self.count(value))
        return f"{self.digits(value)}％"

    def _price(self, rng: np.random.Generator) -> str:
        return f"{self.count(int(10 ** rng.uniform(1, 7)))}{self.words['money']}"

    def _date(self, rng: np.random.Generator) -> str:
        day = dt.date.fromordinal(int(rng.integers(dt.date(1900, 1, 1).toordinal(),
                                                   dt.date(2035, 12, 31).toordinal())))
        month = f"{self.positional(day.year)}年{self.count(day.month)}月"
        return month if rng.random() < 0.25 else f"{month}{self.count(day.day)}日"

    def _time(self, rng: np.random.Generator) -> str:
        hour, minute = int(rng.integers(1, 13)), int(rng.integers(0, 60))
        text = f"{self.count(hour)}{self.words['hour']}"
        return text + (f"{self.count(minute)}分" if minute else "")

    def _acronym(self, rng: np.random.Generator) -> str:
        return fullwidth(ACRONYMS[int(rng.integers(len(ACRONYMS)))])


LIST_MARKERS = ("一、", "（一）", "①")  # list numbering in vertical books


def list_marker(style: str, n: int) -> str:
    """The n-th item's marker in a vertical list style (circled numbers up to ⑳)."""
    n = (n - 1) % 99 + 1
    if style == "①":
        return chr(0x2460 + (n - 1) % 20)
    number = kanji_count(n, _WORDS["Jpan"])  # up to 99: the same in Japanese and Chinese
    return f"{number}、" if style == "一、" else f"（{number}）"


def fullwidth(text: str) -> str:
    """ASCII letters and digits as their full-width forms (upright in a vertical column)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def kanji_count(n: int, words: dict[str, str]) -> str:
    """n in kanji counting numerals: 三百二十五, 一万二千 (ja), 一萬零五 (zh: 零 marks a gap)."""
    if n == 0:
        return "零" if words["zero"] else "〇"
    parts: list[str] = []
    gap = False
    for unit, name in ((10**8, words["oku"]), (10**4, words["man"]), (1, "")):
        group = (n // unit) % 10**4 if unit < 10**8 else n // unit
        if group == 0:
            gap = bool(parts)
            continue
        if parts and words["zero"] and (gap or group < 1000):
            parts.append(words["zero"])
        parts.append(_below_10000(group, words, leading=not parts) + name)
        gap = False
    return "".join(parts)


def _below_10000(n: int, words: dict[str, str], leading: bool) -> str:
    out: list[str] = []
    pending_zero = False
    for power, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // power) % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero and words["zero"]:
            out.append(words["zero"])
        pending_zero = False
        # 一 is dropped before 十, 百, 千 in Japanese and before a leading 十 in Chinese
        drop_one = digit == 1 and power > 1 and (
            not words["zero"] or (power == 10 and leading and not out))
        out.append(("" if drop_one else _DIGITS[digit]) + name)
    return "".join(out)
