"""Which hand faces may write a language's body text, decided from each face's own data.

A face qualifies as a language's hand when it draws 97 % of its letters (`chains`). For the
CJK languages that let in faces made for another one: zh-Hant's pool held Klee One, the three
Kouzan brush faces and SetoFont, all Japanese. Drawing Chinese they show Japanese character
forms, and where they lack a Traditional character (說, 歷...) the next face of the chain
draws it, so one line is two writers; KouzanBrushFontSousyo, grass script, drew a whole
zh-Hant page nobody could read. Two rules, from the font file:

* made for another CJK language: the languages a face localises its names in (name table:
  Windows LCIDs 0x0411 ja, 0x_04 zh, 0x0412 ko; Macintosh 11, 19/33, 23), else those its OS/2
  code pages name (JIS; GB 2312 and Big5; Wansung and Johab). A face naming some of those
  languages but not the page's is not its hand (Japanese faces on Chinese pages, LXGW
  WenKai, named in Chinese only, on Japanese and Korean ones). A face that names none (AR PL
  UKai: English names only, code pages of all three) may write any of them.
* grass script (草書): named so in its name table (`data/grass_script_names.txt` says why a
  word list); never the body hand of CJK text. Its Latin letters are a plain hand
  (KouzanBrushFontSousyo writes English legibly), so Latin pools keep it.

Read only while the language table is computed (a cold start): fontTools opens the name and
OS/2 tables of the few handwriting faces, nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GRASS_NAMES_PATH = Path(__file__).with_name("data") / "grass_script_names.txt"
# Windows LCID primary language (low 10 bits) -> language; Macintosh language ids
WINDOWS_LANGUAGES = {0x11: "ja", 0x04: "zh", 0x12: "ko"}
# name records at 0x8000 and up point at a format-1 table's language tags, not at LCIDs
LANGUAGE_TAG_IDS = 0x8000
MAC_LANGUAGES = {11: "ja", 19: "zh", 33: "zh", 23: "ko"}
CODE_PAGE_BITS = {17: "ja", 18: "zh", 20: "zh", 19: "ko", 21: "ko"}  # OS/2 ulCodePageRange1
SCRIPT_LANGUAGES = {"Jpan": "ja", "Hira": "ja", "Kana": "ja", "Hans": "zh", "Hant": "zh",
                    "Hani": "zh", "Hang": "ko", "Kore": "ko"}
NAME_IDS = (1, 2, 4, 16, 17)  # family, subfamily, full name, typographic family and subfamily


@dataclass(frozen=True)
class HandFacts:
    """What a face's own tables say about the hands it can be."""

    languages: frozenset[str]  # CJK languages it is made for ("ja", "zh", "ko"); empty: unsaid
    grass: bool  # grass script (草書)


NO_FACTS = HandFacts(frozenset(), False)


def data_digest() -> str:
    """A digest of the data files the hand pools are decided from: part of the language
    table's cache key (`langtable_file.table_path`), so editing the grass-script word list
    recomputes the pools without a TABLE_VERSION bump (read each call: a few hundred bytes)."""
    return hashlib.sha256(GRASS_NAMES_PATH.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def grass_words() -> tuple[str, ...]:
    """The words of `data/grass_script_names.txt`, lower-cased (comments and blanks skipped)."""
    lines = GRASS_NAMES_PATH.read_text(encoding="utf-8").splitlines()
    return tuple(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def read_facts(path: str, index: int) -> HandFacts:
    """The face's facts; a file fontTools cannot read says nothing (NO_FACTS)."""
    from fontTools.ttLib import TTFont  # a warm worker never gets here

    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            names = font["name"].names if "name" in font else []
            os2 = font["OS/2"] if "OS/2" in font else None
            said = set()
            texts = []
            for record in names:
                if record.platformID == 3 and record.langID < LANGUAGE_TAG_IDS:
                    said.add(WINDOWS_LANGUAGES.get(record.langID & 0x3FF))
                elif record.platformID == 1:
                    said.add(MAC_LANGUAGES.get(record.langID))
                if record.nameID in NAME_IDS:
                    texts.append(record.toUnicode(errors="replace").lower())
            said.discard(None)
            if not said and os2 is not None:
                pages = int(getattr(os2, "ulCodePageRange1", 0) or 0)
                said = {lang for bit, lang in CODE_PAGE_BITS.items() if pages >> bit & 1}
    except Exception:  # noqa: BLE001  # unreadable or not a font: no evidence either way
        return NO_FACTS
    grass = any(word in text for text in texts for word in grass_words())
    return HandFacts(frozenset(s for s in said if s), grass)


def fits(facts: HandFacts, script: str) -> bool:
    """Whether a face with `facts` may be the body hand of text in `script` (ISO 15924)."""
    language = SCRIPT_LANGUAGES.get(script)
    if language is None:  # the rules are about Han and kana (Kouzan Sousyo's Latin is plain)
        return True
    return not facts.grass and (not facts.languages or language in facts.languages)
