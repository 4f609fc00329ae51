"""How well do Tesseract's vertical models read polyglyph's vertical CJK pages, and where do
their errors come from? (issue #16: median CER <= 5 % on clean vertical crops.)

Method. Pages are what `generate --languages ja,zh-Hant --scenes document --vertical 1` draws
on the `clean` profile (no warp): the run's default text mix, about half classical leaves. Every
printed `ttb` line of at least `--min-chars` characters is cut out as a clean crop
(`clean_crop`: the column's em box on its own paper colour, at the page's resolution) and read
by `jpn_vert` / `chi_tra_vert` at `--psm 5` in both variants (`vertical_models`): `fast`, the
system's (Debian: tessdata_fast), and `best_int` (tessdata_best made integer, fetched by
`tools/fetch_tessdata.py`; `--variants fast` without it). CER per line is the project's
(`qa_factory.textmetrics.edit_text`: NFKC, 。、 as . ,, no spacing differences, an ellipsis one
character). Reported per variant: median and mean line CER; per class of truth character the
share missed (substituted or deleted); edit types, top confusions, Han by frequency
(`vertical_errors`); medians by size, ruling, classical leaf, warichu note, font, role; and
"known only": characters the model cannot output (`drawn_known`: not in its unicharset, judged
on the character drawn) dropped from the truth with what the reading put in their place, the
upper bound of what the drawing can change. The text is never changed to suit the reader.

    PYTHONPATH=. python bench/vertical_cer.py --pages 12 --seed 0 --out /tmp/vert.json
    PYTHONPATH=. python bench/vertical_cer.py --rescore /tmp/vert.json   # summary only

Figures (2026-12-08, 1024x1448, 12 pages a seed, seeds 0 / 1 / 2, OMP_THREAD_LIMIT=1; median
line CER, known only in brackets):
- zh-Hant (231 / 278 / 238 columns): best_int 5.00 / 5.00 / 5.00 % (4.55 / 3.74 / 3.20), mean
  9.00 / 7.52 / 6.94 %; fast 7.27 / 5.74 / 5.00 % (5.00 / 4.65 / 4.17). Pooled 747 columns:
  best_int 5.00 %, mean 7.79 %; fast 5.77 %, mean 9.68 %. OCR 1.0-1.3 CPU-s a page best_int,
  0.9-1.2 fast. Before an ellipsis counted as one character: best_int 5.26 / 5.00 / 5.09 %.
- ja (199 / 239 / 155): best_int 2.90 / 2.44 / 3.28 % (1.92 / 1.92 / 2.78); fast 3.03 / 2.56 /
  3.23 %; pooled 3.03 % either way. OCR 1.5-1.7 CPU-s a page.
best_int reads zh-Hant better than fast (261 columns better, 189 worse, sign test p < 0.001);
ja alike (45 / 35, p = 0.3: Debian's jpn_vert is tessdata's network already).

Where zh-Hant's misses are (best_int, seeds 0-2 pooled, points of all 26,675 truth
characters; 7.1 missed in all): Han the model knows 4.4 (missed 5.1 %: 0.8-1.3 % of those over
Zipf 6, 21-47 % of the 12 % under Zipf 5, which the text's Big5 boosting brings in on purpose;
一九 read 一力 in dates), Han outside its unicharset 1.45, tate-chu-yoko pairs 0.6 (95 % missed,
read as one Han or dropped; single digits 0 %), the vertical ellipsis 0.3 and 〇 0.14 (no token
in chi_tra_vert: read ':' and 'C'), stops, brackets and marks 0.15. ja: Han 1.4, Han outside
the unicharset 0.7, tate-chu-yoko pairs 0.6 (82 % missed), kana 0.3.

Not the drawing. Tate-chu-yoko pairs are set as JIS X 4051 sets them: the face's own half-width
digits (`hwid`: 0.5 em each, no scaling), across one em, centred (ink within the em box,
checked for 10-99 in Noto Sans/Serif CJK TC; crops looked at). Both vertical models miss them
alike; setting the same numbers upright and full-width (the other newspaper convention) reads
zh-Hant seed 1 at 4.69 % instead of 5.00 %, an experiment only: the convention is not chosen for
the judge. The vertical ellipsis is the face's centred vertical form; no Simplified form, turned
glyph or horizontal punctuation form was found; chi_tra reads the same texts set horizontally
at 2.0 %, and Pillow/raqm's vertical drawing reads like ours (4.1 vs 4.4 %, pure-Han lines).
Crops are not zoomed: chi_tra_vert reads large print worse (18-28 px lines: 6.8 % at 1x, 11.2 %
at 2x); warichu's half-size note lines (3 % of lines, 10-12 px) read at 17-52 %. chi_sim_vert
is the wrong model for zh-Hant (36.6 %, seed 0: a third of the Han drawn is outside its charset).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein
from vertical_models import BEST, FAST, VARIANTS, Reader, missing_best, unicharset

from synth.opencv import cv2

MODELS = {"ja": "jpn_vert", "zh-Hant": "chi_tra_vert", "zh-Hans": "chi_sim_vert"}
MIN_EM = 20.0  # px across a column below which a crop is zoomed (as the judge zooms)
SMALL_KANA = set("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ")


def clean_crop(page: Any, line: Any, scale: float | None = None) -> np.ndarray:
    """The column alone, as the label claims it: the line's em box (its polygon: vertical
    lines are laid out on one em across, so every glyph's ink lies inside it) with 2 px above
    and below, on a margin of its own paper colour 0.4 of its width wide, at the page's own
    resolution (`scale` None), zoomed only when the em is under MIN_EM px as the project's
    judge zooms small print (`qa_factory.judges.crop_prep.zoom_for`).

    Not wider: the em box grown by 2 px across the column held a classical leaf's column rules
    (界行, 0.16-0.4 em beside the text at the tightest line spacing) and the frame beside a
    heading that fills 0.8 of its column, which Tesseract read as '|', 'i', 'l' runs or as a
    second column. Not zoomed 2x as the first measurement did: chi_tra_vert reads large print
    worse (120 zh-Hant lines of 18-28 px at 1024x1448: median CER 6.8 % at 1x, 11.2 % at 2x;
    em scaled to 24 / 32 / 48 / 64 px: 7.0 / 7.0 / 11.1 / 16.2 %)."""
    from synth.page import axis_box

    x0, y0, x1, y1 = axis_box(line.polygon)
    left, right = int(np.floor(x0)), int(np.ceil(x1))
    tight = page.image[max(0, int(y0) - 2): int(np.ceil(y1)) + 2, max(0, left): right]
    paper = np.median(np.concatenate([tight[0], tight[-1], tight[:, 0], tight[:, -1]]), axis=0)
    pad = int(0.4 * (right - left))
    crop = cv2.copyMakeBorder(tight, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                              value=[int(v) for v in paper])
    if scale is None:
        from qa_factory.judges.crop_prep import zoom_for

        scale = zoom_for(right - left, MIN_EM)
    if scale == 1.0:
        return crop
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def drawn_known(char: str, known: frozenset[str]) -> bool:
    """Whether the model can output the character drawn: its NFKC form is one of the model's
    tokens. Judged on the drawn character: chi_tra_vert has '.' but no '…' token (jpn_vert and
    chi_sim_vert have one), so it cannot answer the vertical ellipsis ︙."""
    return unicodedata.normalize("NFKC", char) in known or squash(char) in known


def category(char: str, kind: str, known: frozenset[str], run_length: int = 1) -> str:
    """The error-analysis class of one truth character as drawn (`kind`: its orientation run,
    `synth.text.vertical.orientation_runs`, `run_length` characters long). Tate-chu-yoko
    pairs and single digits are apart: the vertical models read single ones (0-2 % missed)
    and almost never a pair (95 %), so one class hid where the misses are."""
    from synth.text.vertical import SIDEWAYS, TCY

    if kind == TCY:
        return "tate-chu-yoko pair" if run_length > 1 else "tate-chu-yoko single"
    if kind == SIDEWAYS:
        return "sideways Latin/digits/marks"
    code = ord(char)
    if char in SMALL_KANA:
        return "small kana"
    if char == "ー":
        return "long vowel ー"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if unicodedata.name(char, "").startswith("CJK") and unicodedata.category(char) == "Lo":
        return "Han" if drawn_known(char, known) else "Han (not in model)"
    named = {"〇": "ideographic zero 〇", "。": "stops 。、", "、": "stops 。、",
             **dict.fromkeys("…⋯‥︙︰", "ellipsis …")}
    if char in named:
        return named[char]
    if "０" <= char <= "９" or char.isascii() and char.isdigit():
        return "upright digits"
    if char.isalpha():
        return "upright Latin"
    if unicodedata.category(char) in ("Ps", "Pe", "Pi", "Pf"):
        return "brackets"
    return "other marks"


def truth(text: str, upright_latin: bool, known: frozenset[str]) -> list[tuple[str, str]]:
    """(comparable character, category) of a line's text in order: each character as the
    project's comparison sees it (`edit_text`: NFKC, 。、 as . ,, an ellipsis one character),
    with the class of the character drawn."""
    return [(c, cat) for c, cat, _ in truth_known(text, upright_latin, known)]


def truth_known(text: str, upright_latin: bool, known: frozenset[str]
                ) -> list[tuple[str, str, bool]]:
    """`truth` with, for each comparable character, whether the model can output the
    character drawn (`drawn_known`). Three (two) adjacent drawn periods are one comparable
    '…' ('‥'), as `edit_text` folds them in the line."""
    from synth.text.vertical import orientation_runs

    out: list[tuple[str, str, bool]] = []
    dots: list[int] = []  # text positions of the periods that make out[-1], if it is dots
    for start, end, kind in orientation_runs(text, upright_latin):
        for pos in range(start, end):
            char = text[pos]
            cat, ok = category(char, kind, known, end - start), drawn_known(char, known)
            units = squash(char)
            if units == "." and char not in "。":
                if dots and dots[-1] == pos - 1 and len(dots) < 3:
                    dots.append(pos)
                    out[-1] = ("…" if len(dots) == 3 else "‥", out[-1][1], out[-1][2] and ok)
                    continue
                dots = [pos]
            else:
                dots = []
            out.extend((c, cat, ok) for c in units)
    return out


def squash(text: str) -> str:
    from qa_factory.textmetrics import edit_text

    return "".join(edit_text(text).split())


def score(text: str, read: str, known: frozenset[str], upright_latin: bool = False,
          known_only: bool = False) -> dict[str, Any]:
    """Line CER (the project's: edit distance over the longer comparable text) and per truth
    character its category and whether the reading missed it (substituted or deleted). With
    `known_only`, characters the model cannot output are dropped from the truth, and the
    characters the reading has in their place (substitutions in the alignment) from it."""
    flagged = truth_known(text, upright_latin, known)
    hyp = squash(read)
    if known_only:  # the unknown characters go, and what the reading put in their place
        ref = "".join(c for c, _, _ in flagged)
        stand_ins = {op.dest_pos for op in Levenshtein.editops(ref, hyp)
                     if op.tag == "replace" and not flagged[op.src_pos][2]}
        flagged = [row for row in flagged if row[2]]
        hyp = "".join(c for k, c in enumerate(hyp) if k not in stand_ins)
    chars = [(c, cat) for c, cat, _ in flagged]
    ref = "".join(c for c, _ in chars)
    longest = max(len(ref), len(hyp))
    cer = Levenshtein.distance(ref, hyp) / longest if longest else 0.0
    missed = [False] * len(ref)
    for op in Levenshtein.editops(ref, hyp):
        if op.tag in ("replace", "delete"):
            missed[op.src_pos] = True
    return {"cer": cer, "chars": chars, "missed": missed}


def pages(language: str, count: int, size: tuple[int, int], seed: int, ctx: Any):
    """(index, page) of vertical document pages as `generate --vertical 1` plans them."""
    from pipelines.sample import WorkerContext, page_style, plan_sample
    from synth.render import PageSpec, render_page
    from synth.rng import sample_rng

    config = {"languages": {language: 1.0}, "scenes": {"document": 1.0},
              "profiles": {"clean": {"weight": 1.0}}, "page_sizes": [list(size)],
              "vertical": 1.0}
    worker = WorkerContext(config={}, config_hash="bench", render_ctx=ctx)
    for i in range(count):
        plan = plan_sample(config, sample_rng(seed * 100003 + i))
        spec = PageSpec(language, width=size[0], height=size[1], **page_style(plan, worker))
        yield i, render_page(spec, sample_rng(seed * 100003 + 50000 + i), ctx)


def ruling(page: Any) -> str:
    """The page's paper ruling kind (none, ruled, grid, dotted)."""
    background = page.render.get("background", {})
    return str(background.get("paper", {}).get("ruling", {}).get("kind", "none"))


def read_lines(language: str, count: int, size: tuple[int, int], seed: int, ctx: Any,
               scale: float | None = None, min_chars: int = 4, model: str | None = None,
               variants: tuple[str, ...] = (FAST,)) -> list[dict[str, Any]]:
    """Every printed `ttb` line of `count` vertical pages with at least `min_chars`
    comparable characters, read from its clean crop by each variant of the model: one row each
    (text, context, `reads` and `ocr_cpu_s` by variant)."""
    readers = [Reader(model or MODELS[language], variant) for variant in variants]
    rows = []
    for i, page in pages(language, count, size, seed, ctx):
        for n, line in enumerate(page.lines):
            if line.direction != "ttb" or line.style != "printed" \
                    or len(squash(line.text)) < min_chars:
                continue
            crop = clean_crop(page, line, scale)
            rows.append({"page": i, "line": n, "role": line.role, "size": line.size,
                         "font": line.font_family, "ruling": ruling(page),
                         "upright_latin": page.render.get("latin") == "upright",
                         "classical": "classical" in page.render,
                         # a warichu note's half-size line (synth.scenes.warichu)
                         "note": line.role == "paragraph"
                         and line.size < page.render["sizes"]["body"],
                         "text": line.text, "reads": {}, "ocr_cpu_s": {}})
            for reader in readers:  # CPU seconds of the reading alone: the model's cost
                start = reader.cpu_s()
                rows[-1]["reads"][reader.variant] = reader.read(crop)
                rows[-1]["ocr_cpu_s"][reader.variant] = round(reader.cpu_s() - start, 4)
    return rows


def reads(row: dict[str, Any]) -> dict[str, str]:
    """A row's readings by variant (an --out written before the variants holds one `read`,
    made with the system's models)."""
    return row["reads"] if "reads" in row else {FAST: row["read"]}


def measure(language: str, args: argparse.Namespace) -> dict[str, Any]:
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry
    from synth.render import RenderContext

    ctx = RenderContext(FontRegistry.load(), load_corpus(languages=[language]))
    model = args.models.get(language, MODELS[language])
    variants = tuple(v for v in args.variants if v == FAST or not missing_best([model]))
    if variants != tuple(args.variants):
        print(f"warning: {language}: {missing_best([model])}", file=sys.stderr)
    rows = read_lines(language, args.pages, tuple(args.size), args.seed, ctx, args.scale,
                      args.min_chars, model, variants)
    return summarise_all(rows, model, language)


def summarise_all(rows: list[dict[str, Any]], model: str, language: str) -> dict[str, Any]:
    """`summarise` for every variant the rows were read with, and how the variants compare
    line by line (`versus`: lines best_int reads better / worse than fast)."""
    variants = [v for v in VARIANTS if rows and v in reads(rows[0])]
    out = {v: summarise(rows, unicharset(model), language, v) for v in variants}
    if len(variants) == 2:
        pairs = [(r["cer"][FAST], r["cer"][BEST]) for r in rows]
        out["versus"] = {"best_int_better": sum(b < f for f, b in pairs),
                         "best_int_worse": sum(b > f for f, b in pairs)}
    return out | {"model": model, "lines": rows}


def summarise(rows: list[dict[str, Any]], known: frozenset[str], language: str,
              variant: str = FAST) -> dict[str, Any]:
    """The figures of one variant's readings (each row's CER goes into `row["cer"][variant]`)."""
    from vertical_errors import error_types  # bench/ is on the path (script or load_bench)

    spent = sum(r.get("ocr_cpu_s", {}).get(variant, 0.0) for r in rows)
    pages_read = len({r["page"] for r in rows})
    out: dict[str, Any] = {"n_lines": len(rows), "n_pages": pages_read,
                           "ocr_cpu_s": round(spent, 2),
                           "ocr_cpu_s_per_page": round(spent / max(pages_read, 1), 3)}
    for name, only in (("all", False), ("known_only", True)):
        cers, total, miss = [], Counter(), Counter()
        han: list[tuple[str, bool]] = []
        for row in rows:
            s = score(row["text"], reads(row)[variant], known, row["upright_latin"], only)
            cers.append(s["cer"])
            for (char, cat), bad in zip(s["chars"], s["missed"], strict=True):
                total[cat] += 1
                miss[cat] += bad
                if cat == "Han" and not only:
                    han.append((char, bad))
        out[name] = {
            "median_cer": round(statistics.median(cers), 4) if cers else None,
            "mean_cer": round(statistics.fmean(cers), 4) if cers else None,
            "categories": {c: {"chars": total[c], "missed": miss[c],
                               "rate": round(miss[c] / total[c], 3)}
                           for c in sorted(total, key=lambda c: -total[c])},
        }
        if name == "all":
            line_cers = cers
            for row, c in zip(rows, cers, strict=True):
                row["cer"] = (row["cer"] if isinstance(row.get("cer"), dict) else {}) \
                    | {variant: round(c, 4)}
            pairs = [(squash(r["text"]), squash(reads(r)[variant])) for r in rows]
            out["errors"] = error_types(pairs, han, sum(total.values()), language)
    for key in ("size", "ruling", "classical", "note", "font", "role"):
        groups: dict[str, list[float]] = {}
        for row, c in zip(rows, line_cers, strict=True):
            value = row.get(key, False)  # rows read before warichu have no "note"
            groups.setdefault(str(int(value) if key == "size" else value), []).append(c)
        out["by_" + key] = {k: {"lines": len(v), "median_cer": round(statistics.median(v), 4)}
                            for k, v in sorted(groups.items())}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", default="ja,zh-Hant")
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--size", type=int, nargs=2, default=(1024, 1448))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=None,
                        help="crop zoom before reading (default: 1, small print zoomed)")
    parser.add_argument("--min-chars", type=int, default=4)
    parser.add_argument("--model", action="append", default=[], metavar="LANG=MODEL",
                        help="read LANG with another traineddata (zh-Hant=chi_sim_vert)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="model variants to read with: fast (the system's), best_int")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rescore", type=Path, help="summarise an earlier --out's readings")
    args = parser.parse_args(argv)
    try:
        args.models = dict(item.split("=", 1) for item in args.model)
    except ValueError:
        parser.error(f"--model takes LANG=MODEL, got {args.model}")
    args.variants = args.variants.split(",")
    if not set(args.variants) <= set(VARIANTS):
        parser.error(f"--variants: choose from {', '.join(VARIANTS)}, got {args.variants}")
    result = {}
    earlier = json.loads(args.rescore.read_text("utf-8")) if args.rescore else {}
    for language in args.languages.split(","):
        if language in earlier:  # the same readings, summarised again (no rendering, no OCR)
            found = summarise_all(earlier[language]["lines"], earlier[language]["model"],
                                  language)
        else:
            found = measure(language, args)
        result[language] = found
        brief = {k: v for k, v in found.items() if k != "lines"}
        print(language, json.dumps(brief, ensure_ascii=False, indent=1), flush=True)
    for language, found in result.items():  # the headline, one line per variant
        for variant in VARIANTS:
            if variant in found:
                got = found[variant]
                print(f"{language} {found['model']} {variant}: {got['n_lines']} lines, median "
                      f"CER {got['all']['median_cer']:.2%} (known {got['known_only']['median_cer']:.2%}), "
                      f"mean {got['all']['mean_cer']:.2%}, OCR {got['ocr_cpu_s_per_page']:.2f} CPU-s/page")
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
