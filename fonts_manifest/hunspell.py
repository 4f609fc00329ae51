"""Word lists from Debian's hunspell dictionaries, for languages wordfreq does not count (and,
through `entries`, the casing of wordfreq's lowercased words: `fonts_manifest.casing`).

A hunspell `.dic` file is a spelling dictionary: stems (with affix flags) and no frequencies.
It still gives a language tens of thousands of real words where the alternative is the few
hundred words of its UDHR text. The stems are kept as they are (no affix expansion: a stem
is a real word form in the languages these dictionaries serve), words in another script are
dropped by the caller's filter, and since nothing says which words are common, a fixed
subset is chosen by a stable hash of each word and every word weighs the same.

Dictionaries are looked up in `/usr/share/hunspell` (Debian's `hunspell-*` and `myspell-*`
packages, listed in tools/apt-packages.txt) and `POLYGLYPH_HUNSPELL_DIRS` (colon-separated).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

SYSTEM_DIRS = ("/usr/share/hunspell", "/usr/share/myspell/dicts")
MAX_DIC_BYTES = 64 * 1024 * 1024  # the largest Debian dictionary is ~15 MB
# hunspell file names whose language part differs from the BCP 47 primary subtag
_ALIASES = {"gn": ("gug",), "ku": ("kmr", "ku"), "nb": ("nb", "no"), "nn": ("nn", "no")}


def search_dirs() -> list[Path]:
    extra = [p for p in os.environ.get("POLYGLYPH_HUNSPELL_DIRS", "").split(":") if p]
    return [Path(p) for p in (*extra, *SYSTEM_DIRS) if Path(p).is_dir()]


def dictionaries(primary: str) -> list[Path]:
    """The `.dic` files of a language (all regional variants, sorted by name)."""
    names = _ALIASES.get(primary, (primary,))
    found = {}
    for folder in search_dirs():
        for path in sorted(folder.glob("*.dic")):
            if path.stem.split("_")[0] in names and path.with_suffix(".aff").is_file():
                found.setdefault(path.name, path)
    return [found[k] for k in sorted(found)]


# flags marking a stem that is not a word on its own
NOT_A_WORD = ("NEEDAFFIX", "PSEUDOROOT", "ONLYINCOMPOUND", "FORBIDDENWORD")


def affix_settings(aff: Path) -> tuple[str, str, frozenset[str]]:
    """(character set, flag syntax, flags of stems that are not words) from the affix file:
    `SET` (UTF-8 if none), `FLAG` (single characters if none; `long` = two characters,
    `num` = comma-separated numbers) and the NEEDAFFIX-like flags."""
    charset, syntax, banned = "utf-8", "char", set()
    try:
        raw_lines = aff.read_bytes().splitlines()
    except OSError:
        return charset, syntax, frozenset()
    for raw in raw_lines:
        parts = raw.split()
        if len(parts) < 2:
            continue
        key, value = parts[0].decode("ascii", "replace"), parts[1]
        if key == "SET":
            name = value.decode("ascii", "replace")
            charset = {"microsoft-cp1251": "cp1251"}.get(name.lower(), name)
        elif key == "FLAG":
            syntax = value.decode("ascii", "replace").lower()
        elif key in NOT_A_WORD:
            banned.add(value.decode(charset, "replace"))
    return charset, syntax, frozenset(banned)


def split_flags(flags: str, syntax: str) -> set[str]:
    if syntax == "num":
        return set(flags.split(","))
    if syntax == "long":
        return {flags[i:i + 2] for i in range(0, len(flags), 2)}
    return set(flags)


def stems(dic: Path) -> Iterator[str]:
    """The stems of one `.dic` file that are words on their own (its first line is a count;
    then `stem/FLAGS [morphology]`)."""
    for word, _ in entries(dic):
        yield word


def entries(dic: Path) -> Iterator[tuple[str, set[str]]]:
    """(stem, its flags) of one `.dic` file, for stems that are words on their own."""
    if dic.stat().st_size > MAX_DIC_BYTES:
        return
    charset, syntax, banned = affix_settings(dic.with_suffix(".aff"))
    text = dic.read_bytes().decode(charset, "replace")
    for index, line in enumerate(text.splitlines()):
        if index == 0 or not line or line[0] in "\t #":
            continue
        entry = line.split("\t")[0].split(" ")[0]
        cut = entry.find("/")
        while cut > 0 and entry[cut - 1] == "\\":  # an escaped slash belongs to the word
            cut = entry.find("/", cut + 1)
        flags = split_flags(entry[cut + 1:], syntax) if cut >= 0 else set()
        if banned and flags & banned:
            continue
        yield (entry if cut < 0 else entry[:cut]).replace("\\/", "/"), flags


def word_list(primary: str, keep: int, accept: Callable[[str], bool]) -> list[tuple[str, float]]:
    """Up to `keep` accepted words of the language's dictionaries, all of weight 1.0, chosen
    by a stable hash of the word (the same on every machine with the same dictionaries)."""
    words: set[str] = set()
    for dic in dictionaries(primary):
        words.update(w for w in stems(dic) if accept(w))
    ranked = sorted(words, key=lambda w: hashlib.blake2b(w.encode(), digest_size=8).digest())
    return [(w, 1.0) for w in ranked[:keep]]


def fingerprint() -> str:
    """Names and sizes of every dictionary found (a run's source version: the same packages
    give the same value on every node, whatever their install times)."""
    parts = sorted(f"{p.name}:{p.stat().st_size}" for d in search_dirs() for p in d.glob("*.dic"))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16] if parts else "absent"
