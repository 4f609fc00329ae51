"""User-facing errors: one clear line naming the culprit, never a traceback.

The error type lives in the lowest package so every layer can raise it without importing a
higher one (`pipelines.errors` re-exports it for callers that always imported it from there).
"""

import argparse
from typing import NoReturn


class PolyglyphError(Exception):
    """An error whose message is shown to the user as is (one line)."""


class UsageError(PolyglyphError):
    """A bad command line (unknown flag, bad choice, missing value): `polyglyph` exits 2 for it,
    argparse's convention, where a PolyglyphError about the run itself exits 1."""


class ArgParser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one UsageError line (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")
