"""CPU ms per row of each step of the end-to-end path (render parts, warp steps, views, encode).

`bench/profile_row.py` gives cProfile's view (its overhead inflates the many small Python
calls); this one times named steps with `time.process_time` only, per row, and prints each
step's median and mean over the rows (CPU time: on a shared machine wall time mostly shows the
neighbours). Steps nest (render > paper); `total` is the whole row plus its Parquet share.
Rows are those the end-to-end benchmark's marginal rows are (16..63 by default, after a warm-up
of two rows per language), with its config (wild profile, ten languages, views, JPEG).

    .venv/bin/python bench/profile_steps.py [--first 16 --rows 48] [--json out.json]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import json
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.config import build_config, config_hash, resolve_config  # noqa: E402
from pipelines.rows import rows_to_table  # noqa: E402
from pipelines.sample import make_row, worker_context  # noqa: E402
from pipelines.worker_setup import (  # noqa: E402
    apply_process_env,
    collect_between_rows,
    setup_worker,
)
from pipelines.writers import table_bytes  # noqa: E402

LANGS = ["en", "ar", "hi", "ja", "ru", "th", "he", "zh-Hans", "ko", "el"]
# (module, function, label): every module attribute bound to that function object is wrapped
TIMED = [
    ("synth.render", "sample_render", "render.sample"),
    ("synth.render", "apply_render", "render.apply"),
    ("synth.paper", "apply_paper", "render.apply.paper"),
    ("synth.layout", "DocumentPlanner.plan_horizontal", "render.layout"),
    ("synth.scenes", "draw_labelled_line", "render.draw_line"),
    ("synth.pagetext", "language_text", "render.language_text"),
    ("synth.text", "TextEngine.layout_line", "render.text.layout_line"),
    ("synth.text", "TextEngine._geometry", "render.text.geometry"),
    ("synth.formula", "render_formula_with_baseline", "render.formula"),
    ("synth.scenes.doc_figures", "draw_figure", "render.figure"),
    ("synth.chart", "draw_chart", "render.chart"),
    # finer render sub-steps (text engine, planning, compositing); scenes by kind in install()
    ("synth.typesetting", "PageTypesetter.settle", "render.text.settle"),
    ("synth.text", "TextEngine.line_geometry", "render.text.plan_geometry"),
    ("synth.text", "TextEngine.draw_line", "render.text.draw_geometry"),
    ("synth.text.shaper", "Shaper.wrap", "render.text.wrap"),
    ("synth.text.glyphs", "GlyphRasteriser.shape", "render.text.shape_new"),
    ("synth.text.glyphs", "GlyphRasteriser.ink", "render.text.ink_new"),
    ("synth.text.glyphs", "GlyphRasteriser._rasterise", "render.text.ink_new.rasterise"),
    ("synth.text.paint", "paint_pieces", "render.text.paint"),
    ("synth.text", "TextEngine.line_label", "render.text.label"),
    ("synth.pagetext", "compose", "render.compose"),
    ("synth.text.shaper", "Shaper.text_extent", "render.text.extent"),
    ("synth.text.shaper", "Shaper.typical_extent", "render.text.typical_extent"),
    ("fonts_manifest.registry", "FontRegistry.pil_font", "render.text.pil_font"),
    ("synth.handwriting", "apply_handwriting", "render.hand.imitation"),
    ("warping", "sample_warp", "warp.sample"),
    ("warping.geometric", "build", "warp.grid"),
    ("warping.geometric", "warp_image", "warp.remap"),
    ("warping.remap", "window_map", "warp.remap.map"),
    ("warping.scene", "render_background", "warp.remap.background"),
    ("synth.page", "map_page_geometry", "warp.labels"),
    ("warping.photometric", "apply_photometric_keep_jpeg", "warp.photometric"),
    ("warping.photometric", "jpeg_bytes", "warp.photometric.jpeg"),
    ("warping.occlusion", "occlude_labels", "warp.occlude"),
    ("warping.hiding", "cover_of", "warp.cover"),
    ("warping.hiding", "hide", "warp.hide"),
    ("warping.legibility", "assess_page", "warp.legibility"),
    ("qa_factory.views", "make_views", "views.make"),
    ("qa_factory.markdown", "page_markdown", "views.markdown"),
    ("pipelines.rows", "page_to_row", "encode"),
]
CV2_TIMED = ["remap", "resize", "imencode", "cvtColor", "GaussianBlur", "filter2D", "LUT",
             "multiply", "add", "addWeighted", "convertScaleAbs", "merge", "warpAffine",
             "blur", "boxFilter", "dilate", "erode", "copyTo", "compare", "extractChannel"]
TOTALS: dict[str, float] = defaultdict(float)
FAULTS: dict[str, int] = defaultdict(int)  # minor page faults (fresh memory) per label


def timed(fn: Any, label: str) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        c0, f0 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        try:
            return fn(*args, **kwargs)
        finally:
            TOTALS[label] += time.process_time() - c0
            FAULTS[label] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    return wrapper


def install() -> None:
    """Wrap each TIMED function wherever a module holds it, and each photometric step's run."""
    import importlib

    from synth.opencv import cv2
    from warping.steps import PHOTOMETRIC

    for module, name, label in TIMED:
        if "." in name:  # Class.method
            cls_name, meth = name.split(".")
            cls = getattr(importlib.import_module(module), cls_name)
            setattr(cls, meth, timed(getattr(cls, meth), label))
            continue
        original = getattr(importlib.import_module(module), name)
        wrapped = timed(original, label)
        for mod in list(sys.modules.values()):
            for attr, value in list(getattr(mod, "__dict__", {}).items()):
                if value is original:
                    setattr(mod, attr, wrapped)
    from synth.render import SCENES, scene_module

    for scene in SCENES:  # each scene kind's sample and apply (modules are imported lazily)
        try:
            module = scene_module(scene)
        except Exception:  # noqa: BLE001 - a scene unavailable here is simply not timed
            continue
        for part in ("sample", "apply"):
            setattr(module, part, timed(getattr(module, part), f"render.scene.{scene}.{part}"))
    for name in CV2_TIMED:  # OpenCV's own calls, wherever they come from
        setattr(cv2, name, timed(getattr(cv2, name), f"cv2.{name}"))
    for name, step in PHOTOMETRIC.items():
        kind = step.fuse or name
        step.apply_run = timed(step.apply_run, f"warp.photometric.{kind}")  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=16)
    parser.add_argument("--rows", type=int, default=48)
    parser.add_argument("--profile", default="wild")
    parser.add_argument("--json", default=None)
    parser.add_argument("--cprofile", default=None, help="also dump cProfile stats (CPU clock) here")
    args = parser.parse_args()
    apply_process_env()
    setup_worker()  # as a worker: mmap threshold (page faults are CPU here), GC, one thread
    config = build_config(None, {"languages": LANGS, "profiles": {args.profile: 1.0},
                                 "seed": 7, "num": args.first + args.rows})
    resolved = resolve_config(config)
    ctx = worker_context(resolved, config_hash(resolved))
    install()
    warm = [make_row(resolved, index, ctx) for index in range(1000, 1000 + 2 * len(LANGS))]
    table_bytes(rows_to_table(warm))
    del warm
    per_row: dict[str, list[float]] = defaultdict(list)
    faults: dict[str, int] = defaultdict(int)
    rows = []
    profiler = cProfile.Profile(time.process_time) if args.cprofile else None
    if profiler:
        profiler.enable()
    c_all = time.process_time()
    for index in range(args.first, args.first + args.rows):
        TOTALS.clear()
        FAULTS.clear()
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        c0, s0 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_stime
        rows.append(make_row(resolved, index, ctx))
        collect_between_rows()  # as the shard loop does (counted in the total, not in `row`)
        TOTALS["row"] = time.process_time() - c0
        TOTALS["row.system"] = resource.getrusage(resource.RUSAGE_SELF).ru_stime - s0
        FAULTS["row"] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
        for label, seconds in TOTALS.items():
            per_row[label].append(seconds)
        for label, count in FAULTS.items():
            faults[label] += count
    c0 = time.process_time()
    table_bytes(rows_to_table(rows))
    parquet = (time.process_time() - c0) / args.rows
    total = (time.process_time() - c_all) / args.rows
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.cprofile)
    out: dict[str, Any] = {"rows": args.rows, "first": args.first,
                           "cpu_ms_per_row_total": round(1000 * total, 1),
                           "parquet_ms_per_row": round(1000 * parquet, 1), "steps": {}}
    for label in sorted(per_row):
        values = per_row[label] + [0.0] * (args.rows - len(per_row[label]))
        out["steps"][label] = {"mean": round(1000 * statistics.fmean(values), 1),
                               "median": round(1000 * statistics.median(values), 1),
                               "rows_with": len(per_row[label]),
                               "faults_per_row": round(faults[label] / args.rows)}
    for label, figure in out["steps"].items():
        print(f"{label:36s} mean {figure['mean']:7.1f}  median {figure['median']:7.1f}  "
              f"({figure['rows_with']} rows)  faults/row {figure['faults_per_row']}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"total CPU ms/row (incl. parquet) {out['cpu_ms_per_row_total']}, "
          f"parquet {out['parquet_ms_per_row']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
