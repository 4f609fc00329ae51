"""The figures `polyglyph text --stats` prints for a set of page texts (see synth.text_cli)."""

from __future__ import annotations

from typing import Any

from fonts_manifest import textsources
from synth.textstats import (
    coverage,
    has_entity,
    is_all_caps,
    is_han,
    is_hangul_syllable,
    words_of,
    wrap_lines,
)
from synth.textsynth import CASED_SCRIPTS


def measure(texts: list[tuple[str, int]], ctx: Any, info: Any) -> dict[str, Any]:
    """Distinct characters/words, target coverage, ALL-CAPS and entity shares of lines."""
    from synth.pagetext import language_text

    chars: set[str] = set()
    words: set[str] = set()
    lines = caps = entities = 0
    total_chars = 0
    for text, per_line in texts:
        chars.update(c for c in text if not c.isspace())
        words.update(w.casefold() for w in words_of(text, info.code, info.script))
        total_chars += len(text)
        for line in wrap_lines(text, per_line):
            lines += 1
            caps += is_all_caps(line)
            entities += has_entity(line)
    reference = "\n".join(ctx.text(info.code).paragraphs)
    exemplar = textsources.exemplars(info.code, reference)
    lt = language_text(ctx, info.code)
    out: dict[str, Any] = {
        "language": info.code, "script": info.script, "pages": len(texts),
        "characters": total_chars, "distinct_chars": len(chars),
        "distinct_words": len(words),  # case-folded
        "vocabulary": lt.vocab_source, "vocabulary_words": len(lt.words),
        "lines_estimated": lines,
        "entity_line_share": round(entities / max(1, lines), 4),
    }
    if info.script in CASED_SCRIPTS:
        out["all_caps_line_share"] = round(caps / max(1, lines), 4)
    if exemplar and info.code.split("-")[0] != "ko":
        out["exemplars"] = _cover(chars, exemplar, lt.covers)
    common = textsources.common_chars(info.code, info.script)
    if common:
        name = {"zh": "tgh_level1" if info.script != "Hant" else "big5_level1", "ja": "joyo",
                "ko": "ksx1001_hangul"}[info.code.split("-")[0]]
        out[name] = _cover(chars, common, lt.covers)
    if info.script in ("Hans", "Hant", "Hani", "Jpan"):
        out["distinct_han"] = sum(1 for c in chars if is_han(c))
    if info.script in ("Hang", "Kore"):
        out["distinct_hangul_syllables"] = sum(1 for c in chars if is_hangul_syllable(c))
    return out


def _cover(chars: set[str], targets: list[str], covers: Any) -> dict[str, Any]:
    drawable = [t for t in targets if t.strip() and covers(t)]
    hit, total = coverage(chars, drawable)
    missing = [t for t in drawable if not all(c in chars for c in t)]
    return {"covered": hit, "of": total, "share": round(hit / max(1, total), 4),
            "not_drawable": len(targets) - len(drawable), "missing_sample": "".join(missing[:30])}
