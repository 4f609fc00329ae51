"""Bidi embedding levels and visual order for the text engine (UAX #9).

FriBiDi (the library raqm itself uses, loaded by Pillow anyway) implements the bracket-pair
rule N0, so "(1948)" in an Arabic line stays one unit; python-bidi's pure-Python algorithm
lacks N0 and is only the fallback when libfribidi cannot be loaded.
"""

from __future__ import annotations

import ctypes
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from bidi import algorithm as bidi_algorithm

RTL_BIDI_CLASSES = frozenset({"R", "AL", "RLE", "RLO", "RLI"})
FRIBIDI_PAR_LTR = 0x110  # FRIBIDI_MASK_STRONG | FRIBIDI_MASK_LETTER
FRIBIDI_PAR_RTL = 0x111  # ... | FRIBIDI_MASK_RTL


def bidi_levels(text: str, base_rtl: bool) -> list[int]:
    """UAX #9 embedding level of every character (rules up to I2, before reordering).

    FriBiDi (the library raqm itself uses, loaded by Pillow anyway) implements the bracket-pair
    rule N0, so "(1948)" in an Arabic line stays one unit; python-bidi's pure-Python algorithm
    lacks N0 and is only the fallback when libfribidi cannot be loaded.
    """
    if not base_rtl and not has_rtl(text):
        return [0] * len(text)  # nothing right-to-left
    lib = _fribidi()
    if lib is not None:
        n = len(text)
        chars = (ctypes.c_uint32 * n)(*map(ord, text))
        types = (ctypes.c_uint32 * n)()
        brackets = (ctypes.c_uint32 * n)()
        levels = (ctypes.c_int8 * n)()
        lib.fribidi_get_bidi_types(chars, n, types)
        lib.fribidi_get_bracket_types(chars, n, types, brackets)
        base = ctypes.c_uint32(FRIBIDI_PAR_RTL if base_rtl else FRIBIDI_PAR_LTR)
        if lib.fribidi_get_par_embedding_levels_ex(types, brackets, n, ctypes.byref(base), levels):
            return list(levels)
    storage = bidi_algorithm.get_empty_storage()
    storage["base_level"] = 1 if base_rtl else 0
    storage["base_dir"] = "R" if base_rtl else "L"
    bidi_algorithm.get_embedding_levels(text, storage)
    bidi_algorithm.explicit_embed_and_overrides(storage)
    bidi_algorithm.resolve_weak_types(storage)
    bidi_algorithm.resolve_neutral_types(storage, False)
    bidi_algorithm.resolve_implicit_levels(storage, False)
    return [int(ch["level"]) for ch in storage["chars"]]


# Distinct characters seen so far, by whether their bidi class is right-to-left (bounded by
# Unicode): a line's characters are classified with set operations instead of one
# `unicodedata.bidirectional` call per character.
_RTL_CHARS: set[str] = set()
_OTHER_CHARS: set[str] = set()


def has_rtl(text: str) -> bool:
    """Whether any character of `text` is strongly right-to-left or opens an RTL embedding."""
    if text.isascii():
        return False
    chars = set(text)
    for c in chars.difference(_RTL_CHARS, _OTHER_CHARS):
        (_RTL_CHARS if unicodedata.bidirectional(c) in RTL_BIDI_CLASSES else _OTHER_CHARS).add(c)
    return not _RTL_CHARS.isdisjoint(chars)


@lru_cache(maxsize=1)
def _fribidi() -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL("libfribidi.so.0")
    except OSError:
        return None
    lib.fribidi_get_par_embedding_levels_ex.restype = ctypes.c_int8
    return lib


def visual_order(levels: Sequence[int]) -> list[int]:
    """Indices of items in display order (UAX #9 rule L2 applied to whole items)."""
    order = list(range(len(levels)))
    if not levels:
        return order
    highest = max(levels)
    lowest_odd = min(lvl for lvl in levels if lvl % 2 == 1) if any(lv % 2 for lv in levels) else 1
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order
