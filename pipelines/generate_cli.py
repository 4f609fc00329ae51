"""`polyglyph generate`: config file + flags → Parquet shards, manifest.json, stats.json."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pipelines.errors import ArgParser, PolyglyphError

from .config import build_config


def parse_weights(text: str, flag: str) -> list[str] | dict[str, float]:
    """`a,b,c` → list; `a=2,b=1` → weights. Paths may contain '=' only in the weighted form."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise PolyglyphError(f"{flag}: empty value")
    if not any("=" in t for t in items):
        return items
    weights: dict[str, float] = {}
    for item in items:
        name, sep, weight = item.rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            value = float(weight)
        except ValueError:
            raise PolyglyphError(f"{flag}: expected NAME=WEIGHT, got {item!r}") from None
        if name in weights:  # `ar=1,ar=3` kept the last without a word
            raise PolyglyphError(f"{flag}: {name!r} is given twice; give it one weight")
        weights[name] = value
    return weights


def parse_profiles(text: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """`--profile`: run-wide profiles (`scan`, `scan=2,photo=1`) and per-scene pins
    (`screenshot=wild`: an item whose left side names a scene and right side is not a
    number). A pin replaces that scene's own profiles; run-wide ones never touch them."""
    from synth.render import SCENES

    run: list[str] = []
    pinned: dict[str, dict[str, float]] = {}
    for item in (t.strip() for t in text.split(",")):
        name, sep, value = item.partition("=")
        if sep and name in SCENES and value and not _is_number(value):
            pinned.setdefault(name, {})[value] = 1.0
        elif item:
            run.append(item)
    if not run:
        if not pinned:
            raise PolyglyphError("--profile: empty value")
        return {}, pinned
    weights = parse_weights(",".join(run), "--profile")
    return ({s: 1.0 for s in weights} if isinstance(weights, list) else weights), pinned


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    p = ArgParser(
        prog="polyglyph generate",
        description="Generate a dataset: Parquet shards (OUT/data/part-NNNNN.parquet), and "
        "manifest.json, stats.json and a README.md card in OUT. Defaults come from the "
        "packaged pipelines/default.yaml, then --config, then these flags. Re-running on the "
        "same --out resumes.",
        examples=["polyglyph generate --num 1000 --out out/",
                  "polyglyph generate --num 200 --languages ar,hi,th --scenes document=2,receipt=1 "
                  "--profile wild --workers 1 --out ds",
                  "polyglyph generate --config my-run.yaml --dry-run"],
    )
    p.add_argument("--config", metavar="FILE", help="YAML run config (top-level keys override defaults)")
    p.add_argument("--num", type=int, help="number of samples, 1..10**10 (default 100)")
    p.add_argument("--out", metavar="DIR|URI", help="output directory or filesystem URI (s3://…)")
    p.add_argument("--seed", type=int, help="run seed, 0..2**63-1 (default 0)")
    p.add_argument("--languages", metavar="LIST",
                   help="`all` (default), codes `ar,he,hi` or weights `ar=2,en=1` (see `polyglyph languages`)")
    p.add_argument("--balance", choices=["language", "script"],
                   help="with `all` or a list: weight each language alike, or each script alike")
    p.add_argument("--scenes", metavar="LIST", help="scenes `document,receipt` or weights `document=3,table=1` (default: pipelines/default.yaml's mix)")
    p.add_argument("--profile", metavar="LIST",
                   help="warp profiles of document-like scenes: a name or YAML path, or weights "
                   "`scan=2,photo=1`. Screen, video, game, street and poster scenes keep their own "
                   "profile family (config scene_profiles) unless pinned: `screenshot=wild`")
    p.add_argument("--backgrounds", metavar="DIR|PARQUET",
                   help="user photos behind scene-text, video-frame and poster pages: a folder of "
                   "jpg/png/webp or a Parquet file with an image column (default: procedural)")
    p.add_argument("--tasks", metavar="LIST", help="task mix for the views, e.g. `spotting=1,parsing=2`")
    p.add_argument("--no-text", type=float, metavar="SHARE",
                   help="share of text-free pages (negative samples answered 没有文字), 0..1")
    p.add_argument("--vertical", type=float, metavar="SHARE",
                   help="share of CJK/Mongolian document pages set vertically (ttb), 0..1")
    p.add_argument("--handwriting", type=float, metavar="SHARE",
                   help="share of document pages that get handwriting (margin notes...), 0..1")
    p.add_argument("--image-format", choices=["jpeg", "png", "webp"], help="image encoding (default jpeg)")
    p.add_argument("--quality", type=int, help="jpeg/webp quality, 1..100 (default 90)")
    p.add_argument("--shard-rows", type=int, help="rows per shard, 1..100000 (default 256)")
    p.add_argument("--target-language", help="translation target language (default en)")
    p.add_argument("--dewarp", action=argparse.BooleanOptionalAction, default=None,
                   help="also store the dewarping map per row")
    p.add_argument("--validate-judges", metavar="LIST",
                   help="cross-validate each row inline with these judges, e.g. `tesseract` "
                   "(adds validation/difficulty/agreement/status/keep columns)")
    p.add_argument("--corpus", action="append", metavar="CODE=PATH",
                   help="replace the corpus of a language: text/JSONL/Parquet file (PATH#column), "
                        "directory, glob or s3:// URI, streamed (repeatable)")
    p.add_argument("--text-sources", metavar="LIST",
                   help="page text mix, e.g. `udhr=1,vocab=2,entities=1,corpus=3` (text.sources)")
    p.add_argument("--font-dir", action="append", metavar="DIR", help="extra font directory (repeatable)")
    p.add_argument("--workers", type=int, help="parallel workers (Ray CPUs; default: all cores); 1 runs in-process")
    p.add_argument("--executor", choices=["auto", "local", "ray"],
                   help="auto: local when one worker suffices, else Ray")
    p.add_argument("--ray-address", metavar="ADDR", help="join a Ray cluster: `auto` or `ray://host:port`")
    p.add_argument("--stall-timeout", type=float, metavar="SECONDS",
                   help="stop with one line (finished shards kept, rerun resumes) when no shard "
                   "finished and no row was made for this long, on either executor; 10..604800 "
                   "(default 1800; on Ray with --quiet rows are not reported: at least 10 s per "
                   "row of a shard)")
    p.add_argument("--overwrite", action="store_true", default=None,
                   help="replace an existing dataset in --out instead of resuming")
    p.add_argument("--max-failed-fraction", type=float, metavar="F",
                   help="exit 1 when more than this share of samples failed (default 0.02)")
    p.add_argument("--resume-check", choices=["sha256", "size"],
                   help="how a resume trusts existing shards: re-hash them (default) or compare "
                   "sizes only (fast on object stores and huge runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    show = p.add_mutually_exclusive_group()
    show.add_argument("--print-config", action="store_true",
                      help="print the merged config as YAML (a --config file for the same run) "
                      "and exit; writes nothing")
    show.add_argument("--dry-run", action="store_true",
                      help="print the plan (shards, rows, languages/scenes/profiles, executor) "
                      "and exit; writes nothing")
    return p


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    over: dict[str, Any] = {
        "num": args.num,
        "out": args.out,
        "seed": args.seed,
        "shard_rows": args.shard_rows,
        "workers": args.workers,
        "executor": args.executor,
        "ray_address": args.ray_address,
        "overwrite": args.overwrite,
        "dewarp": args.dewarp,
        "target_language": args.target_language,
        "balance": args.balance,
        "max_failed_fraction": args.max_failed_fraction,
        "resume_check": args.resume_check,
        "stall_timeout": args.stall_timeout,
        "no_text": args.no_text,
        "vertical": args.vertical,
        "handwriting": args.handwriting,
    }
    if args.validate_judges is not None:
        over["validate_judges"] = parse_weights(args.validate_judges, "--validate-judges")
        if isinstance(over["validate_judges"], dict):
            raise PolyglyphError("--validate-judges: a list of judge names, without weights")
    if args.languages is not None:
        langs = parse_weights(args.languages, "--languages")
        over["languages"] = "all" if langs == ["all"] else langs
    if args.scenes is not None:
        scenes = parse_weights(args.scenes, "--scenes")
        over["scenes"] = {s: 1.0 for s in scenes} if isinstance(scenes, list) else scenes
    if args.profile is not None:
        profiles, pinned = parse_profiles(args.profile)
        if profiles:
            over["profiles"] = profiles
        if pinned:  # merged over the config's scene_profiles: other scenes keep theirs
            over["scene_profiles"] = pinned
    over["backgrounds"] = args.backgrounds
    if args.tasks is not None:
        tasks = parse_weights(args.tasks, "--tasks")
        over["tasks"] = {s: 1.0 for s in tasks} if isinstance(tasks, list) else tasks
    if args.image_format or args.quality is not None:
        over["image"] = {k: v for k, v in (("format", args.image_format),
                                            ("quality", args.quality)) if v is not None}
    if args.corpus:
        from fonts_manifest.corpus import parse_corpus_args

        over["corpus"] = parse_corpus_args(args.corpus)
    if args.text_sources is not None:
        from synth.text_cli import parse_sources

        over["text"] = {"sources": parse_sources(args.text_sources, "--text-sources")}
    if args.font_dir is not None:
        over["font_dirs"] = args.font_dir
    return over


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = overrides_from_args(args)
    config = build_config(args.config, overrides)
    if config.executor == "local" and config.ray_address:  # the address was silently ignored
        raise PolyglyphError(f"--ray-address {config.ray_address} with --executor local: a local "
                             "run joins no cluster; drop one of them")
    if args.print_config or args.dry_run:
        from .plan import dry_run_plan, dry_run_text, print_config_text

        # the printed file is for reuse: it never carries --overwrite to a later run
        shown = config.model_copy(update={"overwrite": False})
        print(print_config_text(shown) if args.print_config else
              dry_run_text(dry_run_plan(config)), end="")
        return 0
    from .run import run_generate  # heavy (renderer, warping, Ray); after --help and flag errors

    manifest = run_generate(config, progress=not args.quiet)
    rows = sum(s["rows"] for s in manifest["shards"])
    failed = sum(s.get("failed", 0) for s in manifest["shards"])
    note = f", {failed} samples failed (see stats.json)" if failed else ""
    print(f"wrote {rows} rows in {manifest['num_shards']} shards to {config.out}{note}")
    if failed > config.max_failed_fraction * config.num:
        first = next(f["error"] for s in manifest["shards"] for f in s.get("failures", []))
        raise PolyglyphError(
            f"{failed} of {config.num} samples failed, more than max_failed_fraction "
            f"{config.max_failed_fraction}; first: {first}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
