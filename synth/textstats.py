"""Measures of text diversity: distinct characters and words, ALL-CAPS and entity shares,
coverage of target lists. Used by `polyglyph text --stats` and by stats.json of a run.

Words: spaced scripts split at white space with edge punctuation stripped; Thai, Lao, Khmer,
Myanmar, Tibetan and CJK use the ICU segments of `synth.linebreak.break_segments` (for CJK
that is a dictionary word segmentation). Characters are code points other than white space.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from synth.linebreak import NO_SPACE_SCRIPTS, break_segments

_ENTITY = re.compile(r"\d|https?://|www\.|@[\w-]+\.\w")


def _strip(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start])[0] in "PSZ":
        start += 1
    while end > start and unicodedata.category(token[end - 1])[0] in "PSZ":
        end -= 1
    return token[start:end]


def words_of(text: str, language: str, script: str) -> list[str]:
    """Word tokens of a text (letters kept; pure numbers and punctuation dropped)."""
    if script in NO_SPACE_SCRIPTS - {"Ethi"}:
        pieces = [_strip(seg) for line in text.split("\n") for seg in break_segments(line, language)]
    else:
        pieces = [_strip(token) for token in text.split()]
    return [p for p in pieces if p and any(unicodedata.category(c)[0] == "L" for c in p)]


def is_all_caps(line: str) -> bool:
    """At least two cased letters, all of them capitals."""
    cased = [c for c in line if c.isalpha() and (c.isupper() or c.islower())]
    return len(cased) >= 2 and all(c.isupper() for c in cased)


def has_entity(line: str) -> bool:
    """A number (any script's digits), a URL or an e-mail address."""
    return bool(_ENTITY.search(line))


def wrap_lines(text: str, width: int) -> list[str]:
    """Greedy word wrap at `width` characters (spaceless text cut every `width` characters):
    a rendering-free stand-in for a page's lines."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if " " not in paragraph.strip():
            lines.extend(paragraph[i:i + width] for i in range(0, len(paragraph), width))
            continue
        current = ""
        for word in paragraph.split():
            if current and len(current) + 1 + len(word) > width:
                lines.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        if current:
            lines.append(current)
    return [line for line in lines if line.strip()]


@dataclass
class TextSets:
    """Distinct characters and (case-folded) words per language, mergeable across shards."""

    chars: dict[str, set[str]] = field(default_factory=dict)
    words: dict[str, set[str]] = field(default_factory=dict)

    def add(self, language: str, script: str, text: str) -> None:
        self.chars.setdefault(language, set()).update(c for c in text if not c.isspace())
        self.words.setdefault(language, set()).update(
            w.casefold() for w in words_of(text, language, script))

    def merge(self, other: dict[str, Any]) -> None:
        for language, chars in other.get("chars", {}).items():
            self.chars.setdefault(language, set()).update(chars)
        for language, words in other.get("words", {}).items():
            self.words.setdefault(language, set()).update(words)

    def to_json(self) -> dict[str, Any]:
        return {"chars": {k: "".join(sorted(v)) for k, v in sorted(self.chars.items())},
                "words": {k: sorted(v) for k, v in sorted(self.words.items())}}

    def summary(self) -> dict[str, dict[str, int]]:
        return {language: {"distinct_chars": len(self.chars.get(language, ())),
                           "distinct_words": len(self.words.get(language, ()))}
                for language in sorted(set(self.chars) | set(self.words))}


def coverage(found: Iterable[str], targets: Iterable[str]) -> tuple[int, int]:
    """(how many targets occur, how many targets); a multi-character target occurs when its
    characters all do (digraphs like `dž` are written with both)."""
    present = set(found)
    items = list(dict.fromkeys(targets))
    hit = sum(1 for t in items if all(c in present for c in t))
    return hit, len(items)


def is_han(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")


def is_hangul_syllable(ch: str) -> bool:
    return 0xAC00 <= ord(ch) <= 0xD7A3
