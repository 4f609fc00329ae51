"""`polyglyph export`: a polyglyph dataset (Parquet rows) rewritten in another training layout.

Each format is defined in a module of `pipelines/export/formats/` as `FORMAT` (or, for a family
sharing code, `FORMATS`): an `ExportFormat` (name, one-line summary, its own command-line
options, and the function that writes it). Formats are found by scanning that package, so
adding one is adding one module; `polyglyph export --help` lists every format found,
`--format NAME --help` its options.
"""

from __future__ import annotations

from .base import ExportFormat, ExportSummary, RowSource, open_rows
from .registry import available_formats, get_format

__all__ = [
    "ExportFormat",
    "ExportSummary",
    "RowSource",
    "available_formats",
    "get_format",
    "open_rows",
]
