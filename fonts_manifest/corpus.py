"""The bundled UDHR corpus and user-supplied texts (`--corpus LANG=PATH`).

Texts are keyed by a unique BCP 47 code (see tools/build_corpus.py for how shared udhr tags
were split). `resolve_code` accepts the codes people actually type — any case, `_` for `-`,
ISO 639-3, the plain `zh`, `zh-TW` — so every command resolves languages the same way.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from fonts_manifest.codes import COMMON_ALIASES, alias_table, resolve_code  # noqa: F401
from fonts_manifest.errors import PolyglyphError

BUNDLED_PATH = Path(__file__).resolve().parent / "data" / "udhr.jsonl.gz"

@dataclass(frozen=True)
class CorpusText:
    """One language's text: paragraphs in document order with ids aligned across languages."""

    code: str
    iso639_3: str
    name: str
    script: str
    direction: str
    paragraphs: Sequence[str]  # PackedParagraphs for bundled texts
    paragraph_ids: list[str]
    source: str = "udhr"
    partial: bool = False  # an unreviewed udhr text with only some articles (kept for its script)
    aliases: tuple[str, ...] = field(default=(), compare=False)
    # a user corpus: its rows, read on demand (fonts_manifest.corpus_stream); `paragraphs`
    # then holds a sample of them (all of a small corpus)
    stream: Any = field(default=None, compare=False, repr=False)
    # sampled rows dropped because no installed font draws them (fonts_manifest.corpus_drawable)
    skipped: int = field(default=0, compare=False)
    skipped_note: str = field(default="", compare=False, repr=False)
    refused: str = field(default="", compare=False, repr=False)  # too few drawable rows: why

    @property
    def char_count(self) -> int:
        return sum(len(p) for p in self.paragraphs)

    @cached_property
    def digest(self) -> str:
        """Content hash: caches of per-language results are keyed by it."""
        h = hashlib.sha1(f"{self.code}\0{self.script}\0".encode())
        for paragraph in self.paragraphs:
            h.update(paragraph.encode("utf-8") + b"\n")
        return h.hexdigest()


# The leading keys of a bundled row (tools/build_corpus.py writes them first); a row that does
# not match is decoded whole.
_ROW_SCRIPT = re.compile(rb'"script": "([A-Za-z]{4})"')
_ROW_HEAD = re.compile(
    rb'\{"code": "([^"\\]+)", "udhr_code": "([^"\\]*)", "udhr_tag": "([^"\\]*)", '
    rb'"iso639_3": "([^"\\]*)"'
)


class _Head(NamedTuple):
    """A bundled row's code, aliases and script, for resolving codes without decoding its text."""

    aliases: tuple[str, ...]
    script: str = ""


class PackedParagraphs(Sequence[str]):
    """A bundled text's paragraphs, kept zlib-compressed and decoded on use.

    The 532 bundled texts as Python strings were ~15 MiB of every worker's heap for its whole
    life (a default run draws from all of them), ~2.5 MiB packed. A decoded list is kept for
    the texts used last (`KEEP_DECODED`, a page reads its text many times); decoding one costs
    ~0.2 ms. Reads like the list it replaces (index, slice, len, iteration, ==)."""

    __slots__ = ("_count", "_list", "_packed")
    KEEP_DECODED = 8
    _decoded: ClassVar[deque[PackedParagraphs]] = deque()

    def __init__(self, paragraphs: Iterable[str]) -> None:
        items = list(paragraphs)
        self._packed = zlib.compress(json.dumps(items, ensure_ascii=False).encode("utf-8"), 1)
        self._count = len(items)
        self._list: list[str] | None = None

    @classmethod
    def _of_packed(cls, packed: bytes, count: int) -> PackedParagraphs:
        self = cls.__new__(cls)
        self._packed, self._count, self._list = packed, count, None
        return self

    def __reduce__(self) -> tuple[Any, tuple[bytes, int]]:
        return PackedParagraphs._of_packed, (self._packed, self._count)

    def unpacked(self) -> list[str]:
        """The paragraphs as a list (shared: do not change it)."""
        items = self._list
        if items is None:
            items = self._list = json.loads(zlib.decompress(self._packed))
            recent = PackedParagraphs._decoded
            recent.append(self)
            while len(recent) > self.KEEP_DECODED:
                recent.popleft()._list = None
        return items

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        return self.unpacked()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.unpacked())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedParagraphs):
            return self._packed == other._packed
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # like the list it stands for

    def __repr__(self) -> str:
        return f"PackedParagraphs({self._count} paragraphs)"


def _text(row: dict) -> CorpusText:
    return CorpusText(
        code=row["code"],
        iso639_3=row["iso639_3"],
        name=row["name"],
        script=row["script"],
        direction=row["direction"],
        paragraphs=PackedParagraphs(row["paragraphs"]),
        paragraph_ids=[sys.intern(i) for i in row["paragraph_ids"]],  # the same ids in every text
        partial=bool(row.get("partial", False)),
        aliases=(row["udhr_code"], row["udhr_tag"], row["iso639_3"]),
    )


def _bundled_rows() -> Iterator[bytes]:
    """The bundled file's rows one at a time (all at once they are ~12 MiB of short-lived
    strings, which a worker's heap kept)."""
    with gzip.open(BUNDLED_PATH, "rb") as handle:
        yield from handle


def _head(row: bytes) -> tuple[str, _Head]:
    match = _ROW_HEAD.match(row)
    script = _ROW_SCRIPT.search(row, 0, 1024)
    if match and script:
        code, *aliases = (part.decode() for part in match.groups())
        return code, _Head(tuple(aliases), script.group(1).decode())
    data = json.loads(row)
    return data["code"], _Head((data["udhr_code"], data["udhr_tag"], data["iso639_3"]),
                               data.get("script", ""))


@cache
def _bundled() -> dict[str, CorpusText]:
    texts = (_text(json.loads(row)) for row in _bundled_rows())
    return {text.code: text for text in texts}


def _subset(languages: list[str], extra: list[str]) -> dict[str, CorpusText]:
    """Bundled texts of `languages` (an unknown one is an error) and of `extra` (skipped when
    unknown: load_corpus names a bad --corpus itself), in file order.

    All 532 texts are ~14 MiB of the heap of a worker that renders a handful of languages, so
    unless they are loaded already only the wanted rows are decoded; codes are resolved against
    every row's aliases, read from its leading keys."""
    loaded = bool(_bundled.cache_info().currsize)
    heads: Mapping[str, CorpusText | _Head] = (
        _bundled() if loaded else dict(_head(row) for row in _bundled_rows())
    )
    table = alias_table(heads, heads)
    wanted = {table.resolve(code) for code in extra}
    for spelling in languages:
        code = table.resolve(spelling)
        if code is None:
            raise PolyglyphError(f"unknown language {spelling!r}{table.why_unknown(spelling)} "
                                 "(see `polyglyph languages`)")
        wanted.add(code)
    if loaded:
        return {code: text for code, text in heads.items() if code in wanted}
    # second pass: decode the wanted rows only
    texts = (_text(json.loads(row)) for row in _bundled_rows() if _head(row)[0] in wanted)
    return {text.code: text for text in texts}


def parse_corpus_args(items: Iterable[str]) -> dict[str, str]:
    """`["ar=PATH", ...]` → `{"ar": "PATH"}`; a malformed item is a user error."""
    overrides: dict[str, str] = {}
    for item in items:
        lang, sep, path = item.partition("=")
        if not sep or not lang.strip() or not path.strip():
            raise PolyglyphError(f"--corpus {item!r}: expected LANG=PATH, e.g. ar=my_arabic.txt")
        overrides[lang.strip()] = path.strip()
    return overrides


def read_user_text(base: CorpusText, path: str) -> CorpusText:
    """A user corpus (text lines, JSONL or Parquet; file, directory, glob or URI) replacing
    `base`'s paragraphs: indexed for streaming, sampled for font coverage, and refused when
    its letters are not in the script `base` (the language's UDHR text) is written in."""
    from fonts_manifest.corpus_stream import open_corpus
    from fonts_manifest.textsources import script_mismatch

    label = f"--corpus {base.code}={path}"
    try:
        stream = open_corpus(path)
        paragraphs = stream.sample()
    except PolyglyphError as exc:
        message = str(exc).removeprefix(f"--corpus {path}: ").removeprefix("--corpus ")
        raise PolyglyphError(f"{label}: {message}") from None
    if not paragraphs:
        raise PolyglyphError(f"{label}: file has no text")
    why = script_mismatch("\n".join(paragraphs), "\n".join(base.paragraphs))
    if why is not None:
        raise PolyglyphError(f"{label}: refused, {why} (labels would name the wrong script)")
    local = "://" not in path
    return replace(
        base,
        paragraphs=paragraphs,
        paragraph_ids=[f"u{i}" for i in range(len(paragraphs))],
        source=str(Path(path).expanduser().resolve()) if local else path,
        stream=stream,
    )


def load_corpus(
    overrides: Mapping[str, str] | None = None, languages: Iterable[str] | None = None
) -> dict[str, CorpusText]:
    """Bundled texts by code, with user files replacing the texts of their languages.

    A user file for a language the bundled corpus does not know is an error: its script and
    direction would be guesses. `languages` (any spelling `resolve_code` takes) limits the
    result to those texts plus the overridden ones: what a worker that renders them needs.
    """
    if languages is None:
        texts = _bundled()
    else:
        texts = _subset([*languages], [*(overrides or ())])
    if not overrides:
        return dict(texts)
    result = dict(texts)
    for lang, path in overrides.items():
        table = alias_table(texts, texts)
        code = table.resolve(lang)
        if code is None:
            raise PolyglyphError(
                f"--corpus {lang}={path}: unknown language {lang!r}{table.why_unknown(lang)} "
                "(see `polyglyph languages` for codes)"
            )
        result[code] = read_user_text(texts[code], path)
    return result
