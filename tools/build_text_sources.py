"""Build fonts_manifest/data/textsources.json.gz: CLDR exemplar characters and Han lists.

Run once when the sources change (it is not needed at run time):

    apt-get install unicode-cldr-core unicode-data
    python tools/build_text_sources.py

Facts kept (each a list of strings, most one character):
- `exemplars[cldr_id]`: the main exemplar set of every CLDR locale without a region
  (`de`, `zh_Hant`, `sr_Latn`), from /usr/share/unicode/cldr/common/main/*.xml;
- `tgh`: the 通用规范汉字表 (2013) in its three levels (Unihan `kTGH` index 1-3500, 3501-6500,
  6501-8105), from /usr/share/unicode/Unihan_*.txt.bz2;
- `joyo`: the 常用漢字 (Unihan `kJoyoKanji`).
The output is ~60 KB gzipped, so the repository ships it and run time needs neither package.
"""

from __future__ import annotations

import bz2
import gzip
import json
import re
import sys
from pathlib import Path

CLDR_MAIN = Path("/usr/share/unicode/cldr/common/main")
UNIHAN = Path("/usr/share/unicode")
OUT = Path(__file__).resolve().parent.parent / "fonts_manifest" / "data" / "textsources.json.gz"
_MAIN_SET = re.compile(r"<exemplarCharacters>(.*?)</exemplarCharacters>", re.S)
_LOCALE_FILE = re.compile(r"^[a-z]{2,3}(_[A-Z][a-z]{3})?\.xml$")


def _unescape(token: str) -> str:
    """`\\u0941`, `\\U0001F600`, `\\x41`, `\\-` → the characters they stand for."""
    def one(match: re.Match[str]) -> str:
        body = match.group(0)
        if body[1] in "uUx":
            return chr(int(body[2:], 16))
        return body[1]

    return re.sub(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}|\\x[0-9A-Fa-f]{2}|\\.", one, token)


def parse_unicode_set(text: str) -> list[str]:
    """A CLDR exemplar set (`[a b c-e {ch}]`) → its elements in order (strings, most one char)."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise ValueError(f"not a set: {body[:40]!r}")
    body = body[1:-1]
    tokens: list[tuple[str, bool]] = []  # (text, is a range operator)
    pattern = r"\{([^}]*)\}|(\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}|\\x[0-9A-Fa-f]{2}|\\.|[^\s\\])"
    for match in re.finditer(pattern, body):
        if match.group(1) is not None:
            tokens.append((_unescape(match.group(1)), False))
        else:
            raw = match.group(2)
            tokens.append((_unescape(raw), raw == "-"))  # an escaped \- is a literal hyphen
    items: list[str] = []
    i = 0
    while i < len(tokens):
        text, is_range = tokens[i]
        if is_range and items and i + 1 < len(tokens) and len(items[-1]) == 1 \
                and len(tokens[i + 1][0]) == 1:
            start, end = ord(items[-1]), ord(tokens[i + 1][0])
            items.extend(chr(c) for c in range(start + 1, end + 1))
            i += 2
            continue
        items.append(text)
        i += 1
    return list(dict.fromkeys(items))


def exemplars() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(CLDR_MAIN.glob("*.xml")):
        if not _LOCALE_FILE.match(path.name):
            continue
        match = _MAIN_SET.search(path.read_text(encoding="utf-8"))
        if match:
            found[path.stem] = parse_unicode_set(match.group(1))
    return found


def unihan_field(name: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in sorted(UNIHAN.glob("Unihan_*.txt.bz2")):
        with bz2.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3 and parts[1] == name:
                    values[chr(int(parts[0][2:], 16))] = parts[2]
    return values


def tgh_levels() -> list[list[str]]:
    ranked = sorted((int(v.split(":")[1]), ch) for ch, v in unihan_field("kTGH").items())
    bounds = ((1, 3500), (3501, 6500), (6501, 8105))
    return [[ch for rank, ch in ranked if lo <= rank <= hi] for lo, hi in bounds]


def main() -> int:
    if not CLDR_MAIN.is_dir() or not list(UNIHAN.glob("Unihan_*.txt.bz2")):
        print("needs Debian unicode-cldr-core and unicode-data installed", file=sys.stderr)
        return 1
    data = {
        "version": 1,
        "sources": {"cldr": "Debian unicode-cldr-core", "unihan": "Debian unicode-data"},
        "exemplars": exemplars(),
        "tgh": tgh_levels(),
        "joyo": sorted(unihan_field("kJoyoKanji")),
    }
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with gzip.GzipFile(OUT, "wb", mtime=0) as handle:  # mtime 0: same bytes on every build
        handle.write(payload.encode("utf-8"))
    print(f"{OUT}: {OUT.stat().st_size} bytes, {len(data['exemplars'])} exemplar sets, "
          f"tgh {[len(level) for level in data['tgh']]}, joyo {len(data['joyo'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
