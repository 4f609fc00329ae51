"""qa_factory benchmark: Tesseract agreement and difficulty on clean vs warped rendered pages.

Renders the same pages once, then validates them as rendered (`clean` profile skipped: no warp)
and after each warp profile, with the same views seed, so the only difference is the warp.
Prints one JSON object to stdout: per profile mean agreement, mean difficulty, status counts,
mean judge score per task, and per language; plus view-making and validation times per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from typing import Any

from qa_factory.judges import get_judge
from qa_factory.validate import ValidationRules, validate_pages
from qa_factory.views import make_views
from synth.rng import child_rng, sample_rng

PAGES = [  # (language, scene): the first four are the --quick set
    *[("en", "document"), ("ar", "document"), ("en", "table"), ("en", "form")],
    *[("ru", "document"), ("hi", "document"), ("ja", "document"), ("ko", "document")],
    *[("th", "document"), ("he", "document"), ("zh-Hans", "table"), ("el", "table")],
    *[("bn", "table"), ("ru", "form"), ("ka", "form"), ("ar", "form")],
]
MIX = {"text": 1.0, "spotting_json": 0.0, "translation": 0.0}


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def summarise(pages: list[Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    by_task: dict[str, list[float]] = defaultdict(list)
    by_language: dict[str, list[float]] = defaultdict(list)
    by_scene: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    for page, result in zip(pages, results, strict=True):
        statuses[result["status"]] += 1
        if result["agreement"] is not None:
            by_language[page.language].append(result["agreement"])
            by_scene[page.scene].append(result["agreement"])
        for check in result["validation"]["checks"]:
            entry = check["judges"].get("tesseract") or {}
            if entry.get("score") is not None:
                by_task[check["task"]].append(entry["score"])
    line_scores: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for check in result["validation"]["checks"]:
            score = (check["judges"].get("tesseract") or {}).get("score")
            if check["task"] == "line" and score is not None:
                line_scores[check.get("style", "printed")].append(score)
    check_statuses = Counter(
        c["status"]
        for r in results
        for c in r["validation"]["checks"]
        if c["status"] != "unchecked"
    )
    return {
        "pages": len(pages),
        "agreement": _mean([r["agreement"] for r in results if r["agreement"] is not None]),
        "difficulty": _mean([r["difficulty"] for r in results if r["difficulty"] is not None]),
        "page_status": dict(sorted(statuses.items())),
        "check_status": dict(sorted(check_statuses.items())),
        "score_by_task": {k: _mean(v) for k, v in sorted(by_task.items())},
        "agreement_by_language": {k: _mean(v) for k, v in sorted(by_language.items())},
        "agreement_by_scene": {k: _mean(v) for k, v in sorted(by_scene.items())},
        "line_score_by_style": {k: _mean(v) for k, v in sorted(line_scores.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 pages, clean + wild only")
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--profiles", default=None, help="comma list of warp profiles")
    parser.add_argument(
        "--page-psm", type=int, default=None, help="Tesseract psm (default by scene)"
    )
    args = parser.parse_args(argv)
    num = args.pages or (4 if args.quick else 16)
    profiles = (args.profiles or ("wild" if args.quick else "scan,photo,wild")).split(",")

    import warping
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry
    from synth.render import PageSpec, RenderContext, render_page

    corpus = load_corpus()
    ctx = RenderContext(FontRegistry.load(), corpus)
    judge = get_judge("tesseract", page_psm=args.page_psm)
    rules = ValidationRules(line_checks=4)
    rendered = []
    for i in range(num):
        rng = sample_rng(9000 + i)
        language, scene = PAGES[i % len(PAGES)]
        spec = PageSpec(
            language=language,
            scene=scene,
            width=900,
            height=1200,
        )
        rendered.append((render_page(spec, child_rng(rng, "render"), ctx), rng))
    out: dict[str, Any] = {
        "benchmark": "qa",
        "judge": judge.settings(),
        "rules": {"k": rules.k, "line_checks": rules.line_checks},
    }
    timings: dict[str, float] = {}
    for profile in ["none", *profiles]:
        items, pages = [], []
        t0 = time.perf_counter()
        for i, (page, _rng) in enumerate(rendered):
            if profile != "none":
                page = warping.warp_page(
                    page, warping.load_profile(profile), child_rng(sample_rng(i), f"warp:{profile}")
                )
            views = make_views(page, child_rng(sample_rng(i), "views"), task_mix=MIX, corpus=corpus)
            pages.append(page)
            items.append((page, views, child_rng(sample_rng(i), "validate")))
        prepared = time.perf_counter() - t0
        t1 = time.perf_counter()
        results = validate_pages(items, [judge], rules)
        timings[f"{profile}_validate_s_per_page"] = round((time.perf_counter() - t1) / num, 3)
        timings[f"{profile}_warp_and_views_ms_per_page"] = round(prepared * 1000 / num, 1)
        out["clean" if profile == "none" else profile] = summarise(pages, results)
        print(
            f"bench_qa: {profile}: agreement {out['clean' if profile == 'none' else profile]['agreement']}",
            file=sys.stderr,
        )
    out["timings"] = timings
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
