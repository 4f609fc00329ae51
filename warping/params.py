"""Step definitions and the draws every step shares.

A step is defined by its default parameter ranges (what a profile may override) and a sampler
that turns ranges into a plain JSON record. Records hold rounded numbers: what is recorded is
exactly what is applied, so a record re-applies to the same pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Range = list[float]
Ranges = dict[str, Any]  # param -> [lo, hi] numeric range, or list of allowed choices
Sampler = Callable[[Ranges, np.random.Generator, int, int], dict[str, Any]]


@dataclass(frozen=True)
class StepDef:
    """One warping step: its tunable ranges with defaults and how to draw a record from them."""

    name: str
    defaults: Ranges
    sample: Sampler
    choices: frozenset[str] = frozenset()  # keys whose value is a list of allowed strings
    integers: frozenset[str] = frozenset()  # keys drawn as integers (inclusive range)


def uniform(rng: np.random.Generator, bounds: Range, digits: int = 4) -> float:
    # rng.uniform's own formula, bit for bit, without its ~1 us of argument handling
    lo, hi = float(bounds[0]), float(bounds[1])
    return round(lo + (hi - lo) * rng.random() if hi > lo else lo, digits)


def integer(rng: np.random.Generator, bounds: Range) -> int:
    lo, hi = int(bounds[0]), int(bounds[1])
    return int(rng.integers(lo, hi + 1)) if hi > lo else lo


def choice(rng: np.random.Generator, options: list[Any]) -> Any:
    return options[int(rng.integers(0, len(options)))]


def signed(rng: np.random.Generator, bounds: Range, digits: int = 4) -> float:
    """Magnitude from the range, sign at random (e.g. a tilt either way)."""
    value = uniform(rng, bounds, digits)
    return value if rng.random() < 0.5 else -value


def odd(value: int) -> int:
    return value if value % 2 == 1 else value + 1
