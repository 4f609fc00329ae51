"""User-facing errors: one clear line naming the culprit, never a traceback."""


class PolyglyphError(Exception):
    """An error whose message is shown to the user as is (one line)."""
