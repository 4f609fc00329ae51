"""The casing a vocabulary word is really written in, from cased sources.

wordfreq lowercases every word it counts, so page text made from its lists read "politik
verwertung rührei" where German writes "Politik Verwertung Rührei", and English drew a lone
"i" — a recognizer trained on that learns casing no printed page has. This module gives each
all-lowercase word the one cased form its language's cased sources know, and leaves it alone
whenever they know no form or more than one (German "weg" and "Weg": both are words, so the
lowercase form stays):

1. the language's hunspell dictionaries (`fonts_manifest.hunspell`; Debian lists nouns and
   proper names capitalised: de "Politik", en "Monday", ru "Москва"), stems only, those that
   are words on their own (compound-only parts like de "politik/o" are not);
2. for words no dictionary knows (inflected forms, languages without a dictionary): the
   language's corpus text (its UDHR, or the user's corpus) — a word counts as capitalised
   there only mid-sentence, outside title-like lines, and only when it never occurs in lower
   case;
3. a few facts no source states unambiguously (`_FIXED`: English "I", whose dictionary also
   lists the letter "i", and its contractions I'm, I'll...).

The result is a pure function of the word, the language and the sources (no randomness); the
vocabulary cache key names the sources (`source_key`) and this module's code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from fonts_manifest import hunspell

# forms always written so in a language, whatever a dictionary also lists
_FIXED: dict[str, dict[str, str]] = {
    "en": {"i": "I"},
}
# lowercase beginnings always written capitalised (English i'm, i'll, i've, i'ma: the pronoun)
_FIXED_PREFIX: dict[str, tuple[str, ...]] = {"en": ("i'", "i’")}
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?")
_SOFT_GAP = re.compile(r"\s*,?\s*")  # what may separate two words inside a sentence
TITLE_SHARE = 0.5  # a line whose words are mostly capitalised is a title: no evidence


def source_key(primary: str, reference: str) -> dict[str, object]:
    """What the casing of a language depends on: its dictionaries (name, size) and a digest
    of its corpus text. Part of the vocabulary cache key."""
    dics = [f"{p.name}:{p.stat().st_size}" for p in _unique(hunspell.dictionaries(primary))]
    return {"casing_hunspell": dics,
            "casing_corpus": hashlib.sha256(reference.encode()).hexdigest()[:16]}


def _unique(paths: Iterable[Path]) -> list[Path]:
    """Dictionaries once each (Debian links de_BE, de_LU... to de_DE)."""
    seen: dict[Path, Path] = {}
    for path in paths:
        seen.setdefault(path.resolve(), path)
    return list(seen.values())


def _only_form(forms: dict[str, set[str]], lower: str) -> str | None:
    """The single cased form a source knows for `lower`, None when it knows the lowercase
    form, several forms, or none."""
    found = forms.get(lower)
    if not found or lower in found or len(found) != 1:
        return None
    return next(iter(found))


Rules = dict[str, dict[str, list[tuple[str, "re.Pattern[str]"]]]]  # add -> strip -> (flag, cond)
Index = dict[str, list[tuple[str, set[str]]]]  # lowercase stem -> (stem, flags)


def suffix_rules(aff: Path) -> Rules:
    """The `SFX flag strip add condition` lines of an affix file, by what they add (a rule
    whose condition this reader cannot compile gives no form: never a wrong one)."""
    rules: Rules = {}
    charset = hunspell.affix_settings(aff)[0]
    try:
        text = aff.read_bytes().decode(charset, "replace")
    except (OSError, LookupError):
        return rules
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or parts[0] != "SFX":
            continue  # a header (SFX flag cross count) or another setting
        strip = "" if parts[2] == "0" else parts[2]
        add = parts[3].split("/")[0]
        try:
            condition = re.compile(("." if parts[4] == "." else parts[4]) + "$")
        except re.error:
            continue
        rules.setdefault("" if add == "0" else add.lower(), {}).setdefault(strip, []).append(
            (parts[1], condition))
    return rules


def _derive(lower: str, index: Index, rules: Rules) -> set[str]:
    """Forms of `index`'s stems whose lowercase is `lower`: the stem itself, or the stem with
    one suffix rule applied (de "abneigung" <- "Abneigen/J": strip "en", add "ung")."""
    found = {stem for stem, _ in index.get(lower, ())}
    for cut in range(1, len(lower) + 1):
        for strip, options in rules.get(lower[cut:], {}).items():
            for stem, flags in index.get(lower[:cut] + strip.lower(), ()):
                if any(flag in flags and cond.search(stem) for flag, cond in options):
                    found.add(stem[:len(stem) - len(strip)] + lower[cut:])
    return found


def _bases(lower: str, rules: Rules) -> set[str]:
    """Every lowercase stem some rule could inflect into `lower` (and `lower` itself)."""
    out = {lower}
    for cut in range(1, len(lower) + 1):
        out.update(lower[:cut] + strip.lower() for strip in rules.get(lower[cut:], {}))
    return out


def dictionary_forms(primary: str, words: set[str], also: set[str]) -> dict[str, set[str]]:
    """The forms a language's hunspell dictionaries list for the lowercase `words` that have a
    capitalised one there, and for `also` (words the corpus would case: the dictionary decides
    a word it lists). Two passes over each `.dic`, keeping only what is needed: a whole
    Polish dictionary indexed with its flags took +229 MiB of a worker's peak RSS."""
    out: dict[str, set[str]] = {}
    for dic in _unique(hunspell.dictionaries(primary)):
        rules = suffix_rules(dic.with_suffix(".aff"))
        cased: Index = {}
        for stem, flags in hunspell.entries(dic):
            if stem != stem.lower():
                cased.setdefault(stem.lower(), []).append((stem, flags))
        hits = {w: f for w in words if (f := _derive(w, cased, rules))}
        del cased
        asked = set(hits) | also
        need = set().union(*(_bases(w, rules) for w in asked)) if asked else set()
        lower: Index = {}
        for stem, flags in hunspell.entries(dic):
            if stem in need:
                lower.setdefault(stem, []).append((stem, flags))
        for w in asked:
            found = hits.get(w, set()) | _derive(w, lower, rules)
            if found:
                out.setdefault(w, set()).update(found)
    return out


def corpus_forms(reference: str) -> dict[str, set[str]]:
    """lowercase -> the forms a text uses: every lowercase occurrence, and capitalised ones
    only mid-sentence (after a word and a space or comma) in lines that are not titles."""
    forms: dict[str, set[str]] = {}
    for line in reference.splitlines():
        matches = list(_WORD.finditer(line))
        if not matches:
            continue
        capital = sum(m.group()[0] != m.group()[0].lower() for m in matches)
        title = capital / len(matches) >= TITLE_SHARE
        for k, match in enumerate(matches):
            word = match.group()
            lower = word.lower()
            if word == lower:
                forms.setdefault(lower, set()).add(word)
                continue
            if title or k == 0:
                continue
            gap = line[matches[k - 1].end():match.start()]
            if _SOFT_GAP.fullmatch(gap):
                forms.setdefault(lower, set()).add(word)
    return forms


class Casing:
    """The cased form of a language's words (built once per vocabulary build)."""

    def __init__(self, primary: str, reference: str, words: Iterable[str]) -> None:
        self.fixed = _FIXED.get(primary, {})
        self.prefixes = _FIXED_PREFIX.get(primary, ())
        self.corpus = corpus_forms(reference)
        lowers = {w for w in words if w == w.lower()}
        by_corpus = {w for w in lowers if _only_form(self.corpus, w)}
        self.dictionary = dictionary_forms(primary, lowers, by_corpus)

    def __call__(self, word: str) -> str:
        """`word` as the sources write it; unchanged unless it is all lowercase and exactly
        one cased form is known (the dictionary decides a word it lists, in any form)."""
        lower = word.lower()
        if word != lower:
            return word  # already cased by its source (hunspell stems, corpus words)
        fixed = self.fixed.get(word)
        if fixed is not None:
            return fixed
        if word.startswith(self.prefixes):
            return word[0].upper() + word[1:]
        if lower in self.dictionary:
            return _only_form(self.dictionary, lower) or word
        return _only_form(self.corpus, lower) or word


def apply(words: list[tuple[str, float]], primary: str, reference: str
          ) -> list[tuple[str, float]]:
    """(word, weight) with each word in its real casing (order and weights unchanged; the
    mapping is one-to-one on lowercase words, so no two entries merge)."""
    casing = Casing(primary, reference, (w for w, _ in words))
    return [(casing(word), weight) for word, weight in words]
