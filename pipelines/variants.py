"""`polyglyph variants`: warp a labelled benchmark K times per image, labels carried through.

Reads ICDAR 2015, MMOCR 1.x, COCO-Text or our own Parquet, builds a Page per image (don't-care
regions kept with role "dont-care"), warps each copy with `warping.warp_page`'s sample/apply pair
and writes the same Parquet contract as `generate`, with the warp record per row. Bad inputs are
reported one line each (stderr and problems.json) and skipped; the run finishes. Input files
are untrusted (`pipelines.containment`): size checked from the header before decoding
(`--max-image-pixels`), paths confined to `--input`, polygons checked against the image;
stats.json counts `images_skipped` and `annotations_dropped`. Resume is keyed by the input's
contents (sha256 of every image), so a replaced image is never kept stale.

Inputs that are already photos (ICDAR 2015, MMOCR, COCO-Text: `--input-kind auto` reads them
as `scene`) are re-photographed, not laid on a table: a paper profile name is read as its
scene-photo family member (`photo` -> `scene-photo`, `wild`/`tiny` -> `scene-wild`,
`warping.profiles.SCENE_FAMILY`), which keeps the content's size. Our own Parquet rows are
rendered pages (`document`) and keep the paper profiles. `--input-kind document` (or a YAML
profile path) overrides the choice. Rows carry spotting views (`SPOTTING_MIX`) built from the
carried labels: don't-care and illegible lines are marked `###` as in `generate`.

This module is the command (input, plan, resume, problems, stats); what a worker makes of one
shard is `pipelines.variant_rows`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from fonts_manifest.errors import SEED_RANGE, check_flag_ranges
from pipelines.errors import ArgParser, PolyglyphError
from warping.profiles import PROFILES, SCENE_FAMILY, load_profile

from .card import dataset_card, first_schema
from .containment import (
    DEFAULT_MAX_IMAGE_PIXELS,
    MAX_IMAGE_PIXELS_CAP,
    content_sha256,
    folders_overlap,
)
from .dataset import open_dataset
from .driver import (
    STALL_RANGE,
    STALL_TIMEOUT,
    Run,
    choose_executor,
    count_totals,
    drive,
    local_executor,
    ray_executor,
)
from .manifest import CARD, STATS, plan_shards, read_json, read_manifest, write_json
from .output import Output, require_target
from .provenance import build_digest
from .readers import READERS, Problem, SourceItem, read_dataset_rows, unique_keys
from .resume import open_output, resume_plan
from .shard import counts_from_file
from .storage import is_uri, redact
from .variant_rows import SPOTTING_MIX, geometry_only, make_variant_row, variant_shard

__all__ = ["SPOTTING_MIX", "build_parser", "geometry_only", "main", "make_variant_row",
           "resolve_profile", "variant_shard"]  # the row and shard makers: pipelines.variant_rows

PROBLEMS = "problems.json"
# which inputs are photos already (re-photographed) and which are rendered pages (paper)
INPUT_KIND = {"icdar2015": "scene", "mmocr": "scene", "coco": "scene", "parquet": "document"}
EXPECTED = {
    "icdar2015": "gt_<image stem>.txt files next to or under the images",
    "mmocr": "textdet_*.json or textspotting_*.json files",
    "coco": "COCO-Text or COCO *.json files",
    "parquet": "*.parquet files",
}


def build_parser() -> argparse.ArgumentParser:
    p = ArgParser(prog="polyglyph variants",
                description="Warp a labelled text benchmark into K variants per image.",
                examples=["polyglyph variants --input icdar2015/ --format icdar2015 --profile wild "
                          "--copies 4 --out icdar-wild",
                          "polyglyph variants --input ds --format parquet --profile photo --out ds-photo"])
    p.add_argument("--input", required=True, metavar="PATH", help="benchmark root, a parquet file, or a dataset URI (s3://…, --format parquet)")
    p.add_argument("--format", required=True, choices=sorted(READERS), help="annotation format")
    p.add_argument("--profile", default="wild", help="warp profile name or YAML path (default wild)")
    p.add_argument("--input-kind", choices=["auto", "scene", "document"], default="auto",
                   help="scene photos are re-photographed (photo -> scene-photo, wild -> "
                        "scene-wild), documents keep paper profiles; auto: by --format "
                        "(icdar2015/mmocr/coco scene, parquet document)")
    p.add_argument("--copies", type=int, default=1,
                   help=f"variants per image, 1..{RANGES['copies'][1]} (default 1)")
    p.add_argument("--geometry-only", action="store_true",
                   help="skip photometric steps (labels and dewarping data only)")
    p.add_argument("--dewarp", action="store_true", help="also store the dewarping map per row")
    p.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    p.add_argument("--image-format", choices=["jpeg", "png", "webp"], default="jpeg",
                   help="image encoding of the variant rows (default jpeg)")
    p.add_argument("--quality", type=int, default=92, help="jpeg/webp quality, 1..100 "
                   "(default 92)")
    p.add_argument("--shard-rows", type=int, default=256,
                   help="rows per Parquet shard, 1..100000 (default 256)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    p.add_argument("--workers", type=int, default=1,
                   help="parallel workers; more than 1 runs shards as Ray tasks (default 1)")
    p.add_argument("--ray-address", metavar="ADDR", help="join a Ray cluster: `auto` or `ray://…`")
    p.add_argument("--stall-timeout", type=float, default=STALL_TIMEOUT, metavar="SECONDS",
                   help="stop with one line (finished shards kept, rerun resumes) when no "
                   f"shard finished and no row was made for this long; {STALL_RANGE[0]:g}.."
                   f"{STALL_RANGE[1]:g} (default {STALL_TIMEOUT:g}; on Ray with --quiet, "
                   "at least 10 s per row of a shard)")
    p.add_argument("--max-image-pixels", type=int, default=DEFAULT_MAX_IMAGE_PIXELS, metavar="N",
                   help="skip (with a reason) input images of more pixels, checked from the "
                   f"header before decoding (default {DEFAULT_MAX_IMAGE_PIXELS:,}; "
                   f"at most {MAX_IMAGE_PIXELS_CAP:,})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


RANGES: dict[str, tuple[float, float]] = {  # checked when read, before any input is opened
    "copies": (1, 10_000),
    "seed": SEED_RANGE,
    "quality": (1, 100),
    "shard_rows": (1, 100_000),
    "workers": (1, 1024),
    "stall_timeout": STALL_RANGE,
    "max_image_pixels": (1, MAX_IMAGE_PIXELS_CAP),
}
ANNOTATION_PROBLEMS = ("malformed", "transcription over")  # one annotation lost, not the image
MAX_PAIRS = 10_000_000  # (image, copy) pairs of one run: the plan is held in memory


def read_input(spec: str, fmt: str) -> tuple[Path | str, list[SourceItem], list[Problem]]:
    """(input as the manifest names it, items, problems). A URI (`s3://…`) is a dataset of
    ours, read through pyarrow's filesystem on every node; never through pathlib."""
    if is_uri(spec):
        if fmt != "parquet":
            raise PolyglyphError(
                f"--input {redact(spec)}: a URI is read for --format parquet (a polyglyph "
                f"dataset) only; copy the {fmt} benchmark to a local folder")
        items, problems = read_dataset_rows(open_dataset(spec))
        return redact(spec), items, problems
    root = Path(spec)
    if not root.exists():
        raise PolyglyphError(f"--input {root} does not exist")
    items, problems = READERS[fmt](root)
    return root.resolve(), items, problems


def resolve_profile(name: str, fmt: str, kind: str = "auto") -> str:
    """The profile a run uses: a built-in paper profile becomes its scene-photo family member
    for scene inputs (`--input-kind`, or the format's kind under auto); paths stay."""
    kind = INPUT_KIND[fmt] if kind == "auto" else kind
    if kind == "scene" and name in PROFILES:
        return SCENE_FAMILY.get(name, name)
    return name


def _input_digest(items: list[SourceItem]) -> str:
    """Names the input set, so ids and the resume check follow the data, not the path."""
    h = hashlib.sha256()
    hashed: dict[tuple[str, str], str] = {}  # our parquet rows share a file: hash it once
    for item in items:
        h.update(item.key.encode())
        h.update(json.dumps([[ln.text, ln.polygon, ln.dont_care] for ln in item.lines]).encode())
        folder, source = "", ""
        if item.image_path is not None:
            source = str(item.image_path)
        elif item.row is not None:
            folder, source = item.row[0], item.row[1]
        if source and (folder, source) not in hashed:
            hashed[folder, source] = _content_digest(folder, source)
        h.update(hashed.get((folder, source), "").encode())
    return h.hexdigest()


def _content_digest(folder: str, source: str) -> str:
    """sha256 of an input file's bytes: a local path, or `source` inside the dataset URI
    `folder` (the same shard on s3:// and on disk digest alike, so ids follow the data)."""
    try:
        if folder:
            found = Output(folder, "--input").file_sha256(source)
            return found if found is not None else "unreadable"
        return content_sha256(Path(source))
    except OSError as exc:  # unreadable now: the shard reports it; the digest says so
        return f"unreadable:{exc.errno}"


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    check_flag_ranges(args, RANGES)
    require_target(args.input, "--input")
    require_target(args.out)
    profile_name = resolve_profile(args.profile, args.format, args.input_kind)
    try:
        profile = load_profile(profile_name)
    except (OSError, UnicodeDecodeError) as exc:  # a binary or unreadable --profile file
        raise PolyglyphError(f"--profile {profile_name}: cannot read: {exc}") from None
    if not is_uri(args.input) and not is_uri(args.out) and folders_overlap(
            Path(args.out), [Path(args.input)]):
        raise PolyglyphError(f"--out {args.out}: overlaps --input {args.input} (one holds the "
                             "other); choose a folder outside the benchmark")
    root, items, problems = read_input(args.input, args.format)
    items = unique_keys(items, problems)
    if len(items) * args.copies > MAX_PAIRS:
        raise PolyglyphError(f"--copies {args.copies} x {len(items)} images = "
                             f"{len(items) * args.copies} rows, over {MAX_PAIRS}: split the input")
    if not items:  # nothing to warp: say why in one line and make no --out at all
        first = (f"; {problems[0].file}: {problems[0].problem}"
                 + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")) if problems else ""
        raise PolyglyphError(f"--input {root}: no {args.format} annotations found "
                             f"({EXPECTED[args.format]}){first}")
    cfg = {
        "input_sha256": _input_digest(items),
        "format": args.format,
        "profile_name": profile_name,
        "profile": json.loads(json.dumps(profile, default=str)),
        "copies": args.copies,
        "geometry_only": args.geometry_only,
        "dewarp": args.dewarp,
        "seed": args.seed,
        "image": {"format": args.image_format, "quality": args.quality},
        "shard_rows": args.shard_rows,
        "max_image_pixels": args.max_image_pixels,
    }
    chash = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()
    with open_output(args.out) as out:
        return _variants(args, root, items, problems, cfg, chash, profile, out)


def _variants(args: argparse.Namespace, root: Path | str, items: list[SourceItem],
              problems: list[Problem], cfg: dict[str, Any], chash: str,
              profile: dict[str, Any], out: Output) -> int:
    pairs = [(item, k) for item in items for k in range(args.copies)]
    jobs = plan_shards(len(pairs), args.shard_rows) if pairs else []
    build = build_digest(())
    _refuse_changed_input(read_manifest(out), cfg, args.overwrite)
    kept = resume_plan(out, read_manifest(out), chash, jobs, args.overwrite, build,
                       side_files=(STATS, PROBLEMS, CARD))
    header = {
        "kind": "variants", "config_hash": chash, "build": build,
        "seed": args.seed, "num": len(pairs), "shard_rows": args.shard_rows,
        "num_shards": len(jobs), "config": {**cfg, "input": str(root)},
    }
    earlier = _earlier_problems(out) if kept else []  # of kept shards: their workers are done
    run = Run(out, header, jobs, kept, desc="variants", unit="image")
    shared = (pairs, cfg, profile)
    kind = choose_executor("auto", args.workers, len(run.pending), args.ray_address)
    execute = (local_executor(variant_shard, shared, out.target, args.stall_timeout, "variants")
               if kind == "local"
               else ray_executor(variant_shard, shared, out.target, args.ray_address,
                                 args.workers, args.stall_timeout))
    drive(run, execute, progress=not args.quiet)
    seen = {(p.file, p.problem) for p in problems}
    for entry in [{"problems": earlier}, *(run.made[k] for k in sorted(run.made))]:
        for found in entry["problems"]:
            if (found["file"], found["problem"]) not in seen:
                seen.add((found["file"], found["problem"]))
                problems.append(Problem(found["file"], found["problem"]))
    for p in problems:
        print(f"polyglyph variants: {p.file}: {p.problem}", file=sys.stderr)
    write_json(out, PROBLEMS, {"problems": [p.__dict__ for p in problems]})
    rows = sum(e["rows"] for e in run.manifest["shards"])
    totals = count_totals(run, lambda name: counts_from_file(out, name))
    skipped = {key for e in run.manifest["shards"] for key in e.get("skipped_images", [])}
    unlisted = sum(p.problem.startswith("skipped:")  # images that never became items
                   and not p.file.endswith((".json", ".txt", ".parquet")) for p in problems)
    images = len({it.key for it, _ in pairs} - skipped)
    dropped = sum(p.problem.startswith(ANNOTATION_PROBLEMS) or " dropped: " in p.problem
                  for p in problems)
    stats = {"rows": rows, "images": images, "images_skipped": len(skipped) + unlisted,
             "annotations_dropped": dropped, "problems": len(problems),
             "seconds": round(run.elapsed, 3), **{f"by_{k}": v for k, v in totals.items()}}
    write_json(out, STATS, stats)
    out.write_atomic(CARD, dataset_card(run.manifest, stats,
                                        first_schema(out, run.manifest)).encode())
    print(f"wrote {rows} variant rows from {images} images to {args.out}; "
          f"{len(skipped) + unlisted} images skipped, {len(problems)} problems (see {PROBLEMS})")
    if rows == 0:  # every input was refused: a run that made nothing did not succeed
        raise PolyglyphError(f"no image of --input {root} could be used; see "
                             f"{redact(out.path(PROBLEMS))}")
    return 0


def _earlier_problems(out: Output) -> list[dict[str, str]]:
    """problems.json of the run being resumed (same config and input), so a rerun does not
    forget what kept shards found."""
    try:
        data = read_json(out, PROBLEMS) or {}
    except PolyglyphError:
        return []
    found = data.get("problems") if isinstance(data, dict) else None
    return [p for p in found or [] if isinstance(p, dict)
            and isinstance(p.get("file"), str) and isinstance(p.get("problem"), str)]


def _refuse_changed_input(manifest: dict[str, Any] | None, cfg: dict[str, Any],
                         overwrite: bool) -> None:
    """Resume is keyed by the input's content (every image's sha256): a replaced image, even of
    the same size, makes the earlier rows stale, and the run says so instead of keeping them."""
    before = ((manifest or {}).get("config") or {}) if isinstance(manifest, dict) else {}
    if overwrite or not isinstance(before, dict) or "input_sha256" not in before:
        return
    same_otherwise = all(before.get(k) == v for k, v in cfg.items() if k != "input_sha256")
    if same_otherwise and before["input_sha256"] != cfg["input_sha256"]:
        raise PolyglyphError("--input changed since the run in --out (image contents or "
                             "annotations differ); use --overwrite to redo it")
