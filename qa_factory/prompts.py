"""Prompt phrasings live in `prompts.yaml`; this module only loads and picks them.

Keeping prompts as data lets a dataset owner add phrasings or languages without touching code,
and lets a judge server map a prompt back to its task (`task_of_prompt`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from fonts_manifest.errors import PolyglyphError, yaml_reason

PROMPTS_PATH = Path(__file__).with_name("prompts.yaml")
PROMPT_LANGUAGES = ("en", "zh")


@functools.lru_cache(maxsize=4)
def load_prompts(path: str | None = None) -> dict[str, Any]:
    source = Path(path) if path else PROMPTS_PATH
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolyglyphError(f"cannot read prompts file {source}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise PolyglyphError(f"prompts file {source}: not valid YAML: {yaml_reason(exc)}") from None
    if not isinstance(data, dict):
        raise PolyglyphError(f"prompts file {source} is not a mapping of task -> phrasings")
    return data


def pick_prompt(
    task: str, rng: np.random.Generator, prompt_language: str = "en", **values: str
) -> str:
    """One phrasing of `task` in `prompt_language`, placeholders filled from `values`."""
    phrasings = load_prompts().get(task, {}).get(prompt_language)
    if not phrasings:
        raise PolyglyphError(f"no {prompt_language!r} prompt for task {task!r} in {PROMPTS_PATH}")
    template = phrasings[int(rng.integers(0, len(phrasings)))]
    return template.format(**values) if values else template


def canonical_prompt(task: str, prompt_language: str = "en", **values: str) -> str:
    """The first (HunyuanOCR) phrasing: what judges are asked when a view has no prompt."""
    template = load_prompts()[task][prompt_language][0]
    return template.format(**values) if values else template


def language_name(code: str, prompt_language: str = "en", fallback: str = "") -> str:
    names = load_prompts().get("language_names", {}).get(prompt_language, {})
    base = code.split("-")[0].lower()
    return names.get(code) or names.get(base) or fallback or code


def task_of_prompt(prompt: str) -> str | None:
    """Which task a prompt was drawn from, by matching the fixed prefix of each phrasing."""
    best: tuple[int, str | None] = (0, None)
    for task, by_language in load_prompts().items():
        if task == "language_names":
            continue
        for phrasings in by_language.values():
            for template in phrasings:
                prefix = template.split("{", 1)[0]
                suffix = template.rsplit("}", 1)[-1] if "{" in template else ""
                if prompt.startswith(prefix) and prompt.endswith(suffix):
                    score = len(prefix) + len(suffix)
                    if score > best[0]:
                        best = (score, task)
    return best[1]
