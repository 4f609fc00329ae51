"""The draws every step shares (the step objects themselves: `warping.steps`).

A step's sampler turns ranges into a plain JSON record. Records hold rounded numbers: what is
recorded is exactly what is applied, so a record re-applies to the same pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Range = list[float]
Ranges = dict[str, Any]  # param -> [lo, hi] numeric range, or list of allowed choices
Sampler = Callable[[Ranges, np.random.Generator, int, int], dict[str, Any]]


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
