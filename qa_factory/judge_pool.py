"""One pool of reader threads shared by every judge of a validation run.

Why threads, and one pool for all judges: Tesseract (through `tesserocr`) and onnxruntime
release the GIL while they read, so threads of one process use every core without a second
copy of the models, without forking after ONNX sessions exist, and with Tesseract's loaded
APIs kept per thread for the whole run. Before, each judge ran in its own thread over its
own batch: on en/zh-Hans/ja rows RapidOCR's one stream was the critical path while the other
core idled, and on ar/hi/ru rows RapidOCR had nothing to do (the validate process used 1.27
of 2 cores). Now each judge cuts its batch into independent units (`Judge.units`: Tesseract
one crop a unit, RapidOCR one ONNX batch a unit), and all units of all judges go to the same
`workers` threads, longest first, so both cores stay busy until the batch is done.

Results are placed by request index, so they do not depend on `workers` or on which thread
ran what (a judge's unit boundaries never depend on the pool either). Every wait has a total
deadline, from what each judge says its units may take at worst (`Judge.batch_seconds`);
requests still unanswered then fail as `timeout` (no verdict: the shard is not recorded).
Ctrl-C in the waiting thread cancels the queued units; running ones finish their crop.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from qa_factory.judges import DEFAULT_BATCH_SECONDS, JudgeFailure, JudgeProtocol, Request

Answer = str | JudgeFailure
Unit = tuple[float, list[int]]  # (estimated cost, request indices)


def judge_units(judge: JudgeProtocol, requests: Sequence[Request]) -> list[Unit]:
    """A judge's own split of its batch, or the whole batch as one unit (a judge that only
    implements the protocol may not be safe to call from two threads at once)."""
    split = getattr(judge, "units", None)
    if split is None:
        return [(float(len(requests)), list(range(len(requests))))]
    units = [(float(cost), list(indices)) for cost, indices in split(requests)]
    if sorted(i for _, indices in units for i in indices) != list(range(len(requests))):
        raise RuntimeError(f"judge {judge.name!r} split its batch into units that do not "
                           "cover every request once")
    return units


def unit_deadline(judge: JudgeProtocol, size: int) -> float:
    """Seconds one call of `size` requests may take at worst (finite for every judge)."""
    limit = getattr(judge, "batch_seconds", None)
    return float(limit(size)) if limit is not None else DEFAULT_BATCH_SECONDS + 60.0 * size


class JudgePool:
    """`workers` reader threads (1: the calling thread reads, no pool). Use as a context
    manager, or `close()` it: queued units are dropped, running ones finish — unless a unit
    already ran past its deadline (a judge hung in native code): then `close` does not wait
    for it, since nothing can stop a thread and the caller has its `timeout` answers."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))
        self._stuck = False  # a unit outlived its deadline: close() must not wait for it
        self._executor = (
            ThreadPoolExecutor(self.workers, thread_name_prefix="judge")
            if self.workers > 1 else None
        )

    def __enter__(self) -> JudgePool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=not self._stuck, cancel_futures=True)
            self._executor = None

    def answer(self, jobs: Sequence[tuple[JudgeProtocol, Sequence[Request]]]) -> list[list[Answer]]:
        """Every judge's answers to its requests, in request order."""
        out: list[list[Answer | None]] = [[None] * len(requests) for _, requests in jobs]
        units = [
            (cost, j, indices)
            for j, (judge, requests) in enumerate(jobs)
            for cost, indices in judge_units(judge, requests)
            if indices
        ]
        units.sort(key=lambda u: -u[0])  # longest first: the last units to finish are short

        def run(j: int, indices: list[int]) -> list[Answer]:
            judge, requests = jobs[j]
            answers = judge.answer_batch([requests[i] for i in indices])
            if len(answers) != len(indices):
                raise RuntimeError(f"judge {judge.name!r} gave {len(answers)} answers to "
                                   f"{len(indices)} requests")
            return answers

        if self._executor is None:
            for _, j, indices in units:
                for i, answer in zip(indices, run(j, indices), strict=True):
                    out[j][i] = answer
        else:
            self._run_pooled(jobs, units, run, out)
        return [[a for a in answers if a is not None] for answers in out]  # all set above

    def _run_pooled(self, jobs: Sequence[tuple[JudgeProtocol, Sequence[Request]]],
                    units: list[tuple[float, int, list[int]]], run: Any,
                    out: list[list[Answer | None]]) -> None:
        assert self._executor is not None
        limits = [unit_deadline(jobs[j][0], len(indices)) for _, j, indices in units]
        # the worst case if every unit took its whole allowance, spread over the threads
        budget = max(limits, default=0.0) + sum(limits) / self.workers
        deadline = time.monotonic() + budget
        futures: dict[Future[list[Answer]], tuple[int, list[int]]] = {}
        try:
            for _, j, indices in units:
                futures[self._executor.submit(run, j, indices)] = (j, indices)
            pending = set(futures)
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                for future in done:
                    j, indices = futures[future]
                    for i, answer in zip(indices, future.result(), strict=True):
                        out[j][i] = answer
            for future in pending:  # over the deadline: no answer, never a guess
                self._stuck |= not future.cancel()
                j, indices = futures[future]
                failure = JudgeFailure(
                    "timeout", f"{jobs[j][0].name} gave no answer within {budget:.0f}s")
                for i in indices:
                    out[j][i] = failure
        except BaseException:  # Ctrl-C or a judge's own bug: drop what has not started
            for future in futures:
                future.cancel()
            raise
