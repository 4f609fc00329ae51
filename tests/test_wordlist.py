"""synth.wordlist: a vocabulary as one string reads back word for word, as the tuple did."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from synth.wordlist import WordList, compact_words


def test_words_read_back_as_the_tuple_did() -> None:
    words = ("the", "", "naïve", "日本語", "𝔘𝔫𝔦", "שלום", "a-b'c")
    compact = WordList(words)
    assert len(compact) == len(words)
    assert [compact[i] for i in range(len(words))] == list(words)
    assert [compact[-i] for i in range(1, len(words) + 1)] == [words[-i] for i in range(1, 8)]
    assert compact[2:5] == words[2:5] and compact[:3] == words[:3] and compact[::2] == words[::2]
    assert list(compact) == list(words) and compact == words and bool(compact)
    with pytest.raises(IndexError):
        compact[len(words)]
    idx = np.array([0, 3, 6])  # drawn indices come as numpy integers
    assert [compact[int(i)] for i in idx] == ["the", "日本語", "a-b'c"]


def test_empty_and_separator_cases() -> None:
    assert len(WordList([])) == 0 and list(WordList([])) == [] and not WordList([])
    assert list(WordList([""])) == [""]
    odd = compact_words(["a\0b", "c"])  # a word with the separator stays a tuple
    assert odd == ("a\0b", "c") and isinstance(odd, tuple)


def test_one_string_is_smaller_than_the_word_objects() -> None:
    words = [f"wörd{i}" for i in range(40_000)]
    as_objects = sum(sys.getsizeof(w) for w in words) + sys.getsizeof(tuple(words))
    assert WordList(words).nbytes() < as_objects / 4


def test_every_slice_matches_the_tuple() -> None:
    """Slices are cut from the joined string: every start, stop and step, empty words too."""
    words = ("", "a", "", "", "naïve", "日本語", "")
    compact = WordList(words)
    for start in range(-9, 10):
        for stop in [*range(-9, 10), None]:
            for step in (None, 1, 2, -1, -3):
                assert compact[start:stop:step] == words[start:stop:step], (start, stop, step)
    with pytest.raises(ValueError, match="separator"):
        WordList(["a", "b\0c"])


def test_joined_word_searches_agree_with_word_by_word() -> None:
    """holding_any / first_holders / without (the vocabulary filter's and target index's
    C-speed searches) give what a loop over the words gives; a word with the separator: None."""
    from synth.wordlist import first_holders, holding_any, joined_words, without

    words = ["ab", "b", "", "cab", "ba", "ccc", "a", "abab"]
    assert holding_any(words, {"a"}) == [i for i, w in enumerate(words) if "a" in w]
    assert holding_any(words, {"c", "b"}) == [i for i, w in enumerate(words) if set(w) & {"b", "c"}]
    assert holding_any(words, set()) == [] and holding_any(["a\0b"], {"a"}) is None
    joined = joined_words(words)
    assert joined is not None
    assert first_holders("ab", *joined) == [0, 3, 7]  # "abab" once, no match across words
    assert first_holders("a", *joined, 2) == [0, 3]
    assert first_holders("a", *joined, 40, joined[1][4]) == [4, 6, 7]
    assert first_holders("ba", *joined) == [4, 7]
    assert without(words, [0, 2, 7]) == ["b", "cab", "ba", "ccc", "a"]
