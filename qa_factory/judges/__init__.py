"""Judges: independent readers asked the same question as a view, to score how hard it is.

One small interface: a judge has a `name`, says which tasks it `supports`, and answers
`(image, view)` requests, one at a time or as a batch (a remote judge overlaps requests). A
request view is a task view dict plus `language` (BCP 47 of the page). A judge that cannot
answer after its own retries raises `JudgeError`; in a batch that becomes a `JudgeFailure`
entry, so one bad request never loses the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from fonts_manifest.errors import PolyglyphError

Request = tuple[np.ndarray, Mapping[str, Any]]
DEFAULT_BATCH_SECONDS = 600.0  # worst case of one call of a judge that does not say its own


class JudgeError(Exception):
    """A judge gave no usable answer; `error_class` is a short machine-readable reason."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


@dataclass(frozen=True)
class JudgeFailure:
    error_class: str
    message: str


@runtime_checkable
class JudgeProtocol(Protocol):
    """What validation asks of a judge; `Judge` below is the convenient base, not a must."""

    name: str
    reads_layout: bool

    def settings(self) -> dict[str, Any]: ...

    def supports(self, view: Mapping[str, Any]) -> bool: ...

    def answer_batch(self, requests: Sequence[Request]) -> list[str | JudgeFailure]: ...


class Judge:
    """Base class: subclasses set `name`, `tasks` and implement `answer`."""

    name: str = "judge"
    tasks: frozenset[str] = frozenset()
    reads_layout: bool = False  # False: plain-text reader, given the region a view is about

    def settings(self) -> dict[str, Any]:
        """What changes answers (recorded in outputs, part of the resume key); never secrets."""
        return {"name": self.name}

    def supports(self, view: Mapping[str, Any]) -> bool:
        return view.get("task") in self.tasks

    def answer(self, image: np.ndarray, view: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def units(self, requests: Sequence[Request]) -> list[tuple[float, list[int]]]:
        """How the batch may be split into independent calls of `answer_batch`, each with a
        rough cost, for `qa_factory.judge_pool`: one unit unless the judge is known to be
        safe to call from several threads at once and to answer each unit the same way
        whatever else is in the batch."""
        return [(float(len(requests)), list(range(len(requests))))]

    def batch_seconds(self, size: int) -> float:
        """The longest one `answer_batch` call of `size` requests may take (a wait's limit)."""
        return DEFAULT_BATCH_SECONDS + 60.0 * size

    def answer_batch(self, requests: Sequence[Request]) -> list[str | JudgeFailure]:
        out: list[str | JudgeFailure] = []
        for image, view in requests:
            try:
                out.append(self.answer(image, view))
            except JudgeError as exc:
                out.append(JudgeFailure(exc.error_class, str(exc)))
        return out


class BatchJudge(Judge):
    """A judge whose natural call is a batch (ONNX batches, concurrent HTTP requests): it
    implements `answer_batch`, and one answer is a batch of one."""

    def answer(self, image: np.ndarray, view: Mapping[str, Any]) -> str:
        result = self.answer_batch([(image, view)])[0]
        if isinstance(result, JudgeFailure):
            raise JudgeError(result.error_class, result.message)
        return result


JUDGES: dict[str, str] = {
    "tesseract": "qa_factory.judges.tesseract:TesseractJudge",
    "openai": "qa_factory.judges.openai:OpenAIJudge",
    "rapidocr": "qa_factory.judges.rapidocr:RapidOCRJudge",
}


def register_judge(name: str, target: str | Callable[..., Judge]) -> None:
    """Add a judge by name: a 'module:Class' path or a factory."""
    JUDGES[name] = target  # type: ignore[assignment]


def get_judge(name: str, **options: Any) -> Judge:
    """A judge by registered name, constructed with `options`; unknown name → PolyglyphError."""
    target: Any = JUDGES.get(name)
    if target is None:
        raise PolyglyphError(f"unknown judge {name!r}; choose from {', '.join(sorted(JUDGES))}")
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module_name), attr)
    try:
        return target(**options)
    except TypeError as exc:
        raise PolyglyphError(f"bad options for judge {name!r}: {exc}") from exc
