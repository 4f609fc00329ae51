"""Verdicts: how judges' scores become a check's status, a page's status, and `keep`.

Pure functions of the numbers `qa_factory.validate` gathers (see its docstring for what each
status means), kept apart so the rules can be read, and tested, in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_factory.textmetrics import text_similarity

if TYPE_CHECKING:
    from qa_factory.validate import ValidationRules

STATUS_ORDER = ("unreadable", "hard", "disputed", "unvalidated", "verified", "unchecked")
NOT_FAILURES = frozenset({"unsupported", "unsupported_language", "unsupported_task"})


def check_status(
    scores: Sequence[float],
    oks: Sequence[bool],
    unanswered: Sequence[str],
    rules: ValidationRules,
    looks_unreadable: bool,
    illegible: bool = False,
) -> str:
    """The label of one check from its judges' scores (see the module docstring)."""
    if unanswered:
        return "unvalidated"  # no verdict while a judge that should answer has not
    if not scores:
        return "unchecked"
    agree = sum(oks)
    if agree >= rules.k and 2 * agree > len(oks):
        return "verified"
    if agree == len(oks):  # every judge that answered agrees, but fewer than k could answer
        return "unvalidated"
    if agree:
        return "disputed"
    if illegible or (max(scores) < rules.far and looks_unreadable):
        return "unreadable"  # the renderer's legibility flag is the label's own word
    return "hard"


def cross_agreement(answers: Sequence[str]) -> float:
    """The lowest similarity between any two judges' readings: do the readers see the same?"""
    sims = [
        text_similarity(a, b) for i, a in enumerate(answers) for b in answers[i + 1 :]
    ]
    return round(float(min(sims)), 4)


def summarise(results: list[dict[str, Any]]) -> tuple[str, float | None, float | None]:
    """Page status (worst check first), mean difficulty and mean agreement of scored checks."""
    statuses = {r["status"] for r in results}
    status = next((s for s in STATUS_ORDER if s in statuses), "unchecked")
    diffs = [r["difficulty"] for r in results if r["difficulty"] is not None]
    agreements = [r["agreement"] for r in results if r["agreement"] is not None]
    difficulty = round(float(np.mean(diffs)), 4) if diffs else None
    agreement = round(float(np.mean(agreements)), 4) if agreements else None
    return status, difficulty, agreement


QUOTA_STATUSES = ("disputed", "hard")  # kept only within `hard_share`, in this order


def select_kept(
    statuses: Sequence[str], difficulties: Sequence[float | None], hard_share: float
) -> list[bool]:
    """Which rows to keep: never `unreadable`; `disputed` and `hard` rows up to the share.

    Every other row (verified, unvalidated, unchecked) is kept whatever the quota, so the
    quota can never drop a verified row. Within the quota disputed rows (some judge read them:
    the label is readable) come before hard ones, and the hardest first within each. The share
    is of the kept rows, so 0.3 means at most 3 quota rows per 7 others.
    """
    keep = [s not in ("unreadable", *QUOTA_STATUSES) for s in statuses]
    quota = [i for i, s in enumerate(statuses) if s in QUOTA_STATUSES]
    others = sum(keep)
    if hard_share >= 1.0:
        limit = len(quota)
    else:
        limit = int(np.floor(hard_share / max(1e-9, 1.0 - hard_share) * others + 1e-9))
    quota.sort(
        key=lambda i: (QUOTA_STATUSES.index(statuses[i]), -(difficulties[i] or 0.0), i)
    )
    for i in quota[:limit]:
        keep[i] = True
    return keep
