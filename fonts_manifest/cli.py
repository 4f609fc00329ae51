"""`polyglyph languages`: the usable languages with their font chains."""

from __future__ import annotations

import argparse
import json
import sys

from fonts_manifest.corpus import load_corpus, parse_corpus_args
from fonts_manifest.corpus_drawable import report_skipped
from fonts_manifest.errors import ArgParser, PolyglyphError
from fonts_manifest.fontdb import check_font_dirs
from fonts_manifest.registry import FontRegistry, LanguageInfo


def build_parser() -> argparse.ArgumentParser:
    parser = ArgParser(
        prog="polyglyph languages",
        description="List languages whose whole corpus the installed fonts can draw: code, "
        "name, script, direction, coverage, font styles (sans, serif, handwriting) and the first "
        "face of the chain.",
        examples=["polyglyph languages", "polyglyph languages --json",
                  "polyglyph languages --all --corpus en=my-en.txt"],
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument(
        "--corpus", action="append", default=[], metavar="LANG=PATH",
        help="your own text for LANG, replacing its bundled text: a UTF-8 file (one paragraph "
        "per line), JSONL or Parquet (PATH#column), a folder, glob or s3:// URI (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--font-dir", action="append", default=[], metavar="DIR",
        help="extra directory searched for .ttf/.otf/.ttc (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--all", action="store_true", help="also list texts the fonts cannot fully draw"
    )
    return parser


def summary_line(infos: list[LanguageInfo], dropped: list[LanguageInfo]) -> str:
    scripts = len({i.script for i in infos})
    rtl = sum(1 for i in infos if i.direction == "rtl")
    line = f"{len(infos)} languages, {scripts} scripts, {rtl} right-to-left"
    if dropped:
        codes = ", ".join(f"{d.code} ({d.coverage:.3f})" for d in dropped[:5])
        line += f"; {len(dropped)} text(s) not fully covered: {codes}"
    return line


def format_table(infos: list[LanguageInfo]) -> str:
    header = ("code", "name", "script", "dir", "coverage", "styles", "script font")
    rows = [
        (
            i.code,
            i.name[:36],
            i.script,
            i.direction,
            f"{i.coverage:.4f}",
            ",".join(i.styles),
            i.families[0] if i.families else "-",
        )  # fmt: skip
        for i in infos
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_font_dirs(args.font_dir)
    corpus = load_corpus(parse_corpus_args(args.corpus))
    registry = FontRegistry.load(extra_dirs=args.font_dir, corpus=corpus)
    report_skipped(registry.corpus)  # a --corpus' rows no installed font draws
    infos = registry.languages()
    dropped = registry.dropped()
    if not infos:
        raise PolyglyphError(
            f"no language is fully drawable with the {len(registry.faces())} font faces found; "
            "fix: apt-get install fonts-noto-core fonts-noto-extra fonts-noto-cjk"
        )
    shown = sorted([*infos, *dropped], key=lambda i: i.code) if args.all else infos
    try:
        if args.json:
            json.dump([i.to_dict() for i in shown], sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            print(format_table(shown))
            print(summary_line(infos, dropped))
        sys.stdout.flush()
    except BrokenPipeError:  # `polyglyph languages | head`
        sys.stdout = None  # type: ignore[assignment]  # stop the interpreter's final flush
    return 0
