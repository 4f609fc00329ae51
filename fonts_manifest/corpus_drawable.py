"""User-corpus rows no installed font draws: dropped from the sample, counted, reported once.

"Draws" means a face a print chain may take maps the character (the registry passes the
regular face of every family but handwriting ones: what `_print_chain`'s last pass searches).
A `--corpus` row holding one character no such face maps (a private-use code point, an emoji with
no emoji font) made the whole corpus unusable when the row fell in the coverage sample (the
language's chain could not be complete), while the same row elsewhere was skipped by the
page's `accept` check without a word. Now the sample loses such rows before the chains are
built, the same rows are skipped while drawing (the chain does not draw them), and the corpus
is refused only when fewer than `MIN_DRAWABLE_SHARE` of its sampled rows remain. Labels never
name what was not drawn: a row is dropped whole, never drawn with a character left out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from fonts_manifest.chains import is_ignorable
from fonts_manifest.corpus import CorpusText

MIN_DRAWABLE_SHARE = 0.5  # a corpus is refused when fewer of its sampled rows are drawable


def unmapped(chars: Iterable[str], ranges: Iterable[Sequence[int]]) -> set[str]:
    """The characters of `chars` no face maps; `ranges` holds each face's flat inclusive
    ranges (start, end, start, end, ...). Read as arrays, so no per-face bitmap is built."""
    todo = sorted({c for c in chars if not c.isspace() and not is_ignorable(c)})
    if not todo:
        return set()
    points = np.array([ord(c) for c in todo], np.int64)
    open_ = np.ones(len(points), bool)
    for flat in ranges:
        if len(flat) == 0:
            continue
        bounds = np.frombuffer(flat, np.int32) if not isinstance(flat, list) else np.array(flat)
        starts, ends = bounds[0::2], bounds[1::2]
        left = points[open_]
        at = np.searchsorted(starts, left, side="right") - 1
        hit = (at >= 0) & (left <= ends[np.maximum(at, 0)])
        open_[np.flatnonzero(open_)[hit]] = False
        if not open_.any():
            return set()
    return {todo[i] for i in np.flatnonzero(open_)}


def keep_drawable(text: CorpusText, ranges: Iterable[Sequence[int]]) -> CorpusText:
    """`text` (a user corpus) without its sampled rows holding a character no face maps; the
    count and the first such character go on `skipped` / `skipped_note` for one summary line.
    Too few rows left: `text` unfiltered (its language unusable) with `refused` set, the
    one line naming the corpus, the share and the threshold that using the language raises."""
    paragraphs = list(text.paragraphs)
    bad = unmapped("".join(paragraphs), ranges)
    if not bad:
        return text
    rows = list(getattr(text.stream, "sampled", ()) or range(len(paragraphs)))
    keep = [i for i, p in enumerate(paragraphs) if bad.isdisjoint(p)]
    first = next(i for i, p in enumerate(paragraphs) if not bad.isdisjoint(p))
    char = next(c for c in paragraphs[first] if c in bad)
    where = (f"{char!r} U+{ord(char):04X} {unicodedata.name(char, 'unnamed')} in row "
             f"{rows[first] + 1 if first < len(rows) else first + 1}")
    label = f"--corpus {text.code}={text.source}"
    skipped = len(paragraphs) - len(keep)
    if len(keep) < MIN_DRAWABLE_SHARE * len(paragraphs):  # kept whole: the language is
        # dropped as undrawable (`languages` lists it so) and using it raises this line
        return replace(text, refused=(
            f"{label}: refused, only {len(keep)} of {len(paragraphs)} sampled rows are drawable "
            f"(at least {MIN_DRAWABLE_SHARE:.0%} must be); no installed font draws {where}"))
    note = (f"{label}: skipping {skipped} of {len(paragraphs)} sampled rows no installed font "
            f"draws (first: {where}); such rows are skipped while drawing too")
    return replace(text, paragraphs=[paragraphs[i] for i in keep],
                   paragraph_ids=[text.paragraph_ids[i] for i in keep],
                   skipped=skipped, skipped_note=note)


_REPORTED: set[str] = set()


def report_skipped(corpus: dict[str, CorpusText]) -> None:
    """The summary line of each corpus that lost rows, once per process (the command that
    loaded it prints it; workers loading the same corpus stay quiet)."""
    import sys

    for text in corpus.values():
        note = getattr(text, "skipped_note", "")
        if note and note not in _REPORTED:
            _REPORTED.add(note)
            print(f"polyglyph: warning: {note}", file=sys.stderr)
