"""The interfaces as Protocols: scenes, judges (steps: test_warping_steps) need no base class."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from fonts_manifest.errors import PolyglyphError
from qa_factory.judges import JudgeFailure, JudgeProtocol
from qa_factory.validate import Check, run_judges
from synth import render
from synth.page import Page


def test_every_scene_is_a_scene_and_a_module_without_apply_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in render.SCENES:
        assert isinstance(render.scene_module(name), render.Scene), name
    monkeypatch.setitem(render.SCENES, "not-a-scene", "synth.rng")
    with pytest.raises(PolyglyphError, match="not-a-scene.*lacks sample"):
        render.scene_module("not-a-scene")


class EchoJudge:
    """A judge that subclasses nothing: answers every crop with its mean grey level."""

    name = "echo"
    reads_layout = False

    def settings(self) -> dict[str, Any]:
        return {"name": self.name}

    def supports(self, view: Mapping[str, Any]) -> bool:
        return view.get("task") == "line"

    def answer_batch(self, requests: Sequence[tuple[np.ndarray, Mapping[str, Any]]]
                     ) -> list[str | JudgeFailure]:
        return [str(int(image.mean())) for image, _ in requests]


def test_a_judge_needs_only_the_protocol() -> None:
    judge = EchoJudge()
    assert isinstance(judge, JudgeProtocol)
    image = np.full((40, 60, 3), 200, np.uint8)
    image[10:20, 10:30] = 0
    page = Page(image=image, language="en", script="Latn", direction="ltr", scene="document")
    checks = [Check("line:0", "line", "x", {"task": "line", "language": "en"}, [0],
                    crop=[10, 10, 30, 20]),
              Check("view:0", "parsing", "y", {"task": "parsing", "language": "en"}, [])]
    outcomes = run_judges([(page, checks)], [judge])
    assert outcomes == [[{"echo": "0"}, {"echo": None}]]  # read the dark crop; parsing: no answer
