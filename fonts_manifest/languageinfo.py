"""What the registry says about one language (`LanguageInfo`), and the errors it raises
when text cannot be drawn (split from `registry` to keep each module small)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from fonts_manifest.errors import PolyglyphError


class MissingGlyphError(PolyglyphError):
    """No face of the chain can draw a grapheme cluster."""

    def __init__(self, char: str, cluster: str) -> None:
        super().__init__(
            f"no font in the chain draws U+{ord(char):04X} {unicodedata_name(char)} "
            f"(in cluster {cluster!r})"
        )
        self.char = char
        self.cluster = cluster


def unicodedata_name(ch: str) -> str:
    return unicodedata.name(ch, "unnamed")


def undrawable_message(info: LanguageInfo) -> str:
    """"'…' U+2026 in the ar text: no installed font draws it" (the first missing one)."""
    missing = info.missing[0] if info.missing else ""
    if not missing:
        return f"the {info.code} text: the installed fonts do not draw it (coverage {info.coverage})"
    points = " ".join(f"U+{ord(c):04X}" for c in missing)
    what = "it" if len(missing) == 1 else "it as one cluster"
    return f"{missing!r} {points} in the {info.code} text: no installed font draws {what}"


@dataclass(frozen=True)
class LanguageInfo:
    code: str
    name: str
    script: str
    direction: str
    iso639_3: str
    fonts: list[str]
    coverage: float
    corpus_chars: int
    styles: tuple[str, ...] = ("sans",)
    distinct_chars: int = 0
    families: tuple[str, ...] = ()  # family of each entry of `fonts` (a .ttc path repeats)
    partial: bool = False  # corpus is an unreviewed excerpt (see CorpusText.partial)
    missing: tuple[str, ...] = field(default=(), compare=False)

    @property
    def usable(self) -> bool:
        return self.coverage >= 1.0 and not self.missing

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "script": self.script,
            "direction": self.direction,
            "iso639_3": self.iso639_3,
            "fonts": list(self.fonts),
            "coverage": self.coverage,
            "corpus_chars": self.corpus_chars,
            "distinct_chars": self.distinct_chars,
            "families": list(self.families),
            "styles": list(self.styles),
            "partial": self.partial,
            "missing": list(self.missing),  # chars or clusters no face draws (first ten)
        }
