"""User-facing errors: one clear line naming the culprit, never a traceback.

The error type lives in the lowest package so every layer can raise it without importing a
higher one (`pipelines.errors` re-exports it for callers that always imported it from there).
"""

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn


class PolyglyphError(Exception):
    """An error whose message is shown to the user as is (one line)."""


class UsageError(PolyglyphError):
    """A bad command line (unknown flag, bad choice, missing value): `polyglyph` exits 2 for it,
    argparse's convention, where a PolyglyphError about the run itself exits 1."""


class _ExamplesFormatter(argparse.HelpFormatter):
    """Wraps the description as argparse does, but keeps the examples epilog line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:\n"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class ArgParser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one UsageError line (no usage dump).

    `examples=[...]` ends `--help` with those command lines, verbatim: a user learns a command
    faster from one line that works than from the list of its flags."""

    def __init__(self, *args: Any, examples: Sequence[str] = (), **kwargs: Any) -> None:
        if examples and "epilog" not in kwargs:
            kwargs["epilog"] = "examples:\n" + "\n".join(f"  {e}" for e in examples)
            kwargs.setdefault("formatter_class", _ExamplesFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


SEED_RANGE = (0, 2**63 - 1)  # a run seed is a non-negative int64 (numpy SeedSequence entropy)


def check_flag_ranges(args: argparse.Namespace, ranges: dict[str, tuple[float, float]]) -> None:
    """Every number a user gives is checked when read: `dest: (low, high)`, None values skipped.

    `low <= value <= high` is False for NaN, so NaN and ±inf fail with the range in the message."""
    for name, (low, high) in ranges.items():
        value = getattr(args, name)
        if value is not None and not low <= value <= high:
            raise PolyglyphError(f"--{name.replace('_', '-')} {value}: must be in [{low}, {high}]")


# what yaml.safe_load raises on hostile text: its own errors, ValueError (an integer literal of
# 4,300+ digits, Python's int limit; UnicodeDecodeError is one too) and RecursionError
YAML_ERRORS: tuple[type[BaseException], ...] = (ValueError, RecursionError)


def yaml_reason(exc: BaseException) -> str:
    """A YAML parser's error in one line: 'line L, column C: problem' (PyYAML's own message
    spans several lines and quotes the file). Also what safe loading raises besides YAMLError
    (`YAML_ERRORS`): ValueError for an integer of over 4,300 digits, RecursionError for deep
    nesting, both internal errors once."""
    if isinstance(exc, RecursionError):  # [[[[...]]]] thousands deep: the constructor recurses
        return "nested too deeply"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    if not isinstance(exc, UnicodeError):  # int("9" * 5000): "Exceeds the limit ...; use ..."
        problem = str(problem).split("; use sys.")[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
