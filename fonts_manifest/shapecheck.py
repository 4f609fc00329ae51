"""Whether a face can shape a complex script, tested on the face itself.

A cmap that maps a script's letters is not enough to write it: a Brahmic script's conjuncts,
below-base forms and vowel ligatures come from the face's OpenType tables. Two faces in
Debian's fonts passed the cmap test and drew broken text:

* SetoFont, a Japanese hand, maps Bengali, Devanagari, Tamil, Telugu... with a GSUB for
  `kana` only: every virama was drawn as its own mark on a dotted circle (a Bengali card's
  signature read অর◌্ণব).
* GNU FreeSerif and FreeSans declare the Indic scripts, yet HarfBuzz forms no conjunct with
  them: প্র, स्व, ક્ષ came out as a consonant with a visible virama beside the next one.

Two tests, both from the file (HarfBuzz, as pages are shaped):

* the face's GSUB names one of the script's OpenType tags, else HarfBuzz has nothing to apply;
* where the script forms a below- or post-base ra (consonant + virama + ra), that sequence is
  narrower than the same with a ZWNJ after the virama, which asks for the explicit virama. A
  face drawing both at one width forms no conjunct.

Scripts missing from `OT_TAGS` are not tested (Latin, CJK, Thai... need no such tables;
HarfBuzz joins Arabic from presentation forms when a face lacks them).
"""

from __future__ import annotations

import warnings
from typing import Any

OT_TAGS: dict[str, frozenset[str]] = {  # ISO 15924 -> OpenType script tags (old and new)
    "Beng": frozenset({"beng", "bng2"}), "Deva": frozenset({"deva", "dev2"}),
    "Gujr": frozenset({"gujr", "gjr2"}), "Guru": frozenset({"guru", "gur2"}),
    "Knda": frozenset({"knda", "knd2"}), "Mlym": frozenset({"mlym", "mlm2"}),
    "Orya": frozenset({"orya", "ory2"}), "Taml": frozenset({"taml", "tml2"}),
    "Telu": frozenset({"telu", "tel2"}), "Sinh": frozenset({"sinh"}),
    "Mymr": frozenset({"mymr", "mym2"}), "Khmr": frozenset({"khmr"}),
    "Tibt": frozenset({"tibt"}),
}  # fmt: skip
# Consonant + virama + ra: a conjunct (below/post-base ra) in every face made for the script.
RA_PROBES: dict[str, str] = {
    "Beng": "\u09aa\u09cd\u09b0", "Deva": "\u0915\u094d\u0930", "Gujr": "\u0a95\u0acd\u0ab0",
    "Guru": "\u0a15\u0a4d\u0a30", "Knda": "\u0c95\u0ccd\u0cb0", "Mlym": "\u0d15\u0d4d\u0d30",
    "Orya": "\u0b15\u0b4d\u0b30", "Telu": "\u0c15\u0c4d\u0c30",
}  # fmt: skip
ZWNJ = "\u200c"


def needs_check(script: str) -> bool:
    return script in OT_TAGS


def shapes(path: str, index: int, script: str) -> bool:
    """True when the face at (path, index) shapes `script` (see the module docstring); True
    for scripts this module does not test. An unreadable face does not shape anything."""
    tags = OT_TAGS.get(script)
    if tags is None:
        return True
    import uharfbuzz as hb

    try:
        face = hb.Face(hb.Blob.from_file_path(path), index)
        with warnings.catch_warnings():  # older uharfbuzz: the module function, deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            script_tags = set(hb.ot_layout_table_get_script_tags(face, "GSUB"))
    except Exception:  # noqa: BLE001 - any failure to read the face means "cannot shape"
        return False
    if not tags & script_tags:
        return False
    probe = RA_PROBES.get(script)
    if probe is None:
        return True
    font = hb.Font(face)
    return _advance(font, probe) != _advance(font, probe[:2] + ZWNJ + probe[2:])


def _advance(font: Any, text: str) -> int:
    """Total advance of `text` shaped by HarfBuzz with `font` (a `uharfbuzz.Font`)."""
    import uharfbuzz as hb

    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    return sum(p.x_advance for p in buf.glyph_positions)
