"""How close a judge's answer is to a view's reference, as a score in [0, 1] per task.

Text-like tasks use 1 − normalised edit distance (NFKC, whitespace folded). Spotting matches
boxes by IoU and scores the matched texts, so missed and invented lines both cost. Extraction
and reasoning are exact after normalisation (numbers compare by value, so '22.75' equals
'22,75 EUR').
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from qa_factory.formats import (
    ascii_digits,
    cells_to_grid,
    is_no_text,
    markdown_to_text,
    parse_html_table,
    parse_json_answer,
    parse_number,
    parse_spotting_any,
)
from qa_factory.textmetrics import bag_similarity, match_spotting, normalise_text, text_similarity

SPOTTING_TASKS = frozenset({"spotting", "spotting_json", "spotting_plain", "spotting_tokens"})


def _spotting_items(answer: str) -> list[tuple[str, list[int]]]:
    return parse_spotting_any(answer)


def _spotting_score(reference: str, answer: str) -> float:
    """IoU-matched line score; a no-text reference is met by a no-text (or empty) answer."""
    if is_no_text(reference):
        return 1.0 if is_no_text(answer) or not _spotting_items(answer) else 0.0
    if is_no_text(answer):
        return 0.0
    return match_spotting(_spotting_items(reference), _spotting_items(answer))[0]


def _layout_score(reference: str, answer: str) -> float:
    """Regions matched by box like spotting lines; a region's text is its category + text, so
    a wrong category costs like a misread word."""
    from qa_factory.layout import parse_layout_any

    def items(text: str) -> list[tuple[str, list[int]]]:
        return [(f"{i.category} {i.text}", i.box) for i in parse_layout_any(text)]

    return match_spotting(items(reference), items(answer))[0]


_PLAIN_NUMBER = re.compile(r"[-+]?\d[\d.,'\s]*")


def is_plain_number(text: str) -> bool:
    """A bare number (any digit system, any marks) compares by value, not by characters."""
    return bool(_PLAIN_NUMBER.fullmatch(ascii_digits(normalise_text(text))))


def _same_value(reference: str, answer: str) -> float:
    ref, ans = normalise_text(reference).casefold(), normalise_text(answer).casefold()
    if ref == ans or ref == ans.strip(" .。"):
        return 1.0
    if is_plain_number(ref):
        return 1.0 if parse_number(ans) == parse_number(ref) else 0.0
    return text_similarity(ref, ans)


def _table_score(reference: str, answer: str) -> float:
    ref_cells, ans_cells = parse_html_table(reference), parse_html_table(answer)
    if not ans_cells:  # a plain-text reader: compare the cell texts in row order
        return text_similarity(markdown_to_text(reference), answer)
    ref_grid, ans_grid = cells_to_grid(ref_cells), cells_to_grid(ans_cells)
    rows = max(len(ref_grid), len(ans_grid))
    cols = max(len(ref_grid[0]) if ref_grid else 0, len(ans_grid[0]) if ans_grid else 0)
    if rows == 0 or cols == 0:
        return 0.0
    total = 0.0
    for r in range(rows):
        for c in range(cols):
            a = ref_grid[r][c] if r < len(ref_grid) and c < len(ref_grid[r]) else None
            b = ans_grid[r][c] if r < len(ans_grid) and c < len(ans_grid[r]) else None
            if a is not None and b is not None:
                total += 1.0 if not a and not b else text_similarity(a, b)
    return total / (rows * cols)


def _json_fields_score(reference: str, answer: str) -> float:
    ref, ans = parse_json_answer(reference), parse_json_answer(answer)
    if not isinstance(ref, dict) or not ref:
        return 0.0
    if not isinstance(ans, dict):
        return 0.0
    return float(np.mean([_same_value(str(v), str(ans.get(k, ""))) for k, v in ref.items()]))


def _reasoning_score(reference: str, answer: str) -> float:
    if is_plain_number(reference):
        return 1.0 if parse_number(answer) == parse_number(reference) else 0.0
    ref, ans = normalise_text(reference).casefold(), normalise_text(answer).casefold()
    if ref in ("yes", "no", "是", "否"):
        first = ans.strip(" .。!").split(" ")[0].strip(",.。") if ans else ""
        return 1.0 if first == ref or ans.startswith(ref) else 0.0
    return 1.0 if ref == ans or ref in ans else 0.0


ORDER_FREE_TASKS = frozenset({"text", "parsing", "table_html"})


_MATH = re.compile(r"\$\$?(.+?)\$\$?", re.S)
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def math_as_plain(text: str) -> str:
    """`$...$` / `$$...$$` spans as the characters a plain-text reader can see: TeX commands,
    braces, `^` and `_` dropped (`$y^{9}$` -> `y9`, `$\\frac{1}{7}$` -> `17`)."""
    def plain(match: re.Match[str]) -> str:
        body = _TEX_COMMAND.sub("", match.group(1))
        return re.sub(r"[{}^_\s\\]", "", body)

    return _MATH.sub(plain, text or "")


def without_furniture(answer: str, furniture: Sequence[str], min_similarity: float = 0.8) -> str:
    """The answer's lines minus those that spell a page header, footer or page number.

    The parsing reference leaves page furniture out; a plain-text reader cannot tell a running
    header from a heading, so what it read of the furniture is neither credited nor charged.
    """
    if not furniture:
        return answer
    kept = [
        line
        for line in answer.splitlines()
        if not any(text_similarity(f, line) >= min_similarity for f in furniture if f.strip())
    ]
    return "\n".join(kept)


def score_answer(
    task: str,
    reference: str,
    answer: str,
    meta: dict[str, Any] | None = None,
    order_free: bool = False,
    furniture: Sequence[str] = (),
) -> float:
    """Similarity of a judge's answer to the reference for one task, in [0, 1].

    `order_free` is for plain-text readers (Tesseract) on page tasks: their block order (a
    table read column by column) is layout analysis, not reading, so the score is the better
    of the ordered similarity and the token-multiset F1. `furniture` (parsing only): the
    drawn header/footer/page-number lines, see `without_furniture`.
    """
    if task == "parsing" and furniture:
        answer = without_furniture(answer, furniture)
    if order_free and task in ORDER_FREE_TASKS:
        reference = math_as_plain(reference)  # a plain-text reader cannot write LaTeX
        ordered = score_answer(task, reference, answer, meta)
        plain_ref = markdown_to_text(reference) if task != "text" else reference
        return max(ordered, bag_similarity(plain_ref, markdown_to_text(answer)))
    if task in SPOTTING_TASKS:
        return _spotting_score(reference, answer)
    if task in ("layout", "layout_json"):
        return _layout_score(reference, answer)
    if task == "parsing":
        return text_similarity(markdown_to_text(reference), markdown_to_text(answer))
    if task == "table_html":
        return _table_score(reference, answer)
    if task == "extraction_key":
        return _same_value(reference, answer)
    if task == "extraction_json":
        return _json_fields_score(reference, answer)
    if task == "reasoning":
        return _reasoning_score(reference, answer)
    return text_similarity(reference, answer)  # text, line, translation
