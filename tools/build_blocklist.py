"""Build fonts_manifest/data/blocklist.json.gz from the LDNOOBW word lists.

The lists ("List of Dirty, Naughty, Obscene, and Otherwise Bad Words", CC BY 4.0) are
published on npm as `naughty-words`; fetch and unpack them, then run this script:

    npm pack naughty-words && tar xzf naughty-words-*.tgz
    python tools/build_blocklist.py package/

Only single-token terms are kept (a phrase such as "two girls one cup" is made of innocent
words); terms are case-folded. The data file names its source and licence.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fonts_manifest" / "data" / "blocklist.json.gz"
SKIP = {"package.json", "package-lock.json", "bower.json"}


def build(package: Path) -> dict:
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    lists: dict[str, list[str]] = {}
    for path in sorted(package.glob("*.json")):
        if path.name in SKIP:
            continue
        lang = path.stem.split("-")[0]
        terms = json.loads(path.read_text(encoding="utf-8"))
        words = {t.casefold().strip() for t in terms if isinstance(t, str) and t.strip()
                 and " " not in t.strip()}
        lists[lang] = sorted(set(lists.get(lang, [])) | words)
    return {"source": f"naughty-words {meta['version']} (LDNOOBW)",
            "licence": meta["license"], "lists": lists}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the unpacked naughty-words npm package")
    args = parser.parse_args()
    data = build(args.package)
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with gzip.GzipFile(OUT, "wb", mtime=0) as handle:
        handle.write(raw.encode("utf-8"))
    print(f"{OUT}: {sum(map(len, data['lists'].values()))} terms in {len(data['lists'])} languages",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
