"""`polyglyph render`: one page to PAGE.png + PAGE.json, for looking at what synth makes."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from PIL import Image

from fonts_manifest.errors import ArgParser, PolyglyphError


def build_parser() -> argparse.ArgumentParser:
    parser = ArgParser(prog="polyglyph render", description=__doc__, examples=[
        "polyglyph render --language ar --scene document --seed 1 --out page.png",
        "polyglyph render --language ja --vertical --out ja.png",
        "polyglyph render --language hi --scene receipt --seed 7 --out r.png --overwrite"])
    parser.add_argument("--language", required=True, help="BCP 47 code, e.g. ar, hi, zh-Hans")
    parser.add_argument("--scene", default="document",
                        help="page scene, e.g. receipt, form, screenshot (default document; "
                             "an unknown name lists them all)")
    parser.add_argument("--seed", type=int, default=0,
                        help="page seed, 0..2**63-1 (default 0): same seed, same page")
    parser.add_argument("--corpus", action="append", default=[], metavar="LANG=PATH",
                        help="your own text for LANG, replacing its bundled text: a UTF-8 file (one paragraph "
                        "per line), JSONL or Parquet (PATH#column), a folder, glob or s3:// URI "
                        "(repeatable)")
    parser.add_argument("--width", type=int, default=1024, help="page width px, 64..8192 "
                        "(default 1024)")
    parser.add_argument("--height", type=int, default=1448, help="page height px, 64..8192 "
                        "(default 1448)")
    parser.add_argument("--columns", type=int, default=None,
                        help="text columns, 1..3 (default: sampled per page)")
    parser.add_argument("--style-mix", type=float, default=0.0,
                        help="share of handwritten paragraphs/lines, 0..1 (default 0)")
    parser.add_argument("--vertical", action="store_true", help="set the page top to bottom: CJK in "
                        "right-to-left columns, Mongolian and other left-to-right scripts turned "
                        "like a book spine; right-to-left scripts stay horizontal")
    parser.add_argument("--background", action="append", default=[], metavar="IMAGE",
                        help="background image for the paper (repeatable)")
    parser.add_argument("--out", required=True,
                        help="PAGE.png; PAGE.json is written next to it (an existing file at "
                             "either is kept unless --overwrite)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing PAGE.png / PAGE.json")
    return parser


def check_out(out: Path, json_path: Path, overwrite: bool) -> None:
    """`--out x.png` also writes x.json: an existing file at either (a photo.png of the user's,
    a package.json, an earlier render) is kept unless --overwrite, as every other command
    keeps what is in its way; checked before any rendering. A folder is never replaced."""
    blocker = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:  # checked before drawing; mkdir said only "File exists"
        raise PolyglyphError(f"--out {out}: {blocker} is a file, not a folder")
    for path in (out, json_path):
        if path.is_dir():
            raise PolyglyphError(f"--out {out}: {path} is a folder")
        if path.exists() and not overwrite:
            raise PolyglyphError(f"--out {out}: {path} exists; pass --overwrite to replace it")


RANGES = {  # flag: (low, high), checked when read: a 60000 px page would allocate gigabytes
    "width": (64, 8192),
    "height": (64, 8192),
    "seed": (0, 2**63 - 1),
    "style_mix": (0.0, 1.0),
}


def check_ranges(args: argparse.Namespace) -> None:
    for name, (low, high) in RANGES.items():
        value = getattr(args, name)
        if not low <= value <= high:  # NaN fails this too
            raise PolyglyphError(f"--{name.replace('_', '-')} {value}: must be in [{low}, {high}]")
    if args.columns is not None and not 1 <= args.columns <= 3:
        raise PolyglyphError(f"--columns {args.columns}: must be in [1, 3]")


def check_backgrounds(paths: list[str]) -> None:
    """Each --background must be a usable image before anything is drawn: the page uses one
    only on some seeds, so a missing or broken file was silently ignored on half of them and
    failed the other half."""
    from synth.backgrounds import MAX_BYTES, check_image

    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise PolyglyphError(f"--background {path}: not a file")
        try:
            size = p.stat().st_size
            reason = (f"{size} bytes is over the {MAX_BYTES} byte cap" if size > MAX_BYTES
                      else check_image(p.read_bytes()))
        except OSError as exc:
            raise PolyglyphError(f"--background {path}: cannot read: {exc.strerror or exc}"
                                 ) from None
        if reason:
            raise PolyglyphError(f"--background {path}: {reason}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_ranges(args)
    check_backgrounds(args.background)
    from fonts_manifest.doctor import require_raqm

    require_raqm()
    from fonts_manifest.corpus import load_corpus, parse_corpus_args
    from fonts_manifest.corpus_drawable import report_skipped
    from fonts_manifest.registry import FontRegistry
    from synth.render import PageSpec, RenderContext, render_page
    from synth.rng import sample_rng

    if not 0.0 <= args.style_mix <= 1.0:
        raise PolyglyphError(f"--style-mix {args.style_mix}: use a share between 0 and 1")
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise PolyglyphError(f"--out {args.out}: give a .png path")
    json_path = out.with_suffix(".json")
    check_out(out, json_path, args.overwrite)
    overrides = parse_corpus_args(args.corpus)
    corpus = load_corpus(overrides or None)
    registry = FontRegistry.load(corpus=corpus)  # coverage checked against the user text
    ctx = RenderContext(registry, corpus)
    report_skipped(registry.corpus)
    spec = PageSpec(
        language=args.language, scene=args.scene, width=args.width, height=args.height,
        columns=args.columns, style_mix=args.style_mix, vertical=args.vertical,
        backgrounds=tuple(args.background),
    )
    page = render_page(spec, sample_rng(args.seed), ctx)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_png, tmp_json = out.with_name(out.name + ".tmp"), json_path.with_name(json_path.name + ".tmp")
    try:
        Image.fromarray(page.image).save(tmp_png, format="PNG")
        tmp_json.write_text(json.dumps(page.to_dict(), ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp_png, out)
        os.replace(tmp_json, json_path)
    finally:
        for tmp in (tmp_png, tmp_json):
            tmp.unlink(missing_ok=True)
    print(f"{out} ({page.width}x{page.height}, {len(page.lines)} lines, "
          f"{len(page.words)} words) + {json_path}")
    return 0
