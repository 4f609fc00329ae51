"""What kind of face a font is, read from the font itself: style class, licence, and whether
it is usable for text at all.

The class decides which roles a family may take on a page (body text, headings, receipts,
handwritten values...). It comes from, in order: a small table of known family names (fonts
whose tables say nothing useful), words in the family name ("Mono", "Slab", "Kai"...), the OS/2
PANOSE and IBM family class, `post.isFixedPitch` and the OS/2 width class ("mono" holds for a
language only where the face's advances say so: `monospace`). Pictographic and
symbol faces, and faces whose outlines are (nearly) all empty, are skipped with a reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

CLASSES = (
    "serif", "sans", "slab", "mono", "condensed", "display", "handwriting", "blackletter", "kai",
)  # fmt: skip
# Classes whose missing characters fall back to the serif chain (the rest: sans).
SERIF_LIKE = frozenset({"serif", "slab", "blackletter"})
# Left out of the Tesseract read-back checks: a reader is not expected to read them cleanly.
DECORATIVE = frozenset({"display", "handwriting", "blackletter"})

# Families whose tables mislead or say nothing (checked before any other rule; prefix match).
KNOWN_FAMILIES: tuple[tuple[str, str], ...] = (
    ("Caveat", "handwriting"), ("Indie Flower", "handwriting"), ("Kalam", "handwriting"),
    ("Purisa", "handwriting"), ("AR PL UKai", "handwriting"), ("AR PL KaitiM", "handwriting"),
    ("LXGW WenKai", "handwriting"), ("Klee", "handwriting"), ("Nanum Pen", "handwriting"),
    ("Nanum Brush", "handwriting"), ("Humor Sans", "handwriting"), ("Kristi", "handwriting"),
    ("Comic Neue", "handwriting"), ("Isabella", "handwriting"), ("Z003", "handwriting"),
    ("Kouzan", "handwriting"), ("cwTeX Q Kai", "handwriting"), ("OpenDyslexic", "display"),
    ("Staypuft", "display"), ("Beteckna", "display"), ("Sixtyfour", "mono"),
    ("Blankenburg", "blackletter"), ("Linux Biolinum", "sans"), ("Linux Libertine", "serif"),
    ("URW Bookman", "serif"), ("URW Gothic", "sans"), ("Nimbus Roman", "serif"),
    ("Nimbus Sans Narrow", "condensed"), ("Nimbus Sans", "sans"), ("Nimbus Mono", "mono"),
    ("C059", "serif"), ("P052", "serif"), ("Bebas Neue", "display"), ("Yanone", "condensed"),
    ("Cantarell", "sans"), ("Tlwg Typewriter", "mono"), ("Tlwg Typist", "mono"),
    ("Tlwg Typo", "mono"), ("Tlwg Mono", "mono"), ("Kinnari", "serif"), ("Norasi", "serif"),
    ("Laksaman", "serif"), ("Garuda", "sans"), ("Loma", "sans"), ("Sawasdee", "sans"),
    ("Umpush", "sans"), ("Waree", "sans"), ("Courier Prime", "mono"), ("Inconsolata", "mono"),
    ("Hack", "mono"), ("Go Mono", "mono"), ("Fira Code", "mono"), ("Anonymous Pro", "mono"),
    ("Hermit", "mono"), ("Mononoki", "mono"), ("Agave", "mono"), ("JetBrains Mono", "mono"),
    ("Fantasque Sans Mono", "mono"), ("Roboto Slab", "slab"), ("Noto Serif", "serif"),
    ("Noto Sans Mono", "mono"), ("Noto Sans", "sans"), ("Noto Kufi", "sans"),
    ("Noto Naskh", "serif"), ("Noto Nastaliq", "serif"), ("Amiri", "serif"),
    ("Scheherazade", "serif"), ("Lateef", "serif"), ("KacstBook", "serif"),
    ("KacstNaskh", "serif"), ("KacstQurn", "serif"), ("KacstPoster", "display"),
    ("KacstDecorative", "display"), ("KacstArt", "display"), ("KacstPen", "handwriting"),
    ("KacstScreen", "display"), ("KacstDigital", "display"), ("KacstLetter", "sans"),
    ("KacstTitle", "display"), ("KacstFarsi", "sans"), ("KacstOffice", "sans"),
    ("KacstOne", "sans"), ("AR PL UMing", "serif"), ("AR PL SungtiL", "serif"),
    ("AR PL Mingti", "serif"), ("IPAMincho", "serif"), ("IPAexMincho", "serif"),
    ("IPAPMincho", "serif"), ("Ume Mincho", "serif"), ("UnBatang", "serif"),
    ("UnGungseo", "handwriting"), ("UnPilgi", "handwriting"), ("Baekmuk Batang", "serif"),
    ("Nanum Myeongjo", "serif"), ("Motoya L Cedar", "serif"), ("Seto", "handwriting"),
    ("Misaki", "display"), ("Konatu", "sans"), ("Samyak", "sans"), ("Sarai", "sans"),
    ("Lohit", "sans"), ("Gargi", "sans"), ("Chandas", "serif"), ("Nakula", "serif"),
    ("Sahadeva", "serif"), ("Kalimati", "sans"), ("Annapurna", "serif"),
    # fonts-arabeyes faces drawn as ornament (outlined, shadowed, faux-brush, calligraphic),
    # told apart by looking at them: fine for headings and posters, not for body text
    ("Granada", "display"), ("Shado", "display"), ("Japan", "display"), ("Nagham", "display"),
    ("Electron", "display"), ("Kayrawan", "display"), ("Mashq", "display"), ("Ouhod", "display"),
    # fonts-cwtex: isFixedPitch set (Han glyphs one cell) over Computer Modern Latin, Roman in
    # the Ming and FangSong faces, Sans in HeiBold and Yen (`monospace` measures that too)
    ("cwTeXMing", "serif"), ("cwTeXFangSong", "serif"), ("cwTeXHeiBold", "sans"),
    ("cwTeXYen", "sans"),
)  # fmt: skip
# Nastaliq is the book hand of these languages; elsewhere (Arabic, Persian prose) it is a
# display style, and a page of Arabic body text set in it is not what readers meet.
NASTALIQ = re.compile(r"nasta(?:li|lee|'li)q", re.IGNORECASE)
NASTALIQ_LANGUAGES = frozenset({"ur", "ks", "pa-Arab", "skr", "khw", "bal"})
NAME_WORDS: tuple[tuple[str, str], ...] = (
    (r"mono\b|\b(code|typewriter|courier|console|terminal|coding)\b", "mono"),
    (r"\b(hand|handwriting|script|brush|pen|kai|kaiti|pilgi|marker|chalk|comic)\b",
     "handwriting"),
    (r"(fraktur|blackletter|textura|unifraktur)", "blackletter"),
    (r"slab\b", "slab"),
    (r"(condensed|narrow|compressed)|\bcond\b", "condensed"),
    (r"\b(display|poster|decorative|titling|shadow|outline|stencil|inline)\b", "display"),
    (r"sans", "sans"),
    (r"(serif|mincho|batang|myeongjo|naskh)|\b(ming|mingti|song|sung)\b", "serif"),
    (r"(gothic|grotesk|grotesque|dotum|gulim|kufi)|\bhei\b", "sans"),
)  # fmt: skip
SKIP_WORDS = re.compile(
    r"(emoji|colou?red\b|\bcolou?r\b|symbol|dingbat|awesome|icons?\b|math|music|wingding|braille|ornament|webdings|"
    r"unifont|mark ?my ?words|jsmath|abecedario)", re.IGNORECASE)  # abecedario: school tracing
# fonts (dotted letters, or guide lines drawn into every glyph)
IBM_CLASS = {1: "serif", 2: "serif", 3: "serif", 4: "slab", 5: "slab", 7: "serif", 8: "sans",
             9: "display", 10: "handwriting"}


def known_class(family: str, mono: bool = True) -> str | None:
    for prefix, cls in KNOWN_FAMILIES:
        if family.startswith(prefix):
            return cls if mono or cls != "mono" else None
    return None


def name_class(name: str, mono: bool = True) -> str | None:
    low = name.lower().replace("-", " ")
    for pattern, cls in NAME_WORDS:
        if (mono or cls != "mono") and re.search(pattern, low):
            return cls
    return None


# Kai (楷) is a print style of Chinese, not only a hand: 楷体_GB2312 ships with every Chinese
# Windows beside 宋体/黑体/仿宋 (GB/T 9704 sets second-level headings of official documents in
# it), textbooks, quotations and captions are set in it, and 標楷體 is the face of Taiwan's
# government documents. Such faces keep their catalogue class "handwriting" (they are the
# closest thing to a Chinese hand, and hand pools take them); for Chinese text their pool
# class is "kai", which print roles weight (`sampling.ROLE_WEIGHTS`). Real kai faces only:
# brush, running and grass scripts (Kouzan's 毛筆/行書/草書) stay handwriting everywhere.
KAI_FAMILIES = ("AR PL UKai", "AR PL KaitiM", "AR PL ZenKai", "LXGW WenKai", "cwTeX Q Kai",
                "cwTeXKai", "TW-Kai", "DFKai", "BiauKai", "Kaiti", "KaiTi", "STKaiti")
KAI_WORD = re.compile(r"kai(?:ti|shu)?\b|楷", re.IGNORECASE)  # UKai, WenKai, KaiTi, 標楷體...
NOT_KAI = re.compile(r"brush|sousyo|gyousyo|grass|cursive|行書|行书|草書|草书|毛筆|毛笔",
                     re.IGNORECASE)
# Chinese languages (ISO 639-3: the zho macrolanguage's members): their Hans/Hant text may be
# printed in kai. Japanese and Korean text is not (a kai face writes it only when its own
# tables name that language alone: `pool.eligible_families`).
CHINESE_LANGUAGES = frozenset({
    "zho", "cmn", "yue", "wuu", "gan", "hak", "hsn", "nan", "cjy", "cdo", "cpx", "czh", "czo",
    "lzh", "mnp",
})  # fmt: skip
KAI_SCRIPTS = frozenset({"Hans", "Hant"})


def is_kai(family: str) -> bool:
    """Whether a family is a regular kai (楷) face, by its name (not a brush or grass hand)."""
    if NOT_KAI.search(family):
        return False
    return family.startswith(KAI_FAMILIES) or bool(KAI_WORD.search(family.replace("-", " ")))


def chinese_text(code: str, script: str, iso639_3: str = "") -> bool:
    """Whether text in `code`/`script` is Chinese written in one of its standards (Hans/Hant):
    a zho member by its ISO 639-3 code or tag, or Simplified text of undetermined language
    (the corpus's "(Jinan)" dialect: Simplified characters are China's standard only)."""
    if script not in KAI_SCRIPTS:
        return False
    primary = code.split("-")[0].lower()
    if iso639_3 in CHINESE_LANGUAGES or primary == "zh" or primary in CHINESE_LANGUAGES:
        return True
    return script == "Hans" and iso639_3 in ("", "und") and primary == "und"


def language_class(family: str, cls: str, code: str, script: str = "",
                   iso639_3: str = "") -> str:
    """A family's class for one language: Nastaliq faces are body faces only where Nastaliq is
    the customary print style; kai faces are print faces ("kai") of Chinese text."""
    if cls not in DECORATIVE and NASTALIQ.search(family) and code not in NASTALIQ_LANGUAGES \
            and code.split("-")[0] not in NASTALIQ_LANGUAGES:
        return "display"
    if is_kai(family) and chinese_text(code, script, iso639_3):
        return "kai"  # whatever its catalogue says (cwTeXKai's fixed-pitch flag reads "mono")
    return cls


def style_class(record: dict, mono: bool = True) -> str:
    """One of CLASSES for a cached face record (see `fontdb._face_record`). With `mono`
    False, the class the face takes where its letters are not monospaced (`monospace`): the
    name's and tables' fixed-pitch claims are passed over and the next rule decides."""
    family = record.get("family", "")
    found = known_class(family, mono) or name_class(family, mono)
    if found:
        return found
    panose: Sequence[int] = record.get("panose") or ()
    if len(panose) >= 4:
        if panose[0] == 3:
            return "handwriting"
        if panose[0] == 4:
            return "display"
        if mono and panose[0] == 2 and panose[3] == 9:
            return "mono"
    if mono and record.get("fixed_pitch"):
        return "mono"
    if int(record.get("width", 5)) <= 3:
        return "condensed"
    ibm = IBM_CLASS.get(int(record.get("family_class", 0)) >> 8)
    if ibm:
        return ibm
    if len(panose) >= 2 and panose[0] == 2:
        if panose[1] in (11, 12, 13, 14, 15):
            return "sans"
        if 2 <= panose[1] <= 10:
            return "serif"
    return "sans"


LICENCES = (
    ("OFL", r"open font licen[cs]e|\bofl\b|scripts\.sil\.org/ofl"),
    ("Apache-2.0", r"apache"),
    ("GPL with font exception", r"(gpl|gnu general public)[\s\S]*(font|special) exception"
     r"|(font|special) exception[\s\S]*(gpl|gnu general public)"),
    ("GPL", r"\bl?gpl|gnu (lesser |library )?general public"),
    ("LPPL", r"latex project public"),
    ("GUST", r"gust font licen[cs]e"),
    ("IPA", r"\bipa\b"),
    ("Arphic", r"arphic public licen[cs]e"),
    ("Ubuntu Font Licence", r"ubuntu font licen[cs]e"),
    ("Bitstream Vera", r"bitstream"),
    ("M+", r"m\+ fonts"),
    ("MIT", r"\bmit licen[cs]e|permission is hereby granted"),
    ("public domain", r"public domain"),
    ("CC-BY", r"creative commons|\bcc[- ]by"),
)


def licence_tag(text: str) -> str:
    """A short licence name from the licence description (name ID 13) or URL (ID 14)."""
    low = text.lower()
    for tag, pattern in LICENCES:
        if re.search(pattern, low):
            return tag
    if not text.strip():
        return "see package"
    first = " ".join(text.split())
    if len(first) <= 60:
        return "other: " + first
    return "other: " + first[:60].rsplit(" ", 1)[0] + "…"  # cut at a word, marked as cut


def letter_count(ranges: Sequence[int]) -> int:
    """Letters (categories L*) a face maps, counted over its first ranges (cheap estimate)."""
    count = 0
    for i in range(0, len(ranges), 2):
        for cp in range(ranges[i], min(ranges[i + 1], ranges[i] + 400) + 1):
            if unicodedata.category(chr(cp))[0] == "L":
                count += 1
                if count >= 20:
                    return count
    return count


def skip_reason(record: dict) -> str | None:
    """Why a face is not used for text, or None: pictographic/symbol faces, faces without
    letters, faces whose outlines are mostly empty."""
    family = record.get("family", "") or record.get("full_name", "")
    if record.get("render_error"):
        return str(record["render_error"])
    if not family:
        return "no family name"
    if SKIP_WORDS.search(family):
        return "symbol or pictographic face"
    panose = record.get("panose") or ()
    if len(panose) >= 1 and panose[0] == 5:
        return "symbol or pictographic face (PANOSE)"
    if letter_count(record.get("ranges", ())) < 20:
        empty = int(record.get("empty_glyphs", 0))
        return f"draws no letters ({empty} glyphs with empty outlines)" if empty else \
            "draws fewer than 20 letters"
    return None
