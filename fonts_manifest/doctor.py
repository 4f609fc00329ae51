"""`polyglyph doctor` and the raqm guard every rendering command calls first."""

from __future__ import annotations

from pipelines.errors import PolyglyphError

RAQM_FIX = "apt-get install libfribidi0 (Pillow's raqm layout loads libfribidi.so.0 at run time)"


def require_raqm() -> None:
    """Without raqm, Pillow draws Arabic/Hebrew unjoined and reversed and Indic unshaped."""
    from PIL import features

    if not features.check("raqm"):
        raise PolyglyphError(f"Pillow's raqm text layout is unavailable; fix: {RAQM_FIX}")


def main(argv: list[str] | None = None) -> int:
    require_raqm()
    print("raqm: ok")
    return 0
