"""Page text beyond the UDHR: sentences from a frequency vocabulary, entities, casing, and
rare-character boosting, returned exactly as they will be drawn.

One `LanguageText` per worker and language holds what the synthesiser draws from: the words
(wordfreq where it has the language, else the words of the language's corpus text), sampled
by frequency flattened with `FREQ_POWER` so the long tail appears; the *targets* (CLDR main
exemplars, and for zh/ja/ko the common-use lists of `fonts_manifest.textsources`) with, for
each, the words that hold it; the entity maker; the script's punctuation. Everything is
filtered once by what every font chain of the language draws (`covers`), so nothing emitted
is tofu. Each page draws `boost` targets uniformly, which brings every target onto some page
within a few thousand pages while the text stays mostly natural words.

Randomness comes only from the page's Generator; a paragraph's text depends on (seed, index).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synth.entities import EntityMaker

SOURCES = ("udhr", "vocab", "entities", "corpus")
DEFAULT_SOURCES = {"udhr": 1.0, "vocab": 2.0, "entities": 1.0, "corpus": 3.0}
FREQ_POWER = 0.35  # frequency ** power: flatter than Zipf, so 1,000 pages reach 10^4 words
CASED_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek", "Armn", "Copt", "Glag", "Adlm", "Cher", "Osge"})
_NO_SPACE = frozenset({"Hans", "Hant", "Hani", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
_CJK = frozenset({"Hans", "Hant", "Hani", "Jpan"})

# (sentence ends with weights, comma, quote pair, pause) per script family; ASCII fallback
_PUNCT: dict[str, dict[str, Any]] = {
    "cjk": {"ends": (("。", 8), ("！", 1), ("？", 1), ("……", 0.3)), "comma": ("，", "、"),
            "quotes": ("「", "」"), "colon": "：", "join": ""},
    "Arab": {"ends": ((".", 8), ("؟", 1), ("!", 1)), "comma": ("،",), "quotes": ("«", "»"),
             "colon": ":", "join": " "},
    "Deva": {"ends": (("।", 8), ("?", 1), ("!", 0.5)), "comma": (",",), "quotes": ("“", "”"),
             "colon": ":", "join": " "},
    "Beng": {"ends": (("।", 8), ("?", 1), ("!", 0.5)), "comma": (",",), "quotes": ("“", "”"),
             "colon": ":", "join": " "},
    "Ethi": {"ends": (("።", 8), ("?", 1)), "comma": ("፣",), "quotes": ("«", "»"), "colon": "፥",
             "join": " "},
    "Armn": {"ends": (("։", 8), ("՞", 0.01), ("!", 0.5)), "comma": (",",), "quotes": ("«", "»"),
             "colon": ":", "join": " "},
    "Mymr": {"ends": (("။", 8),), "comma": ("၊",), "quotes": ("“", "”"), "colon": ":", "join": ""},
    "Khmr": {"ends": (("។", 8),), "comma": (" ",), "quotes": ("«", "»"), "colon": ":", "join": ""},
    "Tibt": {"ends": (("།", 8),), "comma": ("་",), "quotes": ("《", "》"), "colon": ":", "join": ""},
    "Mong": {"ends": (("᠃", 8), ("?", 1), ("!", 0.5)), "comma": ("᠂",), "quotes": ("《", "》"),
             "colon": ":", "join": " "},
    "Grek": {"ends": ((".", 8), (";", 1), ("!", 1)), "comma": (",",), "quotes": ("«", "»"),
             "colon": ":", "join": " "},
    "default": {"ends": ((".", 10), ("?", 1), ("!", 1), ("…", 0.3), (";", 0.3)), "comma": (",",),
                "quotes": ("“", "”"), "colon": ":", "join": " "},
}
_FRENCH_QUOTES = ("fr", "ru", "uk", "es", "it", "pt", "de", "pl", "tr", "fa", "ar")


@dataclass
class LanguageText:
    """What the synthesiser draws from for one language (built once per worker)."""

    code: str
    script: str
    words: Sequence[str]  # a `synth.wordlist.WordList`: one string, not an object a word
    cumulative: np.ndarray  # sampling CDF over `words`
    targets: tuple[str, ...]  # exemplars ∪ common-use list, drawable
    target_words: dict[str, tuple[int, ...]]  # target → indices of words that hold it
    entities: EntityMaker
    covers: Callable[[str], bool]
    punct: dict[str, Any]
    cased: bool
    boost: float  # targets drawn per page (sum over `tiers`; expected, when a tier's is not whole)
    vocab_source: str  # "wordfreq", "wordfreq+opencc", "hunspell" or "corpus-words"
    joiner: str = " "
    base_letter: str = ""  # carries a combining-mark target drawn without a word
    # (start, stop, per page) slices of `targets`: the CLDR exemplars and the rest of a
    # common-use list are boosted apart, so a long list never thins out the exemplars
    tiers: tuple[tuple[int, int, float], ...] = ()
    stats: dict[str, int] = field(default_factory=dict)
    # a space between unspaced text and an ASCII digit (horizontal CJK text often has one);
    # vertical pages have none (`synth.vertical_text.for_page`): digits there stand across the
    # column (tate-chu-yoko) or upright, and a space would leave a gap in the column
    space_digits: bool = True

    # -- pieces --------------------------------------------------------------------------
    def sample_words(self, rng: np.random.Generator, n: int) -> list[str]:
        idx = np.searchsorted(self.cumulative, rng.random(n), side="right")
        return [self.words[int(i)] for i in np.minimum(idx, len(self.words) - 1)]

    def pick_targets(self, rng: np.random.Generator) -> list[str]:
        """This page's boosted words: one per target drawn (a vocabulary word holding it when
        there is one, else the target itself)."""
        if not self.targets:
            return []
        tiers = self.tiers or ((0, len(self.targets), self.boost),)
        drawn = np.concatenate([rng.integers(start, stop, _count(count, rng))
                                for start, stop, count in tiers])
        out = []
        for i in drawn:
            target = self.targets[int(i)]
            holders = self.target_words.get(target, ())
            if holders:
                out.append(self.words[holders[int(rng.integers(len(holders)))]])
            elif unicodedata.category(target[0]).startswith("M"):
                out.append(self.base_letter + target)
            else:
                out.append(target)
        return out

    def entity(self, rng: np.random.Generator) -> str | None:
        made = self.entities.make(rng)
        return made[1] if made else None

    def end_mark(self, rng: np.random.Generator) -> str:
        ends = self.punct["ends"]
        weights = np.array([w for _, w in ends], np.float64)
        return ends[int(rng.choice(len(ends), p=weights / weights.sum()))][0]

    # -- sentences and paragraphs --------------------------------------------------------
    def sentence(self, rng: np.random.Generator, boost: list[str], entity_p: float) -> str:
        cjk = self.script in _CJK
        n = int(rng.integers(3, 10) if cjk else rng.integers(4, 16))
        tokens = self.sample_words(rng, n)
        while boost and rng.random() < 0.6:  # boosted words join the first sentences
            tokens.insert(int(rng.integers(0, len(tokens) + 1)), boost.pop())
        entity = [False] * len(tokens)
        if rng.random() < entity_p:
            for _ in range(int(rng.integers(1, 3))):
                made = self.entity(rng)
                if made:
                    at = int(rng.integers(0, len(tokens) + 1))
                    tokens.insert(at, made)
                    entity.insert(at, True)
        apart = {k for k in range(1, len(tokens)) if entity[k - 1] and entity[k]
                 and _numeral(tokens[k - 1][-1]) and _numeral(tokens[k][0])}
        text = self._join(tokens, rng, apart)
        if self.cased and text[:1].islower():
            text = text[0].upper() + text[1:]
        return text + self.end_mark(rng)

    def _join(self, tokens: list[str], rng: np.random.Generator,
              apart: set[int] | frozenset[int] = frozenset()) -> str:
        """Tokens joined by the script's joiner, a comma now and then. `apart`: tokens k that
        must not run on from token k-1 (two numbers side by side in unspaced text read as one:
        三十五 + 六千円 is 三十五六千円) get a comma there (the same random draws)."""
        out = tokens[0]
        commas = self.punct["comma"]
        for k, token in enumerate(tokens[1:], 1):
            if rng.random() < 0.09:
                out += commas[int(rng.integers(len(commas)))]
                out += "" if self.joiner == "" else " "
            elif self.joiner == "" and _ascii_edge(out[-1], token[0], self.space_digits):
                out += " "  # Latin tokens inside CJK/Thai text keep a space around them
            elif self.joiner == "" and k in apart:
                out += commas[0]
            else:
                out += self.joiner
            out += token
        return out

    def paragraph(self, rng: np.random.Generator, boost: list[str], entity_p: float,
                  sentences: tuple[int, int] = (2, 7)) -> str:
        count = int(rng.integers(*sentences))
        parts = [self.sentence(rng, boost, entity_p) for _ in range(count)]
        if rng.random() < 0.15 and len(parts) > 1:  # a quoted sentence
            k = int(rng.integers(len(parts)))
            open_q, close_q = self.punct["quotes"]
            parts[k] = open_q + parts[k] + close_q
        joiner = "" if self.script in _NO_SPACE and self.script != "Thai" else " "
        text = joiner.join(parts)
        while boost:  # whatever is left goes into the last sentence
            text += joiner + self.sentence(rng, boost, 0.0)
        return text

    def heading(self, rng: np.random.Generator, boost: list[str]) -> str:
        tokens = self.sample_words(rng, int(rng.integers(1, 6)))
        if boost and rng.random() < 0.5:
            tokens.append(boost.pop())
        if rng.random() < 0.25:
            made = self.entity(rng)
            if made:
                tokens.append(made)
        text = self._join(tokens, rng)
        if rng.random() < 0.3 and self.covers(self.punct["colon"]):
            text += self.punct["colon"]
        return text

    def case(self, text: str, rng: np.random.Generator, upper_p: float, title_p: float) -> str:
        """ALL CAPS or Title Case sometimes (cased scripts only), when the fonts draw it."""
        if not self.cased:
            return text
        roll = rng.random()
        if roll < upper_p:
            cased = upper(text, self.code)
        elif roll < upper_p + title_p:
            cased = " ".join(upper(w[:1], self.code) + w[1:] for w in text.split(" "))
        else:
            return text
        return cased if self.covers(cased) else text


def _count(count: float, rng: np.random.Generator) -> int:
    """A tier's boosts on this page: whole counts as they are (no draw, so pages of tiers
    with whole counts take the same random numbers as before), a fraction by a coin."""
    whole = int(count)
    if count == whole:
        return whole
    return whole + int(rng.random() < count - whole)


def _numeral(c: str) -> bool:
    """A digit or a numeral character (１, 三, 〇, 零, 万, 億): where two numbers would fuse."""
    return c.isdigit() or unicodedata.numeric(c, None) is not None


def _ascii_edge(a: str, b: str, digits: bool = True) -> bool:
    """Whether a space goes between `a` and `b` in unspaced text: an ASCII letter (or, with
    `digits`, an ASCII digit) on either side."""
    def spaced(c: str) -> bool:
        return c.isascii() and (c.isalpha() or digits and c.isdigit())

    return spaced(a) or spaced(b)


def upper(text: str, code: str) -> str:
    """Locale-aware upper case (Turkic dotted i)."""
    if code.split("-")[0] in ("tr", "az", "crh", "tt", "kk"):
        text = text.replace("i", "İ").replace("ı", "I")
    return text.upper()


def punctuation(script: str, code: str, covers: Callable[[str], bool]) -> dict[str, Any]:
    """The script's punctuation, each mark kept only where the fonts draw it."""
    base = _PUNCT["cjk"] if script in _CJK else _PUNCT.get(script, _PUNCT["default"])
    fallback = _PUNCT["default"]
    ends = tuple((m, w) for m, w in base["ends"] if covers(m)) or ((".", 1.0),)
    comma = tuple(m for m in base["comma"] if covers(m)) or fallback["comma"]
    quotes = base["quotes"]
    if base is fallback and code.split("-")[0] in _FRENCH_QUOTES:
        quotes = ("«", "»")
    if not covers("".join(quotes)):
        quotes = ('"', '"')
    colon = base["colon"] if covers(base["colon"]) else ":"
    return {"ends": ends, "comma": comma, "quotes": quotes, "colon": colon}


def boost_count(targets: int, pages: int = 1000) -> int:
    """Targets per page so that, drawn uniformly, each of `targets` is missed by `pages`
    pages with probability exp(-passes), passes = ln(targets) + 4: about 2 % of a target
    list is expected missing only when even that many boosts do not fit (capped at 24)."""
    if targets == 0:
        return 0
    return int(min(24, max(3, math.ceil(boost_rate(targets, pages)))))


def boost_rate(targets: int, pages: int = 1000) -> float:
    """The same coverage as `boost_count` without its floor of 3 a page, as an expected count
    (a page draws the whole part and one more with the fraction's probability).

    For a short remainder tier: the Japanese common-use list adds only 剝塡頰𠮟 (the 2010
    jōyō forms) to CLDR's exemplars, and 3 boosts a page from 4 characters put each of them
    on 3 pages in 4 (0.5 % of all characters drawn, wordfreq has no word with them), where
    0.02 a page covers them in 1,000 pages just as well."""
    if targets == 0:
        return 0.0
    passes = math.log(targets) + 4.0
    return round(min(24.0, targets * passes / pages), 4)


def effective_sources(sources: Mapping[str, float], base_is_udhr: bool,
                      has_vocab: bool) -> dict[str, float]:
    """The weights a page uses: `udhr` weighs the language's UDHR text, `corpus` a user
    corpus that replaced it (only one of the two exists); `vocab` needs words."""
    out = {
        "base": float(sources.get("udhr", 0.0) if base_is_udhr else sources.get("corpus", 0.0)),
        "vocab": float(sources.get("vocab", 0.0)) if has_vocab else 0.0,
        "entities": float(sources.get("entities", 0.0)),
    }
    if sum(out.values()) <= 0:
        out["base"] = 1.0
    return out
