"""Faults the pipeline tests inject through `pipelines.run.sample_hook` (never used in
production). A hook travels to Ray workers with the shard inputs (the tests register this
module with cloudpickle by value) and fires inside the worker process that makes the shard."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FailSamples:
    """Making these sample indices raises: exercises failure reports and bounds."""

    indices: frozenset[int]

    def __call__(self, index: int, middle: bool) -> None:
        if index in self.indices:
            raise RuntimeError(f"test hook: sample {index} fails")


@dataclass(frozen=True)
class CrashOnce:
    """The first worker to reach the middle of a shard creates `marker` and dies hard
    (os._exit, like a kill -9 or an OOM kill); the retried task finds the marker and goes on."""

    marker: str

    def __call__(self, index: int, middle: bool) -> None:
        if not middle or Path(self.marker).exists():
            return
        Path(self.marker).write_text(str(os.getpid()))
        os._exit(17)
