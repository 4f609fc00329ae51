"""Export formats by name: every module of `pipelines.export.formats` that defines `FORMAT`
(one format) or `FORMATS` (a family of formats sharing code, e.g. the VLM conversations).

Discovery instead of a hand-kept table, so engineers adding formats in parallel never edit the
same line. Modules are imported only when the registry is first asked (never at package
import), and a format module keeps its heavy imports inside its functions so `--help` is quick.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from pipelines.errors import PolyglyphError, UsageError

from . import formats as _formats_pkg
from .base import ExportFormat


@functools.lru_cache(maxsize=1)
def available_formats() -> dict[str, ExportFormat]:
    """name -> format, sorted by name."""
    found: dict[str, ExportFormat] = {}
    for info in sorted(pkgutil.iter_modules(_formats_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_formats_pkg.__name__}.{info.name}")
        single = getattr(module, "FORMAT", None)
        family = getattr(module, "FORMATS", ())  # a module may hold a family of formats
        for fmt in (single, *family):
            if not isinstance(fmt, ExportFormat):
                continue
            if fmt.name in found:
                raise PolyglyphError(f"export format {fmt.name!r} is defined twice ({info.name})")
            found[fmt.name] = fmt
    return dict(sorted(found.items()))


def get_format(name: str) -> ExportFormat:
    formats = available_formats()
    if name not in formats:
        raise UsageError(f"--format {name!r}: unknown; choose from {', '.join(formats)}")
    return formats[name]
