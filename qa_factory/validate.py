"""Cross-validation: ask judges the views' questions, score them, and label each view.

References are right by construction (they come from the label tree), so judges do not decide
truth; they decide difficulty. Per check each judge that can answer gets a score against the
reference (and `ok` when it reaches the task's threshold); `consensus` is their mean score
and `cross` how alike the judges' own readings are. A check is
- `verified`: at least k judges and a strict majority of those that answered read the reference;
- `disputed`: some judge read it but the others did not (a weak judge, or a hard crop);
- `hard`: no judge read it but the text is there to read (hard-example mining, capped);
- `unreadable`: every judge far off and the text is not really there any more (out of frame,
  a low-contrast crop, or lines the renderer flagged `legible: false`);
- `unvalidated`: a judge that should have answered failed (server down, timeout, engine
  error: recorded per judge in `unanswered`, never a verdict; `polyglyph validate` does not
  record such shards as done, so a rerun asks again), or fewer than k judges could answer;
- `unchecked`: no judge can answer that task.
Besides the views, a few sampled (legible) lines are read as crops: cheap, and they localise
damage a whole-page score averages away.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from qa_factory.judge_pool import JudgePool
from qa_factory.judges import JudgeFailure, JudgeProtocol
from qa_factory.judges.crop_prep import crop_box
from qa_factory.judging import run_judges  # noqa: F401 (re-exported)
from qa_factory.prompts import canonical_prompt
from qa_factory.rule_ranges import check_rules
from qa_factory.scoring import score_answer
from qa_factory.verdicts import (  # noqa: F401 (re-exported: callers import them from here)
    NOT_FAILURES,
    QUOTA_STATUSES,
    STATUS_ORDER,
    check_status,
    cross_agreement,
    select_kept,
    summarise,
)
from synth.page import Page

DEFAULT_AGREE = {
    "spotting": 0.8,
    "spotting_json": 0.8,
    "spotting_plain": 0.8,
    "spotting_tokens": 0.8,
    "parsing": 0.85,
    "table_html": 0.85,
    "text": 0.85,
    "line": 0.85,
    "extraction_key": 0.9,
    "extraction_json": 0.9,
    "reasoning": 1.0,
    "translation": 0.5,
}
FURNITURE_ROLES = frozenset({"header", "footer", "page-number"})  # left out of parsing


@dataclass(frozen=True)
class ValidationRules:
    k: int = 1  # judges that must agree for `verified`
    agree: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_AGREE))
    far: float = 0.5  # below this every judge is "far off"
    min_visible: float = 0.5  # lines less visible than this are not readable truth
    low_contrast: float = 0.15  # (p95 − p5)/255 of a line crop below this is unreadable
    line_checks: int = 4  # sampled line crops read per page
    hard_share: float = 0.3  # at most this share of kept rows are `hard`
    tasks: tuple[str, ...] = tuple(DEFAULT_AGREE)

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> ValidationRules:
        names = {f.name for f in fields(ValidationRules)}
        data = dict(data or {})
        unknown = sorted(set(data) - names)
        if unknown:
            raise PolyglyphError(
                f"unknown validation rule(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        check_rules(data)
        if "agree" in data:
            data["agree"] = {**DEFAULT_AGREE, **data["agree"]}
        if "tasks" in data:
            data["tasks"] = tuple(data["tasks"])
        return ValidationRules(**data)


@dataclass
class Check:
    name: str  # "view:<index>" or "line:<index>"
    task: str
    reference: str
    view: dict[str, Any]  # request view: task, prompt, language, meta
    lines: list[int]
    crop: list[float] | None = None  # pixel box when the check reads a crop
    field_crops: list[tuple[str, list[float]]] = field(default_factory=list)
    text_region: list[float] | None = None  # what a plain-text reader should read (a table)
    furniture: list[str] = field(default_factory=list)  # drawn, not in the reference (parsing)


def crop(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    region = image[y0 : max(y0 + 1, y1), x0 : max(x0 + 1, x1)]
    return np.ascontiguousarray(region)


def crop_contrast(image: np.ndarray, box: Sequence[float]) -> float:
    """(p95 − p5) / 255 of the gray crop: ink against paper, robust to a few stray pixels."""
    region = crop(image, box).astype(np.float32)
    if region.size == 0:
        return 0.0
    gray = region.mean(axis=2) if region.ndim == 3 else region
    lo, hi = np.percentile(gray, [5, 95])
    return float((hi - lo) / 255.0)


def plan_checks(
    page: Page, views: Sequence[Mapping[str, Any]], rules: ValidationRules, rng: np.random.Generator
) -> list[Check]:
    """The checks of one page: its views (tasks in `rules.tasks`) plus sampled line crops."""
    checks = []
    for i, view in enumerate(views):
        if view["task"] not in rules.tasks:
            continue
        meta = json.loads(view.get("meta") or "{}")
        request = {
            "task": view["task"],
            "prompt": view["prompt"],
            "language": page.language,
            "scene": page.scene,
            "meta": meta,
        }
        lines = [int(j) for j in meta.get("line_indices", []) if 0 <= int(j) < len(page.lines)]
        field_crops = []
        for j in meta.get("field_indices", []):
            f = page.fields[int(j)]
            if f.value_polygon:
                field_crops.append((f.key, crop_box(f.value_polygon, page.width, page.height)))
                lines += [
                    k
                    for k, ln in enumerate(page.lines)
                    if ln.role == "field-value" and ln.text.strip() == f.value.strip()
                ]
        region = None
        if view["task"] == "table_html" and page.tables:
            table = page.tables[int(meta.get("table_index", 0))]
            region = (
                crop_box(table.polygon, page.width, page.height, margin=0.0)
                if table.polygon
                else None
            )
        furniture = (
            [ln.text for ln in page.lines if ln.role in FURNITURE_ROLES and ln.visible >= 0.5]
            if view["task"] == "parsing"
            else []
        )
        checks.append(
            Check(
                f"view:{i}",
                view["task"],
                view["answer"],
                request,
                lines,
                None,
                field_crops,
                region,
                furniture,
            )
        )
    candidates = [
        i
        for i, ln in enumerate(page.lines)
        if ln.text.strip() and ln.polygon and getattr(ln, "legible", None) is not False
    ]
    if rules.line_checks > 0 and candidates:
        chosen = sorted(int(c) for c in rng.permutation(candidates)[: rules.line_checks])
        for i in chosen:
            line = page.lines[i]
            request = {
                "task": "line",
                "prompt": canonical_prompt("text"),
                "language": line.language or page.language,
                "direction": line.direction,
                "style": line.style,
            }
            box = crop_box(line.polygon, page.width, page.height)
            checks.append(Check(f"line:{i}", "line", line.text.strip(), request, [i], box))
    return checks


def _unreadable_looking(
    page: Page, lines: list[int], rules: ValidationRules, contrasts: dict[int, float]
) -> tuple[bool, float | None]:
    """Whether most of the lines look unreadable, and their median contrast; `contrasts`
    caches each line's contrast across the checks of a page (a line is in many views)."""
    if not lines:
        return False, None
    flags, values = [], []
    for i in lines:
        line = page.lines[i]
        if i not in contrasts:
            contrasts[i] = (
                crop_contrast(page.image, crop_box(line.polygon, page.width, page.height))
                if line.polygon
                else 0.0
            )
        values.append(contrasts[i])
        flags.append(
            line.visible < rules.min_visible
            or contrasts[i] < rules.low_contrast
            or getattr(line, "legible", None) is False
        )
    return float(np.mean(flags)) >= 0.5, round(float(np.median(values)), 4)


def score_check(
    page: Page,
    check: Check,
    outcome: Mapping[str, Any],
    rules: ValidationRules,
    order_free: frozenset[str] = frozenset(),
    contrasts: dict[int, float] | None = None,
) -> dict[str, Any]:
    """Score every judge's outcome for one check and label it; `order_free` names plain readers."""
    per_judge: dict[str, Any] = {}
    scores, oks = [], []
    threshold = rules.agree.get(check.task, 0.85)
    for name, result in outcome.items():
        if result is None:
            per_judge[name] = {"answer": None, "score": None, "ok": None, "error": "unsupported"}
        elif isinstance(result, JudgeFailure):
            per_judge[name] = {
                "answer": None,
                "score": None,
                "ok": None,
                "error": result.error_class,
            }
        else:
            meta = check.view.get("meta")
            plain = name in order_free
            score = score_answer(
                check.task, check.reference, result, meta, plain, check.furniture if plain else ()
            )
            score = round(float(score), 4)
            ok = score >= threshold
            scores.append(score)
            oks.append(ok)
            per_judge[name] = {"answer": result, "score": score, "ok": ok}
    looks_unreadable, contrast = _unreadable_looking(
        page, check.lines, rules, {} if contrasts is None else contrasts
    )
    unanswered = sorted(
        n for n, v in per_judge.items() if v.get("error") not in (None, *NOT_FAILURES)
    )
    illegible = bool(check.lines) and all(
        getattr(page.lines[i], "legible", None) is False for i in check.lines
    )
    status = check_status(scores, oks, unanswered, rules, looks_unreadable, illegible)
    answers = [v["answer"] for v in per_judge.values() if v.get("answer") is not None]
    return {
        "check": check.name,
        "task": check.task,
        "judges": per_judge,
        "agreement": round(float(np.mean(oks)), 4) if oks else None,
        "consensus": round(float(np.mean(scores)), 4) if scores else None,
        "cross": cross_agreement(answers) if len(answers) > 1 else None,
        "difficulty": round(1.0 - float(np.mean(scores)), 4) if scores else None,
        **({"unanswered": unanswered} if unanswered else {}),
        "contrast": contrast,
        "status": status,
        "handwritten": any(page.lines[i].style == "handwritten" for i in check.lines),
        **({"style": check.view["style"]} if "style" in check.view else {}),
    }


def validate_pages(
    items: Sequence[tuple[Page, Sequence[Mapping[str, Any]], np.random.Generator]],
    judges: Sequence[JudgeProtocol],
    rules: ValidationRules | None = None,
    pool: JudgePool | None = None,
) -> list[dict[str, Any]]:
    """Validate several pages in one judge batch: {validation, difficulty, agreement, status}
    each. The judges read on `pool`'s threads (`qa_factory.judge_pool`), or in this thread."""
    rules = rules or ValidationRules()
    work = [(page, plan_checks(page, views, rules, rng)) for page, views, rng in items]
    outcomes = run_judges(work, judges, pool)
    order_free = frozenset(j.name for j in judges if not j.reads_layout)
    out = []
    for (page, checks), page_outcomes in zip(work, outcomes, strict=True):
        contrasts: dict[int, float] = {}
        results = [
            score_check(page, c, o, rules, order_free, contrasts)
            for c, o in zip(checks, page_outcomes, strict=True)
        ]
        status, difficulty, agreement = summarise(results)
        unanswered = sorted({n for r in results for n in r.get("unanswered", ())})
        validation = {
            "judges": [j.name for j in judges],
            **({"unanswered": unanswered} if unanswered else {}),
            "status": status,
            "difficulty": difficulty,
            "agreement": agreement,
            "checks": results,
        }
        out.append(
            {
                "validation": validation,
                "difficulty": difficulty,
                "agreement": agreement,
                "status": status,
                "unanswered": unanswered,
            }
        )
    return out


def validate_page(
    page: Page,
    views: Sequence[Mapping[str, Any]],
    judges: Sequence[JudgeProtocol],
    rules: ValidationRules | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Inline use from generation: one page, cheap judges."""
    rng = rng if rng is not None else np.random.Generator(np.random.PCG64(0))
    return validate_pages([(page, views, rng)], judges, rules)[0]


def row_columns(result: Mapping[str, Any]) -> dict[str, Any]:
    """The added output columns of one validated row (inline use from generation, or the pass)."""
    validation = json.dumps(
        result["validation"], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return {
        "validation": validation,
        "difficulty": result["difficulty"],
        "agreement": result["agreement"],
        "status": result["status"],
    }


def rules_record(rules: ValidationRules) -> dict[str, Any]:
    record = asdict(rules)
    record["agree"] = dict(rules.agree)
    record["tasks"] = list(rules.tasks)
    return record
