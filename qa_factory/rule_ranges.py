"""Ranges of the validation rules (`--k`, `--hard-share`, `--line-checks`, `--rules` YAML):
every number a user gives is checked when read, so NaN, negative or huge values are one line
before any judge runs, not a failure mid-run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fonts_manifest.errors import PolyglyphError

RULE_RANGES: dict[str, tuple[float, float]] = {  # every rule a user gives, checked when read
    "k": (1, 16),
    "agree": (0.0, 1.0),
    "far": (0.0, 1.0),
    "min_visible": (0.0, 1.0),
    "low_contrast": (0.0, 1.0),
    "line_checks": (0, 1000),
    "hard_share": (0.0, 1.0),
}


def check_rules(data: Mapping[str, Any]) -> None:
    """Raise a one-line PolyglyphError for the first rule of the wrong type or out of range."""
    if "agree" in data:
        if not isinstance(data["agree"], Mapping):
            raise PolyglyphError("validation rule agree: expected a mapping task -> 0..1")
    if "tasks" in data:
        if not isinstance(data["tasks"], (list, tuple)):
            raise PolyglyphError("validation rule tasks: expected a list of task names")
    for name, (low, high) in RULE_RANGES.items():
        values = data[name].values() if name == "agree" and isinstance(data.get(name), Mapping) \
            else [data.get(name, low)]
        for value in values:
            kinds = int if name in ("k", "line_checks") else (int, float)
            if isinstance(value, bool) or not isinstance(value, kinds) \
                    or not low <= value <= high:  # NaN fails this too
                where = "--rules" if name in ("agree", "far", "min_visible", "low_contrast") \
                    else f"--{name.replace('_', '-')} or --rules"
                raise PolyglyphError(f"validation rule {name} = {value!r}: must be "
                                     f"{'an integer' if kinds is int else 'a number'} "
                                     f"in [{low}, {high}] ({where})")
