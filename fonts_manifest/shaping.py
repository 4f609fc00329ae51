"""Whether a face can shape a script: its OpenType layout tables must name it.

Mapping a script's letters is not drawing them. SetoFont (fonts-seto, a Japanese hand) maps
Arabic, Devanagari, Bengali and Tamil but its GSUB/GPOS know only kana: Arabic came out as
isolated, unjoined letters, and Devanagari vowel signs as dotted circles, while the labels said
the text. It was the only hand face of fa, ur, bn and ta and half the hand pool of ar and hi
(100 ar pages, seed 0: 132 handwritten lines; 100 hi pages: 134). BABEL Unicode (no GSUB at
all) set Devanagari body text without conjuncts. For the scripts below a face counts as able to
write the language only when its GSUB or GPOS script list names one of the script's tags
or DFLT (SetoFont's AAT `morx` table did not join Arabic either, so it does not count); other scripts
draw letter by letter, and a face's cmap is enough (`pool`, `chains`).

Read only while the language table is computed (a cold start); a file fontTools cannot read
shapes nothing.
"""

from __future__ import annotations

from functools import lru_cache

from fonts_manifest.facecheck import quiet_fonttools

# ISO 15924 -> OpenType script tags (new Indic tags first); scripts whose letters join, reorder
# or stack, so an unshaped run shows forms no writer makes.
SHAPED_SCRIPTS: dict[str, tuple[str, ...]] = {
    "Arab": ("arab",), "Syrc": ("syrc",), "Nkoo": ("nko ",), "Mong": ("mong",),
    "Adlm": ("adlm",), "Rohg": ("rohg",), "Mand": ("mand",),
    "Deva": ("dev2", "deva"), "Beng": ("bng2", "beng"), "Guru": ("gur2", "guru"),
    "Gujr": ("gjr2", "gujr"), "Orya": ("ory2", "orya"), "Taml": ("tml2", "taml"),
    "Telu": ("tel2", "telu"), "Knda": ("knd2", "knda"), "Mlym": ("mlm2", "mlym"),
    "Sinh": ("sinh",), "Tibt": ("tibt",), "Mymr": ("mym2", "mymr"), "Khmr": ("khmr",),
    "Java": ("java",), "Bali": ("bali",), "Cakm": ("cakm",), "Lana": ("lana",),
}  # fmt: skip


@lru_cache(maxsize=4096)
def layout_scripts(path: str, index: int) -> frozenset[str]:
    """OpenType script tags the face's GSUB and GPOS name; empty when fontTools cannot read
    the file."""
    from fontTools.ttLib import TTFont  # a warm worker never gets here

    found: set[str] = set()
    try:
        with quiet_fonttools(), TTFont(path, fontNumber=index, lazy=True) as font:
            for tag in ("GSUB", "GPOS"):
                if tag in font and font[tag].table.ScriptList is not None:
                    found |= {r.ScriptTag for r in font[tag].table.ScriptList.ScriptRecord}
    except Exception:  # noqa: BLE001  # unreadable tables: nothing shows it shapes
        return frozenset()
    return frozenset(found)


def shapes(path: str, index: int, script: str) -> bool:
    """Whether the face may draw text in `script` (ISO 15924): True for scripts drawn letter
    by letter; for SHAPED_SCRIPTS, only when its layout tables name the script."""
    tags = SHAPED_SCRIPTS.get(script)
    if tags is None:
        return True
    found = layout_scripts(path, index)
    # HarfBuzz applies a face's DFLT lookups to a script its list does not name (Noto Sans Tai
    # Tham registers its Tai Tham features under DFLT only)
    return "DFLT" in found or any(tag in found for tag in tags)
