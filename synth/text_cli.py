"""`polyglyph text`: the text of document pages, drawn from the run's sources without
rendering, to see and measure what pages will say.

Page i is sampled exactly as `polyglyph generate` samples a document page of that language
(seed → sample seed → "render" child Generator → `synth.scenes.document.sample`); its text is
the paragraphs that fit the page's estimated capacity (columns × lines × characters per line
from the sampled margins, sizes and spacing), so the figures stand for what is drawn without
paying for shaping. `--stats` prints distinct characters and words, coverage of the
language's CLDR exemplars and (zh, ja, ko) common-use list, the ALL-CAPS share of lines of
cased scripts and the share of lines holding numbers, prices, codes, URLs or e-mails.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from fonts_manifest.errors import SEED_RANGE, ArgParser, PolyglyphError, check_flag_ranges

MAX_PAGES = 100_000


def build_parser() -> argparse.ArgumentParser:
    parser = ArgParser(prog="polyglyph text", description=__doc__, examples=[
        "polyglyph text --language zh-Hans --num 1000 --stats",
        "polyglyph text --language de --num 3 --sources vocab=1"])
    parser.add_argument("--language", required=True, help="BCP 47 code, e.g. en, zh-Hans")
    parser.add_argument("--num", type=int, default=10, help=f"pages, 1..{MAX_PAGES} (default 10)")
    parser.add_argument("--seed", type=int, default=0,
                        help="run seed, 0..2**63-1 (default 0): page i is generate's page i")
    parser.add_argument("--sources", default=None, metavar="udhr=1,vocab=2,…",
                        help="source weights (default: the packaged run config's text.sources)")
    parser.add_argument("--corpus", action="append", default=[], metavar="LANG=PATH",
                        help="your own text for LANG, replacing its bundled text: a UTF-8 file (one paragraph "
                        "per line), JSONL or Parquet (PATH#column), a folder, glob or s3:// URI "
                        "(repeatable)")
    parser.add_argument("--width", type=int, default=1024,
                        help="page width px, 64..8192 (default 1024)")
    parser.add_argument("--height", type=int, default=1448,
                        help="page height px, 64..8192 (default 1448)")
    parser.add_argument("--stats", action="store_true", help="print measures (JSON), not texts")
    return parser


def parse_sources(value: str | None, flag: str = "--sources") -> dict[str, float]:
    """`udhr=1,vocab=2` → weights (None: the packaged run config's); one-line errors."""
    from pipelines.config import default_config_dict
    from synth.textsynth import SOURCES

    if value is None:
        return {k: float(v) for k, v in default_config_dict()["text"]["sources"].items()}
    out: dict[str, float] = {}
    for item in value.split(","):
        name, sep, weight = item.partition("=")
        name = name.strip()
        try:
            number = float(weight)
        except ValueError:
            number = -1.0
        if number != number:  # NaN
            number = -1.0
        if not sep or name not in SOURCES or not 0 <= number <= 1e6:
            raise PolyglyphError(f"{flag} {item!r}: expected NAME=WEIGHT with NAME in "
                                 f"{', '.join(SOURCES)} and 0 <= WEIGHT <= 1e6")
        out[name] = number
    if sum(out.values()) <= 0:
        raise PolyglyphError(f"{flag}: at least one weight must be positive")
    return out


def page_text(record: dict[str, Any], ctx: Any) -> tuple[str, int]:
    """(text that fits the page, characters per line) of a document record."""
    from synth.text import clean_text

    corpus = ctx.text(record["language"])
    left, top, right, bottom = record["margins"]
    w, h = record["width"], record["height"]
    if record["mode"] == "rotated":
        w, h = h, w
    body = record["sizes"]["body"]
    em = 1.0 if record["script"] in ("Hans", "Hant", "Hani", "Jpan", "Hang", "Kore") else 0.5
    columns = int(record["columns"])
    col_w = (w - left - right - record["column_gap"] * (columns - 1)) / columns
    per_line = max(4, int(col_w / (body * em)))
    lines = max(1, int((h - top - bottom) / (body * record["line_spacing"])))
    capacity = per_line * lines * columns
    out: list[str] = []
    used = 0
    for item in record["paragraphs"]:
        # as the page draws it (`Typesetter.text_of`): controls in a user's corpus (an ESC
        # sequence, a BEL) were printed to the terminal raw and counted as characters
        text = clean_text(item.get("text") if "text" in item else corpus.paragraphs[item["index"]])
        if used >= capacity:
            break
        out.append(text[: capacity - used])
        used += len(text) + per_line // 2  # a paragraph ends in a part-filled line
    return "\n".join(out), per_line


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.num <= MAX_PAGES:
        raise PolyglyphError(f"--num {args.num}: use 1..{MAX_PAGES}")
    if not (64 <= args.width <= 8192 and 64 <= args.height <= 8192):
        raise PolyglyphError(f"--width/--height {args.width}x{args.height}: use 64..8192 each")
    check_flag_ranges(args, {"seed": SEED_RANGE})
    from fonts_manifest.corpus import load_corpus, parse_corpus_args
    from fonts_manifest.corpus_drawable import report_skipped
    from fonts_manifest.registry import FontRegistry
    from synth.render import PageSpec, RenderContext
    from synth.rng import child_rng, sample_rng, sample_seed
    from synth.scenes import document

    sources = parse_sources(args.sources)
    corpus = load_corpus(parse_corpus_args(args.corpus) or None, languages=[args.language])
    ctx = RenderContext(FontRegistry.load(corpus=corpus), corpus, text={"sources": sources})
    report_skipped(ctx.registry.corpus)
    info = ctx.language(args.language)
    spec = PageSpec(language=info.code, scene="document", width=args.width, height=args.height)
    texts: list[tuple[str, int]] = []
    for index in range(args.num):
        rng = child_rng(sample_rng(sample_seed(args.seed, index)), "render")
        record = document.sample(spec, rng, ctx)
        text, per_line = page_text(record, ctx)
        if args.stats:
            texts.append((text, per_line))
        else:
            sys.stdout.write(f"=== page {index}\n{text}\n")
    if args.stats:
        from synth.text_measure import measure

        print(json.dumps(measure(texts, ctx, info), ensure_ascii=False, indent=1))
    return 0
