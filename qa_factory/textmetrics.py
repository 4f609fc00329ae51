"""Text and box similarity used to compare judge answers with references.

Edit distance is rapidfuzz's (unit-cost Levenshtein over code points, compiled; 11-15x faster
here than the bit-parallel Python it replaced, with the same answers: see the test). Scores
compare `comparable_text`, where spacing that a script does not mark (CJK, kana, Thai...) and
spaces around punctuation are not differences: a reader that prints '第一184' for a label
'第一 184' read it right. Distances and bags count over `edit_text`, where an ellipsis is one
character whatever its code points (NFKC writes '…' as three).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

_SPACE = re.compile(r"\s+")

# Invisible format characters: nothing on the page shows them, so no reader can be asked for
# them. Tesseract wraps Latin runs in Arabic/Hebrew lines in LRM/RLM marks ('\u200eUDHR\u200f');
# UDHR texts carry ZWNJ where it changes no glyph (Bengali 'কা\u200cউকে'); a shaping engine
# draws no soft hyphen inside a line. Visible Cf characters (Arabic number signs) are kept.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x061C, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)
# Typographic variants of one mark that differ only in length or width, which print does not
# let a reader tell apart (Tesseract reads the en dash of '– 229 –' and the CJK bracket of
# '〈前文〉' as '-' and '<'): dashes and the minus sign, curly and straight quotes, CJK and
# ASCII angle brackets. Guillemets and CJK corner/double brackets have their own shapes: kept.
_VARIANTS = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        "\u3008": "<",
        "\u3009": ">",
        "\u27e8": "<",
        "\u27e9": ">",
        **_INVISIBLE,
    }
)


def normalise_text(text: str) -> str:
    """What 'same text' means for a reader of the printed page.

    NFKC (full-width forms, ligatures, compatibility characters), invisible format characters
    dropped, typographic variants folded (see `_VARIANTS`), the dotted circle a shaper draws
    under an orphan mark dropped, whitespace runs folded to one space and trimmed.
    """
    text = unicodedata.normalize("NFKC", text or "").translate(_VARIANTS)
    return _SPACE.sub(" ", text.replace("\u25cc", "")).strip()


_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]"
)


def _tokens(text: str) -> list[str]:
    """Words, or characters for text mostly in scripts written without spaces (CJK, Thai...);
    an ellipsis is one character."""
    norm = _normalise_ellipses(text)
    letters = [c for c in norm if c != " "]
    if letters and len(_UNSPACED.findall(norm)) * 3 >= len(letters):
        return letters
    return [w for w in norm.split(" ") if w]


def bag_similarity(reference: str, answer: str) -> float:
    """F1 of the token multisets: what was read, regardless of the order it was read in."""
    ref, ans = Counter(_tokens(reference)), Counter(_tokens(answer))
    total = sum(ref.values()) + sum(ans.values())
    return 2.0 * sum((ref & ans).values()) / total if total else 1.0


def levenshtein(a: str, b: str) -> int:
    """Unit-cost edit distance (insert, delete, substitute) between code-point sequences."""
    return int(Levenshtein.distance(a, b))


_WIDE = (
    "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fff\u3000-\u30ff"
    "\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
)
# A space with a no-space-script character on either side (CJK, kana, Thai, Lao, Tibetan,
# Myanmar, Khmer): its presence is typesetting, not text a reader can be asked for.
_SPACE_AT_WIDE = re.compile(f"(?<=[{_WIDE}]) | (?=[{_WIDE}])")
# Spaces inside brackets or before closing marks ('word ,' / '( a )'): fonts set them with
# different side bearings and readers disagree on them; French sets a space before ':' and '?'.
_SPACE_AT_PUNCT = re.compile(r" (?=[,.;:!?)\]}%»’”…‥])|(?<=[(\[{«‘“]) |(?<=\d[,.]) (?=\d)")
_CJK_STOPS = str.maketrans({"\u3002": ".", "\u3001": ","})
# One drawn ellipsis, one character. NFKC writes '…' (and its vertical form '︙') as '...' and
# '‥' (vertical '︰') as '..', so a CER counted a drawn ellipsis a reader missed as three
# errors (chi_tra_vert has no ellipsis token: 0.8 points of zh-Hant's vertical CER). Every way
# to write one folds to one mark on both sides: '…', '︙', '⋯' (the centred form Chinese text
# uses, '⋯⋯'), '⋮' (what a vertical ellipsis looks like), '...' -> '…'; '‥', '︰', '..' -> '‥'.
# The marks are held as noncharacters through NFKC, so a drawn mark stays one whatever is
# beside it; runs of periods fold three at a time from the left ('......' = '……'). The
# ideographic full stop is no period here ('。。。' is three stops, read as three).
_HOLD_MARKS = str.maketrans({**dict.fromkeys("\u2026\ufe19\u22ef\u22ee", "\ufdd0"),
                             **dict.fromkeys("\u2025\ufe30", "\ufdd1")})
_PUT_MARKS = str.maketrans({"\ufdd0": "\u2026", "\ufdd1": "\u2025"})
_DOTS = re.compile(r"\.\.\.|\.\.")


def comparable_text(text: str) -> str:
    """`normalise_text`, then the spacing differences no reader can be held to removed.

    Per script: spaces next to characters of scripts written without spaces are dropped
    ('第一 184' = '第一184'), as are spaces before closing punctuation, inside brackets and
    after a digit group mark ('159, 980' = '159,980'); the
    ideographic full stop and comma compare equal to '.' and ','. Spaces between words of
    spaced scripts stay: 'to gether' is a misreading of 'together'.
    """
    norm = normalise_text(text).translate(_CJK_STOPS)
    return _SPACE_AT_PUNCT.sub("", _SPACE_AT_WIDE.sub("", norm))


def _normalise_ellipses(text: str) -> str:
    """`normalise_text` with each ellipsis one character (`_HOLD_MARKS`)."""
    norm = normalise_text(text.translate(_HOLD_MARKS))
    return _DOTS.sub(lambda m: "\u2026" if len(m[0]) == 3 else "\u2025", norm).translate(
        _PUT_MARKS)


def edit_text(text: str) -> str:
    """`comparable_text` with each ellipsis one character: what edit distances count over, so
    a drawn '…' misread costs one edit, as any other drawn character does."""
    norm = _normalise_ellipses(text).translate(_CJK_STOPS)
    return _SPACE_AT_PUNCT.sub("", _SPACE_AT_WIDE.sub("", norm))


def normalised_edit_distance(reference: str, hypothesis: str) -> float:
    """Edit distance over the longer `edit_text` length, in [0, 1]; 0 means identical."""
    ref, hyp = edit_text(reference), edit_text(hypothesis)
    longest = max(len(ref), len(hyp))
    return levenshtein(ref, hyp) / longest if longest else 0.0


def text_similarity(reference: str, hypothesis: str) -> float:
    return 1.0 - normalised_edit_distance(reference, hypothesis)


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edits over the reference length (can exceed 1): the usual OCR figure. Normalised text
    with each ellipsis one character (`edit_text` without the spacing rules)."""
    ref, hyp = _normalise_ellipses(reference), _normalise_ellipses(hypothesis)
    return levenshtein(ref, hyp) / max(1, len(ref))


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two [xmin, ymin, xmax, ymax] boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def _overlap(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Intersection over the area of a, and over the area of b."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(1e-9, (a[2] - a[0]) * (a[3] - a[1]))
    area_b = max(1e-9, (b[2] - b[0]) * (b[3] - b[1]))
    return inter / area_a, inter / area_b


def match_spotting(
    reference: Sequence[tuple[str, Sequence[float]]],
    hypothesis: Sequence[tuple[str, Sequence[float]]],
    min_cover: float = 0.5,
) -> tuple[float, list[dict[str, object]]]:
    """Match (text, box) line lists by box overlap and score the matched texts.

    Readers disagree on line granularity: a key and its value, or the cells of a table row,
    are separate label lines but one Tesseract line. So lines are linked when one box covers at
    least `min_cover` of the other, linked lines form groups, and each group compares its
    reference texts (reference order) with its hypothesis texts (answer order). Score =
    sum of group similarity x reference lines in the group / (reference lines + unmatched
    hypothesis lines): missed and invented lines both cost. Reference lines reading `###`
    (ICDAR's don't-care: text too degraded to read) neither count nor cost: what a reader
    writes over them is ignored, as the ICDAR evaluation does.
    """
    n_ref, n_hyp = len(reference), len(hypothesis)
    if n_ref + n_hyp == 0:
        return 1.0, []
    parent = list(range(n_ref + n_hyp))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_, rbox) in enumerate(reference):
        for j, (_, hbox) in enumerate(hypothesis):
            cover_r, cover_h = _overlap(rbox, hbox)
            if max(cover_r, cover_h) >= min_cover and box_iou(rbox, hbox) > 0.0:
                parent[find(i)] = find(n_ref + j)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for k in range(n_ref + n_hyp):
        refs, hyps = groups.setdefault(find(k), ([], []))
        (refs if k < n_ref else hyps).append(k if k < n_ref else k - n_ref)
    total, unmatched_hyp, matches = 0.0, 0, []
    dont_care = {i for i, (text, _) in enumerate(reference) if text.strip() == "###"}
    for all_refs, hyps in groups.values():
        refs = [i for i in all_refs if i not in dont_care]
        if not refs:
            if not all_refs:
                unmatched_hyp += len(hyps)
            continue
        if not hyps:
            continue
        ref_text = " ".join(reference[i][0] for i in sorted(refs))
        hyp_text = " ".join(hypothesis[j][0] for j in sorted(hyps))
        sim = text_similarity(ref_text, hyp_text)
        if len(refs) + len(hyps) > 2:  # split differently: concatenation order is arbitrary
            sim = max(sim, bag_similarity(ref_text, hyp_text))
        total += sim * len(refs)
        matches.append({"ref": sorted(refs), "hyp": sorted(hyps), "similarity": round(sim, 4)})
    matches.sort(key=lambda m: m["ref"][0])
    counted = n_ref - len(dont_care) + unmatched_hyp
    return (total / counted if counted else 1.0), matches
