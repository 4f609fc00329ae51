"""Asking the judges: what each check needs read, one batch per judge, answers back per check.

A plain-text reader (`reads_layout` False, e.g. Tesseract or RapidOCR) answers page-level views
(text, parsing, table_html, spotting) from its readings of the view's own line crops, joined
in the label tree's reading order (`meta.line_indices`), spotting with the label's boxes. Why:
full-page layout analysis was ~80 % of Tesseract's time (4.2 CPU-s a row on 24 clean rows),
and what it got wrong there (two columns merged, a ruling read as '|', a short line dropped)
is the judge's layout, not the text's legibility; the layout of a rendered page is right by
construction, what is in question is whether its text can be read. So a composed check
scores recognition only. A judge that sets `page_from_lines = False` (Tesseract with
`page_reading="layout"`) or reads layout itself (a VLM) is given the whole page as before.

Every distinct crop is read once per judge and page: sampled line checks, field-value crops
and every page view of the page share the readings (a whole page or region asked with a
view's own prompt is asked once per view). The reading itself runs on a `JudgePool`: every
judge's batch cut into units, all units on one set of threads (`qa_factory.judge_pool`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_factory.formats import format_spotting_as, normalised_box
from qa_factory.judge_pool import JudgePool
from qa_factory.judges import JudgeFailure, JudgeProtocol, Request
from qa_factory.judges.crop_prep import line_crop
from qa_factory.prompts import canonical_prompt
from qa_factory.runs import run_line
from synth.page import Line, Page

if TYPE_CHECKING:
    from qa_factory.validate import Check

SPOTTING_TASKS = frozenset({"spotting", "spotting_json", "spotting_plain", "spotting_tokens"})
COMPOSED_TASKS = frozenset({"text", "parsing", "table_html"}) | SPOTTING_TASKS
Key = tuple[Any, ...]
Part = tuple[Key, Callable[[], np.ndarray], Mapping[str, Any]]


def composes(judge: JudgeProtocol) -> bool:
    """Whether this judge answers page views from line crops (see the module docstring)."""
    return not judge.reads_layout and bool(getattr(judge, "page_from_lines", True))


def line_view(page: Page, index: int) -> dict[str, Any]:
    line = page.lines[index]
    return {
        "task": "line",
        "prompt": canonical_prompt("text"),
        "language": line.language or page.language,
        "direction": line.direction,
        "style": line.style,
    }


Item = tuple[int, tuple[int, int] | None]  # a view's item: (row line, run's words or None)


def item_line(page: Page, item: Item) -> Line | None:
    """The line, or the run of a partly hidden line (`qa_factory.runs`), a view item shows."""
    index, span = item
    return page.lines[index] if span is None else run_line(page.lines[index], span)


def _line_part(page: Page, item: Item, judge: JudgeProtocol) -> Part | None:
    line = item_line(page, item)
    if line is None:
        return None
    view = line_view(page, item[0])
    if not judge.supports(view):  # a line in another language: read it as the page's
        view = {**view, "language": page.language}
        if not judge.supports(view):
            return None
    key = ("line", item[0]) if item[1] is None else ("line", item[0], *item[1])
    return key, lambda: line_crop(page.image, line.polygon, line.direction), view


def composed_lines(check: Check, page: Page) -> list[Item] | None:
    """The lines (and runs of partly hidden lines, `meta.word_ranges`) a composed reading of
    this page view reads; None when it is not composable.

    Lines the renderer flagged illegible are not read (a spotting reference marks them as
    don't-care; parsing and text leave them out or write `###`, which no reader writes). A
    view with no line to read (a text-free page) is asked of the whole page instead: answering
    'no text' without looking would not be a judgement."""
    meta = check.view.get("meta") or {}
    if check.task not in COMPOSED_TASKS or "line_indices" not in meta:
        return None
    spans = meta.get("word_ranges") or [None] * len(meta["line_indices"])
    if not isinstance(spans, list) or len(spans) != len(meta["line_indices"]) or not all(
            span is None or _is_range(span) for span in spans):
        return None  # a hand-edited or foreign meta: read the view whole, not a wrong part
    items: list[Item] = []
    for i, span in zip(meta["line_indices"], spans, strict=True):
        if not 0 <= int(i) < len(page.lines):
            continue
        item: Item = (int(i), None if span is None else (int(span[0]), int(span[1])))
        line = item_line(page, item)
        if (line is not None and line.text.strip() and len(line.polygon) >= 3
                and getattr(line, "legible", None) is not False):
            items.append(item)
    return items or None


def _is_range(span: Any) -> bool:
    """A `meta.word_ranges` item: [first, end) word indices, 0 <= first < end."""
    return (isinstance(span, list | tuple) and len(span) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in span)
            and 0 <= span[0] < span[1])


def plan_parts(check: Check, judge: JudgeProtocol, page: Page) -> tuple[str, list[Part]] | None:
    """(how to combine, what to read) for one check and judge; None when it cannot answer."""
    image = page.image
    if check.crop is not None:
        if not judge.supports(check.view):
            return None
        if len(check.lines) == 1 and check.lines[0] < len(page.lines):
            line = page.lines[check.lines[0]]
            if line.polygon:  # the same crop (and reading) as the page views' line
                key: Key = ("line", check.lines[0])
                return "one", [(key, lambda: line_crop(image, line.polygon, line.direction),
                                check.view)]
        box = tuple(check.crop)
        return "one", [(("box", box), lambda: _crop(image, box), check.view)]
    lines = composed_lines(check, page) if composes(judge) else None
    if lines is not None:
        parts = [_line_part(page, i, judge) for i in lines]
        return ("lines", [p for p in parts if p is not None]) if all(parts) else None
    if judge.supports(check.view):
        if check.text_region is not None and not judge.reads_layout:
            region = tuple(check.text_region)
            return "one", [(("box", region, check.name), lambda: _crop(image, region),
                             check.view)]
        return "one", [(("page", check.name), lambda: image, check.view)]  # its own prompt
    field_view = {"task": "line", "prompt": canonical_prompt("text"), "language": page.language}
    if (check.task in ("extraction_key", "extraction_json") and check.field_crops
            and judge.supports(field_view)):
        return "fields", [
            (("box", tuple(box)), _cropper(image, box), field_view) for _, box in check.field_crops
        ]
    return None


def _crop(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return np.ascontiguousarray(image[y0 : max(y0 + 1, y1), x0 : max(x0 + 1, x1)])


def _cropper(image: np.ndarray, box: Sequence[float]) -> Callable[[], np.ndarray]:
    return lambda: _crop(image, box)


def combine(check: Check, page: Page, kind: str, answers: list[str]) -> str:
    """One check's answer from its parts' readings, in the view's answer format."""
    if kind == "fields":
        if check.task == "extraction_json":
            return json.dumps(
                {key: a for (key, _), a in zip(check.field_crops, answers, strict=True)},
                ensure_ascii=False,
            )
        return answers[0]
    if kind == "lines":
        lines = composed_lines(check, page) or []
        if check.task in SPOTTING_TASKS:
            items = [
                (a, normalised_box(item_line(page, i).polygon, page.width, page.height))
                for i, a in zip(lines, answers, strict=True)
                if a.strip()
            ]
            return format_spotting_as(check.task, items)
        return "\n".join(a for a in answers if a.strip())
    return answers[0]


@dataclass
class JudgePlan:
    """What one judge reads for a batch of pages: its requests (each distinct crop once per
    page) and, per check it can answer, which requests make its answer."""

    batch: list[Request] = field(default_factory=list)
    recipes: list[tuple[int, int, str, list[int]]] = field(default_factory=list)


def plan_judge(judge: JudgeProtocol, work: Sequence[tuple[Page, list[Check]]]) -> JudgePlan:
    plan = JudgePlan()
    where: dict[tuple[int, Key], int] = {}
    for p, (page, checks) in enumerate(work):
        for c, check in enumerate(checks):
            planned = plan_parts(check, judge, page)
            if planned is None:
                continue
            kind, parts = planned
            positions = []
            for key, make, view in parts:
                if (p, key) not in where:
                    where[(p, key)] = len(plan.batch)
                    plan.batch.append((make(), view))
                positions.append(where[(p, key)])
            plan.recipes.append((p, c, kind, positions))
    return plan


def outcomes(
    plan: JudgePlan, results: Sequence[str | JudgeFailure], work: Sequence[tuple[Page, list[Check]]]
) -> list[list[str | JudgeFailure | None]]:
    """One judge's outcome for every check of every page: its answer, a failure, or None."""
    out: list[list[str | JudgeFailure | None]] = [[None] * len(checks) for _, checks in work]
    for p, c, kind, positions in plan.recipes:
        part = [results[k] for k in positions]
        failures = [r for r in part if isinstance(r, JudgeFailure)]
        page, checks = work[p]
        out[p][c] = failures[0] if failures else combine(
            checks[c], page, kind, [str(r) for r in part]
        )
    return out


def run_judges(
    work: Sequence[tuple[Page, list[Check]]], judges: Sequence[JudgeProtocol],
    pool: JudgePool | None = None,
) -> list[list[dict[str, Any]]]:
    """Every judge's raw outcome for every check (None: cannot answer). The reading runs on
    `pool` (all judges' units on its threads); without one, in the calling thread."""
    plans = [plan_judge(judge, work) for judge in judges]
    jobs = [(judge, plan.batch) for judge, plan in zip(judges, plans, strict=True)]
    if pool is None:
        with JudgePool(1) as own:
            answers = own.answer(jobs)
    else:
        answers = pool.answer(jobs)
    per_judge = [outcomes(plan, results, work)
                 for plan, results in zip(plans, answers, strict=True)]
    return [
        [
            {judge.name: per[p][c] for judge, per in zip(judges, per_judge, strict=True)}
            for c in range(len(checks))
        ]
        for p, (_, checks) in enumerate(work)
    ]
