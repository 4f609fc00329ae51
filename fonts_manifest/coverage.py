"""Which codepoints a face maps: flat inclusive ranges (as the cmap cache stores them) and
`Coverage`, the bitmap every itemisation step asks.
"""

from __future__ import annotations

import array
from collections.abc import Iterable, Iterator, Sequence

import numpy as np


def codepoint_ranges(codepoints: Iterable[int]) -> list[int]:
    """Sorted codepoints as a flat [start0, end0, start1, end1, ...] list (inclusive ends)."""
    flat: list[int] = []
    for cp in sorted(codepoints):
        if flat and cp == flat[-1] + 1:
            flat[-1] = cp
        else:
            flat.extend((cp, cp))
    return flat


def ranges_to_set(flat: Sequence[int]) -> frozenset[int]:
    return frozenset(cp for i in range(0, len(flat), 2) for cp in range(flat[i], flat[i + 1] + 1))


def compact_ranges(flat: Sequence[int]) -> array.array:
    """Flat ranges as 4-byte ints: every worker holds the ranges of every face (~1,900), and
    Python lists of int objects cost about nine times the bytes."""
    return flat if isinstance(flat, array.array) else array.array("i", flat)


class Coverage:
    """The codepoints one face maps, as a bitmap up to its highest codepoint.

    Membership is O(1) like a frozenset's (a Python-level call) at a fraction of the memory: a
    CJK face maps tens of thousands of codepoints, which as int objects and a hash table cost
    megabytes, and a worker keeps one per face its chains use."""

    __slots__ = ("_bits", "_known", "_limit", "_ranges")

    def __init__(self, flat: Sequence[int]) -> None:
        self._known: set[str] = set()  # characters found covered so far (see `covers`)
        self._ranges = compact_ranges(flat)
        self._limit = (flat[-1] + 1) if len(flat) else 0
        marks = np.zeros(self._limit, dtype=bool)
        for i in range(0, len(flat), 2):
            marks[flat[i] : flat[i + 1] + 1] = True
        self._bits = np.packbits(marks, bitorder="little").tobytes()

    def __contains__(self, cp: int) -> bool:
        return 0 <= cp < self._limit and self._bits[cp >> 3] >> (cp & 7) & 1 == 1

    def covers(self, text: str) -> bool:
        """Whether every character of `text` is mapped: `all(ord(c) in self for c in text)`,
        with the characters already found covered checked as one set operation (a line's
        words are mostly characters seen before; bounded by the face's own coverage)."""
        chars = set(text)
        if chars <= self._known:
            return True
        for c in chars - self._known:
            if ord(c) not in self:
                return False
            self._known.add(c)
        return True

    def __iter__(self) -> Iterator[int]:
        flat = self._ranges
        for i in range(0, len(flat), 2):
            yield from range(flat[i], flat[i + 1] + 1)

    def __len__(self) -> int:
        flat = self._ranges
        return sum(flat[i + 1] - flat[i] + 1 for i in range(0, len(flat), 2))
