"""The font pool: every installed family, what it is, and which languages it can set.

A family is eligible for a language when its regular face draws all the language's letters
(Unicode categories L and M of the language's text — its exemplar set as the corpus shows it)
and, for a script built of conjuncts, forms them (`shapecheck`);
digits, punctuation and symbols it lacks are drawn, grapheme cluster by cluster, by the
language's chain of the same class (serif-like families fall back to the serif chain, the rest
to the sans chain). So a family is never refused for lacking `–` or `•`, and nothing is ever
drawn as tofu.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fonts_manifest import catalog, handfit, monospace
from fonts_manifest.chains import FontFace, is_ignorable, pick_regular

if TYPE_CHECKING:
    from fonts_manifest.corpus import CorpusText
    from fonts_manifest.registry import FontRegistry


@dataclass
class Catalog:
    """Per family: style class, licence, skip reason; filled while the registry loads."""

    classes: dict[str, str] = field(default_factory=dict)
    licences: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    faces: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    user: set[str] = field(default_factory=set)  # families from the user's font dirs
    # class of a "mono" family in a language whose letters it does not draw monospaced
    proportional: dict[str, str] = field(default_factory=dict)

    def add(self, face: FontFace, record: dict[str, Any], cls: str) -> None:
        family = face.family
        if not family:
            return
        self.faces.setdefault(family, []).append({
            "file": face.path, "index": face.index, "subfamily": face.subfamily,
            "weight": face.weight, "italic": bool(record.get("italic")),
            "width": int(record.get("width", 5)),
        })
        if record.get("user"):
            self.user.add(family)
        if family not in self.classes or face.subfamily.lower() == "regular":
            self.classes[family] = cls
            if cls == "mono":
                self.proportional[family] = catalog.style_class(record, mono=False)
        licence = catalog.licence_tag(str(record.get("licence", "")))
        if family not in self.licences or self.licences[family] == "see package":
            self.licences[family] = licence
        reason = catalog.skip_reason(record)
        if reason is None:
            self.skipped.pop(family, None)
            self.faces[family][-1]["usable"] = True
        elif not any(f.get("usable") for f in self.faces[family]):
            self.skipped[family] = reason


def letters_of(paragraphs: Iterable[str]) -> str:
    """The letters and marks a text uses (its exemplar set), as one string."""
    chars: set[str] = set()
    for paragraph in paragraphs:
        chars.update(paragraph)
    return "".join(sorted(
        c for c in chars if unicodedata.category(c)[0] in "LM" and not is_ignorable(c)
    ))  # fmt: skip


def eligible_families(registry: FontRegistry, text: CorpusText) -> dict[str, str]:
    """{family: class} of the pool families whose regular face draws every letter of `text`
    (for Han and Hangul text: the design's variant for the text's region, when it has one).

    For Han and Japanese text a family must also be made for the text's language and Chinese
    standard, as its own name and OS/2 tables say (`handfit.fits`, the rule hand faces
    already followed): HanaMinA, named in Japanese only, drew zh-Hans and zh-Hant pages in
    Japanese forms (器 with 大; 骨, 今, 令, 起, 直 as Japan prints them), LXGW WenKai, named
    for zh-CN only, was in the zh-Hant pool, and WenQuanYi Micro Hei (Chinese forms) in the
    ja pool. For scripts that join or reorder, its layout tables must name the script
    (`shaping`) and drawing must shape it (`shapecheck`): `FontRegistry.shapes`, asked only for
    faces that passed the coverage checks. A "mono" family is mono here only when it draws
    the text's letters and its digits monospaced (`monospace`), else its class without the
    fixed-pitch claim (cwTeXMing's Latin is Computer Modern, proportional)."""
    letters = letters_of(text.paragraphs)
    if not letters:
        return {}
    exemplar, common = language_letters(text, letters)
    found: dict[str, str] = {}
    for family, cls in sorted(registry.catalog.classes.items()):
        if family in registry.catalog.skipped:
            continue
        face = registry.family_face(family)
        if face is None:
            continue
        coverage = registry.coverage(face)
        if not coverage.covers(letters) or not coverage.covers(exemplar):
            continue
        if common and sum(ord(c) in coverage for c in common) < COMMON_SHARE * len(common):
            continue
        if text.script in HAN_SCRIPTS and not handfit.fits(registry.hand_facts(face),
                                                           text.script):
            continue
        if not registry.shapes(face, text.script):  # maps the letters, cannot join them
            continue
        found[family] = catalog.language_class(family, cls, text.code, text.script,
                                               text.iso639_3)
        if text.script in OWN_LANGUAGE and catalog.is_kai(family):  # Japanese, Korean text
            made_for = kai_made_for(registry.hand_facts(face), text.script)
            found[family] = "kai" if made_for else "handwriting"
        if found[family] == "mono" and not monospace.monospaced(face.path, face.index, letters):
            found[family] = registry.catalog.proportional.get(family, "sans")
    return drop_other_regions(found, text.script)


# A kai face prints Japanese or Korean text only when its own tables name that language alone
# (a Japanese 楷書体 face); elsewhere in those pools it is a hand, whatever its catalogue class
# (cwTeXKai, whose fixed-pitch flag reads "mono", set Korean tables and receipts). No installed
# kai face names ja or ko alone: they are Chinese faces (UKai, KaitiM, WenKai, cwTeXKai name
# zh only), and Japanese and Korean print have their own styles (教科書体, 궁서체).
OWN_LANGUAGE = {"Jpan": "ja", "Hang": "ko", "Kore": "ko"}


def kai_made_for(facts: handfit.HandFacts, script: str) -> bool:
    """Whether a kai face's tables make it a print face of Japanese or Korean `script`."""
    language = OWN_LANGUAGE.get(script)
    return language is not None and facts.read and facts.languages == {language}


# Scripts whose text holds Han characters, drawn in each region's own forms: a print family
# must be made for the text's language and standard (`handfit.fits`). Hangul text is not
# checked so: a Chinese face's Hangul has no Chinese forms, and Korean page text holds no
# Hanja (`polyglyph text --language ko --num 200`: none).
HAN_SCRIPTS = frozenset({"Hans", "Hant", "Hani", "Jpan"})
# Share of a CJK common-use list (通用规范汉字表 level 1, 常用漢字, KS X 1001 Hangul) a family
# must draw; the few it lacks are drawn by the chain (no joining to break in these scripts).
COMMON_SHARE = 0.99


def language_letters(text: CorpusText, letters: str) -> tuple[str, str]:
    """(CLDR exemplar letters not in the text, the CJK common-use list) that synthesised page
    text may use (`fonts_manifest.textsources`); empty where the sources know none."""
    try:
        from fonts_manifest import textsources

        reference = "\n".join(text.paragraphs[:50])
        exemplar = letters_of(textsources.exemplars(text.code, reference))
        common = "".join(c for c in textsources.common_chars(text.code, text.script)
                         if len(c) == 1)
    except (ImportError, OSError, KeyError, ValueError):
        return "", ""
    # exemplar marks (Arabic harakat...) are not required: a cluster holding one the family
    # lacks is drawn by the chain, and such clusters are rare in page text
    extra = {c for c in exemplar if unicodedata.category(c)[0] == "L"} - set(letters)
    return "".join(sorted(extra)), common


# Region words in CJK family names and the writing they are drawn for.
REGION_WORDS = {"SC": "Hans", "CN": "Hans", "GB": "Hans", "TC": "Hant", "TW": "Hant",
                "HK": "Hant", "Big5": "Hant", "JP": "Jpan", "KR": "Kore"}
SCRIPT_REGION = {"Hans": "Hans", "Hani": "Hans", "Hant": "Hant", "Jpan": "Jpan",
                 "Kore": "Kore", "Hang": "Kore"}


def _region_split(family: str) -> tuple[str, str | None]:
    words = family.split()
    regions = [REGION_WORDS[w] for w in words if w in REGION_WORDS]
    base = " ".join(w for w in words if w not in REGION_WORDS and w != "MBE")
    return base, (regions[0] if regions else None)


def drop_other_regions(families: dict[str, str], script: str) -> dict[str, str]:
    """Noto Sans CJK JP draws Chinese letters with Japanese glyph forms: where a design has a
    variant for the text's region (SC for simplified Chinese...), its other variants go."""
    want = SCRIPT_REGION.get(script)
    if want is None:
        return families
    served = {base for f in families for base, region in [_region_split(f)] if region == want}
    return {
        f: c for f, c in families.items()
        if (split := _region_split(f))[1] in (None, want) or split[0] not in served
    }  # fmt: skip


def fallback_style(cls: str) -> str:
    """Chain style that draws what a family of class `cls` lacks."""
    if cls == "handwriting":
        return "handwriting"
    return "serif" if cls in catalog.SERIF_LIKE else "sans"


def family_chain(registry: FontRegistry, code: str, family: str) -> list[FontFace]:
    """The family's regular face, then the language's chain of the same class."""
    face = registry.family_face(family)
    if face is None:
        raise_unknown_family(family)
    cls = registry.catalog.classes.get(family, "sans")
    if cls == "handwriting" and registry.families(code).get(family) == "kai":
        cls = "serif"  # printed kai: Latin and digits it lacks are set as beside 楷体 in books
    rest = registry.chain(code, fallback_style(cls))
    return [face, *[f for f in rest if f != face]]


def raise_unknown_family(family: str) -> None:
    from fonts_manifest.errors import PolyglyphError

    raise PolyglyphError(f"font family {family!r} is not installed (see `polyglyph fonts`)")


def emphasis_face(registry: FontRegistry, face: FontFace, kind: str) -> FontFace | None:
    """The family's bold (weight nearest 700) or italic (upright weight nearest the face's)
    face, or None when the family has none."""
    faces = registry.family_faces(face.family)
    if kind == "bold":
        options = [f for f in faces if f.weight >= 600 and not _italic(f)]
        target = 700
    else:
        options = [f for f in faces if _italic(f) and f.weight < 600]
        target = face.weight
    if not options:
        return None
    return min(options, key=lambda f: (abs(f.weight - target), f.subfamily, f.path, f.index))


def _italic(face: FontFace) -> bool:
    sub = face.subfamily.lower()
    return "italic" in sub or "oblique" in sub


def regular_of(faces: list[FontFace]) -> FontFace | None:
    return pick_regular(faces)
