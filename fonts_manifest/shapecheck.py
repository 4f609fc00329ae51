"""Whether a face can shape a script, tested on the face itself.

A cmap that maps a script's letters is not enough to write it: a Brahmic script's conjuncts
and vowel ligatures come from the face's OpenType tables, Arabic letters join, Lao and Thai
vowels and Hebrew points sit on their letters. Faces in Debian's fonts passed the cmap test
and drew broken text:

* SetoFont, a Japanese hand, maps Bengali, Devanagari, Tamil, Telugu..., Arabic and Lao with
  a GSUB for `kana` only: every virama was drawn as its own mark on a dotted circle (a Bengali
  card's signature read অর◌্ণব), Arabic letters stood apart, unjoined, and Lao vowels beside
  their consonants instead of over them. It was a hand face of ar, fa, ur, lo, bn, ta...
* Tlwg Mono, a Thai monospace face, draws its vowels and tone marks a cell to the right of
  their consonants.
* GNU FreeSerif and FreeSans declare the Indic scripts, yet HarfBuzz forms no conjunct with
  them: প্র, स्व, ક્ષ came out as a consonant with a visible virama beside the next one;
  FreeSans leaves Syriac unjoined.

Tests, all from the file (HarfBuzz, as pages are shaped):

* a Brahmic, Sinhala, Myanmar, Khmer or Tibetan face's GSUB names one of the script's OpenType
  tags, else HarfBuzz has nothing to apply;
* where the script forms a below- or post-base ra (consonant + virama + ra), that sequence is
  narrower than the same with a ZWNJ after the virama, which asks for the explicit virama;
* Arabic and Syriac: a letter between two others takes a joining form, not its isolated one;
* Thai, Lao, Hebrew: a vowel sign or point adds no advance to its letter, and its ink sits
  over or under the letter's (not beside it).

Scripts with no test here pass (Latin, Cyrillic, CJK... need no such tables).
"""

from __future__ import annotations

import hashlib
import json
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
# A letter that joins on both sides: shaped three in a row, the middle one is not isolated.
JOIN_PROBES: dict[str, str] = {"Arab": "\u0628", "Syrc": "\u0712"}
# A letter and a mark above or below it: the mark takes no room of its own.
MARK_PROBES: dict[str, tuple[str, str]] = {
    "Thai": ("\u0e01", "\u0e34"), "Laoo": ("\u0e81", "\u0eb4"), "Hebr": ("\u05d1", "\u05b8"),
}  # fmt: skip
MARK_SLACK = 1.05  # a mark may nudge its letter's advance by kerning, not add its own width


def rules_digest() -> str:
    """A digest of the tests above: part of the language table's cache key, so changing them
    recomputes the pools (`langtable_file.table_path`)."""
    rules = [sorted((k, sorted(v)) for k, v in OT_TAGS.items()), sorted(RA_PROBES.items()),
             sorted(JOIN_PROBES.items()), sorted(MARK_PROBES.items()), MARK_SLACK, "ink-over"]
    return hashlib.sha256(json.dumps(rules, ensure_ascii=True).encode()).hexdigest()


def needs_check(script: str) -> bool:
    return script in OT_TAGS or script in JOIN_PROBES or script in MARK_PROBES


def shapes(path: str, index: int, script: str) -> bool:
    """True when the face at (path, index) shapes `script` (see the module docstring); True
    for scripts this module does not test. An unreadable face does not shape anything."""
    if not needs_check(script):
        return True
    import uharfbuzz as hb

    try:
        face = hb.Face(hb.Blob.from_file_path(path), index)
        with warnings.catch_warnings():  # older uharfbuzz: the module function, deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            script_tags = set(hb.ot_layout_table_get_script_tags(face, "GSUB"))
        font = hb.Font(face)
    except Exception:  # noqa: BLE001 - any failure to read the face means "cannot shape"
        return False
    tags = OT_TAGS.get(script)
    if tags is not None and not tags & script_tags:
        return False
    probe = RA_PROBES.get(script)
    if probe is not None and _advance(font, probe) == _advance(font, probe[:2] + ZWNJ + probe[2:]):
        return False
    letter = JOIN_PROBES.get(script)
    if letter is not None:
        isolated = _glyphs(font, letter)
        if all(g in isolated for g in _glyphs(font, letter * 3)):
            return False
    pair = MARK_PROBES.get(script)
    return pair is None or (_advance(font, "".join(pair)) <= _advance(font, pair[0]) * MARK_SLACK
                            and _mark_over_letter(font, *pair))


def _mark_over_letter(font: Any, letter: str, mark: str) -> bool:
    """Whether the mark's ink overlaps its letter's ink across the line, as drawn from the
    shaped positions and the glyphs' extents (Tlwg Mono gives its Thai vowels no advance but
    draws them a cell to the right: กิ read ก ิ)."""
    import uharfbuzz as hb

    buf = hb.Buffer()
    buf.add_str(letter + mark)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    x, spans = 0, []
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        extents = font.get_glyph_extents(info.codepoint)
        left = x + pos.x_offset + extents.x_bearing
        spans.append((left, left + extents.width))
        x += pos.x_advance
    (l0, l1), (m0, m1) = spans[0], spans[-1]
    return len(spans) == 1 or min(l1, m1) > max(l0, m0)


def _advance(font: Any, text: str) -> int:
    """Total advance of `text` shaped by HarfBuzz with `font` (a `uharfbuzz.Font`)."""
    import uharfbuzz as hb

    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    return sum(p.x_advance for p in buf.glyph_positions)


def _glyphs(font: Any, text: str) -> list[int]:
    """Glyph ids of `text` shaped by HarfBuzz with `font`."""
    import uharfbuzz as hb

    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    return [g.codepoint for g in buf.glyph_infos]
