"""Text sources beyond the UDHR: frequency vocabularies, CLDR exemplars, common Han/Hangul lists.

- Vocabularies come from the PyPI package `wordfreq` (42 languages, words by frequency), read
  at run time; a language it lacks simply has no vocabulary source. wordfreq keeps Chinese in
  Simplified form only, so zh-Hant's vocabulary is its `zh` list converted by OpenCC (`s2tw`:
  Taiwan-standard character forms 為/著/裡, the Big5 ones, without swapping words for Taiwanese
  idiom as `s2twp` would; zh-TW, zh-HK and zh-MO all resolve to zh-Hant, so one table serves).
  Without the `opencc` package zh-Hant falls back to its corpus words, as before it existed.
- CLDR main exemplar characters and the Han lists (通用规范汉字表 levels from Unihan `kTGH`,
  常用漢字 from `kJoyoKanji`) are facts shipped in `data/textsources.json.gz` (~90 KB), built
  from Debian's unicode-cldr-core and unicode-data by tools/build_text_sources.py.
- Words on the LDNOOBW lists (obscenities and slurs, 27 languages, CC BY 4.0; built by
  tools/build_blocklist.py into `data/blocklist.json.gz`) never enter a vocabulary: wordfreq
  counts the web as it is, and a generator should not print its slurs on training pages.
- Hangul KS X 1001 (the 2,350 syllables EUC-KR encodes) and Big5's 5,401 frequent hanzi
  (level 1, 0xA440-0xC67E) are derived from Python's own codecs.

`letter_groups` names a text's writing systems by the first word of each letter's Unicode name
(LATIN, CYRILLIC, CJK, HIRAGANA…): enough to tell whether a vocabulary, an exemplar set or a
user's corpus is in the script a language is written in, without a script table.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

from fonts_manifest import casing, hunspell
from fonts_manifest.errors import PolyglyphError
from fonts_manifest.hanforms import japanese_only, simplified_only

DATA_PATH = Path(__file__).resolve().parent / "data" / "textsources.json.gz"
BLOCKLIST_PATH = DATA_PATH.with_name("blocklist.json.gz")
VOCAB_SIZE = 40_000  # most frequent words kept per language (the long tail is mostly noise)
# wordfreq's language code for a primary subtag where it differs (or is shared)
_WORDFREQ = {"no": "nb", "nn": "nb", "tl": "fil", "sr": "sh", "hr": "sh", "bs": "sh"}
# OpenCC configuration turning wordfreq's (Simplified) list into a (code, script)'s vocabulary
_OPENCC = {("zh", "Hant"): "s2tw"}
# CLDR locale id for corpus codes whose default CLDR script differs from the code's own
_CLDR_IDS = {"zh-Hans": "zh", "zh-Hant": "zh_Hant", "sr-Cyrl": "sr", "uz-Latn": "uz",
             "mn-Cyrl": "mn", "bs-Cyrl": "bs_Cyrl", "az-Cyrl": "az_Cyrl"}
# letters of these groups count as one writing system (Japanese mixes three)
_GROUP_ALIASES = {"HIRAGANA": "KANA", "KATAKANA": "KANA", "HALFWIDTH": "KANA"}


@cache
def bundled() -> dict:
    """The shipped exemplar and Han-list facts (see tools/build_text_sources.py)."""
    try:
        with gzip.open(DATA_PATH, "rb") as handle:
            return json.loads(handle.read())
    except OSError as exc:
        raise PolyglyphError(f"text sources file missing or unreadable: {DATA_PATH} ({exc}); "
                             "rebuild it with tools/build_text_sources.py") from None


@cache
def bundled_digest() -> str:
    return hashlib.sha256(DATA_PATH.read_bytes()).hexdigest()[:16]


@cache
def _blocklist() -> dict[str, list[str]]:
    try:
        with gzip.open(BLOCKLIST_PATH, "rb") as handle:
            return json.loads(handle.read())["lists"]
    except (OSError, ValueError, KeyError) as exc:
        raise PolyglyphError(f"word blocklist missing or unreadable: {BLOCKLIST_PATH} ({exc}); "
                             "rebuild it with tools/build_blocklist.py") from None


@cache
def blocked_words(*langs: str) -> frozenset[str]:
    """Case-folded words never drawn for these languages: their own lists plus the English
    one, whose slurs turn up as loanwords in other languages' web counts."""
    lists = _blocklist()
    aliases = {"nb": "no", "nn": "no", "sh": "hr"}
    out: set[str] = set(lists.get("en", ()))
    for lang in langs:
        out.update(lists.get(aliases.get(lang, lang), ()))
    return frozenset(out)


def source_versions() -> dict[str, str]:
    """Versions of every source a synthesised text depends on (recorded in the manifest, and
    hashed with the config, so a new wordfreq release names a new run)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"textsources": bundled_digest(),
           "blocklist": hashlib.sha256(BLOCKLIST_PATH.read_bytes()).hexdigest()[:16]}
    out["hunspell"] = hunspell.fingerprint()
    for name in ("wordfreq", "opencc", "babel", "faker"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def primary(code: str) -> str:
    return code.split("-")[0].lower()


@cache
def letter_group(ch: str) -> str | None:
    """Writing-system group of a letter (first word of its Unicode name), None for non-letters."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    if not name:
        return None
    word = name.split(" ", 1)[0]
    return _GROUP_ALIASES.get(word, word)


def letter_groups(text: str, limit: int = 200_000) -> Counter[str]:
    """How many letters of each writing-system group the first `limit` characters hold."""
    counts: Counter[str] = Counter()
    for ch, n in Counter(text[:limit]).items():
        group = letter_group(ch)
        if group is not None:
            counts[group] += n
    return counts


def main_groups(text: str, share: float = 0.05) -> frozenset[str]:
    """The groups holding at least `share` of a text's letters (its scripts)."""
    counts = letter_groups(text)
    total = sum(counts.values()) or 1
    return frozenset(g for g, n in counts.items() if n / total >= share)


def script_mismatch(text: str, reference: str) -> str | None:
    """Why `text` is not written like `reference` (the language's UDHR text), or None.

    Refused when under half of its letters are in the reference's writing systems: Chinese
    passed as Arabic would otherwise be labelled Arabic, right to left."""
    return groups_mismatch(text, main_groups(reference))


def groups_mismatch(text: str, expected: frozenset[str]) -> str | None:
    """`script_mismatch` against known writing-system groups."""
    counts = letter_groups(text)
    total = sum(counts.values())
    if total == 0:
        return "it has no letters"
    inside = sum(n for g, n in counts.items() if g in expected)
    if inside / total >= 0.5:
        return None
    found = ", ".join(g for g, _ in counts.most_common(2))
    return (f"its letters are mostly {found}, but the language is written in "
            f"{', '.join(sorted(expected))}")


def exemplars(code: str, reference: str) -> list[str]:
    """CLDR main exemplar characters of a language (strings, most one character), or [] when
    CLDR has none or they are in another script than `reference` (its corpus text)."""
    table = bundled()["exemplars"]
    candidates = [_CLDR_IDS.get(code), code.replace("-", "_"), primary(code)]
    found = next((table[c] for c in candidates if c and c in table), None)
    if not found:
        return []
    expected = main_groups(reference)
    groups = Counter(g for item in found for ch in item if (g := letter_group(ch)))
    if not groups or groups.most_common(1)[0][0] not in expected:
        return []
    if code.endswith("-Hant"):
        return [item for item in found if not simplified_only(item)]
    return list(found)


def tgh_level(level: int) -> list[str]:
    """Level 1, 2 or 3 of the 通用规范汉字表 (3,500 / 3,000 / 1,605 characters)."""
    return list(bundled()["tgh"][level - 1])


@cache
def ksx1001_hangul() -> tuple[str, ...]:
    """The 2,350 Hangul syllables of KS X 1001 (what EUC-KR encodes)."""
    out = []
    for cp in range(0xAC00, 0xD7A4):
        try:
            encoded = chr(cp).encode("euc_kr")
        except UnicodeEncodeError:
            continue
        if len(encoded) == 2:  # the others are 8-byte jamo sequences (a codec extension)
            out.append(chr(cp))
    return tuple(out)


@cache
def big5_frequent() -> tuple[str, ...]:
    """Big5's level-1 hanzi (frequently used, 0xA440-0xC67E): 5,401 Traditional characters."""
    out = []
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if (lead, trail) > (0xC6, 0x7E):
                break
            try:
                ch = bytes([lead, trail]).decode("big5")
            except UnicodeDecodeError:
                continue
            if unicodedata.category(ch) == "Lo":
                out.append(ch)
    return tuple(out)


def common_chars(code: str, script: str) -> list[str]:
    """The common-use list a CJK language's text must cover ([] for other languages)."""
    lang = primary(code)
    if lang == "zh":
        return list(big5_frequent()) if script == "Hant" else tgh_level(1)
    if lang == "ja":
        return list(bundled()["joyo"])
    if lang == "ko":
        return list(ksx1001_hangul())
    return []


def wordfreq_code(code: str, script: str) -> str | None:
    """wordfreq's code for a language, or None when it has no list in this script."""
    lists = wordfreq_lists()
    if not lists:
        return None
    lang = _WORDFREQ.get(primary(code), primary(code))
    if lang == "zh" and script == "Hant" and opencc_config(code, script) is None:
        return None  # wordfreq keeps Chinese in Simplified form; without OpenCC, no list
    if lang == "sh" and script != "Latn":
        return None
    return lang if lang in lists else None


@cache
def wordfreq_lists() -> dict[str, str]:
    """wordfreq's best list file per language, as `wordfreq.available_languages("best")` gives
    them (a "large" list where there is one, else the "small"), found in the installed
    package's data folder without importing it: `import wordfreq` pulls in ftfy, wcwidth,
    regex and langcodes, +12.7 MiB of every worker's RSS for two file names. {} when wordfreq
    is not installed."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return {}
    data = Path(next(iter(spec.submodule_search_locations)), "data")
    found: dict[str, dict[str, str]] = {"small": {}, "large": {}}
    for path in data.glob("*.msgpack.gz"):
        name, _, lang = path.name.split(".")[0].partition("_")
        if not path.name.startswith("_") and name in found:
            found[name][lang] = str(path)
    return {**found["small"], **found["large"]}


def opencc_config(code: str, script: str) -> str | None:
    """The OpenCC configuration converting wordfreq's list for this language, or None when it
    needs none, or when the `opencc` package is missing (found without importing it)."""
    config = _OPENCC.get((primary(code), script))
    if config is None:
        return None
    import importlib.util

    return config if importlib.util.find_spec("opencc") is not None else None


def _converter(config: str) -> Callable[[str], str]:
    """A fresh OpenCC converter, not cached: its dictionaries are ~43 MiB of a worker's heap
    (measured: RSS 13.6 -> 56.2 MiB for s2tw, and back when it is dropped) and build in ~80
    ms, while `vocabulary` needs it once per language (the scenes memoise the word list)."""
    import opencc

    return opencc.OpenCC(config).convert


def vocabulary_source(code: str, script: str) -> str:
    """Where `vocabulary` takes the language's words: "wordfreq", "wordfreq+opencc" (zh-Hant),
    "hunspell" or "none"."""
    if wordfreq_code(code, script) is not None:
        return "wordfreq+opencc" if opencc_config(code, script) else "wordfreq"
    return "hunspell" if hunspell.dictionaries(primary(code)) else "none"


def vocabulary(code: str, script: str, reference: str) -> list[tuple[str, float]]:
    """(word, frequency) of the language's most frequent words, most frequent first (from
    wordfreq; for a language it lacks, hunspell stems of equal weight — see
    `fonts_manifest.hunspell`).

    Words are given their real casing (`fonts_manifest.casing`: wordfreq lowercases all).
    Kept: words of letters (and marks, inner apostrophes or hyphens) in the writing systems of
    `reference`; no digits, no stray Latin in a Cyrillic list; nothing on the blocklist.
    Built once per machine and kept on disk (`fonts_manifest.vocabcache`)."""
    from fonts_manifest import vocabcache

    lang = wordfreq_code(code, script)
    expected = main_groups(reference)
    if lang is None:
        dics = hunspell.dictionaries(primary(code))
        sources: dict[str, object] = {"hunspell": [
            vocabcache.stat_key(str(p)) + vocabcache.stat_key(str(p.with_suffix(".aff")))
            for p in dics]}
    else:
        sources = vocabcache.wordfreq_sources(wordfreq_lists()[lang], opencc_config(code, script))
    sources.update(casing.source_key(primary(code), reference))
    key = vocabcache.make_key(code, script, expected, VOCAB_SIZE, sources)
    return vocabcache.cached(key, BLOCKLIST_PATH, lambda: casing.apply(
        _build_vocabulary(code, script, lang, expected), primary(code), reference))


def _build_vocabulary(code: str, script: str, lang: str | None,
                      expected: frozenset[str]) -> list[tuple[str, float]]:
    """`vocabulary` read from its source (wordfreq's list, else hunspell's stems)."""
    memo: dict[str, str] = {}
    if lang is None:
        blocked = blocked_words(primary(code))
        return hunspell.word_list(
            primary(code), VOCAB_SIZE,
            lambda w: _clean_word(w, expected, memo) and w.casefold() not in blocked)
    blocked = blocked_words(lang, primary(code))
    config = opencc_config(code, script)
    convert = _converter(config) if config else None
    out: dict[str, float] = {}
    for index, bucket in _buckets(wordfreq_lists()[lang]):
        freq = 10.0 ** (-index / 100.0)
        for word in bucket:
            if convert is not None:
                if word.casefold() in blocked:
                    continue
                word = convert(word)
                if script == "Hant" and any(map(japanese_only, word)):
                    continue
            if _clean_word(word, expected, memo) and word.casefold() not in blocked:
                out[word] = out.get(word, 0.0) + freq  # Simplified words may merge in Traditional
                if len(out) >= VOCAB_SIZE:
                    return _by_frequency(out)
    return _by_frequency(out)


def _by_frequency(words: dict[str, float]) -> list[tuple[str, float]]:
    """Most frequent first, ties in first-seen order (sorted is stable)."""
    return sorted(words.items(), key=lambda item: -item[1])


def _buckets(path: str) -> Iterator[tuple[int, list[str]]]:
    """(centibels below 1, words) of a wordfreq list, most frequent first, read one bucket at
    a time: `wordfreq.get_frequency_list` would hold all 300k-600k words of the language in a
    worker (and keep them cached); the 40k wanted here are in the first buckets. The file is
    gzip'd msgpack: [header {"format": "cB", "version": 1}, bucket 0, bucket 1, ...]."""
    import msgpack

    with gzip.open(path, "rb") as handle:
        unpacker = msgpack.Unpacker(handle, raw=False)
        count = unpacker.read_array_header()
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB":
            raise PolyglyphError(f"{path}: not a wordfreq cB list (header {header!r})")
        for index in range(count - 1):
            yield index, unpacker.unpack()


def _clean_word(word: str, expected: Iterable[str], memo: dict[str, str] | None = None) -> bool:
    """Letters of the expected groups (plus marks, inner ' - ’), at least one letter."""
    if not 1 <= len(word) <= 24 or word[0] in "'-" or word[-1] in "'-":
        return False
    memo = {} if memo is None else memo
    has_letter = False
    for ch in word:
        kind = memo.get(ch)
        if kind is None:
            cat = unicodedata.category(ch)
            if cat.startswith("L"):
                kind = "L" if letter_group(ch) in expected else "X"
            else:
                kind = "M" if cat.startswith("M") or ch in "'-’" else "X"
            memo[ch] = kind
        if kind == "X":
            return False
        has_letter = has_letter or kind == "L"
    return has_letter
