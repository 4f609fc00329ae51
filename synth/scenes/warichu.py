"""Warichu (割注, 雙行夾注): a note set inside a column of a classical leaf, in characters of
half the body size split over two sub-columns side by side, right one first, after which the
main text runs on in the same column. Commentaries printed in woodblock books carry most of
their notes this way.

The note is a stretch of the paragraph's own text (so the lines, read in order, still give the
paragraph as planned: labels never lie): a paragraph's text T is cut into A + N + B; A runs in
full-size columns, N follows A's last character in that column as two half-size lines (its first
half on the right, its second on the left, each one a `ttb` line of its own with its em box
inside the column), and B continues below the longer half, then in the next columns. The note
is kept within the column where it starts (shortened to fit), as short notes are.

Choices come from the leaf record (`record["classical"]["warichu"]`: a share and a seed), so
planning reads only the record.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

import numpy as np

from synth.text.vertical import upright

WARICHU_SHARE = 0.5  # classical leaves with notes
NOTE_SHARE = 0.35  # paragraphs of such a leaf given one note
MIN_NOTE_SIZE = 10  # px: half of the body size; bodies under 20 px get no notes
NOTE_CHARS = (6, 21)  # characters in a note (before it is shortened to fit)

Piece = tuple[str, Any, float, float]  # text, style, x from the column centre, y from its top


def sample(rng: np.random.Generator) -> dict[str, Any] | None:
    """The leaf's note choices, or None for a leaf without notes."""
    if rng.random() >= WARICHU_SHARE:
        return None
    return {"share": NOTE_SHARE, "seed": int(rng.integers(0, 2**31 - 1))}


def note_size(body: int) -> int:
    """Half the body size, rounded down to an even size (two sub-columns fit one em)."""
    return 2 * (int(body) // 4)


def _cut(text: str, at: float, chars: int) -> tuple[str, str, str] | None:
    """A + N + B = text, N a run of upright CJK characters not starting with punctuation."""
    k = max(1, int(at * len(text)))
    while k < len(text) and unicodedata.category(text[k]).startswith("P"):
        k += 1
    end = k
    while end < min(len(text), k + chars) and upright(text[end]) and not text[end].isspace():
        end += 1
    if end - k < 4:
        return None
    return text[:k], text[k:end], text[end:]


def columns(engine: Any, text: str, style: Any, length: float,
            choice: tuple[float, float, int] | None) -> list[list[Piece]]:
    """The paragraph's columns, each a list of pieces: one full-size line, or with a note
    the column holding A's end, the note's two halves and B's start. `choice` (roll, at,
    chars) from the leaf's note stream; None or a roll above the share: no note."""
    plain = [[(line, style, 0.0, 0.0)] for line in engine.wrap(text, style, length)]
    small = note_size(style.size)
    if choice is None or small < MIN_NOTE_SIZE:
        return plain
    cut = _cut(text, choice[1], int(choice[2]))
    if cut is None:
        return plain
    a, note, b = cut
    head = engine.wrap(a, style, length)
    if not head:
        return plain
    used = engine.width(head[-1], style)
    room = length - used
    note_style = replace(style, size=small)
    n = len(note)
    while n >= 4:
        right, left = note[: (n + 1) // 2], note[(n + 1) // 2: n]
        drop = max(engine.width(right, note_style), engine.width(left, note_style))
        if drop <= room:
            break
        n -= 1
    else:
        return plain
    b = note[n:] + b  # what did not fit runs on as main text
    out = [[(line, style, 0.0, 0.0)] for line in head]
    half = small / 2
    out[-1] += [(right, note_style, half, used), (left, note_style, -half, used)]
    rest = b.lstrip()
    if rest and room - drop >= style.size:
        first = engine.wrap(rest, style, room - drop)[0]
        if rest.startswith(first) and engine.width(first, style) <= room - drop:
            out[-1].append((first, style, 0.0, used + drop))
            rest = rest[len(first):].lstrip()
    out += [[(line, style, 0.0, 0.0)] for line in engine.wrap(rest, style, length)] \
        if rest else []
    return out


def stream(book: dict[str, Any]) -> np.random.Generator | None:
    """The leaf's note stream (None for a leaf without notes)."""
    notes = book.get("warichu")
    return None if notes is None else np.random.default_rng(int(notes["seed"]))


def draw_choice(notes: np.random.Generator | None, share: float
                ) -> tuple[float, float, int] | None:
    """One paragraph's note choice: three draws a paragraph, whether it gets a note or not."""
    if notes is None:
        return None
    roll, at, chars = notes.random(), notes.uniform(0.15, 0.7), notes.integers(*NOTE_CHARS)
    return (float(roll), float(at), int(chars)) if roll < share else None
