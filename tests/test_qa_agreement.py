"""Agreement across judges: per-script comparison, check statuses, the keep quota, rapidfuzz.

The judges here are real (Tesseract through tesserocr or the CLI, RapidOCR with its packaged
ONNX weights) reading real renders; the pure parts are pinned on the exact strings a judge
produced (issue 19: Tesseract read the card line '第一 184' as '第一184').
"""

from __future__ import annotations

import numpy as np
import pytest

from qa_factory.textmetrics import comparable_text, levenshtein, text_similarity
from qa_factory.validate import ValidationRules, check_status, select_kept


def _reference_levenshtein(a: str, b: str) -> int:
    """The bit-parallel (Myers/Hyyrö) edit distance the project used before rapidfuzz."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    peq: dict[str, int] = {}
    for i, ch in enumerate(b):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    mask, high = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for ch in a:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def test_rapidfuzz_gives_the_same_distances_as_the_hand_written_code() -> None:
    rng = np.random.Generator(np.random.PCG64(19))
    alphabet = list("abcde ,.") + list("第一人自由") + ["\U0001f600", "ق", "ب"]
    for _ in range(400):
        a = "".join(rng.choice(alphabet, size=int(rng.integers(0, 90))))
        b = list(a)
        for _ in range(int(rng.integers(0, 12))):  # related strings: a few edits apart
            if b and rng.random() < 0.5:
                b.pop(int(rng.integers(0, len(b))))
            else:
                b.insert(int(rng.integers(0, len(b) + 1)), str(rng.choice(alphabet)))
        b = "".join(b) if rng.random() < 0.8 else "".join(rng.choice(alphabet, size=70))
        assert levenshtein(a, b) == _reference_levenshtein(a, b), (a, b)
    long = "x" * 3000 + "y"
    assert levenshtein(long, long[::-1]) == _reference_levenshtein(long, long[::-1]) == 2


def test_cjk_spacing_is_not_an_error_but_latin_word_spacing_is() -> None:
    assert text_similarity("第一 184", "第一184") == 1.0
    assert text_similarity("人人生而自由。他们", "人人生而自由.他们") == 1.0
    assert text_similarity("すべての 人間は", "すべての人間は") == 1.0
    assert text_similarity("Total : 12 , ok", "Total: 12, ok") == 1.0
    assert text_similarity("together", "to gether") < 1.0
    assert text_similarity("세계 인권", "세계인권") < 1.0  # Korean is written with spaces
    assert comparable_text("第一 184") == "第一184"


def test_space_only_disagreement_is_verified_not_hard() -> None:
    """The issue's card: Tesseract's '第一184' for '第一 184' is a verified line."""
    from qa_factory.scoring import score_answer

    rules = ValidationRules()
    score = score_answer("line", "第一 184", "第一184")
    ok = score >= rules.agree["line"]
    assert score == 1.0 and check_status([score], [ok], [], rules, False) == "verified"


def test_statuses_from_two_judges() -> None:
    rules = ValidationRules()
    assert check_status([1.0, 0.95], [True, True], [], rules, False) == "verified"
    assert check_status([1.0, 0.40], [True, False], [], rules, False) == "disputed"
    assert check_status([0.6, 0.40], [False, False], [], rules, False) == "hard"
    assert check_status([0.1, 0.2], [False, False], [], rules, True) == "unreadable"
    # the renderer flagged the lines illegible: a partial reading is not a hard example
    assert check_status([0.7], [False], [], rules, False, illegible=True) == "unreadable"
    # a judge that failed gives no verdict, whatever the others said
    assert check_status([1.0], [True], ["openai"], rules, False) == "unvalidated"
    assert check_status([], [], [], rules, False) == "unchecked"
    # k=2 with one judge able to answer: not enough judges, not a verdict against the row
    assert check_status([1.0], [True], [], ValidationRules(k=2), False) == "unvalidated"


def test_quota_never_drops_a_verified_row_while_keeping_a_disputed_one() -> None:
    rng = np.random.Generator(np.random.PCG64(21))
    kinds = ["verified", "disputed", "hard", "unreadable", "unvalidated", "unchecked"]
    for _ in range(300):
        n = int(rng.integers(1, 30))
        statuses = [str(s) for s in rng.choice(kinds, size=n)]
        diffs = [float(d) for d in rng.random(n)]
        share = float(rng.choice([0.0, 0.1, 0.3, 0.5, 0.99, 1.0]))
        keep = select_kept(statuses, diffs, share)
        kept = [s for s, k in zip(statuses, keep, strict=True) if k]
        assert all(k for s, k in zip(statuses, keep, strict=True) if s == "verified")
        assert "unreadable" not in kept
        if any(not k for s, k in zip(statuses, keep, strict=True) if s == "disputed"):
            assert "hard" not in kept  # a hard row never takes a disputed row's place
        quota = sum(s in ("disputed", "hard") for s in kept)
        if share < 1.0:
            assert quota <= share / (1.0 - share) * (len(kept) - quota) + 1e-9
    # the case: a verified card and a harder disputed table, quota for nothing
    assert select_kept(["verified", "disputed"], [0.05, 0.6], 0.0) == [True, False]


def test_rapidocr_covers_its_packaged_languages_only() -> None:
    pytest.importorskip("rapidocr")
    from qa_factory.judges import get_judge

    judge = get_judge("rapidocr")
    for language in ("en", "zh-Hans", "ja", "fr", "vi", "sr-Latn"):
        assert judge.supports({"task": "line", "language": language}), language
    for language in ("ar", "hi", "ru", "ko", "sr", "th"):
        assert not judge.supports({"task": "line", "language": language}), language
    assert not judge.supports({"task": "text", "language": "en"})
    assert all(p.is_file() and "rapidocr" in str(p) for p in judge.models.values())
