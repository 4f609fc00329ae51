"""The judges' shared reader pool (qa_factory.judge_pool): units of all judges on one set of
threads, answers in request order whatever the thread count, a deadline on every wait."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from qa_factory import sample_pages
from qa_factory.judge_pool import JudgePool
from qa_factory.judges import JudgeFailure, Request, get_judge
from qa_factory.validate import ValidationRules, validate_pages
from qa_factory.views import make_views
from synth.rng import child_rng, sample_rng


class _Meeting:
    """A judge whose units wait for each other: they pass only when two run at the same time."""

    name = "meeting"
    reads_layout = False

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=20)

    def settings(self) -> dict[str, Any]:
        return {"name": self.name}

    def supports(self, view: Mapping[str, Any]) -> bool:
        return True

    def units(self, requests: Sequence[Request]) -> list[tuple[float, list[int]]]:
        return [(1.0, [i]) for i in range(len(requests))]

    def answer_batch(self, requests: Sequence[Request]) -> list[str | JudgeFailure]:
        self.barrier.wait()
        return [str(int(image[0, 0, 0])) for image, _ in requests]


class _Hung(_Meeting):
    name = "hung"

    def __init__(self) -> None:
        self.release = threading.Event()

    def batch_seconds(self, size: int) -> float:
        return 0.2

    def answer_batch(self, requests: Sequence[Request]) -> list[str | JudgeFailure]:
        self.release.wait(30)
        return ["late"] * len(requests)


def _requests(n: int) -> list[Request]:
    return [(np.full((4, 4, 3), k, np.uint8), {"task": "line"}) for k in range(n)]


def test_units_of_a_batch_run_on_two_threads_at_once_answers_in_order() -> None:
    judge = _Meeting()
    with JudgePool(2) as pool:
        answers = pool.answer([(judge, _requests(4))])
    assert answers == [["0", "1", "2", "3"]]


def test_a_hung_judge_is_a_timeout_not_a_wait_forever() -> None:
    judge = _Hung()
    pool = JudgePool(2)
    started = time.monotonic()
    try:
        answers = pool.answer([(judge, _requests(2))])
        assert time.monotonic() - started < 10
        assert all(isinstance(a, JudgeFailure) and a.error_class == "timeout"
                   for a in answers[0])
        closing = time.monotonic()
        pool.close()  # the hung thread is still inside the judge: close must not wait for it
        assert time.monotonic() - closing < 5 and not judge.release.is_set()
    finally:
        judge.release.set()
        pool.close()


def test_units_that_miss_a_request_are_refused() -> None:
    class Lossy(_Meeting):
        def units(self, requests: Sequence[Request]) -> list[tuple[float, list[int]]]:
            return [(1.0, [0])]

    with JudgePool(2) as pool, pytest.raises(RuntimeError, match="every request once"):
        pool.answer([(Lossy(), _requests(2))])


@pytest.fixture(scope="module")
def judges() -> list[Any]:
    return [get_judge("tesseract"), get_judge("rapidocr")]


def test_real_judges_give_the_same_results_on_one_or_two_threads(judges) -> None:
    """Tesseract (a loaded API per thread) and RapidOCR (one ONNX batch a unit, cut as its own
    recogniser cuts a whole batch) read every crop the same way on any thread."""
    pages = [sample_pages.document_page("en"), sample_pages.document_page("ru"),
             sample_pages.table_page()]
    rules = ValidationRules(line_checks=4)

    def items() -> list[Any]:
        out = []
        for k, page in enumerate(pages):
            views = make_views(page, sample_rng(k), task_mix={"text": 1.0, "spotting_json": 1.0})
            out.append((page, views, child_rng(sample_rng(k), "validate")))
        return out

    alone = validate_pages(items(), judges, rules)
    with JudgePool(2) as pool:
        pooled = validate_pages(items(), judges, rules, pool)
    assert json.dumps(pooled, sort_keys=True) == json.dumps(alone, sort_keys=True)
    scored = [c for r in pooled for c in r["validation"]["checks"]
              if c["judges"]["rapidocr"].get("score") is not None]
    assert scored  # RapidOCR read the en pages' lines (it is skipped on ru)
    rapid = judges[1]
    crops = [(page.image[int(ln.quad[0][1]):int(ln.quad[2][1]) + 1,
                         int(ln.quad[0][0]):int(ln.quad[2][0]) + 1], {"task": "line", "language": "en"})
             for page in pages[:1] for ln in page.lines if ln.text.strip()]
    assert len(crops) > 8
    with JudgePool(2) as pool:
        assert pool.answer([(rapid, crops)])[0] == rapid.answer_batch(crops)


def _shards(folder: Path) -> None:
    from pipelines.rows import page_to_row, rows_to_table
    from pipelines.writers import table_bytes
    from qa_factory.markdown import page_markdown

    folder.mkdir(parents=True)
    pages = [sample_pages.document_page("en"), sample_pages.receipt_page()]
    rows = [page_to_row(p, row_id=f"row-{i}", index=i, seed=i, image_format="png", quality=90,
                        tasks=make_views(p, sample_rng(i)), markdown=page_markdown(p))
            for i, p in enumerate(pages)]
    (folder / "part-00000.parquet").write_bytes(table_bytes(rows_to_table(rows)))


def test_validate_workers_change_speed_not_bytes(tmp_path) -> None:
    from pipelines.validate_cli import main

    _shards(tmp_path / "in")
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        assert main(["--input", str(tmp_path / "in"), "--out", str(out), "--judges",
                     "tesseract,rapidocr", "--workers", str(workers), "--no-progress"]) == 0
        digests.append(hashlib.sha256((out / "data/part-00000.parquet").read_bytes()).hexdigest())
        rows = pq.read_table(out / "data/part-00000.parquet", columns=["status"]).to_pylist()
        assert all(r["status"] != "unvalidated" for r in rows)
    assert digests[0] == digests[1]
