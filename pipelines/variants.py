"""`polyglyph variants`: warp a labelled benchmark K times per image, labels carried through.

Reads ICDAR 2015, MMOCR 1.x, COCO-Text or our own Parquet, builds a Page per image (don't-care
regions kept with role "dont-care"), warps each copy with `warping.warp_page`'s sample/apply pair
and writes the same Parquet contract as `generate`, with the warp record per row. Bad inputs are
reported one line each (stderr and problems.json) and skipped; the run finishes.

Inputs that are already photos (ICDAR 2015, MMOCR, COCO-Text: `--input-kind auto` reads them
as `scene`) are re-photographed, not laid on a table: a paper profile name is read as its
scene-photo family member (`photo` -> `scene-photo`, `wild`/`tiny` -> `scene-wild`,
`warping.profiles.SCENE_FAMILY`), which keeps the content's size. Our own Parquet rows are
rendered pages (`document`) and keep the paper profiles. `--input-kind document` (or a YAML
profile path) overrides the choice. Rows carry spotting views (`SPOTTING_MIX`) built from the
carried labels: don't-care and illegible lines are marked `###` as in `generate`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import UnidentifiedImageError

import warping
from pipelines.errors import ArgParser, PolyglyphError
from qa_factory.views import TASKS, make_views
from synth.rng import child_rng, sample_rng, sample_seed
from warping.profiles import PROFILES, SCENE_FAMILY, load_profile

from .driver import (
    STATS,
    Run,
    ShardJob,
    choose_executor,
    count_totals,
    drive,
    local_executor,
    open_output,
    plan_shards,
    ray_executor,
    read_manifest,
    resume_plan,
    write_json,
)
from .output import Output
from .provenance import build_digest
from .readers import READERS, Problem, SourceItem, item_page
from .rows import SCHEMA, page_to_row, rows_to_table
from .shard import ARROW_BATCH_ROWS, STAT_KEYS, count_stats, counts_from_file
from .writers import PARQUET

PROBLEMS = "problems.json"
# which inputs are photos already (re-photographed) and which are rendered pages (paper)
INPUT_KIND = {"icdar2015": "scene", "mmocr": "scene", "coco": "scene", "parquet": "document"}
# spotting views only: the one task a benchmark's boxes and transcriptions fully allow
SPOTTING_MIX = {**{task: 0.0 for task in TASKS}, "spotting": 1.0, "spotting_json": 0.3,
                "spotting_plain": 0.15, "spotting_tokens": 0.15}
EXPECTED = {
    "icdar2015": "gt_<image stem>.txt files next to or under the images",
    "mmocr": "textdet_*.json or textspotting_*.json files",
    "coco": "COCO-Text or COCO *.json files",
    "parquet": "*.parquet files",
}


def build_parser() -> argparse.ArgumentParser:
    p = ArgParser(prog="polyglyph variants",
                description="Warp a labelled text benchmark into K variants per image.")
    p.add_argument("--input", required=True, metavar="PATH", help="benchmark root (or a parquet file)")
    p.add_argument("--format", required=True, choices=sorted(READERS), help="annotation format")
    p.add_argument("--profile", default="wild", help="warp profile name or YAML path (default wild)")
    p.add_argument("--input-kind", choices=["auto", "scene", "document"], default="auto",
                   help="scene photos are re-photographed (photo -> scene-photo, wild -> "
                        "scene-wild), documents keep paper profiles; auto: by --format "
                        "(icdar2015/mmocr/coco scene, parquet document)")
    p.add_argument("--copies", type=int, default=1, help="variants per image (default 1)")
    p.add_argument("--geometry-only", action="store_true",
                   help="skip photometric steps (labels and dewarping data only)")
    p.add_argument("--dewarp", action="store_true", help="also store the dewarping map per row")
    p.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    p.add_argument("--image-format", choices=["jpeg", "png", "webp"], default="jpeg")
    p.add_argument("--quality", type=int, default=92)
    p.add_argument("--shard-rows", type=int, default=256)
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    p.add_argument("--workers", type=int, default=1,
                   help="parallel workers; more than 1 runs shards as Ray tasks (default 1)")
    p.add_argument("--ray-address", metavar="ADDR", help="join a Ray cluster: `auto` or `ray://…`")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def resolve_profile(name: str, fmt: str, kind: str = "auto") -> str:
    """The profile a run uses: a built-in paper profile becomes its scene-photo family member
    for scene inputs (`--input-kind`, or the format's kind under auto); paths stay."""
    kind = INPUT_KIND[fmt] if kind == "auto" else kind
    if kind == "scene" and name in PROFILES:
        return SCENE_FAMILY.get(name, name)
    return name


def geometry_only(record: dict[str, Any]) -> dict[str, Any]:
    """The warp record without its photometric steps (pixels move, nothing else changes)."""
    return {**record, "photometric": []}


def _input_digest(items: list[SourceItem]) -> str:
    """Names the input set, so ids and the resume check follow the data, not the path."""
    h = hashlib.sha256()
    for item in items:
        h.update(item.key.encode())
        h.update(json.dumps([[ln.text, ln.polygon, ln.dont_care] for ln in item.lines]).encode())
        if item.image_path is not None:
            h.update(str(item.image_path.stat().st_size).encode())
    return h.hexdigest()


def make_variant_row(page: Any, item: SourceItem, copy: int, index: int, cfg: dict[str, Any],
                     profile: dict[str, Any]) -> dict[str, Any]:

    seed = sample_seed(cfg["seed"], copy, stream=f"variant:{item.key}")
    rng = child_rng(sample_rng(seed), "warp")
    record = warping.sample_warp(profile, page.width, page.height, rng, dewarp=cfg["dewarp"])
    if cfg["geometry_only"]:
        record = geometry_only(record)
    warped = warping.apply_warp(page, record)
    if not cfg["dewarp"]:
        warped.extras.pop("dewarp_map", None)
    tasks = make_views(warped, child_rng(sample_rng(seed), "views"), task_mix=SPOTTING_MIX)
    return page_to_row(
        warped,
        row_id=f"var-{cfg['input_sha256'][:12]}-{index:09d}",
        index=index,
        seed=seed,
        image_format=cfg["image"]["format"],
        quality=cfg["image"]["quality"],
        profile=cfg["profile_name"],
        source=item.key,
        markdown="",
        tasks=tasks,
    )


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.copies < 1 or args.shard_rows < 1 or args.workers < 1 or not 1 <= args.quality <= 100:
        raise PolyglyphError("--copies, --shard-rows and --workers must be >= 1, --quality 1..100")
    root = Path(args.input)
    if not root.exists():
        raise PolyglyphError(f"--input {root} does not exist")
    profile_name = resolve_profile(args.profile, args.format, args.input_kind)
    profile = load_profile(profile_name)
    items, problems = READERS[args.format](root)
    items.sort(key=lambda it: it.key)
    if not items and not problems:
        raise PolyglyphError(f"--input {root}: no {args.format} annotations found ({EXPECTED[args.format]})")
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
    }
    chash = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()
    with open_output(args.out) as out:
        return _variants(args, root, items, problems, cfg, chash, profile, out)


def _variants(args: argparse.Namespace, root: Path, items: list[SourceItem],
              problems: list[Problem], cfg: dict[str, Any], chash: str,
              profile: dict[str, Any], out: Output) -> int:
    pairs = [(item, k) for item in items for k in range(args.copies)]
    jobs = plan_shards(len(pairs), args.shard_rows) if pairs else []
    build = build_digest(())
    kept = resume_plan(out, read_manifest(out), chash, jobs, args.overwrite, build,
                       side_files=(STATS, PROBLEMS))
    header = {
        "kind": "variants", "config_hash": chash, "build": build,
        "seed": args.seed, "num": len(pairs), "shard_rows": args.shard_rows,
        "num_shards": len(jobs), "config": {**cfg, "input": str(root.resolve())},
    }
    run = Run(out, header, jobs, kept, desc="variants", unit="image")
    shared = (pairs, cfg, profile)
    kind = choose_executor("auto", args.workers, len(run.pending), args.ray_address)
    execute = (local_executor(variant_shard, shared, out.target) if kind == "local"
               else ray_executor(variant_shard, shared, out.target, args.ray_address,
                                 args.workers))
    drive(run, execute, progress=not args.quiet)
    seen = {(p.file, p.problem) for p in problems}
    for entry in (run.made[k] for k in sorted(run.made)):
        for found in entry["problems"]:
            if (found["file"], found["problem"]) not in seen:
                seen.add((found["file"], found["problem"]))
                problems.append(Problem(found["file"], found["problem"]))
    for p in problems:
        print(f"polyglyph variants: {p.file}: {p.problem}", file=sys.stderr)
    write_json(out, PROBLEMS, {"problems": [p.__dict__ for p in problems]})
    rows = sum(e["rows"] for e in run.manifest["shards"])
    totals = count_totals(run, lambda name: counts_from_file(out, name))
    images = len({it.key for it, _ in pairs}) - len({p.file for p in problems if "unreadable" in p.problem})
    write_json(out, STATS, {"rows": rows, "images": images, "problems": len(problems),
                            "seconds": round(run.elapsed, 3),
                            **{f"by_{k}": v for k, v in totals.items()}})
    print(f"wrote {rows} variant rows from {images} images to {args.out}; "
          f"{len(problems)} problems (see {PROBLEMS})")
    return 0


def variant_shard(shared: tuple[list[tuple[SourceItem, int]], dict[str, Any], dict[str, Any]],
                  job: ShardJob, target: str, on_row: Callable[[], None]) -> dict[str, Any]:
    """Warp the (image, copy) pairs of one shard and write it; bad images become problems."""
    pairs, cfg, profile = shared
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    counted: list[dict[str, Any]] = []
    problems: list[dict[str, str]] = []
    cache: dict[str, Any] = {}
    bad: set[str] = set()
    with PARQUET.open(Output(target), job.name, SCHEMA) as shard:
        for index in range(job.start, job.stop):
            item, copy = pairs[index]
            on_row()
            if item.key in bad:
                continue
            page = cache.get(item.key)
            if page is None:
                try:
                    page = cache[item.key] = item_page(item)
                except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
                    bad.add(item.key)
                    problems.append({"file": item.key,
                                     "problem": f"unreadable image skipped: {_first(exc)}"})
                    continue
            try:
                rows.append(make_variant_row(page, item, copy, index, cfg, profile))
            except Exception as exc:  # a warp failure on one image is reported, the run goes on
                problems.append({"file": f"{item.key}#copy{copy}",
                                 "problem": f"warp failed, skipped: {_first(exc)}"})
            if len(rows) == ARROW_BATCH_ROWS:
                counted.extend({key: row[key] for key in STAT_KEYS} for row in rows)
                shard.add(rows_to_table(rows))
                rows = []
        counted.extend({key: row[key] for key in STAT_KEYS} for row in rows)
        shard.add(rows_to_table(rows))
        written = shard.close()
    return {"index": job.index, "file": job.name, "first_index": job.start, "rows": written.rows,
            "planned_rows": job.rows, "bytes": written.bytes, "sha256": written.sha256,
            "seconds": round(time.perf_counter() - started, 3), "stats": count_stats(counted),
            "problems": problems, "failures": [], "build": build_digest(())}


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
