"""User-facing errors: one clear line naming the culprit, never a traceback.

The error type lives in the lowest package so every layer can raise it without importing a
higher one (`pipelines.errors` re-exports it for callers that always imported it from there).
"""


class PolyglyphError(Exception):
    """An error whose message is shown to the user as is (one line)."""
