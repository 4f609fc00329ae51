"""Task views of one page: the {task, prompt, answer} entries of a row's `tasks` column.

Every answer is derived from the label tree (what was drawn), never from OCR, so it is right by
construction; judges only tell how hard it is to read. Task mix weights work per page: a weight
w gives floor(w) views of that task plus one more with probability frac(w), when the page can
support the task (no fields → no extraction). Each task draws from its own child Generator, so
changing one weight never changes the views of another task.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from qa_factory.formats import (
    NO_TEXT,
    SPOTTING_WRITERS,
    format_spotting_as,
    normalised_box,
    table_html,
)
from qa_factory.illegible import origin_meta, resolve_illegible
from qa_factory.layout import format_layout, format_layout_json, layout_items
from qa_factory.markdown import (
    DEFAULT_MIN_VISIBLE,
    marked,
    page_markdown,
    page_plain_text,
    readable,
    visible_lines,
)
from qa_factory.prompts import pick_prompt
from qa_factory.reasoning import reasoning_candidates
from qa_factory.runs import Origin, split_page
from qa_factory.translation import translation_view
from synth.page import Page, Region
from synth.rng import child_rng

TASKS = (
    "spotting",
    "spotting_json",
    "spotting_plain",
    "spotting_tokens",
    "parsing",
    "table_html",
    "text",
    "layout",
    "layout_json",
    "formula",
    "chart",
    "extraction_key",
    "extraction_json",
    "reasoning",
    "translation",
    "stamp",
    "subtitles",
)
DEFAULT_TASK_MIX: dict[str, float] = {
    "spotting": 1.0,
    "spotting_json": 0.3,
    "spotting_plain": 0.15,
    "spotting_tokens": 0.15,
    "parsing": 1.0,
    "table_html": 1.0,
    "text": 0.5,
    "layout": 0.5,
    "layout_json": 0.3,
    "formula": 1.0,
    "chart": 1.0,
    "extraction_key": 1.0,
    "extraction_json": 0.7,
    "reasoning": 1.5,
    "translation": 1.0,
    "stamp": 1.0,  # pages with a readable stamp only
    "subtitles": 1.0,
}
SINGLE_ANSWER_TASKS = frozenset(
    {*SPOTTING_WRITERS, "parsing", "table_html", "text", "layout", "layout_json", "formula", "chart",
     "translation", "stamp", "subtitles"}
)
def resolve_task_mix(task_mix: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults overlaid with the config's weights; an unknown task name is a user error."""
    mix = dict(DEFAULT_TASK_MIX)
    for task, weight in (task_mix or {}).items():
        if task not in TASKS:
            raise PolyglyphError(
                f"unknown task {task!r} in task mix; choose from {', '.join(TASKS)}"
            )
        if not isinstance(weight, int | float) or weight < 0:
            raise PolyglyphError(
                f"task mix weight for {task!r} must be a number >= 0, got {weight!r}"
            )
        mix[task] = float(weight)
    return mix


def _view(task: str, prompt: str, answer: str, meta: dict[str, Any]) -> dict[str, str]:
    return {
        "task": task,
        "prompt": prompt,
        "answer": answer,
        "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True),
    }


def _spotting_items(page: Page, indices: list[int]) -> list[tuple[str, list[int]]]:
    return [
        (page.lines[i].text.strip(), normalised_box(page.lines[i].polygon, page.width, page.height))
        for i in indices
    ]


def _stamps(page: Page, min_visible: float) -> list[int]:
    """Regions of kind `stamp` whose text is drawn and readable: drawn text, so the spotting
    and text answers include it; parsing (the main body) leaves stamps out."""
    return [i for i, r in enumerate(page.regions)
            if r.kind == "stamp" and r.text.strip() and r.polygon and r.visible >= min_visible
            and r.legible is not False]


def _with_stamps(meta: dict[str, Any], stamps: list[int]) -> dict[str, Any]:
    return {**meta, "region_indices": stamps} if stamps else meta


def has_no_text(page: Page) -> bool:
    """True when nothing on the page is text: no line is drawn at all (not merely hard to read;
    a page whose lines are all too faint is left without spotting views instead)."""
    return not any(ln.visible > 0 and ln.text.strip() for ln in page.lines) and not any(
        r.visible > 0 and r.text.strip() for r in page.regions)


def sole_region(page: Page, kind: str, min_visible: float) -> Region | None:
    """The one region of `kind` a "the formula/chart in the image" prompt can mean: exactly one
    on the page, wholly in frame, and no running text around it (lines inside a chart region
    are its own labels)."""
    regions = [r for r in page.regions if r.kind == kind and r.visible > 0]
    if len(regions) != 1 or regions[0].visible < 0.99:
        return None
    own = set(regions[0].attributes.get("line_indices", []))
    for i, line in enumerate(page.lines):
        if line.visible > 0 and line.text.strip() and i not in own:
            return None
    if any(page.lines[i].visible < min_visible for i in own if 0 <= i < len(page.lines)):
        return None
    return regions[0]


def _usable_fields(page: Page, min_visible: float) -> list[int]:
    """Fields with a unique key whose drawn value lines (if tracked) are readable."""
    counts: dict[str, int] = {}
    for f in page.fields:
        counts[f.key] = counts.get(f.key, 0) + 1
    usable = []
    for i, f in enumerate(page.fields):
        if not f.key.strip() or not f.value.strip() or counts[f.key] > 1:
            continue
        value_lines = [
            ln
            for ln in page.lines
            if ln.role == "field-value" and ln.text.strip() == f.value.strip()
        ]
        if value_lines and not any(readable(ln, min_visible) for ln in value_lines):
            continue
        usable.append(i)
    return usable


def _all_visible(page: Page, roles: set[str], min_visible: float) -> bool:
    """Every line of these roles in frame and legible."""
    return all(readable(ln, min_visible) for ln in page.lines if ln.role in roles)


def _task_views(
    task: str,
    count: int,
    page: Page,
    rng: np.random.Generator,
    prompt_language: str,
    target_language: str,
    corpus: Mapping[str, Any] | None,
    min_visible: float,
    illegible: Mapping[str, Any],
    shared: dict[str, Any],
) -> list[dict[str, str]]:
    base_meta: dict[str, Any] = {"prompt_language": prompt_language}
    indices = visible_lines(page, min_visible, "omit")
    if task in SPOTTING_WRITERS or task in ("parsing", "text"):
        if illegible["runs"] and "split" not in shared:
            shared["split"] = split_page(page)
        shown_page, origins = shared["split"] if illegible["runs"] else (page, [])
        if shown_page is not page:  # readable runs of partly hidden lines count as legible
            indices = visible_lines(shown_page, min_visible, "omit")
    if task in SPOTTING_WRITERS:
        mode = illegible["spotting"]
        shown = visible_lines(shown_page, min_visible, mode)
        if not indices and not has_no_text(page):  # nothing legible: no spotting view
            return []
        stamps = _stamps(page, min_visible)
        if f"spotting:{mode}" not in shared:  # the same lines for every spotting format
            shared[f"spotting:{mode}"] = _spotting_items(marked(shown_page, mode), shown)
        items = shared[f"spotting:{mode}"] + [
            (page.regions[i].text.strip(), normalised_box(page.regions[i].polygon, page.width,
                                                          page.height)) for i in stamps]
        answer = format_spotting_as(task, items)
        meta = {**base_meta, **origin_meta(shown, origins), "width": page.width,
                "height": page.height, "illegible": mode}  # fmt: skip
        return [_view(task, pick_prompt(task, rng, prompt_language), answer,
                      _with_stamps(meta, stamps))]
    if task == "text" and has_no_text(page):
        return [_view(task, pick_prompt(task, rng, prompt_language), NO_TEXT, base_meta)]
    if task in ("parsing", "text"):
        mode = illegible["parsing"]
        stamps = _stamps(page, min_visible) if task == "text" else []
        target = page_markdown if task == "parsing" else page_plain_text
        answer = "\n".join(t for t in [target(shown_page, min_visible, mode),
                                         *(page.regions[i].text for i in stamps)] if t)
        if not answer or not indices:  # nothing legible: a page of `###` teaches nothing
            return []
        meta = {**base_meta, **origin_meta(visible_lines(shown_page, min_visible, mode),
                                            origins), "illegible": mode}  # fmt: skip
        return [_view(task, pick_prompt(task, rng, prompt_language), answer,
                      _with_stamps(meta, stamps))]
    if task == "stamp":
        stamps = _stamps(page, min_visible)
        if not stamps:
            return []
        answer = "\n".join(page.regions[i].text for i in stamps)
        meta = {**base_meta, "region_indices": stamps}
        return [_view(task, pick_prompt(task, rng, prompt_language), answer, meta)]
    if task in ("layout", "layout_json"):
        items = layout_items(page, min_visible)
        if not items:
            return []
        answer = format_layout(items) if task == "layout" else format_layout_json(items)
        meta = {**base_meta, "categories": sorted({i.category for i in items})}
        return [_view(task, pick_prompt(task, rng, prompt_language), answer, meta)]
    if task in ("formula", "chart"):
        region = sole_region(page, task, min_visible)
        if region is None:
            return []
        answer = region.text if task == "formula" else region.attributes.get("target", "")
        if not answer:
            return []
        meta = {**base_meta, "region_index": page.regions.index(region),
                "kind": region.attributes.get("chart_type", task)}
        return [_view(task, pick_prompt(task, rng, prompt_language), answer, meta)]
    if task == "table_html":
        if len(page.tables) != 1 or not _all_visible(page, {"table-cell"}, min_visible):
            return []
        cell_lines = [i for i in indices if page.lines[i].role == "table-cell"]
        meta = {**base_meta, "table_index": 0, "line_indices": cell_lines}
        return [
            _view(
                task,
                pick_prompt(task, rng, prompt_language),
                table_html(page.tables[0].cells),
                meta,
            )
        ]
    if task == "extraction_key":
        usable = _usable_fields(page, min_visible)
        chosen = rng.permutation(usable)[:count] if usable else []
        views = []
        for i in sorted(int(c) for c in chosen):
            f = page.fields[i]
            prompt = pick_prompt(task, rng, prompt_language, key=f.key)
            views.append(_view(task, prompt, f.value.strip(), {**base_meta, "field_indices": [i]}))
        return views
    if task == "extraction_json":
        usable = _usable_fields(page, min_visible)
        if len(usable) < 2:
            return []
        views = []
        for _ in range(count):
            size = int(rng.integers(2, min(6, len(usable)) + 1))
            chosen = sorted(int(c) for c in rng.permutation(usable)[:size])
            keys = [page.fields[i].key for i in chosen]
            answer = json.dumps(
                {page.fields[i].key: page.fields[i].value.strip() for i in chosen},
                ensure_ascii=False,
            )
            prompt = pick_prompt(
                task, rng, prompt_language, fields=json.dumps(keys, ensure_ascii=False)
            )
            views.append(_view(task, prompt, answer, {**base_meta, "field_indices": chosen}))
        return views
    if task == "reasoning":
        if not _all_visible(page, {"item", "total", "table-cell"}, min_visible):
            return []
        candidates = reasoning_candidates(page, prompt_language)
        views = []
        for k in sorted(int(c) for c in rng.permutation(len(candidates))[:count]):
            cand = candidates[k]
            prompt = pick_prompt(
                f"reasoning_{cand['kind']}", rng, prompt_language, **cand["values"]
            )
            meta = {**base_meta, "kind": cand["kind"], "computation": cand["computation"]}
            views.append(_view(task, prompt, cand["answer"], meta))
        return views
    if task == "subtitles":  # video frames: exactly the subtitle lines, in order
        lines = [i for i in range(len(page.lines)) if page.lines[i].role == "subtitle"]
        if not lines or any(page.lines[i].visible < min_visible for i in lines):
            return []
        answer = "\n".join(page.lines[i].text.strip() for i in lines)
        meta = {**base_meta, "line_indices": lines}
        return [_view(task, pick_prompt(task, rng, prompt_language), answer, meta)]
    if task == "translation":
        found = translation_view(page, rng, prompt_language, target_language, corpus, min_visible)
        return [_view("translation", *found)] if found else []
    raise PolyglyphError(f"unknown task {task!r}")


def make_views(
    page: Page,
    rng: np.random.Generator,
    task_mix: Mapping[str, float] | None = None,
    target_language: str = "en",
    corpus: Mapping[str, Any] | None = None,
    *,
    min_visible: float = DEFAULT_MIN_VISIBLE,
    prompt_zh_share: float = 0.3,
    illegible: Mapping[str, Any] | None = None,
    split: tuple[Page, list[Origin]] | None = None,
) -> list[dict[str, str]]:
    """All views drawn for this page, in TASKS order; each has task, prompt, answer and meta.
    `illegible` says what spotting and parsing views do with illegible lines, and whether a
    partly hidden line shows as its runs of words (`qa_factory.illegible.DEFAULT_ILLEGIBLE`).
    `split`: `split_page(page)` when the caller made it already (the row's parsing target).
    The page is split into runs, and its spotted lines boxed, once for all views (~4 splits a
    row were 2.7 ms of its CPU); no view changes them."""
    mix = resolve_task_mix(task_mix)
    modes = resolve_illegible(illegible)
    views: list[dict[str, str]] = []
    shared: dict[str, Any] = {} if split is None else {"split": split}  # made once, read often
    for task in TASKS:
        task_rng = child_rng(rng, f"view:{task}")
        weight = mix[task]
        count = int(weight) + int(task_rng.random() < weight - int(weight))
        if task in SINGLE_ANSWER_TASKS:
            count = min(count, 1)
        prompt_language = "zh" if task_rng.random() < prompt_zh_share else "en"
        if count <= 0:
            continue
        views.extend(
            _task_views(
                task, count, page, task_rng, prompt_language, target_language, corpus,
                min_visible, modes, shared,
            )
        )
    return views
