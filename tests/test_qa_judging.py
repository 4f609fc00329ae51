"""How judges are asked (qa_factory/judging.py): page views composed from line-crop readings,
each crop read once, leaning lines rectified, light-on-dark crops inverted for Tesseract."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np
import pytest

from qa_factory import sample_pages
from qa_factory.judges import JudgeFailure, get_judge
from qa_factory.judges.crop_prep import crop_box, light_paper, line_crop
from qa_factory.textmetrics import text_similarity
from qa_factory.validate import ValidationRules, crop, validate_page
from qa_factory.views import make_views
from synth.rng import sample_rng


class CountingJudge:
    """A plain-text reader that answers every line crop with its mean ink, counting requests."""

    name = "counting"
    reads_layout = False

    def __init__(self) -> None:
        self.requests = 0

    def settings(self) -> dict[str, Any]:
        return {"name": self.name}

    def supports(self, view: Mapping[str, Any]) -> bool:
        return view.get("task") == "line"

    def answer_batch(self, requests: Sequence[tuple[np.ndarray, Mapping[str, Any]]]
                     ) -> list[str | JudgeFailure]:
        self.requests += len(requests)
        return [str(int(image.mean())) for image, _ in requests]


@pytest.fixture(scope="module")
def page():
    return sample_pages.document_page("en")


def test_every_line_crop_is_read_once_for_all_page_views(page) -> None:
    judge = CountingJudge()
    views = make_views(page, sample_rng(3), task_mix={"text": 1, "parsing": 1, "spotting": 1})
    result = validate_page(page, views, [judge], ValidationRules(line_checks=4))
    checks = result["validation"]["checks"]
    assert {c["task"] for c in checks} >= {"text", "parsing", "spotting", "line"}
    read = {int(i) for v in views for i in json.loads(v["meta"]).get("line_indices", [])}
    assert judge.requests == len(read)  # the line checks reuse the page views' readings
    for check in checks:
        assert check["judges"]["counting"]["answer"] is not None, check["check"]


def test_tesseract_page_views_come_from_line_reads_in_reading_order(page) -> None:
    judge = get_judge("tesseract")
    psms: list[int] = []
    read = judge.engine.read

    def counting(image, pack, psm, tsv, local_threshold):
        psms.append(psm)
        return read(image, pack, psm, tsv, local_threshold)

    judge.engine.read = counting
    views = make_views(page, sample_rng(3), task_mix={"text": 1, "spotting": 1})
    result = validate_page(page, views, [judge], ValidationRules(line_checks=2))
    assert set(psms) == {7}  # single lines only: no full-page layout analysis
    by_task = {c["task"]: c for c in result["validation"]["checks"]}
    assert by_task["text"]["judges"]["tesseract"]["ok"]
    assert by_task["spotting"]["judges"]["tesseract"]["score"] >= 0.9  # the label's boxes
    layout = get_judge("tesseract", page_reading="layout")
    assert layout.settings()["page_reading"] == "layout" and not layout.page_from_lines


def _rotated(image: np.ndarray, polygon: list[list[float]], degrees: float):
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    turned = cv2.warpAffine(image, matrix, (width, height), borderValue=(255, 255, 255))
    pts = np.hstack([np.asarray(polygon, float), np.ones((len(polygon), 1))]) @ matrix.T
    return turned, pts.tolist()


def test_a_leaning_line_is_rectified_before_it_is_read(page) -> None:
    judge = get_judge("tesseract")
    lines = [ln for ln in page.lines if len(ln.text) > 25 and len(ln.polygon) == 4][:3]
    assert lines
    for line in lines:
        image, polygon = _rotated(page.image, line.polygon, 8.0)
        flat = line_crop(image, polygon, "ltr")
        boxed = crop(image, crop_box(polygon, image.shape[1], image.shape[0]))
        assert flat.shape[0] < boxed.shape[0]  # the flat strip holds one line, not a band
        view = {"task": "line", "language": "en"}
        assert text_similarity(line.text, judge.answer(flat, view)) >= 0.85, line.text
    level = lines[0]  # a level line is cut out exactly as before: its axis box
    expected = crop(page.image, crop_box(level.polygon, page.width, page.height))
    assert np.array_equal(line_crop(page.image, level.polygon), expected)


def test_light_print_on_dark_paper_is_inverted_dark_on_light_is_not() -> None:
    crop = np.full((30, 120, 3), 40, np.uint8)
    crop[10:20, 10:110] = 230  # light strokes on a dark card
    flipped = light_paper(crop)
    assert flipped[0, 0, 0] == 215 and flipped[15, 50, 0] == 25
    paper = 255 - crop
    assert light_paper(paper) is paper


class PromptEcho(CountingJudge):
    """A layout reader (a VLM stand-in) that answers with the prompt it was asked."""

    name = "echo"
    reads_layout = True

    def supports(self, view: Mapping[str, Any]) -> bool:
        return True

    def answer_batch(self, requests: Sequence[tuple[np.ndarray, Mapping[str, Any]]]
                     ) -> list[str | JudgeFailure]:
        self.requests += len(requests)
        return [str(view.get("prompt")) for _, view in requests]


def test_a_layout_reader_is_asked_every_page_view_with_its_own_prompt(page) -> None:
    judge = PromptEcho()
    views = make_views(page, sample_rng(6), task_mix={"text": 1, "spotting_json": 1})
    rules = ValidationRules(line_checks=0)
    result = validate_page(page, views, [judge], rules)
    asked = [v["prompt"] for v in views if v["task"] in rules.tasks]
    answers = [c["judges"]["echo"]["answer"] for c in result["validation"]["checks"]]
    assert len(asked) >= 2 and answers == asked and judge.requests == len(asked)
