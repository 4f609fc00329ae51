"""Which hand faces may write a language's body text, decided from each face's own data.

A face qualifies as a language's hand when it draws 97 % of its letters (`chains`). For the
CJK languages that let in faces made for another one: zh-Hant's pool held Klee One, the three
Kouzan brush faces and SetoFont, all Japanese. Drawing Chinese they show Japanese character
forms, and where they lack a Traditional character (說, 歷...) the next face of the chain
draws it, so one line is two writers; KouzanBrushFontSousyo, grass script, drew a whole
zh-Hant page nobody could read. Three rules, from the font file:

* made for another CJK language: the languages a face localises its names in (name table:
  Windows LCIDs 0x0411 ja, 0x_04 zh, 0x0412 ko; Macintosh 11, 19/33, 23), else those its OS/2
  code pages name (JIS; GB 2312 and Big5; Wansung and Johab). A face naming some of those
  languages but not the page's is not its hand (Japanese faces on Chinese pages, LXGW
  WenKai, named in Chinese only, on Japanese and Korean ones). A face that names none (AR PL
  UKai: English names only, code pages of all three) may write any of them.
* made for one Chinese standard: Han characters are drawn to a region's standard (GB in
  mainland China and Singapore; Big5/MOE in Taiwan, HKSCS in Hong Kong and Macau), so
  zh-Hans pages drew with AR PL UKai TW/HK and zh-Hant pages with UKai CN and LXGW WenKai,
  shapes neither reader writes. A face's regions come from the first of these that names
  regions of one standard only: its family name's region word (UKai CN/TW/HK, ... SC/TC),
  the regions its names are localised for (0x0804 CN, 0x1004 SG; 0x0404 TW, 0x0C04 HK,
  0x1404 MO; Macintosh 33 and 19: LXGW WenKai names zh-CN only), its OS/2 code pages
  (GB 2312 without Big5: AR PL KaitiM GB; Big5 without GB 2312: KaitiM Big5). Such a face
  is a Chinese hand of that standard only (Simplified text: CN/SG; Traditional: TW/HK/MO).
  A face naming no region, or regions of both, stays everywhere, unless
  `data/han_forms.txt` says which standard its outlines follow (Droid Sans Fallback and
  BabelStone Han: English names only, code pages of GB 2312, Big5 and JIS, mainland forms).
* grass script (草書): named so in its name table (`data/grass_script_names.txt` says why a
  word list); never the body hand of CJK text. Its Latin letters are a plain hand
  (KouzanBrushFontSousyo writes English legibly), so Latin pools keep it.

A face whose name table fontTools cannot read is no CJK hand (nothing shows it fits; one
warning line names the file); fontTools logs nothing while the tables are read (a name table
declaring 32,000 records it lacks logged a line for each).

Read only while the language table is computed (a cold start): fontTools opens the name and
OS/2 tables of the few handwriting faces, nothing else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fonts_manifest.facecheck import quiet_fonttools
from fonts_manifest.fontdb import warn

GRASS_NAMES_PATH = Path(__file__).with_name("data") / "grass_script_names.txt"
HAN_FORMS_PATH = Path(__file__).with_name("data") / "han_forms.txt"
# Windows LCID primary language (low 10 bits) -> language; Macintosh language ids
WINDOWS_LANGUAGES = {0x11: "ja", 0x04: "zh", 0x12: "ko"}
# name records at 0x8000 and up point at a format-1 table's language tags, not at LCIDs
LANGUAGE_TAG_IDS = 0x8000
MAC_LANGUAGES = {11: "ja", 19: "zh", 33: "zh", 23: "ko"}
CODE_PAGE_BITS = {17: "ja", 18: "zh", 20: "zh", 19: "ko", 21: "ko"}  # OS/2 ulCodePageRange1
SCRIPT_LANGUAGES = {"Jpan": "ja", "Hira": "ja", "Kana": "ja", "Hans": "zh", "Hant": "zh",
                    "Hani": "zh", "Hang": "ko", "Kore": "ko"}
NAME_IDS = (1, 2, 4, 16, 17)  # family, subfamily, full name, typographic family and subfamily
FAMILY_IDS = (1, 16)
# Chinese regions -> the standard ("Hans" or "Hant": the script of the text it writes)
STANDARDS = {"CN": "Hans", "SG": "Hans", "TW": "Hant", "HK": "Hant", "MO": "Hant"}
REGION_WORDS = {"cn": "CN", "sc": "CN", "sg": "SG", "tw": "TW", "tc": "TW", "hk": "HK",
                "mo": "MO"}  # words of a family name ("AR PL UKai TW MBE", "LXGW WenKai TC")
REGION_LCIDS = {0x0804: "CN", 0x1004: "SG", 0x0404: "TW", 0x0C04: "HK", 0x1404: "MO"}
MAC_REGIONS = {33: "CN", 19: "TW"}  # Chinese (Simplified), Chinese (Traditional)
GB2312_BIT, BIG5_BIT = 18, 20
LISTED_LANGUAGES = {"JP": "ja", "KR": "ko"}  # regions of data/han_forms.txt; the rest are zh


@dataclass(frozen=True)
class HandFacts:
    """What a face's own tables say about the hands it can be."""

    languages: frozenset[str]  # CJK languages it is made for ("ja", "zh", "ko"); empty: unsaid
    grass: bool  # grass script (草書)
    regions: frozenset[str] = frozenset()  # Chinese regions of one standard; empty: unsaid
    read: bool = True  # False: fontTools could not read its tables (no CJK hand)


NO_FACTS = HandFacts(frozenset(), False)
UNREAD = HandFacts(frozenset(), False, read=False)


def data_digest() -> str:
    """A digest of the data files the pools are decided from: part of the language table's
    cache key (`langtable_file.table_path`), so editing the grass-script word list or the
    Han forms list recomputes the pools without a TABLE_VERSION bump (read each call: a few
    hundred bytes each)."""
    digest = hashlib.sha256(GRASS_NAMES_PATH.read_bytes())
    digest.update(HAN_FORMS_PATH.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def han_forms() -> dict[str, str]:
    """{lower-cased family name: region} of `data/han_forms.txt`: the standard a face's Han
    glyphs follow where its own tables are silent."""
    found = {}
    for line in HAN_FORMS_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            family, region = line.rsplit("\t", 1)
            found[family.strip().lower()] = region.strip()
    return found


@lru_cache(maxsize=1)
def grass_words() -> tuple[str, ...]:
    """The words of `data/grass_script_names.txt`, lower-cased (comments and blanks skipped)."""
    lines = GRASS_NAMES_PATH.read_text(encoding="utf-8").splitlines()
    return tuple(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def read_facts(path: str, index: int) -> HandFacts:
    """The face's facts; a file fontTools cannot read is UNREAD (one warning line)."""
    from fontTools.ttLib import TTFont  # a warm worker never gets here

    try:
        with quiet_fonttools(), TTFont(path, fontNumber=index, lazy=True) as font:
            names = font["name"].names if "name" in font else []
            os2 = font["OS/2"] if "OS/2" in font else None
            pages = int(getattr(os2, "ulCodePageRange1", 0) or 0)
            said, lcids, texts, families = set(), set(), [], []
            for record in names:
                if record.platformID == 3 and record.langID < LANGUAGE_TAG_IDS:
                    said.add(WINDOWS_LANGUAGES.get(record.langID & 0x3FF))
                    lcids.add(REGION_LCIDS.get(record.langID))
                elif record.platformID == 1:
                    said.add(MAC_LANGUAGES.get(record.langID))
                    lcids.add(MAC_REGIONS.get(record.langID))
                if record.nameID in NAME_IDS:
                    texts.append(record.toUnicode(errors="replace").lower())
                    if record.nameID in FAMILY_IDS:
                        families.append(texts[-1])
    except Exception as exc:  # noqa: BLE001  # unreadable or not a font: nothing shows it fits
        warn(f"font {path}#{index}: no CJK hand, its name table is unreadable "
             f"({type(exc).__name__})")
        return UNREAD
    said.discard(None)
    said_by_names = bool(said)
    if not said:
        said = {lang for bit, lang in CODE_PAGE_BITS.items() if pages >> bit & 1}
    # regions only of a face that may be Chinese (Klee One's code pages name Big5 too)
    regions = _regions(families, lcids - {None}, pages) if not said or "zh" in said else None
    listed = next((han_forms()[f] for f in families if f in han_forms()), None)
    if listed and not regions and not said_by_names:  # the tables are silent: the list speaks
        said = {LISTED_LANGUAGES.get(listed, "zh")}
        regions = frozenset({listed}) if listed in STANDARDS else None
    if regions:  # a face of one Chinese standard is a Chinese hand, whatever else it covers
        said = {"zh"}
    grass = any(word in text for text in texts for word in grass_words())
    return HandFacts(frozenset(s for s in said if s), grass, regions or frozenset())


def _regions(families: list[str], lcids: set[str], pages: int) -> frozenset[str]:
    """The Chinese regions a face names, from the first source naming one standard only:
    its family names' region words, its localised names' regions, its code pages."""
    words = {REGION_WORDS[w] for name in families for w in re.split(r"[^0-9a-z]+", name)
             if w in REGION_WORDS}
    gb, big5 = pages >> GB2312_BIT & 1, pages >> BIG5_BIT & 1
    paged = {"CN"} if gb and not big5 else {"TW"} if big5 and not gb else set()
    for found in (words, lcids, paged):
        if found and len({STANDARDS[r] for r in found}) == 1:
            return frozenset(found)
    return frozenset()


def fits(facts: HandFacts, script: str) -> bool:
    """Whether a face with `facts` may be the body hand of text in `script` (ISO 15924)."""
    language = SCRIPT_LANGUAGES.get(script)
    if language is None:  # the rules are about Han and kana (Kouzan Sousyo's Latin is plain)
        return True
    if not facts.read or facts.grass:
        return False
    if facts.languages and language not in facts.languages:
        return False
    # Simplified text in CN/SG forms, Traditional in TW/HK/MO ones ("Hani" says neither)
    return script not in ("Hans", "Hant") or not facts.regions or all(
        STANDARDS[region] == script for region in facts.regions)
