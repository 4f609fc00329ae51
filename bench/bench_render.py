"""Render speed per scene (pages/s on one core, 1024x1448), label tightness and OCR read-back.

Prints one JSON object (last stdout line) with:
- `pages_per_s`: per available scene, median over repeats of pages/s in this one process
  (wall clock; `pages_per_cpu_s` divides by this process's CPU time instead, the fairer
  per-core figure on a shared machine), after
  one warm-up page per language (a worker renders many pages, so font and shaping caches are
  warm; the first page of each language costs more and is reported as `cold_page_s`);
- `render_stage`: CPU ms per row of the pipeline's render stage (profile_row's rows) and the
  text engine's cache sizes after it;
- `word_ink_iou`: median IoU between each word polygon and the ink that word drew, per script;
- `article1_cer`: Tesseract character error rate per language on clean line crops (Article 1);
- `all_languages` (full run only): every usable language at 320x400, time and failures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]

from fonts_manifest.corpus import load_corpus  # noqa: E402
from fonts_manifest.registry import FontRegistry  # noqa: E402
from synth.render import PageSpec, RenderContext, available_scenes, render_page  # noqa: E402
from synth.rng import sample_rng, sample_seed  # noqa: E402

LANGUAGES = ("en", "ar", "hi", "th", "ja", "zh-Hans", "ru", "he", "ko", "am", "bn", "fa")


def scene_speed(ctx: RenderContext, scene: str, pages: int, repeats: int) -> dict:
    t0 = time.perf_counter()
    for k, language in enumerate(LANGUAGES):  # warm-up: one page per language
        render_page(PageSpec(language, scene=scene), sample_rng(sample_seed(99, k)), ctx)
    cold = (time.perf_counter() - t0) / len(LANGUAGES)
    rates, cpu_rates = [], []
    for r in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(pages):
            language = LANGUAGES[i % len(LANGUAGES)]
            render_page(PageSpec(language, scene=scene), sample_rng(sample_seed(r, i)), ctx)
        rates.append(pages / (time.perf_counter() - t0))
        cpu_rates.append(pages / (time.process_time() - c0))
    return {"pages_per_s": round(statistics.median(rates), 3),
            "pages_per_cpu_s": round(statistics.median(cpu_rates), 3),
            "runs": [round(x, 3) for x in rates], "cold_page_s": round(cold, 3)}


def render_stage(rows: int = 24) -> dict:
    """CPU ms per row of the render stage on the rows `bench/profile_row.py` makes (wild
    profile, ten languages, seed 7), after the same warm-up (two rows per language).

    CPU time, not wall: on a shared machine wall time mostly measures the neighbours. Also
    reports the text engine's cache sizes afterwards (memory bounds).
    """
    from pipelines.config import build_config, config_hash, resolve_config
    from pipelines.sample import plan_sample, worker_context
    from synth.rng import child_rng

    langs = ["en", "ar", "hi", "ja", "ru", "th", "he", "zh-Hans", "ko", "el"]
    config = build_config(None, {"languages": langs, "profiles": {"wild": 1.0}, "seed": 7,
                                 "num": rows})
    resolved = resolve_config(config)
    ctx = worker_context(resolved, config_hash(resolved)).render_ctx

    def page(index: int) -> None:
        rng = sample_rng(sample_seed(resolved["seed"], index))
        plan = plan_sample(resolved, child_rng(rng, "plan"))
        spec = PageSpec(language=plan["language"], scene=plan["scene"], width=plan["width"],
                        height=plan["height"])
        render_page(spec, child_rng(rng, "render"), ctx)

    for index in range(1000, 1000 + 2 * len(langs)):
        page(index)
    c0 = time.process_time()
    for index in range(rows):
        page(index)
    cpu = time.process_time() - c0
    return {"rows": rows, "cpu_ms_per_row": round(1000 * cpu / rows, 1),
            "cache_sizes": ctx.engine.cache_sizes()}


def word_ink_iou() -> dict:
    import test_synth_text as t

    registry = FontRegistry.load()
    engine = t.TextEngine(registry)
    out = {}
    for code, text in t.LINES.items():
        layout = engine.layout_line(text, t.style_for(registry, code))
        geometry = engine.line_geometry(layout, (20.0, 80.0))
        boxes = [b for b in geometry.word_boxes if b is not None]
        scores = [t.iou(box, t.ink_box_of_word(engine, layout, i)) for i, box in enumerate(boxes)]
        out[code] = round(statistics.median(scores), 4)
    out["median_all"] = round(statistics.median(out.values()), 4)
    return out


def all_languages(ctx: RenderContext) -> dict:
    failures = []
    infos = ctx.registry.languages()
    t0 = time.perf_counter()
    for index, info in enumerate(infos):
        try:
            render_page(PageSpec(info.code, width=320, height=400),
                        sample_rng(sample_seed(3, index)), ctx)
        except Exception as exc:  # report every failure, keep going
            failures.append(f"{info.code}: {exc}"[:200])
    return {"languages": len(infos), "seconds": round(time.perf_counter() - t0, 1),
            "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-ocr", action="store_true", help="skip the Tesseract table")
    args = parser.parse_args()
    pages, repeats = (12, 2) if args.quick else (36, 3)
    corpus = load_corpus()
    ctx = RenderContext(FontRegistry.load(), corpus)
    result: dict = {"page": "1024x1448", "languages": list(LANGUAGES), "pages": pages,
                    "repeats": repeats, "pages_per_s": {}}
    for scene in available_scenes():
        try:
            result["pages_per_s"][scene] = scene_speed(ctx, scene, pages, repeats)
        except Exception as exc:  # one broken scene must not hide the others
            result["pages_per_s"][scene] = {"error": str(exc)[:300]}
        print(f"{scene}: {result['pages_per_s'][scene]}", file=sys.stderr)
    result["render_stage"] = render_stage()
    print(f"render stage: {result['render_stage']}", file=sys.stderr)
    result["word_ink_iou"] = word_ink_iou()
    if not args.no_ocr:
        import test_synth_text_ocr as ocr

        table = ocr.article1_table()
        result["article1_cer"] = {k: round(v, 4) for k, v in table.items()}
        result["article1_cer_median"] = round(statistics.median(table.values()), 4)
    if not args.quick:
        result["all_languages"] = all_languages(RenderContext(ctx.registry, corpus))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
