"""Warping benchmark on 1024x1448: ms per step and per profile, label fidelity, Augraphy side by side.

Prints one JSON object on one line to stdout (medians over seeds; `--pretty` to indent). Per
profile, time is split into the coarse grid, pixels (remap + background), labels (inverse +
polygons) and photometric steps. Times are CPU ms of this process with OpenCV on one thread
(`--clock cpu`, the default: one sample per worker per core is how pipelines run it, and CPU
time stays meaningful on a shared, oversubscribed machine); `--clock wall` gives wall time
with OpenCV's default threads. Label fidelity is the IoU of warped shape polygons with the
warped shapes' pixels, with every geometric step of the profile switched on. When `augraphy`
is importable (`pip install augraphy --no-deps` plus its non-OpenCV deps; its opencv-python
would clash with the headless wheel), its nearest effects run on the same page in the same
process: Folding, LightingGradient, ShadowCast, BadPhotoCopy. Augraphy draws from the global
RNGs; they are seeded for it only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Any

import numpy as np

import warping
from synth.page import Page
from synth.rng import sample_rng
from warping import geometric
from warping.fidelity import forced_profile, geometry_only, shape_ious, shapes_page
from warping.photometric import STEPS as PHOTO_STEPS
from warping.photometric import (
    ShadingContext,
    apply_photometric,
    photometric_runs,
    sample_photometric,
)

WIDTH, HEIGHT = 1024, 1448


CLOCK = {"fn": time.process_time}


def _ms(fn, *args: Any) -> tuple[float, Any]:
    clock = CLOCK["fn"]
    t0 = clock()
    out = fn(*args)
    return (clock() - t0) * 1000.0, out


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0.0


def bench_page() -> tuple[Page, str]:
    """A real rendered page (many word polygons) when fonts work here, else the shapes page."""
    try:
        from fonts_manifest.corpus import load_corpus
        from fonts_manifest.registry import FontRegistry
        from synth.render import PageSpec, RenderContext, render_page

        corpus = load_corpus()
        ctx = RenderContext(FontRegistry.load(corpus=corpus), corpus)
        spec = PageSpec(language="ar", scene="document", width=WIDTH, height=HEIGHT)
        return render_page(spec, sample_rng(1), ctx), "synth ar document"
    except Exception as exc:  # the bench must still run on a half-built tree
        print(f"bench: real page unavailable ({exc}); using shapes page", file=sys.stderr)
        return shapes_page(WIDTH, HEIGHT), "shapes"


def staged_apply(page: Page, record: dict[str, Any]) -> dict[str, float]:
    """apply_warp split into its stages (same calls, timed one by one)."""
    geo = {k: record[k] for k in ("output_size", "background")} | {"steps": record["geometric"]}
    times = {"grid": 0.0, "pixels": 0.0, "labels": 0.0, "photometric": 0.0}
    image, ctx = page.image, ShadingContext()
    if geo["steps"]:
        times["grid"], (coarse, fields) = _ms(geometric.build, geo, record["grid_step"])
        times["pixels"], (image, alpha) = _ms(
            geometric.warp_image, page.image, coarse, geo["background"]
        )

        def labels() -> Page:
            from synth.page import map_page_geometry

            # the production path: the same inverse and start guess as apply_geometric
            inverse = geometric.label_map(geo, coarse)
            return map_page_geometry(page, image, inverse, record["densify_step"], record)

        times["labels"], _ = _ms(labels)
        ctx = ShadingContext(coarse, tuple(fields.creases), fields.slope, alpha)
    times["photometric"], _ = _ms(apply_photometric, image, record["photometric"], ctx)
    times["total"] = sum(times.values())
    return times


def bench_geometric_steps(page: Page, repeats: int) -> dict[str, Any]:
    out = {}
    for name in geometric.STEPS:
        profile = {"geometric": [{"step": name}], "photometric": []}
        runs = [
            staged_apply(page, warping.sample_warp(profile, WIDTH, HEIGHT, sample_rng(s)))
            for s in range(repeats)
        ]
        out[name] = {k: _median([r[k] for r in runs]) for k in runs[0]}
    return out


def bench_photometric_steps(page: Page, repeats: int) -> dict[str, float]:
    """Each step alone on a folded page placed on a 1024x1448 table (so crease shading and the
    drop shadow have geometry to work with)."""
    scene = {
        "geometric": [
            {"step": "fold", "count": [2, 2]},
            {"step": "place", "canvas": [1.0, 1.0], "zoom": [0.85, 0.85]},
        ],
        "photometric": [],
    }
    record = warping.sample_warp(scene, WIDTH, HEIGHT, sample_rng(0))
    geo = {k: record[k] for k in ("output_size", "background")} | {"steps": record["geometric"]}
    coarse, fields = geometric.build(geo, record["grid_step"])
    image, alpha = geometric.warp_image(page.image, coarse, geo["background"])
    ctx = ShadingContext(coarse, tuple(fields.creases), fields.slope, alpha)
    out_w, out_h = record["output_size"]
    out = {}
    for name, spec in PHOTO_STEPS.items():
        cfg = {"step": name, "p": 1.0, **spec.defaults}
        times = []
        for s in range(repeats):
            recs = sample_photometric([cfg], out_w, out_h, sample_rng(s))
            times.append(_ms(apply_photometric, image, recs, ctx)[0])
        out[name] = _median(times)
    return out


def bench_photometric_runs(page: Page, profile: str, seeds: int) -> dict[str, float]:
    """Where a profile's photometric time goes: CPU ms per page by pass as apply_photometric
    runs them (consecutive light steps are one pass, consecutive noise steps one draw), mean
    over `seeds` records of the profile (a pass a record lacks counts 0 ms)."""
    totals: dict[str, float] = {}
    for s in range(seeds):
        record = warping.sample_warp(profile, WIDTH, HEIGHT, sample_rng(1000 + s))
        geo = {k: record[k] for k in ("output_size", "background")} | {"steps": record["geometric"]}
        image, ctx = page.image, ShadingContext()
        if geo["steps"]:
            coarse, fields = geometric.build(geo, record["grid_step"])
            image, alpha = geometric.warp_image(page.image, coarse, geo["background"])
            ctx = ShadingContext(coarse, tuple(fields.creases), fields.slope, alpha)
        for kind, run in photometric_runs(record["photometric"]):
            ms, image = _ms(apply_photometric, image, run, ctx)
            totals[kind] = totals.get(kind, 0.0) + ms
    out = {k: round(v / seeds, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}
    out["total"] = round(sum(totals.values()) / seeds, 2)
    return out


def bench_profiles(page: Page, repeats: int) -> dict[str, Any]:
    out = {}
    for name in warping.PROFILES:
        runs, sample_ms = [], []
        for s in range(repeats):
            t, record = _ms(warping.sample_warp, name, WIDTH, HEIGHT, sample_rng(s))
            sample_ms.append(t)
            runs.append(staged_apply(page, record))
        stats = {k: _median([r[k] for r in runs]) for k in runs[0]}
        stats["sample"] = _median(sample_ms)
        stats["pages_per_s"] = round(1000.0 / max(stats["total"] + stats["sample"], 1e-6), 2)
        out[name] = stats
    return out


def bench_fidelity(seeds: int) -> dict[str, Any]:
    out = {}
    pages = [shapes_page(WIDTH, HEIGHT, seed=s) for s in range(seeds)]
    for name in warping.PROFILES:
        profile = forced_profile(warping.load_profile(name))
        soft: list[float] = []
        hard: list[float] = []
        for s, page in enumerate(pages):
            record = geometry_only(warping.sample_warp(profile, WIDTH, HEIGHT, sample_rng(100 + s)))
            warped = warping.apply_warp(page, record)
            soft += shape_ious(warped)
            hard += shape_ious(warped, soft=False)
        out[name] = {"shapes": len(soft)}
        for kind, values in (("soft", soft), ("hard", hard)):
            arr = np.asarray(values)
            out[name][kind] = {
                "iou_median": round(float(np.median(arr)), 4),
                "iou_p5": round(float(np.percentile(arr, 5)), 4),
                "iou_min": round(float(arr.min()), 4),
            }
    return out


def bench_augraphy(page: Page, ours: dict[str, float], repeats: int) -> dict[str, Any]:
    try:
        import random

        import augraphy
    except ImportError as exc:
        return {"skipped": f"augraphy not importable ({exc})"}
    image = np.ascontiguousarray(page.image[:, :, ::-1])  # Augraphy expects OpenCV BGR
    # (Augraphy effect, our nearest, key into `ours`): Augraphy keeps no labels, so Folding is
    # compared with our fold's pixels alone and, separately, with pixels + labels.
    pairs = [
        ("Folding", "fold, pixels only (grid + remap)", "fold_pixels"),
        ("Folding", "fold, pixels + labels", "fold"),
        ("LightingGradient", "lighting_gradient", "lighting_gradient"),
        ("ShadowCast", "shadow", "shadow"),
        ("BadPhotoCopy", "scan photometric (all steps on)", "scan_photometric"),
    ]
    out: dict[str, Any] = {"version": getattr(augraphy, "__version__", "?"), "pairs": []}
    augraphy_ms: dict[str, float] = {}
    for name, ours_name, key in pairs:
        if name not in augraphy_ms:
            aug = getattr(augraphy, name)(p=1)
            random.seed(-1)
            np.random.seed(12345)  # noqa: NPY002
            aug(image)  # untimed: numba compiles on first use
            times = []
            for s in range(repeats):
                random.seed(s)
                np.random.seed(s)  # noqa: NPY002 - Augraphy reads the global RNGs; seeded for it only
                times.append(_ms(aug, image)[0])
            augraphy_ms[name] = _median(times)
        ms, mine = augraphy_ms[name], ours[key]
        out["pairs"].append(
            {"augraphy": name, "augraphy_ms": ms, "polyglyph": ours_name, "polyglyph_ms": mine,
             "augraphy_over_polyglyph": round(ms / max(mine, 1e-6), 1)}
        )  # fmt: skip
    # issue 7's target: our whole wild profile (pixels + labels) against the four effects
    # chained, per page, in the same process and clock
    four = round(sum(augraphy_ms.values()), 2)
    out["wild_vs_four_effects"] = {
        "augraphy_four_effects_ms": four, "polyglyph_wild_ms": ours["wild"],
        "augraphy_over_polyglyph": round(four / max(ours["wild"], 1e-6), 1),
        "effects": sorted(augraphy_ms),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="seeds per timing (median)")
    parser.add_argument("--fidelity-seeds", type=int, default=4)
    parser.add_argument("--augraphy-repeats", type=int, default=5)
    parser.add_argument("--no-augraphy", action="store_true")
    parser.add_argument("--quick", action="store_true", help="3 seeds, 2 fidelity pages")
    parser.add_argument("--pretty", action="store_true", help="indented JSON (default: one line)")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args(argv)
    if args.clock == "cpu":
        import cv2

        cv2.setNumThreads(1)
    else:
        CLOCK["fn"] = time.perf_counter
    if args.quick:
        args.repeats, args.fidelity_seeds, args.augraphy_repeats = 3, 2, 2

    load_at_start = os.getloadavg()[0]  # the machine is shared: read the ms with this in mind
    page, page_kind = bench_page()
    warping.warp_page(page, "wild", sample_rng(0))  # warm caches and imports
    geo = bench_geometric_steps(page, args.repeats)
    photo = bench_photometric_steps(page, args.repeats)
    profiles = bench_profiles(page, args.repeats)
    wild_runs = bench_photometric_runs(page, "wild", 4 * args.repeats)
    scan_photo = {
        "geometric": [],
        "photometric": forced_profile(warping.load_profile("scan"))["photometric"],
    }
    scan_photo["photometric"] = [{**s, "p": 1.0} for s in scan_photo["photometric"]]
    scan_ms = _median(
        [
            staged_apply(page, warping.sample_warp(scan_photo, WIDTH, HEIGHT, sample_rng(s)))[
                "total"
            ]
            for s in range(args.repeats)
        ]
    )
    ours = {
        "fold": geo["fold"]["total"],
        "fold_pixels": round(geo["fold"]["grid"] + geo["fold"]["pixels"], 2),
        "lighting_gradient": photo["lighting_gradient"],
        "shadow": photo["shadow"],
        "scan_photometric": scan_ms,
        "wild": round(profiles["wild"]["total"] + profiles["wild"]["sample"], 2),
    }
    result = {
        "bench": "warping",
        "size": [WIDTH, HEIGHT],
        "page": page_kind,
        "labels": {"lines": len(page.lines), "words": len(page.words), "blocks": len(page.blocks)},
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "load_avg_1m_at_start": round(load_at_start, 2),
        },
        "repeats": args.repeats,
        "clock": "cpu ms, OpenCV 1 thread" if args.clock == "cpu" else "wall ms",
        "ms_per_geometric_step": geo,
        "ms_per_photometric_step": photo,
        "ms_per_profile": profiles,
        "wild_photometric_ms_by_pass": wild_runs,
        "label_fidelity": bench_fidelity(args.fidelity_seeds),
        "augraphy": {"skipped": "--no-augraphy"}
        if args.no_augraphy
        else bench_augraphy(page, ours, args.augraphy_repeats),
    }
    print(json.dumps(result, indent=1 if args.pretty else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
