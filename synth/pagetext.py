"""A page's paragraphs from the run's source mix (UDHR or user corpus, vocabulary, entities).

`language_text(ctx, code)` builds the per-worker `LanguageText` of a language (once, kept in
`ctx.memo`); `compose(...)` draws the paragraph list of one document page as plain records:
base-text paragraphs are referenced by index and id (so translation views find their parallel
reference), synthesised ones carry their exact `text` and an id starting `syn:` that no corpus
holds (so no translation view is ever made for them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Any

import numpy as np

from fonts_manifest import textsources
from synth.content import corpus_words
from synth.entities import EntityMaker
from synth.textsynth import (
    CASED_SCRIPTS,
    FREQ_POWER,
    LanguageText,
    boost_count,
    boost_rate,
    effective_sources,
    punctuation,
)
from synth.wordlist import compact_words, first_holders, holding_any, joined_words, without

MIN_WORDS = 50  # fewer usable vocabulary words: the corpus text's own words are used


def drawable(ctx: Any, code: str) -> Callable[[str], bool]:
    """Whether every font chain of the language (sans, serif, handwriting) draws a text."""
    key = ("pagetext.drawable", code)
    if key in ctx.memo:
        return ctx.memo[key]
    from fonts_manifest.chains import is_ignorable

    styles = ["sans", "serif"] + (["handwriting"] if ctx.has_style(code, "handwriting") else [])
    chains = [ctx.chain(code, style) for style in styles]
    coverages = [[ctx.registry.coverage(face) for face in chain] for chain in chains]
    chars: dict[str, bool] = {}

    def char_ok(ch: str) -> bool:
        ok = chars.get(ch)
        if ok is None:  # coverage first (both tests are pure): most characters asked are drawn
            ok = chars[ch] = _in_every_chain(ord(ch), coverages) or is_ignorable(ch)
        return ok

    by_primary = [[cov[0]] for cov in coverages if cov]  # each chain's preferred face
    marks: dict[str, bool] = {}
    in_primaries: dict[str, bool] = {}

    def is_mark(ch: str) -> bool:
        found = marks.get(ch)
        if found is None:
            found = marks[ch] = unicodedata.category(ch).startswith("M")
        return found

    def primary_ok(ch: str) -> bool:  # every primary face maps it (or it is ignorable)
        found = in_primaries.get(ch)
        if found is None:
            found = in_primaries[ch] = _in_every_chain(ord(ch), by_primary) or is_ignorable(ch)
        return found

    plain: set[str] = set()  # drawn, not a mark
    easy: set[str] = set()  # drawn, and every primary face maps it

    def covers(text: str) -> bool:
        # per distinct character, each answer cached: a language's vocabulary filter asks
        # this of ~100k words (Devanagari: most with marks), which is pure per-character work
        # until the shape-level check; a text of known-good characters is two set tests
        distinct = set(text)
        if distinct <= plain or distinct <= easy:
            return True
        if not all(char_ok(ch) for ch in distinct):
            return False
        plain.update(ch for ch in distinct if not is_mark(ch))
        easy.update(ch for ch in distinct if primary_ok(ch))
        if not (distinct <= plain or distinct <= easy):
            try:  # a cluster must sit in one face: shape-level check
                for chain in chains:
                    ctx.registry.itemize(text, list(chain))
            except Exception:  # MissingGlyphError
                return False
        return True

    def covers_char(ch: str) -> bool:
        """`covers(ch)` of one character (same answer, same cached facts), without the set
        operations a text needs: the vocabulary filter asks it of every distinct character
        (a Han vocabulary has ~6,000)."""
        if ch in plain or ch in easy:
            return True
        if not char_ok(ch):
            return False
        mark = is_mark(ch)
        if not mark:
            plain.add(ch)
        if primary_ok(ch):
            easy.add(ch)
        elif mark:
            try:  # a lone mark no preferred face maps: shape-level check, as covers does
                for chain in chains:
                    ctx.registry.itemize(ch, list(chain))
            except Exception:  # MissingGlyphError
                return False
        return True

    def safe_chars(chars: set[str]) -> set[str]:
        """Characters every word made only of which `covers` accepts without shaping: each
        chain draws them and every preferred face maps them (the check's own fast path)."""
        return {ch for ch in chars if char_ok(ch) and primary_ok(ch)}

    covers.safe_chars = safe_chars  # type: ignore[attr-defined]
    covers.char = covers_char  # type: ignore[attr-defined]
    ctx.memo[key] = covers
    return covers


def _in_every_chain(cp: int, coverages: list[list[Any]]) -> bool:
    """Whether some face of every chain maps code point `cp` (plain loops: asked of every
    distinct character of a vocabulary)."""
    for covs in coverages:
        for cov in covs:
            if cp in cov:
                break
        else:
            return False
    return True


def language_text(ctx: Any, code: str) -> LanguageText:
    """The synthesiser's sources for a language, filtered by what its fonts draw."""
    key = ("pagetext.language", code)
    found = ctx.memo.get(key)
    if found is not None:
        return found
    info = ctx.language(code)
    base = ctx.text(info.code)
    reference = "\n".join(base.paragraphs)
    covers = drawable(ctx, info.code)
    vocab = drawable_words(textsources.vocabulary(info.code, info.script, reference), covers)
    source = textsources.vocabulary_source(info.code, info.script)
    if info.code.split("-")[0] == "ko":
        vocab = [(w, f) for w, f in vocab if len(w) > 1]  # wordfreq splits off particles
    if len(vocab) < MIN_WORDS:
        words = corpus_words(info.code, info.script, reference)
        vocab, source = drawable_words([(w, 1.0) for w in words], covers), "corpus-words"
    if not vocab:
        vocab = [(p, 1.0) for p in base.paragraphs[:1]]
    words = tuple([w for w, _ in vocab])
    weights = np.array([f for _, f in vocab], np.float64) ** FREQ_POWER
    cumulative = np.cumsum(weights / weights.sum())
    targets, split = _targets(info.code, info.script, reference, covers)
    tiers = tuple((start, stop, _tier_boost(start, stop - start))
                  for start, stop in ((0, split), (split, len(targets))) if stop > start)
    ascii_words = tuple(w for w in words[:3000] if w.isascii())  # () off Latin: made-up names
    cased = info.script in CASED_SCRIPTS and any(w != w.upper() for w in words[:50])
    lt = LanguageText(
        code=info.code, script=info.script, words=compact_words(words), cumulative=cumulative,
        targets=targets, target_words=_holders(targets, words), covers=covers,
        entities=EntityMaker(info.code, covers, ascii_words),
        punct=punctuation(info.script, info.code, covers), cased=cased,
        boost=sum(t[2] for t in tiers), tiers=tiers, vocab_source=source,
        joiner="" if info.script in textsources_no_space() else " ",
        base_letter=_base_letter(targets, words),
    )
    ctx.memo[key] = lt
    return lt


def drawable_words(vocab: Sequence[tuple[str, float]],
                   covers: Callable[[str], bool]) -> list[tuple[str, float]]:
    """The (word, weight) pairs whose text the fonts draw: characters checked once each, the
    shape-level check only for words with combining marks. Most vocabularies have neither an
    undrawable character nor a mark (Latin, Cyrillic, Arabic, Hebrew, Han...): then no word
    needs a test (~25 ms a language at start-up)."""
    words = [w for w, _ in vocab]
    alphabet = set("".join(words))
    covers_char = getattr(covers, "char", covers)
    bad = {c for c in alphabet if not covers_char(c)}
    marks = {c for c in alphabet if unicodedata.category(c).startswith("M")}
    if not bad and not marks:
        return list(vocab)
    # a word with marks made only of safe characters passes `covers` on its fast path: one
    # set test here instead of a call per word (Thai, Devanagari: most words have marks)
    safe_of = getattr(covers, "safe_chars", None)
    safe = safe_of(alphabet - bad) if safe_of is not None else set()

    def keep(w: str) -> bool:
        return bad.isdisjoint(w) and (marks.isdisjoint(w) or safe.issuperset(w) or covers(w))

    if safe:  # only words holding a character outside `safe` can fail: found at C speed
        suspects = holding_any(words, alphabet - safe)
        if suspects is not None:
            return without(vocab, [i for i in suspects if not keep(words[i])])
    return [pair for pair, w in zip(vocab, words, strict=True) if keep(w)]


def textsources_no_space() -> frozenset[str]:
    from synth.linebreak import NO_SPACE_SCRIPTS

    return NO_SPACE_SCRIPTS - {"Ethi"}  # Ethiopic vocabulary is spaced like its UDHR words


def _targets(code: str, script: str, reference: str,
             covers: Callable[[str], bool]) -> tuple[tuple[str, ...], int]:
    """(CLDR exemplars then the rest of the common-use list, how many are exemplars); for
    Korean KS X 1001 stands in for CLDR's all 11,172 syllables."""
    common = textsources.common_chars(code, script)
    exemplar = [] if code.split("-")[0] == "ko" else textsources.exemplars(code, reference)
    char = getattr(covers, "char", covers)  # the same answer for one character, faster

    def drawn(t: str) -> bool:
        return bool(t.strip()) and (char(t) if len(t) == 1 else covers(t))

    first = tuple(dict.fromkeys(t for t in exemplar if drawn(t)))
    seen = set(first)
    rest = tuple(dict.fromkeys(t for t in common if t not in seen and drawn(t)))
    return first + rest, len(first)


def _tier_boost(start: int, size: int) -> float:
    """Boosts a page for a tier: the exemplars at least 3 (`boost_count`); the rest of a
    common-use list at its coverage rate when that is under 3 (`boost_rate`: Japanese adds
    just 4 characters to the exemplars), else whole as before."""
    if start == 0:
        return boost_count(size)
    rate = boost_rate(size)
    return boost_count(size) if rate >= 3 else rate


FIND_LEFT = 64  # single-character targets still open after a word this late: str.find each


def _holders(targets: tuple[str, ...], words: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """Target → indices of words holding it (at most 40 each, the most frequent).

    One pass over the words fills the common characters' lists and ends when every list is
    full; once at most FIND_LEFT characters are still open (rare letters of an alphabet, which
    would walk all 40,000 words) they are looked up in the joined vocabulary with `str.find`.
    Longer targets (clusters) are always found that way."""
    open_ = {t for t in targets if len(t) == 1}  # single characters still under 40 words
    found: dict[str, list[int]] = {ch: [] for ch in open_}  # only looked up: order is moot
    joined: tuple[str, list[int]] | None = None
    stop = len(words)
    for index, word in enumerate(words):
        if not index & 255 and (not open_ or index and len(open_) <= FIND_LEFT):
            if not open_:
                break
            joined = joined_words(words)
            if joined is not None:
                stop = index
                break
        for ch in open_.intersection(word):
            bucket = found[ch]
            bucket.append(index)
            if len(bucket) == 40:
                open_.discard(ch)
    if stop < len(words) and joined is not None:
        for ch in open_:
            bucket = found.setdefault(ch, [])
            bucket.extend(first_holders(ch, *joined, 40 - len(bucket), joined[1][stop]))
    for target in targets:
        if len(target) > 1:
            if joined is None:
                joined = joined_words(words)
            if joined is None:
                found[target] = list(islice((i for i, w in enumerate(words) if target in w), 40))
            else:
                found[target] = first_holders(target, *joined)
    return {t: tuple(v) for t, v in found.items() if v}


def _base_letter(targets: tuple[str, ...], words: tuple[str, ...]) -> str:
    for item in (*targets, *"".join(words[:20])):
        if len(item) == 1 and unicodedata.category(item).startswith("L"):
            return item
    return ""


def base_weight(sources: dict[str, float], base: Any) -> float:
    """Weight of the language's own text: `udhr` for the bundled text, `corpus` for a user's."""
    return float(sources.get("udhr" if base.source == "udhr" else "corpus", 0.0))


def udhr_only(sources: dict[str, float], base: Any) -> bool:
    """Whether pages are the base text alone (the corpus-only page of earlier versions)."""
    synthetic = float(sources.get("vocab", 0.0)) + float(sources.get("entities", 0.0))
    stream = getattr(base, "stream", None)
    # a small corpus is sampled whole; its rows no font draws were dropped from the sample
    in_memory = stream is None or stream.total <= len(base.paragraphs) + getattr(base, "skipped", 0)
    return synthetic <= 0 and in_memory


# -- one page -------------------------------------------------------------------------------


def capacity(width: int, height: int, body: int, script: str) -> int:
    """About how many characters of body text a page holds (CJK glyphs are twice as wide)."""
    em = 1.0 if script in ("Hans", "Hant", "Hani", "Jpan", "Hang", "Kore") else 0.5
    return int((width * 0.82 / (body * em)) * (height * 0.8 / (body * 1.4)))


def compose(rng: np.random.Generator, lt: LanguageText, base: Any, sources: dict[str, float],
            budget: int, base_start: int) -> list[dict[str, Any]]:
    """Paragraph records of one page: each slot's source drawn by weight; base paragraphs run
    on from `base_start`; the page's boosted words go into its first synthesised paragraph,
    which comes within the first quarter of the budget."""
    mix = effective_sources(sources, base.source == "udhr", bool(lt.words))
    names = sorted(mix)
    weights = np.array([mix[n] for n in names], np.float64)
    weights /= weights.sum()
    boost = lt.pick_targets(rng)
    expected: list[frozenset[str]] = []  # the base text's scripts, counted when first needed

    def accept(text: str) -> bool:  # a streamed row: drawable and in the language's script
        if not expected:  # only streamed corpora ask (~1 ms a page counting 200 paragraphs)
            expected.append(textsources.main_groups("\n".join(base.paragraphs[:200])))
        return lt.covers(text) and textsources.groups_mismatch(text, expected[0]) is None

    out: list[dict[str, Any]] = []
    chars, next_base, synthetic = 0, base_start, 0
    if mix["base"] <= 0 and rng.random() < 0.5:
        out.append({"id": "syn:title", "kind": "title", "source": "vocab",
                    "text": lt.case(lt.heading(rng, boost), rng, 0.35, 0.4)})
    while chars <= budget:
        name = names[int(rng.choice(len(names), p=weights))]
        if name == "base" and synthetic == 0 and chars > budget / 4 and mix["vocab"] + mix["entities"] > 0:
            name = "vocab" if mix["vocab"] > 0 else "entities"
        if name == "base" and getattr(base, "stream", None) is not None:
            rows = base.stream.run(rng, int(rng.integers(200, 1500)), accept)
            for row, text in rows:
                out.append({"id": f"u{row}", "kind": "paragraph", "source": "corpus",
                            "text": text})
                chars += len(text)
            if not rows:
                chars += 200  # nothing drawable there: the loop still ends
            continue
        if name == "base":
            if next_base >= len(base.paragraph_ids):
                next_base = 1 if len(base.paragraph_ids) > 1 else 0
            pid = base.paragraph_ids[next_base]
            kind = "heading" if pid.endswith(".h") else "paragraph"
            out.append({"index": next_base, "id": pid, "kind": kind})
            chars += len(base.paragraphs[next_base])
            next_base += 1
            continue
        item = _synthetic(rng, lt, name, boost, len(out))
        synthetic += 1
        out.append(item)
        chars += len(item["text"])
    return out


def _synthetic(rng: np.random.Generator, lt: LanguageText, source: str, boost: list[str],
               position: int) -> dict[str, Any]:
    entity_p = 0.35 if source == "vocab" else 0.95
    roll = rng.random()
    if roll < 0.16:
        kind, text = "heading", lt.case(lt.heading(rng, boost), rng, 0.45, 0.35)
    elif roll < 0.28:
        kind = "list-item"
        text = lt.case(lt.paragraph(rng, boost, entity_p, (1, 3)), rng, 0.15, 0.05)
    else:
        kind = "paragraph"
        text = lt.case(lt.paragraph(rng, boost, entity_p), rng, 0.13, 0.04)
    return {"id": f"syn:{position}", "kind": kind, "source": source, "text": text}
