"""Which fonts draw which language: ordered chains per style, and the coverage that decides
whether a language is usable.

Script fonts (Noto Sans Thai, ...) lack ASCII digits and punctuation, so a chain is the script
font, then general fallbacks, then whatever faces close the remaining gaps (greedy set cover
over the corpus' grapheme clusters — a cluster must be drawable by a single face, or its marks
would land on the wrong base).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fontTools import unicodedata as ft_unicodedata
from icu4py.breakers import CharacterBreaker

STYLES = ("sans", "serif", "handwriting")

# ISO 15924 → the script part of Noto family names, where it differs from Unicode's name.
SCRIPT_NAMES = {
    "Orya": "Oriya",
    "Nkoo": "NKo",
    "Cans": "Canadian Aboriginal",
    "Lana": "Tai Tham",
    "Tavt": "Tai Viet",
    "Yiii": "Yi",
    "Vaii": "Vai",
    "Sinh": "Sinhala",
}
CJK_REGION = {"Hans": "SC", "Hant": "TC", "Jpan": "JP", "Hang": "KR", "Kore": "KR", "Hani": "SC"}
# Per-language region for traditional Han text (Cantonese is written with HK forms).
LANGUAGE_CJK_REGION = {"yue": "HK", "vi": "TC"}

SANS_FALLBACKS = ("Noto Sans", "Noto Sans Symbols", "Noto Sans Symbols2", "Noto Sans Math")
SERIF_FALLBACKS = ("Noto Serif", *SANS_FALLBACKS)

# Handwriting families we know of, with the scripts they are meant for (in preference order).
HANDWRITING_FAMILIES = {
    "Latn": ("Caveat", "Indie Flower", "Kalam"),
    "Cyrl": ("Caveat",),
    "Deva": ("Kalam",),
    "Thai": ("Purisa",),
    "Hans": ("AR PL UKai CN", "LXGW WenKai"),
    "Hani": ("AR PL UKai CN", "LXGW WenKai"),
    "Hant": ("AR PL UKai TW", "AR PL UKai HK", "LXGW WenKai TC"),
    "Jpan": ("Klee One",),
    "Hang": ("Nanum Pen Script", "Nanum Brush Script"),
    "Kore": ("Nanum Pen Script", "Nanum Brush Script"),
}
HANDWRITING_SET = {family for families in HANDWRITING_FAMILIES.values() for family in families}
# A handwriting face counts as real for a language when it draws this share of its letters;
# the rest falls through to the print chain.
HANDWRITING_MIN_LETTER_SHARE = 0.97
EXCLUDED_FAMILY_WORDS = (
    " UI",
    "Display",
    "Mono",
    "Unjoined",
    "Looped",
    "Condensed",
    "Color",
    "Emoji",
)


class HashOnce:
    """For frozen dataclasses that key hot caches (faces, text styles: ~10^5 lookups a page):
    the hash of all fields is computed once, at construction. It is never pickled (string
    hashes differ between processes) and is recomputed on unpickling. A class using it sets
    `__hash__ = HashOnce.__hash__` in its body: a frozen dataclass otherwise makes its own."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", self._field_hash())

    def _field_hash(self) -> int:
        return hash(tuple(getattr(self, name) for name in self.__dataclass_fields__))  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined]

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        object.__setattr__(self, "_hash", self._field_hash())


@dataclass(frozen=True)
class FontFace(HashOnce):
    """One face of a font file (a .ttc holds several); hashable so caches can key on it.

    `style` is the face's kind: "sans", "serif", "handwriting" or "other".
    """

    path: str
    index: int
    family: str
    style: str
    subfamily: str = "Regular"
    weight: int = 400

    __hash__ = HashOnce.__hash__  # else @dataclass(frozen=True) generates a per-call hash


def face_kind(family: str) -> str:
    if family in HANDWRITING_SET:
        return "handwriting"
    if "Serif" in family or "Naskh" in family or "Nastaliq" in family:
        return "serif"
    if "Sans" in family:
        return "sans"
    return "other"


def script_family_stem(script: str) -> str:
    if script in SCRIPT_NAMES:
        return SCRIPT_NAMES[script]
    return ft_unicodedata.script_name(script, default=script).replace("_", " ")


def primary_families(script: str, language: str, style: str) -> list[str]:
    """Preferred script-font families for a style (first found wins)."""
    base = language.split("-")[0]
    if script in CJK_REGION:
        region = CJK_REGION[script]
        if script in {"Hant", "Hani"}:
            region = LANGUAGE_CJK_REGION.get(base, region)
        sans, serif = f"Noto Sans CJK {region}", f"Noto Serif CJK {region}"
        return [sans] if style == "sans" else [serif]
    if script in {"Latn", "Cyrl", "Grek"}:
        return ["Noto Sans"] if style == "sans" else ["Noto Serif"]
    if script == "Arab" and base == "ur" and style == "serif":
        # Nastaliq shapes correctly under raqm and is how Urdu is printed; it stays out of the
        # sans chain because its lines are twice as tall and Tesseract's urd model reads it at
        # ~16 % CER against < 1 % for Naskh/Sans (measured on Article 1 here).
        return ["Noto Nastaliq Urdu", "Noto Naskh Arabic"]
    if script == "Arab":
        return (
            ["Noto Sans Arabic", "Noto Naskh Arabic"] if style == "sans" else ["Noto Naskh Arabic"]
        )
    stem = script_family_stem(script)
    if style == "sans":
        return [f"Noto Sans {stem}", f"Noto Serif {stem}"]
    return [f"Noto Serif {stem}"]


# Default-ignorable code points that are not Cf (variation selectors are Mn, CGJ too).
_IGNORABLE_RANGES = (
    (0x034F, 0x034F), (0x17B4, 0x17B5), (0x180B, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF),
)  # fmt: skip


def is_ignorable(ch: str) -> bool:
    """Controls and default ignorables: HarfBuzz hides them (or applies a variation sequence
    the font knows), so no face needs a glyph for them."""
    if unicodedata.category(ch) in {"Cf", "Cc"}:
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES)


def needed_chars(paragraphs: Iterable[str]) -> set[str]:
    """Distinct characters a chain must draw (whitespace and controls excluded)."""
    chars: set[str] = set()
    for paragraph in paragraphs:
        chars.update(paragraph)
    return {c for c in chars if not c.isspace() and not is_ignorable(c)}


def grapheme_clusters(text: str) -> list[str]:
    """Extended grapheme clusters (ICU), so conjuncts, tone marks and emoji ZWJ stay whole."""
    return list(CharacterBreaker(text, "en")) if text else []


def cluster_units(paragraphs: Iterable[str]) -> set[frozenset[int]]:
    """Distinct grapheme clusters as the codepoint sets one face must hold."""
    pieces: set[str] = set()
    for paragraph in paragraphs:
        pieces.update(grapheme_clusters(paragraph))
    units = {
        frozenset(ord(c) for c in piece if not is_ignorable(c) and not c.isspace())
        for piece in pieces
    }
    units.discard(frozenset())
    return units


def pick_regular(records: Sequence[FontFace]) -> FontFace | None:
    """The upright regular face of a family (weight nearest 400, 'Regular' preferred)."""
    if not records:
        return None

    def rank(face: FontFace) -> tuple:
        sub = face.subfamily.lower()
        return ("italic" in sub or "oblique" in sub, sub != "regular", abs(face.weight - 400), sub)

    return min(records, key=rank)


@dataclass
class ChainResult:
    faces: list[FontFace]
    coverage: float
    missing_chars: list[str]
    missing_clusters: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing_chars and not self.missing_clusters


def build_chain(
    primaries: Sequence[FontFace],
    fallbacks: Sequence[FontFace],
    candidates: Sequence[FontFace],
    coverage_of: Callable[[FontFace], frozenset[int]],
    chars: set[str],
    units: set[frozenset[int]],
) -> ChainResult:
    """Script font(s) + fallbacks, then greedy additions from `candidates` (in preference order)
    until every cluster is drawable by one face or no candidate helps."""
    chain: list[FontFace] = []
    for face in [*primaries, *fallbacks]:
        if face not in chain:
            chain.append(face)

    def uncovered() -> list[frozenset[int]]:
        return [u for u in units if not any(u <= coverage_of(f) for f in chain)]

    remaining = uncovered()
    while remaining:
        best, best_count = None, 0
        for face in candidates:
            if face in chain:
                continue
            cov = coverage_of(face)
            count = sum(1 for u in remaining if u <= cov)
            if count > best_count:
                best, best_count = face, count
        if best is None:
            break
        chain.append(best)
        remaining = uncovered()
    union: set[int] = set()
    for face in chain:
        union |= coverage_of(face)
    missing_chars = sorted(c for c in chars if ord(c) not in union)
    coverage = 1.0 if not chars else (len(chars) - len(missing_chars)) / len(chars)
    missing_clusters = sorted("".join(map(chr, sorted(u))) for u in remaining)
    return ChainResult(chain, coverage, missing_chars, missing_clusters)


def letter_share(face_coverage: frozenset[int], chars: set[str]) -> float:
    letters = [c for c in chars if unicodedata.category(c)[0] in "LM"]
    if not letters:
        return 0.0
    return sum(1 for c in letters if ord(c) in face_coverage) / len(letters)
