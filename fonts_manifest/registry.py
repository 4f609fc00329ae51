"""FontRegistry: usable languages, their font chains per style, itemisation into font runs.

One registry per process (per worker): `FontRegistry.load()` is memoised, the font cmaps come
from the on-disk cache (fontdb) and the per-language table (chains, coverage) from a second
cache keyed by the font set and each text's content, so a warm start reads no font file and
recomputes nothing.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from PIL import ImageFont

from fonts_manifest import catalog, chains, fontdb, handfit, pool, shapecheck, shaping
from fonts_manifest.chains import STYLES, FontFace
from fonts_manifest.codes import AliasTable, alias_table
from fonts_manifest.corpus import CorpusText, load_corpus
from fonts_manifest.corpus_drawable import keep_drawable
from fonts_manifest.coverage import Coverage, compact_ranges, ranges_to_set
from fonts_manifest.errors import PolyglyphError
from fonts_manifest.langtable import compact_entry, entry_families
from fonts_manifest.langtable_file import (  # noqa: F401  # re-exported
    KEEP_TABLES,
    OTHER_VERSION_DAYS,
    TABLE_VERSION,
    prune_tables,
    read_table,
    table_path,
    write_table,
)
from fonts_manifest.languageinfo import (  # noqa: F401  # re-exported
    LanguageInfo,
    MissingGlyphError,
    undrawable_message,
    unicodedata_name,
)

# Language-table entries computed (not taken from the cache) in this process; tests read it.
entries_computed = 0


@lru_cache(maxsize=8)  # each open face maps its whole file again (RSS counts it per mapping)
def _pil_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.RAQM)


class FontRegistry:
    """Holds the faces found, their coverage sets (decoded lazily) and the language table."""

    _memo: dict[tuple, FontRegistry] = {}

    def __init__(self, records: Sequence[dict], fingerprint: str, corpus: Mapping[str, CorpusText]):
        self.fingerprint = fingerprint
        self.corpus = dict(corpus)
        self._ranges: dict[FontFace, Sequence[int]] = {}
        self._coverage: dict[FontFace, Coverage] = {}
        # frozensets for the chain search only (subset tests over every candidate face), kept
        # while language-table entries are computed and dropped after
        self._sets: dict[FontFace, frozenset[int]] = {}
        self._by_key: dict[tuple[str, int], FontFace] = {}
        self._by_family: dict[str, list[FontFace]] = {}
        self.catalog = pool.Catalog()
        for rec in records:
            if rec.get("render_error"):  # warned about when the file was scanned
                continue
            cls = catalog.style_class(rec)
            kind = "handwriting" if cls == "handwriting" else chains.face_kind(rec["family"])
            face = FontFace(
                rec["path"], rec["index"], rec["family"], kind, rec["subfamily"], rec["weight"],
            )  # fmt: skip
            self._ranges[face] = compact_ranges(rec["ranges"])
            self._by_key[(face.path, face.index)] = face
            self._by_family.setdefault(face.family, []).append(face)
            self.catalog.add(face, rec, cls)
        self._emphasis: dict[tuple[FontFace, str], FontFace | None | bool] = {}
        self._hand: dict[FontFace, handfit.HandFacts] = {}  # CJK faces' tables read (cold only)
        self._shapes: dict[tuple[FontFace, str], bool] = {}  # shaping answers (cold only)
        self._table: dict[str, dict] = {}
        self._infos: dict[str, LanguageInfo] = {}
        self._aliases = AliasTable()
        # a user corpus' sampled rows no face a print chain may take maps (the regular face
        # of every family but handwriting ones, as _print_chain's last pass) are dropped
        # before its chains are built
        if any(text.stream is not None for text in self.corpus.values()):
            ranges = [self._ranges[f] for fam in sorted(self._by_family)
                      if (f := self.family_face(fam)) is not None and f.style != "handwriting"
                      and fam not in chains.HANDWRITING_SET]
            self.corpus = {code: keep_drawable(text, ranges) if text.stream is not None else text
                           for code, text in self.corpus.items()}

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        extra_dirs: Iterable[str | os.PathLike] = (),
        corpus: Mapping[str, CorpusText] | None = None,
    ) -> FontRegistry:
        """Memoised per (font dirs, corpus content): cheap to call again in-process."""
        corpus = load_corpus() if corpus is None else corpus
        dirs = tuple(str(d) for d in extra_dirs)
        env = (os.environ.get("POLYGLYPH_FONT_DIRS", ""), os.environ.get("POLYGLYPH_SYSTEM_FONTS"))
        key = (
            dirs,
            env,
            str(fontdb.cache_dir()),
            tuple(sorted((c, t.digest) for c, t in corpus.items())),
        )
        if key not in cls._memo:
            base = next((r for k, r in cls._memo.items() if k[:3] == key[:3] and r._holds(corpus)),
                        None)
            if base is not None:
                registry = base._restricted(corpus)
            else:
                records, fingerprint = fontdb.load_face_records(dirs)
                registry = cls(records, fingerprint, corpus)
                registry._load_table()
            cls._memo[key] = registry
        return cls._memo[key]

    def _holds(self, corpus: Mapping[str, CorpusText]) -> bool:
        return all(
            (mine := self.corpus.get(code)) is not None and mine.digest == text.digest
            for code, text in corpus.items()
        )

    def _restricted(self, corpus: Mapping[str, CorpusText]) -> FontRegistry:
        """This registry for a subset of its corpus (a worker's languages, in a process that
        already loaded them all): faces, ranges and coverage caches shared, nothing re-read."""
        view = copy.copy(self)
        view.corpus = dict(corpus)
        view._table = {code: self._table[code] for code in corpus}
        view._infos = {code: self._info(text, self._table[code]) for code, text in corpus.items()}
        view._aliases = alias_table(view.corpus, view.corpus)
        return view

    def _load_table(self) -> None:
        path = table_path(self.fingerprint)
        cached = read_table(path)

        def fresh(code: str, text: CorpusText) -> bool:
            return cached.get(code, {}).get("digest") == text.digest

        if not all(fresh(code, text) for code, text in self.corpus.items()):
            with fontdb.cache_lock("languages"):
                cached = read_table(path)  # a parallel worker may have filled it
                try:
                    for code, text in self.corpus.items():
                        if not fresh(code, text):
                            cached[code] = {**self._compute_entry(text), "digest": text.digest}
                finally:
                    self._sets.clear()
                write_table(path, cached)
        for code, text in self.corpus.items():
            self._table[code] = compact_entry(cached[code])
            self._infos[code] = self._info(text, cached[code])
        self._aliases = alias_table(self.corpus, self.corpus)

    # ---- chains ---------------------------------------------------------------------------
    def coverage(self, face: FontFace) -> Coverage:
        """Codepoints the face maps (`cp in coverage`), built from cached ranges on first use."""
        cov = self._coverage.get(face)
        if cov is None:
            cov = Coverage(self._ranges.get(face, ()))
            self._coverage[face] = cov
        return cov

    def _set_of(self, face: FontFace) -> frozenset[int]:
        found = self._sets.get(face)
        if found is None:
            found = self._sets[face] = ranges_to_set(self._ranges.get(face, ()))
        return found

    def family_face(self, family: str) -> FontFace | None:
        return chains.pick_regular(self._by_family.get(family, []))

    def _candidates(self, style: str) -> list[FontFace]:
        """Regular faces usable to close gaps, same-style Noto first."""
        prefix = "Noto Serif" if style == "serif" else "Noto Sans"
        faces = []
        for family in sorted(self._by_family):
            if family in chains.HANDWRITING_SET or self.catalog.classes.get(family) in (
                catalog.DECORATIVE
            ):
                continue
            if any(word in family for word in chains.EXCLUDED_FAMILY_WORDS):
                continue
            face = self.family_face(family)
            if face is not None:
                faces.append(face)
        faces.sort(key=lambda f: (not f.family.startswith(prefix), not f.family.startswith("Noto")))
        return faces

    def _print_chain(
        self, text: CorpusText, style: str, chars, units
    ) -> tuple[chains.ChainResult, bool]:
        primaries = [
            face
            for family in chains.primary_families(text.script, text.code, style)
            if (face := self.family_face(family)) is not None
        ][:1]
        real = bool(primaries) and (style == "sans" or primaries[0].style == style)
        fallbacks = chains.SERIF_FALLBACKS if style == "serif" else chains.SANS_FALLBACKS
        fallback_faces = [f for name in fallbacks if (f := self.family_face(name)) is not None]
        candidates = self._candidates(style)
        result = chains.build_chain(
            primaries, fallback_faces, candidates, self._set_of, chars, units
        )
        if not result.complete:  # any installed face may close a gap no preferred one can
            chosen = set(candidates)
            rest = [f for fam in sorted(self._by_family)  # never a handwriting face in print
                    if (f := self.family_face(fam)) is not None and f not in chosen
                    and f.style != "handwriting" and fam not in chains.HANDWRITING_SET]
            result = chains.build_chain(result.faces, [], rest, self._set_of, chars, units)
        return result, real

    def _handwriting_faces(self, text: CorpusText, chars) -> list[FontFace]:
        """Faces drawing enough of the letters; complete ones first, then preference order
        (the known families of the script, then every other handwriting/brush/kai face).
        Faces made for another CJK language, and grass-script faces, are left out
        (`handfit`: decided from each face's own name and OS/2 tables), and so are faces whose
        layout tables cannot shape a joining or reordering script (`shaping`)."""
        found = []
        known = chains.HANDWRITING_FAMILIES.get(text.script, ())
        others = [f for f, c in sorted(self.catalog.classes.items())
                  if c == "handwriting" and f not in known and f not in self.catalog.skipped]
        for family in (*known, *others):
            face = self.family_face(family)
            if face is None or not handfit.fits(self.hand_facts(face), text.script) \
                    or not self.shapes(face, text.script):
                continue
            share = chains.letter_share(self._set_of(face), chars)
            if share >= chains.HANDWRITING_MIN_LETTER_SHARE:
                found.append((share < 1.0, len(found), face))
        return [face for *_, face in sorted(found)]

    def shapes(self, face: FontFace, script: str) -> bool:
        """Whether `face` shapes `script`: its layout tables name the script (`shaping`) and
        drawing it forms conjuncts, joins, sets marks (`shapecheck`); read once per registry."""
        key = (face, script)
        if key not in self._shapes:
            self._shapes[key] = shaping.shapes(face.path, face.index, script) \
                and shapecheck.shapes(face.path, face.index, script)
        return self._shapes[key]

    def hand_facts(self, face: FontFace) -> handfit.HandFacts:
        """The face's `handfit` facts (the CJK language and Chinese standard it is made for),
        read from its file once per registry: hand pools and CJK print pools both ask."""
        facts = self._hand.get(face)
        if facts is None:
            facts = self._hand[face] = handfit.read_facts(face.path, face.index)
        return facts

    def _compute_entry(self, text: CorpusText) -> dict:
        global entries_computed
        entries_computed += 1
        chars = chains.needed_chars(text.paragraphs)
        units = chains.cluster_units(text.paragraphs)
        sans, _ = self._print_chain(text, "sans", chars, units)
        entry: dict = {
            "coverage": sans.coverage,
            "distinct_chars": len(chars),
            "missing": (sans.missing_chars or sans.missing_clusters)[:10],
            "chains": {"sans": [[f.path, f.index] for f in sans.faces]},
            "real": {"sans": True},
        }
        serif, serif_real = self._print_chain(text, "serif", chars, units)
        entry["real"]["serif"] = serif_real and serif.complete
        if entry["real"]["serif"]:
            entry["chains"]["serif"] = [[f.path, f.index] for f in serif.faces]
        entry["families"] = pool.eligible_families(self, text)
        hands = self._handwriting_faces(text, chars)
        entry["real"]["handwriting"] = bool(hands)
        entry["handwriting_faces"] = [[f.path, f.index] for f in hands]
        if hands:
            chain = [hands[0], *[f for f in sans.faces if f != hands[0]]]
            entry["chains"]["handwriting"] = [[f.path, f.index] for f in chain]
        return entry

    def _faces(self, keys: Iterable[Sequence]) -> list[FontFace]:
        return [
            self._by_key[(path, index)] for path, index in keys if (path, index) in self._by_key
        ]

    def _info(self, text: CorpusText, entry: dict) -> LanguageInfo:
        styles = tuple(s for s in STYLES if entry["real"].get(s))
        return LanguageInfo(
            code=text.code,
            name=text.name,
            script=text.script,
            direction=text.direction,
            iso639_3=text.iso639_3,
            fonts=[path for path, _ in entry["chains"]["sans"]],
            families=tuple(f.family for f in self._faces(entry["chains"]["sans"])),
            partial=text.partial,
            coverage=round(entry["coverage"], 6),
            corpus_chars=text.char_count,
            styles=styles,
            distinct_chars=entry["distinct_chars"],
            missing=tuple(entry["missing"]),
        )

    # ---- public lookups -------------------------------------------------------------------
    def languages(self) -> list[LanguageInfo]:
        """Usable languages (every corpus cluster drawable), sorted by code."""
        return sorted((i for i in self._infos.values() if i.usable), key=lambda i: i.code)

    def dropped(self) -> list[LanguageInfo]:
        """Corpus texts the installed fonts cannot draw completely."""
        return sorted((i for i in self._infos.values() if not i.usable), key=lambda i: i.code)

    def language(self, code: str) -> LanguageInfo:
        canonical = self._aliases.resolve(code)
        if canonical is None:
            raise PolyglyphError(f"unknown language {code!r}{self._aliases.why_unknown(code)} "
                                 "(see `polyglyph languages`)")
        info = self._infos[canonical]
        if not info.usable:
            raise PolyglyphError(self.corpus[canonical].refused or undrawable_message(info))
        return info

    def why_unknown(self, code: str) -> str:
        """": <reason>" when `code` names a language whose text is in another script."""
        return self._aliases.why_unknown(code)

    def known(self, code: str) -> str | None:
        """Canonical code of a corpus language, drawable or not (translation targets)."""
        return self._aliases.resolve(code)

    def has_style(self, code: str, style: str) -> bool:
        if style not in STYLES:
            raise PolyglyphError(f"unknown font style {style!r}; choose from {', '.join(STYLES)}")
        return style in self.language(code).styles

    def chain(self, code: str, style: str = "sans") -> list[FontFace]:
        """Ordered faces for a language; a style without a real font falls back to sans."""
        info = self.language(code)
        if style not in STYLES:
            raise PolyglyphError(f"unknown font style {style!r}; choose from {', '.join(STYLES)}")
        chains_by_style = self._table[info.code]["chains"]
        return self._faces(chains_by_style.get(style) or chains_by_style["sans"])

    def handwriting_faces(self, code: str) -> list[FontFace]:
        """All handwriting faces that draw this language's letters (for variety); may be []."""
        return self._faces(self._table[self.language(code).code]["handwriting_faces"])

    def families(self, code: str) -> dict[str, str]:
        """{family: class} of the pool families that draw this language's letters."""
        return entry_families(self._table[self.language(code).code])

    def family_faces(self, family: str) -> list[FontFace]:
        return list(self._by_family.get(family, ()))

    def family_chain(self, code: str, family: str) -> list[FontFace]:
        """`family` first, then the language's chain of the family's class (fallbacks)."""
        return pool.family_chain(self, code, family)

    def emphasis_face(self, face: FontFace, kind: str, text: str) -> FontFace | None:
        """Bold or italic face of `face`'s family when it draws all of `text`, else None."""
        key = (face, kind)
        found = self._emphasis.get(key, False)
        if found is False:
            found = self._emphasis[key] = pool.emphasis_face(self, face, kind)
        if found is None or not self.coverage(found).covers(text):
            return None
        return found

    def faces(self) -> list[FontFace]:
        return list(self._by_key.values())

    def covers(self, face: FontFace, cluster: str) -> bool:
        cov = self.coverage(face)
        if len(cluster) == 1:  # most clusters: no generator
            return ord(cluster) in cov or chains.is_ignorable(cluster)
        return all(ord(c) in cov or chains.is_ignorable(c) for c in cluster)

    # ---- itemisation and PIL --------------------------------------------------------------
    def itemize(self, text: str, chain: Sequence[FontFace]) -> list[tuple[str, FontFace]]:
        """Split `text` into (run, face) pairs; clusters never split, a cluster stays with the
        previous run's face when that face draws it (fewer runs; spaces and marks follow their
        neighbours), otherwise it takes the first face of the chain that draws it."""
        runs: list[tuple[str, FontFace]] = []
        current: FontFace | None = None
        buffer: list[str] = []
        for cluster in chains.grapheme_clusters(text):
            if current is not None and self.covers(current, cluster):
                buffer.append(cluster)
                continue
            face = next((f for f in chain if self.covers(f, cluster)), None)
            if face is None:
                # Name a char no face has at all; else the cluster is only split across faces.
                unmapped = [c for c in cluster if not self._any_covers(chain, c)]
                raise MissingGlyphError((unmapped or [cluster[0]])[0], cluster)
            if buffer and current is not None:
                runs.append(("".join(buffer), current))
            current, buffer = face, [cluster]
        if buffer and current is not None:
            runs.append(("".join(buffer), current))
        return runs

    def _any_covers(self, chain: Sequence[FontFace], ch: str) -> bool:
        return chains.is_ignorable(ch) or any(ord(ch) in self.coverage(f) for f in chain)

    def pil_font(self, face: FontFace, size: int) -> ImageFont.FreeTypeFont:
        """Cached Pillow font with raqm layout (shaping + bidi)."""
        return _pil_font(face.path, face.index, int(size))
