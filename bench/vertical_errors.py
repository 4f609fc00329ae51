"""Where a vertical model's misreads come from (bench/vertical_cer.py's error analysis): edit
operations by type, the most frequent confusions, and Han characters by how common they are.

Why frequency: on zh-Hant pages (12 pages, seeds 0-2, best_int) chi_tra_vert misread Han at
5.1 %, but 0.8-1.3 % of the characters more common than Zipf 6 and 21-47 % of those under
Zipf 5, which were 12-13 % of the Han drawn (the text's flattened vocabulary and the Big5
level-1 boosting bring the long tail in on purpose). A character's Zipf value here is log10 of the summed wordfreq
frequency of the words holding it, plus 9; zh-Hant characters are looked up in their
Simplified form (OpenCC t2s), as wordfreq's Chinese list is Simplified.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from rapidfuzz.distance import Levenshtein

BANDS = ((6.0, ">=6"), (5.0, "5-6"), (4.0, "4-5"), (-math.inf, "<4"))


@functools.lru_cache(maxsize=4)
def char_zipf(language: str) -> Callable[[str], float]:
    """A character's Zipf frequency in `language`'s wordfreq list (0 when absent)."""
    from wordfreq import get_frequency_dict

    lang = language.split("-")[0]
    summed: Counter[str] = Counter()
    for word, freq in get_frequency_dict(lang).items():
        for char in set(word):
            summed[char] += freq
    convert: Callable[[str], str] = str
    if language == "zh-Hant":
        import opencc

        convert = opencc.OpenCC("t2s").convert

    def zipf(char: str) -> float:
        freq = summed.get(convert(char), 0.0)
        return math.log10(freq) + 9 if freq > 0 else 0.0

    return zipf


def band(zipf: float) -> str:
    return next(name for low, name in BANDS if zipf >= low)


def error_types(pairs: list[tuple[str, str]], han: list[tuple[str, bool]], total_chars: int,
                language: str) -> dict[str, Any]:
    """`pairs`: (comparable truth, comparable reading) per line; `han`: (drawn Han character
    the model knows, missed) over all lines; `total_chars`: comparable truth characters, the
    denominator of each band's share of all characters missed ("points")."""
    ops: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    for ref, hyp in pairs:
        for op in Levenshtein.editops(ref, hyp):
            ops[op.tag] += 1
            if op.tag == "replace":
                confusions[(ref[op.src_pos], hyp[op.dest_pos])] += 1
            elif op.tag == "delete":
                confusions[(ref[op.src_pos], "")] += 1
            else:
                confusions[("", hyp[op.dest_pos])] += 1
    zipf = char_zipf(language)
    chars, missed = Counter(), Counter()
    for char, bad in han:
        name = band(zipf(char))
        chars[name] += 1
        missed[name] += bad
    every = sum(chars.values()) or 1
    return {
        "edits": {"substitutions": ops["replace"], "deletions": ops["delete"],
                  "insertions": ops["insert"]},
        "top_confusions": [f"{a or '∅'}>{b or '∅'} {n}" for (a, b), n in
                           confusions.most_common(20)],
        "han_by_zipf": {name: {"share": round(chars[name] / every, 3),
                               "missed": round(missed[name] / chars[name], 3),
                               "points": round(100 * missed[name] / max(1, total_chars), 2)}
                        for _, name in BANDS if chars[name]},
    }
