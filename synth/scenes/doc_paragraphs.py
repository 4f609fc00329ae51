"""Which paragraphs a document page shows, and how: a contiguous run of the language's
corpus, or the run's source mix (`synth.pagetext.compose`); list items get their markers
(vertical CJK pages number lists as vertical books do, right-to-left pages keep markers
that read both ways) and some paragraphs a hand. Only records are made here; the document
scene lays them out and draws them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth import vertical_text
from synth.pagetext import base_weight, compose
from synth.render import PageSpec, pick
from synth.scenes import sample_hand

LIST_MARKERS = ("1.", "1)", "(a)", "•", "–", "i.")
RTL_LIST_MARKERS = ("1.", "1)", "•", "–")
TTB_LIST_MARKERS = vertical_text.LIST_MARKERS  # 一、（一）① as vertical books number lists


def _kind(paragraph_id: str) -> str:
    if paragraph_id == "title":
        return "title"
    if paragraph_id.endswith(".h"):
        return "heading"
    return "paragraph"


def _markers(spec: PageSpec, info: Any) -> tuple[str, ...]:
    if spec.vertical and info.script in ("Jpan", "Hans", "Hant", "Hani"):
        return TTB_LIST_MARKERS
    return RTL_LIST_MARKERS if info.direction == "rtl" else LIST_MARKERS


def _marker(style: str, n: int) -> str:
    if style in TTB_LIST_MARKERS:
        return vertical_text.list_marker(style, n)
    if style in ("1.", "1)"):
        return f"{n}{style[-1]}"
    if style == "(a)":
        return f"({chr(ord('a') + (n - 1) % 26)})"
    if style == "i.":
        romans = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
        return f"{romans[(n - 1) % 10]}."
    return style


def corpus_paragraphs(rng: np.random.Generator, spec: PageSpec, corpus: Any, info: Any,
                       body: int, w: int, h: int, has_hand_font: bool) -> list[dict[str, Any]]:
    """A contiguous run of corpus paragraphs (the page text when the mix is the corpus alone)."""
    ids = corpus.paragraph_ids
    start = int(rng.integers(0, max(1, len(ids) - 2)))
    show_title = start == 0 or (ids[0] == "title" and rng.random() < 0.5)
    budget = int(3 * w * h / (body * body)) + 200  # generous: apply stops when the page is full
    paragraphs: list[dict[str, Any]] = []
    if show_title and ids[0] == "title":
        paragraphs.append({"index": 0, "id": "title", "kind": "title"})
        start = max(start, 1)
    chars = 0
    list_style, list_n, list_article = None, 0, None
    for index in range(start, len(ids)):
        pid = ids[index]
        kind = _kind(pid)
        item: dict[str, Any] = {"index": index, "id": pid, "kind": kind}
        article = pid.split(".")[0]
        if kind == "paragraph":
            if article != list_article:
                list_article, list_n = article, 0
                siblings = sum(1 for other in ids if other.split(".")[0] == article)
                many = siblings > 2 or not pid.startswith("a")
                markers = _markers(spec, info)
                list_style = pick(rng, markers) if many and rng.random() < 0.35 else None
            if list_style is not None:
                list_n += 1
                item["kind"] = "list-item"
                item["marker"] = _marker(list_style, list_n)
            if spec.style_mix > 0 and rng.random() < spec.style_mix:
                item["hand"] = sample_hand(rng, body * 1.1, has_hand_font)
        paragraphs.append(item)
        chars += len(corpus.paragraphs[index])
        if chars > budget:
            break

    return paragraphs


def mixed_paragraphs(rng: np.random.Generator, spec: PageSpec, lt: Any, info: Any,
                      corpus: Any, sources: dict[str, float], budget: int, body: int,
                      has_hand_font: bool) -> list[dict[str, Any]]:
    """Paragraphs from the run's source mix (synth.pagetext.compose), with list markers for
    synthesised list items and handwritten paragraphs as in the corpus-only page."""
    ids = corpus.paragraph_ids
    start = int(rng.integers(0, max(1, len(ids) - 2)))
    show_title = ids[0] == "title" and (start == 0 or rng.random() < 0.5)
    show_title = show_title and base_weight(sources, corpus) > 0
    items = compose(rng, lt, corpus, sources, budget, max(start, 1 if show_title else 0))
    paragraphs: list[dict[str, Any]] = []
    if show_title and not (items and items[0]["kind"] == "title"):
        paragraphs.append({"index": 0, "id": "title", "kind": "title"})
    markers = _markers(spec, info)
    list_style, list_n = pick(rng, markers), 0
    for item in items:
        if item["kind"] == "list-item":
            list_n += 1
            item["marker"] = _marker(list_style, list_n)
        else:
            list_n = 0
        if item["kind"] in ("paragraph", "list-item") and spec.style_mix > 0 \
                and rng.random() < spec.style_mix:
            item["hand"] = sample_hand(rng, body * 1.1, has_hand_font)
        paragraphs.append(item)
    return paragraphs
