"""User-facing errors: one clear line naming the culprit, never a traceback.

`PolyglyphError` is defined at the bottom of the layers (`fonts_manifest.errors`), so core
packages raise it without importing `pipelines`; this module keeps the name where callers and
users always found it.
"""

from fonts_manifest.errors import YAML_ERRORS, ArgParser, PolyglyphError, UsageError, yaml_reason

__all__ = ["YAML_ERRORS", "ArgParser", "PolyglyphError", "UsageError", "yaml_reason"]
