"""The one language-code resolver every command uses (generate, render, text, fonts, preview,
config files): a code as people type it → the corpus's canonical BCP 47 code.

Accepted: any case, `_` for `-`, the corpus's own codes, the UDHR codes and ISO 639-3 codes of
its texts, the common tags whose plain form is not a corpus key (`zh` → zh-Hans, `de` →
de-1996, `ms` → zlm-Latn), and what CLDR derives from a tag: deprecated and ISO 639-2/3 codes
replaced by their ISO 639-1 one (`deu` → de, `ara` → ar), a region's likely script (`zh-TW` →
zh-Hant, `sr-ME` → sr-Latn), a region or script the corpus does not split dropped (`de-AT`
→ de). The tag's own spelling and the corpus's primary codes win over ISO 639-3 aliases that
several texts share (`deu` names both de-1901 and de-1996; CLDR's `de` decides).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

# Common codes → corpus code, for tags where the plain code is not the corpus key.
COMMON_ALIASES = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "cmn": "zh-Hans",
    "cmn-hans": "zh-Hans",
    "zho": "zh-Hans",
    "chi": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "cmn-hant": "zh-Hant",
    "de": "de-1996",  # the current orthography; de-1901 is the older one
    "pt": "pt-BR",  # CLDR's likely region for a plain `pt`
    "ms": "zlm-Latn",  # UDHR's Malay text is tagged zlm (Malay), the macrolanguage's member
    "ms-latn": "zlm-Latn",
    "ms-arab": "zlm-Arab",
    "no": "nb",  # Norwegian: Bokmål is the written standard most text uses
    "fil": "tl",  # Filipino is standardised Tagalog
    "el-monoton": "el",
    "sr": "sr-Cyrl",
    "uz": "uz-Latn",
    "mn": "mn-Cyrl",
    "iw": "he",
    "jp": "ja",
    "arb": "ar",
    "pes": "fa",
}


# BCP 47 grandfathered tags whose parts are not an extlang (RFC 5646 §2.2.8): their preferred
# values. `zh-min` has none (Min is a group, not one language): it matches nothing.
IRREGULAR_TAGS = {"zh-min-nan": "nan", "zh-hakka": "hak", "zh-xiang": "hsn",
                  "zh-guoyu": "cmn", "zh-min": "und"}
UNDETERMINED = "und"  # ISO 639 "undetermined": names no language, so it resolves to none


@dataclass(frozen=True)
class AliasTable:
    """`primary`: lower-cased corpus codes and common aliases; `secondary`: the texts' own
    aliases (UDHR and ISO 639-3 codes); `shared`: those several texts have, which only decide
    when nothing CLDR derives from the tag is a corpus code."""

    primary: dict[str, str] = field(default_factory=dict)
    secondary: dict[str, str] = field(default_factory=dict)
    shared: frozenset[str] = frozenset()  # secondary aliases of more than one text
    scripts: dict[str, str] = field(default_factory=dict)  # code → ISO 15924 of its text

    def resolve(self, spelling: str) -> str | None:
        """Canonical code for `spelling`, or None when nothing matches (a tag whose script the
        only matching text is not written in included: see `script_conflict`)."""
        key = normalize(spelling)
        found = self.primary.get(key)
        if found is not None:
            return found
        found = self._lookup(canonical_tag(key))
        return None if found is None or self.script_conflict(spelling, found) else found

    def why_unknown(self, spelling: str) -> str:
        """For an error line: ": <the script conflict>" when that alone refused `spelling`."""
        found = self._lookup(canonical_tag(normalize(spelling)))
        conflict = self.script_conflict(spelling, found) if found else ""
        return f": {conflict}" if conflict else ""

    def _lookup(self, key: str) -> str | None:
        if key.split("-")[0] == UNDETERMINED:  # UDHR's `und-x-NNN` texts answer only exactly
            return None
        found = self.primary.get(key)
        if found is not None:
            return found
        if key in self.secondary and key not in self.shared:
            return self.secondary[key]
        derived = derived_keys(key)
        # what CLDR derives from the tag beats an ISO 639-3 alias several texts share
        order = [(self.primary, derived), (self.secondary, (key, *derived))]
        return next((table[c] for table, keys in order for c in keys if c in table), None)

    def script_conflict(self, spelling: str, code: str) -> str:
        """Why `code` cannot stand for `spelling`: the tag names a script (`pa-Arab`), or a
        region whose likely script is not the language's usual one (`pa-PK`, `kk-CN`), that
        the text of `code` is not written in; "" when it can. Without this the nearest text
        answered in another script: `pa-Arab` (Shahmukhi) drew Gurmukhi pages labelled pa."""
        have = self.scripts.get(code)
        wanted = wanted_script(canonical_tag(normalize(spelling)))
        if not have or not wanted or wanted == have or wanted in SCRIPT_COVERS.get(have, ()):
            return ""
        return f"the text of {code} is written in {have}, not {wanted}"

    def codes(self) -> list[str]:
        return sorted(set(self.primary.values()))


def normalize(spelling: str) -> str:
    return spelling.strip().lower().replace("_", "-")


def canonical_tag(key: str) -> str:
    """A lower-cased tag with its extended-language subtag made the language (`zh-yue` → yue,
    `ar-arb` → arb: RFC 5646 §4.5) and irregular grandfathered tags replaced; else unchanged.
    Without it `zh-yue` (Cantonese) fell back to its prefix `zh` and became zh-Hans."""
    for tag, preferred in IRREGULAR_TAGS.items():
        if key == tag or key.startswith(f"{tag}-"):
            return preferred + key[len(tag):]
    parts = key.split("-")
    if len(parts) > 1 and len(parts[0]) in (2, 3) and len(parts[1]) == 3 and parts[1].isalpha():
        return "-".join(parts[1:])
    return key


# scripts a text's script tag stands for, beyond itself (Japanese is kanji and kana, Korean
# hangul and hanja; a Simplified or Traditional text is Han)
SCRIPT_COVERS = {"Jpan": ("Hani", "Hira", "Kana", "Hrkt"), "Kore": ("Hang", "Hani"),
                 "Hang": ("Kore",), "Hans": ("Hani",), "Hant": ("Hani",)}


def wanted_script(key: str) -> str:
    """The script a lower-cased tag asks for: its own script subtag, else the one CLDR deems
    likely for its language in its region where that differs from the language's usual one
    (`pa-pk` → Arab; `de-at` → "", German is Latin anyway)."""
    if not key or key.startswith("x-"):
        return ""
    lang, script, region, _ = _split(key)
    if script:
        return script.title()
    if not region:
        return ""
    aliases, _ = _cldr()
    replacement = aliases.get(lang)
    if replacement:
        lang = _split(normalize(replacement))[0]
    usual, in_region = _likely(lang, "", "")[0], _likely(lang, "", region)[0]
    return in_region.title() if usual and in_region and in_region != usual else ""


def alias_table(codes: Iterable[str], texts: Mapping[str, Any] | None = None) -> AliasTable:
    """The lookup tables for `codes`; `texts` (code → object with `.aliases`) adds their UDHR
    and ISO 639-3 spellings. Of texts sharing an alias, the one without a private subtag wins."""
    codes = list(codes)
    known = set(codes)
    primary = {alias: target for alias, target in COMMON_ALIASES.items() if target in known}
    primary.update({code.lower(): code for code in codes})
    secondary: dict[str, str] = {}
    shared: set[str] = set()
    for code in sorted(codes, key=lambda c: ("-x-" in c, c)) if texts else ():
        text = texts.get(code) if texts else None
        for alias in {normalize(a) for a in text.aliases} if text else ():
            if secondary.setdefault(alias, code) != code:
                shared.add(alias)
    scripts = {code: script for code in codes
               if isinstance(script := getattr((texts or {}).get(code), "script", None), str)}
    return AliasTable(primary, secondary, frozenset(shared), scripts)


def resolve_code(code: str, codes: Iterable[str], texts: Mapping[str, Any] | None = None) -> str | None:
    """Canonical code for a user-typed `code` among `codes`, or None when nothing matches."""
    return alias_table(codes, texts).resolve(code)


@cache
def _cldr() -> tuple[Mapping[str, str], Mapping[str, str]]:
    from babel.core import get_global

    return get_global("language_aliases"), get_global("likely_subtags")


def _split(key: str) -> tuple[str, str, str, list[str]]:
    """language, script, region, other subtags of a lower-cased tag (private use dropped)."""
    parts = key.split("-")
    if "x" in parts:
        parts = parts[: parts.index("x")]
    lang, script, region, rest = parts[0], "", "", []
    for part in parts[1:]:
        if not script and not region and len(part) == 4 and part.isalpha():
            script = part
        elif not region and (len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit()):
            region = part
        else:
            rest.append(part)
    return lang, script, region, rest


def _likely(lang: str, script: str, region: str) -> tuple[str, str]:
    """CLDR's likely (script, region) for a language, keeping the ones the tag names."""
    _, likely = _cldr()
    s, r = script.title(), region.upper()
    for probe in (f"{lang}_{s}_{r}", f"{lang}_{r}", f"{lang}_{s}", lang):
        full = likely.get(probe.replace("__", "_").strip("_"))
        if full:
            parts = full.split("_")
            found_script = next((p for p in parts[1:] if len(p) == 4), "")
            found_region = next((p for p in parts[1:] if len(p) != 4), "")
            return script or found_script.lower(), region or found_region.lower()
    return script, region


@cache
def derived_keys(key: str) -> tuple[str, ...]:
    """Spellings to try, in order, for a lower-cased tag the tables do not hold as typed."""
    if not key or "-x-" in key or key.startswith("x-"):
        return ()
    aliases, _ = _cldr()
    lang, script, region, rest = _split(key)
    replacement = aliases.get(lang)
    if replacement:  # ger/deu → de, sh → sr_Latn
        new_lang, new_script, new_region, _ = _split(normalize(replacement))
        lang, script, region = new_lang, script or new_script, region or new_region
    script, region = _likely(lang, script, region)
    return _dedupe(
        "-".join(p for p in (lang, script, region, *rest) if p),
        "-".join(p for p in (lang, script, region) if p),
        "-".join(p for p in (lang, script) if p),
        "-".join(p for p in (lang, region) if p),
        lang,
    )


def _dedupe(*keys: str) -> tuple[str, ...]:
    seen: list[str] = []
    for k in keys:
        if k and k not in seen:
            seen.append(k)
    return tuple(seen)


def suggestions(spelling: str, codes: Sequence[str], limit: int = 5) -> list[str]:
    """Codes sharing the typed code's language subtag, for a `did you mean` hint."""
    lang = normalize(spelling).split("-")[0]
    return sorted(c for c in codes if c.lower().split("-")[0] == lang)[:limit]
