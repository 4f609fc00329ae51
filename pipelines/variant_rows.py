"""What a `polyglyph variants` worker makes: one warped row per (image, copy) pair, and one
shard of such rows (`variant_shard`, the shard function the driver runs locally or on Ray).

Each row's warp comes from its own seed (the run's seed, the copy number and the image's key),
so a shard made again, on any worker, holds the same bytes. An image that cannot be read, or is
too large, is a problem of the shard and its other images go on (`pipelines.variants` reports
them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from PIL import UnidentifiedImageError

import warping
from qa_factory.views import TASKS, make_views
from synth.rng import child_rng, sample_rng, sample_seed

from .containment import Refused
from .manifest import ShardJob
from .output import Output
from .provenance import build_digest
from .readers import SourceItem
from .rows import SCHEMA, page_to_row, rows_to_table
from .shard import ARROW_BATCH_ROWS, STAT_KEYS, count_stats
from .source_page import item_page
from .writers import PARQUET

# spotting views only: the one task a benchmark's boxes and transcriptions fully allow
SPOTTING_MIX = {**{task: 0.0 for task in TASKS}, "spotting": 1.0, "spotting_json": 0.3,
                "spotting_plain": 0.15, "spotting_tokens": 0.15}


def geometry_only(record: dict[str, Any]) -> dict[str, Any]:
    """The warp record without its photometric steps (pixels move, nothing else changes)."""
    return {**record, "photometric": []}


def make_variant_row(page: Any, item: SourceItem, copy: int, index: int, cfg: dict[str, Any],
                     profile: dict[str, Any]) -> dict[str, Any]:
    """Copy `copy` of one image's page, warped; the seed is keyed by the image, not by the row
    index, so adding an image to the input does not change the other images' warps."""
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
                    page, dropped = item_page(item, cfg["max_image_pixels"])
                except Refused as exc:  # too large: known from the header, nothing decoded
                    bad.add(item.key)
                    problems.append({"file": item.key, "problem": f"image skipped: {exc}"})
                    continue
                except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
                    bad.add(item.key)
                    problems.append({"file": item.key,
                                     "problem": f"unreadable image skipped: {_first(exc)}"})
                    continue
                cache[item.key] = page
                problems.extend({"file": item.key, "problem": why} for why in dropped)
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
            "problems": problems, "skipped_images": sorted(bad), "failures": [],
            "build": build_digest(())}


def _first(exc: BaseException) -> str:
    # Pillow names the buffer it read (`<_io.BytesIO object at 0x7f…>`): an address that
    # differs per run would make problems.json differ too
    text = re.sub(r"\s*<[^<>]* at 0x[0-9a-fA-F]+>", "", str(exc)).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
