"""What spotting and parsing views do with text the warp made illegible: the run config's
`illegible` options, and the meta that ties a view's items back to the row's lines.

Split out of `qa_factory.views` (which builds the answers) so the policy reads in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fonts_manifest.errors import PolyglyphError
from qa_factory.markdown import ILLEGIBLE_MODES

__all__ = ["DEFAULT_ILLEGIBLE", "origin_meta", "resolve_illegible"]

# what spotting (spotting, spotting_json) and parsing (parsing, text) views do with lines the
# warp made illegible: "mark" = keep the box, text `###` (ICDAR's don't-care); "omit" = leave
# the line out. Every other task is made only from legible lines. "runs": a partly hidden line
# becomes its readable runs of words plus don't-care runs in those four views
# (`qa_factory.runs`), as benchmarks annotate occluded text; False shows such a line whole.
DEFAULT_ILLEGIBLE: dict[str, Any] = {"spotting": "mark", "parsing": "omit", "runs": True}


def resolve_illegible(illegible: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with the config's modes; unknown keys or modes are user errors."""
    out = dict(DEFAULT_ILLEGIBLE)
    for key, mode in (illegible or {}).items():
        if key == "runs" and isinstance(mode, bool):
            out[key] = mode
            continue
        if key not in DEFAULT_ILLEGIBLE or mode not in ILLEGIBLE_MODES:
            raise PolyglyphError(
                f"illegible: expected {{spotting, parsing}}: {{{', '.join(ILLEGIBLE_MODES)}}} "
                f"or runs: true|false, got {key!r}: {mode!r}"
            )
        out[key] = mode
    return out


def origin_meta(shown: list[int], origins: list[Any]) -> dict[str, Any]:
    """`line_indices`: the row's line of each shown item (a split line's runs repeat it);
    `word_ranges` (only when a line was split): per item, the run's [first, end) words of that
    line, or None for a whole line."""
    if not origins:
        return {"line_indices": shown}
    spans = [origins[k][1] for k in shown]
    meta: dict[str, Any] = {"line_indices": [origins[k][0] for k in shown]}
    if any(spans):
        meta["word_ranges"] = [list(s) if s else None for s in spans]
    return meta
