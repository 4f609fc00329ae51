"""Where a line may end, and which pieces of a line count as words.

ICU (via `icu4py`) knows the line-break rules of every script: dictionary breaks for Thai, Lao,
Khmer and Myanmar (no spaces between words), breaks between CJK characters, and never inside a
grapheme cluster. Splitting at spaces alone would leave a Thai paragraph as one unbreakable word.
Greedy filling uses widths measured by shaping (the caller's `width_of`), never character counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from icu4py.breakers import CharacterBreaker, LineBreaker, WordBreaker

# Scripts written without spaces between words: a "word" label is an ICU line-break segment.
NO_SPACE_SCRIPTS = frozenset(
    {"Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Hani", "Hans", "Hant", "Jpan", "Hira", "Kana", "Bali",
     "Java", "Tale", "Talu", "Lana", "Yiii", "Tglg",
     "Ethi"}  # Ethiopic corpus text separates words with ፡ (U+1361), not spaces
)


NON_SPACE = re.compile(r"\S+")


def icu_locale(language: str) -> str:
    """ICU wants `th` or `zh_Hans`; BCP 47 gives `th` or `zh-Hans`."""
    return language.replace("-", "_") if language else "und"


@lru_cache(maxsize=256)  # a page's texts: 7 % of calls hit with 8192 or 256 entries alike
def break_segments(text: str, language: str) -> tuple[str, ...]:
    """Pieces of `text` between line-break opportunities; each keeps its trailing spaces.

    Cached for the texts of the page being made (measured, then drawn). Whole paragraphs are
    keys here, and a default run (every language) rarely meets one again: with 8192 entries
    the cache grew by ~9 paragraphs and their pieces a row, ~25 MiB by row 512 (48 default
    rows: 31 hits in 445 calls with 8192 or 256 entries).

    Concatenating the pieces gives `text` back exactly.
    """
    if not text:
        return ()
    return tuple(LineBreaker(text, icu_locale(language)))


@lru_cache(maxsize=1024)  # 48 default rows: 962 vs 963 hits in 2602 calls with 8192
def grapheme_clusters(text: str) -> tuple[str, ...]:
    """User-perceived characters: the smallest pieces a line may ever be cut into."""
    if not text:
        return ()
    return tuple(CharacterBreaker(text, "und"))


def fill_lines(
    text: str,
    language: str,
    max_width: float,
    width_of: Callable[[str], float],
) -> list[str]:
    """Greedy fill: as many break segments per line as fit in `max_width` (trailing spaces free).

    A segment wider than a whole line is the only thing ever cut inside a word, and then only at
    grapheme-cluster boundaries. Returned lines have trailing whitespace stripped. `width_of`
    must add up over a word and its trailing spaces (the engine measures words and spaces
    apart), so a segment is measured as its core plus its spaces, never as a new string.
    """
    return list(iter_lines(text, language, max_width, width_of))


def iter_lines(
    text: str,
    language: str,
    max_width: float,
    width_of: Callable[[str], float],
) -> Iterator[str]:
    """`fill_lines` one line at a time: greedy filling never looks back, so a caller that stops
    early (a page full in the middle of a paragraph) leaves the rest unmeasured."""
    current = ""
    current_width = 0.0
    for segment in break_segments(text, language):
        if "\n" in segment:
            segment = segment.replace("\n", " ")
        core = segment.rstrip()
        core_width = width_of(core) if core else 0.0
        if current and current_width + core_width > max_width:
            yield current.rstrip()
            current, current_width = "", 0.0
        if not current and core_width > max_width:
            pieces = _split_oversized(core, max_width, width_of)
            yield from pieces[:-1]
            current = pieces[-1] + segment[len(core):]
            current_width = width_of(current)
            continue
        current += segment
        if segment != core:  # the core, then its trailing spaces: the sum width_of(segment)
            # makes, in the same order, without measuring the new string core + spaces
            current_width += core_width + width_of(segment[len(core):]) if core else width_of(
                segment)
        else:
            current_width += core_width
    if current.strip():
        yield current.rstrip()


def _split_oversized(word: str, max_width: float, width_of: Callable[[str], float]) -> list[str]:
    """Last resort for a word longer than a line: cut at grapheme-cluster boundaries."""
    pieces: list[str] = []
    current = ""
    for cluster in grapheme_clusters(word):
        if current and width_of(current + cluster) > max_width:
            pieces.append(current)
            current = ""
        current += cluster
    pieces.append(current)
    return pieces


def word_spans(text: str, language: str, script: str) -> list[tuple[int, int]]:
    """Logical (start, end) character ranges of the words of one line.

    Words are runs between whitespace; in scripts written without spaces each ICU break segment
    is a word, so Thai or Chinese lines still get word-level polygons.
    """
    runs = [match.span() for match in NON_SPACE.finditer(text)]  # \s is str.isspace
    if script not in NO_SPACE_SCRIPTS:
        return runs
    spans: list[tuple[int, int]] = []
    for i, j in runs:
        k = i
        for segment in break_segments(text[i:j], language):
            spans.append((k, k + len(segment)))
            k += len(segment)
    return spans


# Han text breaks between any two characters, so its line-break pieces are characters, not
# words; ICU's word breaker segments it with a dictionary (公开 | 或 | 秘密 | 地).
DICTIONARY_WORD_SCRIPTS = frozenset({"Hani", "Hans", "Hant", "Jpan"})


def phrase_spans(text: str, language: str, script: str) -> list[tuple[int, int]]:
    """Where a phrase cut out of `text` may start and end: its words, as `word_spans`, except
    for Han and Japanese text, whose words come from ICU's dictionary word breaker (a phrase
    started at a line-break piece began inside a word: 开或秘密地 out of 公开或秘密地).
    Punctuation and spaces stay with the word before them."""
    if script not in DICTIONARY_WORD_SCRIPTS:
        return word_spans(text, language, script)
    spans: list[tuple[int, int]] = []
    at = 0
    for piece in WordBreaker(text, icu_locale(language)):
        end = at + len(piece)
        if spans and not any(ch.isalnum() for ch in piece):
            spans[-1] = (spans[-1][0], end)
        elif piece.strip():
            spans.append((at, end))
        at = end
    return spans

