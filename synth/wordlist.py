"""A language's vocabulary held as one string, not 40,000 string objects (issue 22).

A worker keeps the vocabulary of every language it draws from (`synth.memo`: all of a run of up
to 24 languages). As a tuple of `str`, each word cost its own object (~50-80 bytes of header
before its characters): 28.7 MiB of Python heap for the ten languages of the end-to-end
benchmark (tracemalloc, 24 wild rows). Joined into one string with an offsets array it is the
characters alone (1-4 bytes each) and 4 bytes a word; a word is sliced out when drawn.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

SEPARATOR = "\0"  # a vocabulary word holds no control character (fonts_manifest.vocabcache)


def compact_words(words: Iterable[str]) -> Sequence[str]:
    """`words` as a `WordList`; a tuple in the odd case a word holds the separator (a
    paragraph standing in for a language without vocabulary could)."""
    items = list(words)
    return tuple(items) if SEPARATOR in "".join(items) else WordList(items)


class WordList(Sequence[str]):
    """An immutable sequence of words: indexing gives the word (a new `str`), slicing a tuple.

    Equal words in equal order compare equal, as tuples do; ordering and hashing are not
    offered (nothing sorts or hashes a vocabulary)."""

    __slots__ = ("_ends", "_text")

    def __init__(self, words: Iterable[str]) -> None:
        items = list(words)
        text = SEPARATOR.join(items)
        if text.count(SEPARATOR) != max(0, len(items) - 1):  # C-speed checks: a language's
            raise ValueError("a word holds the separator: use compact_words")  # 40k words
        self._text = text
        lengths = np.fromiter(map(len, items), np.int64, len(items)) + 1
        self._ends = np.cumsum(lengths, dtype=np.int64).astype(np.int32) - 1  # end of word i

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return tuple(self._word(i) for i in range(start, stop, step))
            if stop <= start:
                return ()
            # a run of words is one cut of the joined string, split at C speed (form values
            # take the first 8,000 words of a vocabulary on every form, table and receipt)
            begin = int(self._ends[start - 1]) + 1 if start else 0
            return tuple(self._text[begin : int(self._ends[stop - 1])].split(SEPARATOR))
        count = len(self._ends)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("word index out of range")
        return self._word(index)

    def _word(self, index: int) -> str:
        end = int(self._ends[index])
        start = int(self._ends[index - 1]) + 1 if index else 0
        return self._text[start:end]

    def __iter__(self) -> Iterator[str]:
        return iter(self._text.split(SEPARATOR)) if len(self) else iter(())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WordList):
            return self._text == other._text and len(self) == len(other)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                          strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"WordList({len(self)} words)"

    def nbytes(self) -> int:
        """Memory held: the joined string and the offsets."""
        import sys

        return sys.getsizeof(self._text) + self._ends.nbytes


# -- searching a vocabulary as one string (vocabulary filter, target holders) --------------


def joined_words(words: Sequence[str]) -> tuple[str, list[int]] | None:
    """(the words joined by SEPARATOR, where each word starts), or None when a word holds it."""
    joined = SEPARATOR.join(words)
    if joined.count(SEPARATOR) != max(0, len(words) - 1):
        return None
    lengths = np.fromiter(map(len, words), np.int64, len(words)) + 1
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64).tolist()[: len(words)]
    return joined, starts


def holding_any(words: Sequence[str], chars: set[str]) -> list[int] | None:
    """Indices of the words holding any of `chars`, ascending (None: a word holds a NUL).
    The vocabulary is searched as one string, so words without any cost no Python step."""
    found = joined_words(words)
    if found is None:
        return None
    if not chars:
        return []
    joined, starts = found
    pattern = re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")
    out: list[int] = []
    pos, count, end = 0, len(starts), len(joined)
    while (match := pattern.search(joined, pos)) is not None:
        index = bisect_right(starts, match.start()) - 1
        out.append(index)
        pos = starts[index + 1] if index + 1 < count else end
    return out


def without(items: Sequence[Any], drop: list[int]) -> list[Any]:
    """`items` as a list without the (ascending) indices `drop`, copied slice by slice."""
    out: list[Any] = []
    prev = 0
    for index in drop:
        out.extend(items[prev:index])
        prev = index + 1
    out.extend(items[prev:])
    return out


def first_holders(target: str, joined: str, starts: list[int], limit: int = 40,
                   begin: int = 0) -> list[int]:
    """The first `limit` indices of words from offset `begin` on holding `target` (no NUL in
    it: no match crosses a word), each word once: the search goes on from the next word."""
    out: list[int] = []
    count = len(starts)
    pos = joined.find(target, begin)
    while pos >= 0 and len(out) < limit:
        index = bisect_right(starts, pos) - 1
        out.append(index)
        pos = joined.find(target, starts[index + 1]) if index + 1 < count else -1
    return out

