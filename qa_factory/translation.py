"""The translation view: a page's drawn paragraphs answered with their human translation.

Only real parallel text makes one (the bundled UDHR, a user's corpus read through one column
per language); synthesised paragraphs have no translation and never get a view, so an answer
is never a machine's guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from qa_factory.markdown import readable
from qa_factory.prompts import language_name, pick_prompt
from synth.page import Page


def parallel_reference(source: Any, target: Any) -> Callable[[str], str] | None:
    """Paragraph id → its human translation, or None when there is no real parallel text.

    Two references are real: the bundled UDHR (paragraph ids shared across languages) and a
    user's parallel corpus — the same files read through one column per language, where row i
    of each column is one record. A user's corpus alone is aligned to nothing, and synthesised
    paragraphs (ids "syn:…") have no translation at all: no view is made for them."""
    if target is None:
        return None
    if getattr(target, "source", "udhr") == "udhr":
        by_id = dict(zip(target.paragraph_ids, target.paragraphs, strict=False))
        return lambda pid: by_id.get(pid, "")
    mine, theirs = getattr(source, "stream", None), getattr(target, "stream", None)
    if mine is None or theirs is None or not mine.aligned_with(theirs):
        return None

    def row_text(pid: str) -> str:
        return theirs.text(int(pid[1:])) if pid[:1] == "u" and pid[1:].isdigit() else ""

    return row_text


def translation_view(
    page: Page,
    rng: np.random.Generator,
    prompt_language: str,
    target_language: str,
    corpus: Mapping[str, Any] | None,
    min_visible: float,
) -> tuple[str, str, dict[str, Any]] | None:
    """(prompt, answer, meta) of the page's translation view, or None: the answer is the human
    translation of every paragraph drawn whole and legible that has one."""
    if not corpus or page.language == target_language:
        return None
    reference = parallel_reference(corpus.get(page.language), corpus.get(target_language))
    if reference is None:
        return None
    ids = []
    for entry in page.extras.get("paragraphs", []):
        indices = entry.get("line_indices", [])
        legible = all(
            0 <= i < len(page.lines) and readable(page.lines[i], min_visible) for i in indices
        )
        if entry.get("complete") and reference(entry.get("id", "")) and indices and legible:
            ids.append(entry["id"])
    if not ids:
        return None
    target = corpus.get(target_language)
    name = language_name(target_language, prompt_language, fallback=getattr(target, "name", ""))
    prompt = pick_prompt("translation", rng, prompt_language, language=name)
    meta = {
        "source_language": page.language,
        "target_language": target_language,
        "paragraph_ids": ids,
        "prompt_language": prompt_language,
    }
    return prompt, "\n\n".join(reference(i) for i in ids), meta
