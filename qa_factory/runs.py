"""Readable runs of a partly hidden line: how benchmarks annotate occluded text.

A finger, clutter, a tear or the frame edge over some words of a line leaves a label nobody can
read whole (the line is flagged illegible: `warping.legibility` scores a line at most its
lowest word), yet the other words read fine (on `wild`, Tesseract missed 0.91 of the hidden
words' characters and 0.07 of the others'). Real benchmarks (ICDAR 2015, COCO-Text, Total-Text)
annotate such text as separate instances: each visible, legible run of consecutive words is a
text instance of its own, the hidden run a don't-care region. Views and exports do the same
here, so the readable words are not thrown away as training data; the row's `lines` keep the
labels as drawn (what was drawn and whether it reads whole).

A line is cut where its words are hidden (illegible, and partly covered or out of frame): a
run is a maximal stretch of consecutive words (logical order) all hidden, or all not, cut again
where it is not drawn as one stretch (a mixed-direction line: `_side_by_side`); a run in
view is legible when each of its words is, else don't-care with the hidden ones. Its text is the line's text from its first word's start to its last word's end, exactly as
drawn (inner spaces and punctuation kept). Its polygon is the smallest parallelogram, in the
line's own writing frame (averaged from its words' corners), holding every point of its
words' polygons: the ink of each word lies inside its polygon, so inside the run's too. The
ring starts at the run's own top-left in that frame (as a line's does), so crops of turned
lines come out upright and vertical lines keep their direction.

Words with no letter or digit (a lone dash, comma, bullet) do not split or flag runs: their
small boxes score low contrast by nature, and a reader does not need them to read the rest.
They join the run before them (the one after, at the start of a line).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synth.page import Line, Page, Polygon, Word, min_area_quad
from warping.legibility import VISIBLE, has_content


@dataclass(frozen=True)
class Run:
    """Words [first, end) of a line: their text as drawn, outline, flag and share in frame."""

    first: int
    end: int
    text: str
    polygon: Polygon
    legible: bool
    legibility: float
    visible: float


def _spans(text: str, words: list[Word]) -> list[tuple[int, int]] | None:
    """Where each word sits in the line's text, in order; None when one is not found."""
    spans, at = [], 0
    for wd in words:
        start = text.find(wd.text, at) if wd.text else -1
        if start < 0:
            return None
        at = start + len(wd.text)
        spans.append((start, at))
    return spans


def _corners(polygon: Polygon) -> np.ndarray | None:
    """Top-left, top-right, bottom-right, bottom-left of a word's ring in its own frame: the
    ring's points nearest the corners of its min-area rectangle, from the one nearest its first
    point (a ring starts at the label's own top-left and keeps it through the warp)."""
    pts = np.asarray(polygon, np.float64).reshape(-1, 2)
    if len(pts) < 3 or not np.isfinite(pts).all():
        return None
    if len(pts) == 4:
        return pts
    box = np.asarray(min_area_quad(pts), np.float64)
    if len(box) != 4:
        return None
    box = np.roll(box, -int(np.argmin(((box - pts[0]) ** 2).sum(axis=1))), axis=0)
    return pts[np.argmin(((pts[None] - box[:, None]) ** 2).sum(axis=2), axis=1)]


def _frame(polygons: list[Polygon]) -> np.ndarray:
    """Unit (along, across) axes of the words' writing frame as columns, averaged from their
    corners (the identity when degenerate)."""
    along, across = np.zeros(2), np.zeros(2)
    for poly in polygons:
        c = _corners(poly)
        if c is not None:
            along += (c[1] - c[0]) + (c[2] - c[3])
            across += (c[3] - c[0]) + (c[2] - c[1])
    basis = np.stack([along, across], axis=1)
    norms = np.linalg.norm(basis, axis=0)
    if norms.min() < 1e-6 or abs(np.linalg.det(basis / norms)) < 0.2:
        return np.eye(2)
    return basis / norms


def run_polygon(polygons: list[Polygon]) -> Polygon:
    """The smallest parallelogram in the words' writing frame holding all their points,
    clockwise from the frame's top-left (an axis box when the frame is degenerate)."""
    pts = np.concatenate([np.asarray(p, np.float64).reshape(-1, 2) for p in polygons])
    basis = _frame(polygons)
    coords = np.linalg.solve(basis, pts.T)  # (2, n): each point in (along, across)
    (a0, b0), (a1, b1) = coords.min(axis=1), coords.max(axis=1)
    frame = np.array([[a0, b0], [a1, b0], [a1, b1], [a0, b1]]).T
    return [[round(float(x), 2), round(float(y), 2)] for x, y in (basis @ frame).T]


def _visual_places(words: list[Word]) -> np.ndarray | None:
    """Each word's place on the page along the line (0 = first along the reading axis), or
    None when a ring is unusable."""
    pts = [np.asarray(wd.polygon, np.float64).reshape(-1, 2) for wd in words]
    if any(len(p) == 0 or not np.isfinite(p).all() for p in pts):
        return None
    # the reading axis: of the frame's two (a ttb word's ring is upright, so its "along" is
    # across the column), the one the word centres spread along
    centres = np.linalg.solve(_frame([wd.polygon for wd in words]),
                              np.stack([p.mean(axis=0) for p in pts]).T)
    spread = centres.max(axis=1) - centres.min(axis=1)
    place = np.empty(len(words), int)
    place[np.argsort(centres[int(np.argmax(spread))], kind="stable")] = np.arange(len(words))
    return place


def _side_by_side(group: list[int], place: np.ndarray | None) -> list[list[int]]:
    """`group` (consecutive words in logical order) cut into pieces each drawn side by side.

    In a right-to-left line with an embedded left-to-right phrase (or the reverse) logical
    order jumps across the line: a run (yesterday, New, York) can sit in two places, and its
    outline would span the words drawn between (another run's, a hidden one). A group whose
    places form one stretch is kept whole; otherwise it is cut where the next word does not
    extend the piece's stretch."""
    if place is None or len(group) < 2:
        return [group]
    at = place[group]
    if at.max() - at.min() + 1 == len(group):
        return [group]
    pieces = [[group[0]]]
    lo = hi = int(place[group[0]])
    for k in group[1:]:
        if int(place[k]) in (lo - 1, hi + 1):
            pieces[-1].append(k)
            lo, hi = min(lo, int(place[k])), max(hi, int(place[k]))
        else:
            pieces.append([k])
            lo = hi = int(place[k])
    return pieces


def _hidden(word: Word) -> bool:
    """An illegible word that something covers or the frame cuts (its `visible` below the
    visibility term's "can read" end), as opposed to one the physics alone makes hard."""
    return not word.legible and word.visible < VISIBLE[1]


def line_runs(text: str, words: list[Word]) -> list[Run] | None:
    """The runs of a partly hidden line; None when there is nothing to split (no content word
    is hidden, no run in view is legible, or a word is not found in the text in order - the
    line is then shown whole, as before).

    The line is cut where words are hidden (`_hidden`), not wherever word scores cross 0.5: a
    line the physics alone makes marginal (blur, size) has word scores around the threshold,
    and cutting there would give one-word fragments. A run in view is legible only when every
    content word in it is; otherwise it is don't-care too."""
    spans = _spans(text, words)
    content = [has_content(wd.text) for wd in words]
    if spans is None or not any(c and _hidden(wd) for wd, c in zip(words, content, strict=True)):
        return None
    first_content = content.index(True)
    groups: list[list[int]] = []
    hidden_of: list[bool] = []
    for k, wd in enumerate(words):
        key = _hidden(wd) if content[k] else None
        if k <= first_content:
            key = _hidden(words[first_content])
        if key is None or (groups and key == hidden_of[-1]):
            groups[-1].append(k)
        else:
            groups.append([k])
            hidden_of.append(key)
    place = _visual_places(words)
    pieces = [(piece, hidden) for group, hidden in zip(groups, hidden_of, strict=True)
              for piece in _side_by_side(group, place)]
    runs = []
    for group, hidden in pieces:
        own = [words[k] for k in group]
        chars = np.array([max(1, len(wd.text)) for wd in own], np.float64)
        # a mark cut off on its own (drawn apart from its neighbours) is scored by itself
        scored = [wd for wd, k in zip(own, group, strict=True) if content[k]] or own
        runs.append(Run(
            first=group[0], end=group[-1] + 1,
            text=text[spans[group[0]][0]:spans[group[-1]][1]].strip(),
            polygon=run_polygon([wd.polygon for wd in own]),
            legible=not hidden and all(wd.legible for wd in scored),
            legibility=round(float(min(wd.legibility for wd in scored)), 4),
            visible=round(float(np.dot(chars, [wd.visible for wd in own]) / chars.sum()), 4),
        ))
    return runs if any(r.legible for r in runs) else None


def split_line(line: Line) -> list[Line] | None:
    """A partly legible line as one Line per run (None: show it whole). Only an illegible
    line of drawn text is split; a don't-care region of a benchmark stays one region."""
    if line.legible or line.role == "dont-care" or not line.text.strip():
        return None
    runs = line_runs(line.text, line.words)
    if runs is None:
        return None
    return [replace(line, text=r.text, polygon=r.polygon, quad=min_area_quad(r.polygon),
                    words=line.words[r.first:r.end], legible=r.legible,
                    legibility=r.legibility, visible=r.visible) for r in runs]


def run_line(line: Line, span: list[int] | tuple[int, int]) -> Line | None:
    """The run of `line` made of its words [first, end), as `split_line` makes it (a view's
    `meta.word_ranges` item), or None when the line has no such run."""
    at = 0
    for run in split_line(line) or []:
        if (at, at + len(run.words)) == tuple(span):
            return run
        at += len(run.words)
    return None


# (line index in the page, (first word, end word) or None for a whole line)
Origin = tuple[int, tuple[int, int] | None]


def split_page(page: Page) -> tuple[Page, list[Origin]]:
    """The page with every partly legible line replaced by its runs (`split_line`), and where
    each of its lines comes from. Blocks' and paragraphs' line indices follow, so parsing
    joins a line's runs where the line stood. The same page (identity origins) when no line
    splits."""
    parts = [split_line(ln) for ln in page.lines]
    if not any(parts):
        return page, [(i, None) for i in range(len(page.lines))]
    lines: list[Line] = []
    origins: list[Origin] = []
    new_index: list[list[int]] = []
    for i, (ln, runs) in enumerate(zip(page.lines, parts, strict=True)):
        pieces = runs or [ln]
        new_index.append(list(range(len(lines), len(lines) + len(pieces))))
        lines.extend(pieces)
        if runs:
            words = [0, *np.cumsum([len(r.words) for r in runs]).tolist()]
            origins.extend((i, (words[k], words[k + 1])) for k in range(len(runs)))
        else:
            origins.append((i, None))

    def remap(indices: list[int]) -> list[int]:
        return [j for i in indices if 0 <= int(i) < len(new_index) for j in new_index[int(i)]]

    blocks = [replace(b, line_indices=remap(b.line_indices)) for b in page.blocks]
    extras = dict(page.extras or {})
    if extras.get("paragraphs"):
        extras["paragraphs"] = [{**p, "line_indices": remap(p.get("line_indices", []))}
                                for p in extras["paragraphs"]]
    return replace(page, lines=lines, blocks=blocks, extras=extras), origins


def row_line_instances(row: dict[str, Any], runs: bool = True
                       ) -> list[tuple[int, dict[str, Any], tuple[int, int] | None]]:
    """(line index, line dict, word range or None) of a stored row: each line as stored, or,
    with `runs`, a partly legible line's runs as line dicts of their own (text, polygon, quad,
    legible, legibility, visible of the run; the other keys the line's). For exports."""
    lines = row.get("lines") or []
    if not runs:
        return [(i, ln, None) for i, ln in enumerate(lines)]
    words: list[list[Word]] = [[] for _ in lines]
    for wd in row.get("words") or []:
        li = int(wd.get("line_index", -1))
        if 0 <= li < len(lines) and wd.get("polygon"):
            words[li].append(Word(text=wd.get("text") or "", polygon=wd["polygon"],
                                  line_index=li, visible=float(wd.get("visible", 1.0)),
                                  legibility=float(wd.get("legibility", 1.0)),
                                  legible=wd.get("legible") is not False))
    out: list[tuple[int, dict[str, Any], tuple[int, int] | None]] = []
    for i, ln in enumerate(lines):
        split = None
        if ln.get("legible") is False and ln.get("role") != "dont-care" and words[i]:
            split = line_runs(ln.get("text") or "", words[i])
        if not split:
            out.append((i, ln, None))
            continue
        for r in split:
            out.append((i, {**ln, "text": r.text, "polygon": r.polygon,
                            "quad": min_area_quad(r.polygon), "legible": r.legible,
                            "legibility": r.legibility, "visible": r.visible},
                        (r.first, r.end)))
    return out
