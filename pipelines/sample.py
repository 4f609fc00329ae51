"""One sample, start to finish: plan → render → warp → views → row.

Every choice for sample i comes from the Generator of `sample_seed(run_seed, i)`, split into
per-stage children in a fixed order, so a row depends only on (resolved config, index) — never on
which worker made it or when. Fonts, corpus and profiles are loaded once per process and cached
by config hash (`worker_context`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

import warping
from qa_factory.markdown import page_markdown
from qa_factory.runs import split_page
from qa_factory.views import make_views
from synth.memo import set_run_languages
from synth.render import PageSpec, apply_render, render_page
from synth.rng import child_rng, sample_rng, sample_seed
from warping.spread import join_pages, spread_chance

from .rows import page_to_row
from .worker_setup import freeze_loaded, release_font_pages, release_free_heap

_CONTEXTS: dict[str, WorkerContext] = {}


@dataclass
class WorkerContext:
    """Per-process state for one resolved config: fonts, corpus and the render caches."""

    config: dict[str, Any]
    config_hash: str
    render_ctx: Any
    corpus: Any = None


def worker_context(config: dict[str, Any], config_hash: str) -> WorkerContext:
    """Load fonts and corpus once per process for a config; later calls are a dict lookup."""
    set_run_languages(len(config["languages"]))  # per-language caches sized for this run
    ctx = _CONTEXTS.get(config_hash)
    if ctx is not None:
        return ctx
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.doctor import require_raqm
    from fonts_manifest.registry import FontRegistry
    from synth.render import RenderContext

    require_raqm()
    overrides = {code: item["path"] for code, item in config["corpus"].items()} or None
    # only the texts this config renders or translates into (all 532 are ~14 MiB)
    corpus = load_corpus(overrides, languages=[*config["languages"], config["target_language"]])
    registry = FontRegistry.load(extra_dirs=tuple(config["font_dirs"]), corpus=corpus)
    ctx = WorkerContext(
        config=config,
        config_hash=config_hash,
        render_ctx=RenderContext(registry, corpus, config.get("fonts"), text=config.get("text")),
        corpus=corpus,
    )
    if config.get("backgrounds"):  # the run's indexed user images (synth.backgrounds)
        from synth.backgrounds import BackgroundSource

        ctx.render_ctx.backgrounds = BackgroundSource.from_dict(config["backgrounds"])
    ctx.render_ctx.engine.fit_to_languages(len(config["languages"]))
    _CONTEXTS[config_hash] = ctx
    freeze_loaded()  # fonts and corpus: out of every later GC pass
    return ctx


def row_id(config_hash: str, index: int) -> str:
    return f"pg-{config_hash[:12]}-{index:09d}"


def _weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = sorted(weights)
    p = np.array([weights[n] for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def plan_sample(config: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Draw this sample's language, scene, page size and warp profile (a JSON record)."""
    language = _weighted(rng, config["languages"])
    scene = _weighted(rng, config["scenes"])
    profile = _weighted(rng, {k: v["weight"] for k, v in config["profiles"].items()})
    own = config.get("scene_profiles", {}).get(scene)
    if own:  # drawn after the run-wide pick, so scenes without their own keep their draws
        profile = _weighted(rng, {k: v["weight"] for k, v in own.items()})
    size = config["page_sizes"][int(rng.integers(len(config["page_sizes"])))]
    if isinstance(size, dict):
        width = int(rng.integers(size["width"][0], size["width"][1] + 1))
        height = int(rng.integers(size["height"][0], size["height"][1] + 1))
    else:
        width, height = int(size[0]), int(size[1])
    # drawn last, and only when asked for, so every earlier choice stays what it was
    share = float(config.get("no_text") or 0.0)
    if share > 0 and rng.random() < share:
        scene = "blank"
    plan = {"language": language, "scene": scene, "profile": profile,
            "width": width, "height": height}
    for key in ("vertical", "handwriting"):  # page-level style shares, drawn only when asked
        share = float(config.get(key) or 0.0)
        if share > 0:
            plan[key] = bool(rng.random() < share)
    return plan


VERTICAL_SCRIPTS = frozenset({"Hani", "Hans", "Hant", "Jpan", "Kore", "Hang", "Hira", "Kana",
                              "Mong"})
HANDWRITING_MIX = 0.25  # a chosen page: margin notes with p 0.5, each paragraph with p 0.25


def page_style(plan: dict[str, Any], ctx: WorkerContext) -> dict[str, Any]:
    """PageSpec knobs from the plan's style draws: vertical setting only for scripts written
    vertically (a Latin page stays horizontal), handwriting on document pages."""
    knobs: dict[str, Any] = {}
    if plan.get("vertical") and plan["scene"] == "document":
        script = ctx.render_ctx.language(plan["language"]).script
        knobs["vertical"] = script in VERTICAL_SCRIPTS
    if plan.get("handwriting") and plan["scene"] == "document":
        knobs["style_mix"] = HANDWRITING_MIX
    return knobs


SPREAD_SCENES = frozenset({"document"})  # pages that come bound in books


def is_spread(plan: dict[str, Any], profile: Any, rng: np.random.Generator) -> bool:
    """Does this sample show a two-page spread? Document pages only, with the profile's `book`
    step's probability, from a stream of its own (other draws stay what they were)."""
    if plan["scene"] not in SPREAD_SCENES or isinstance(profile, str):
        return False
    chance = spread_chance(profile)
    return chance > 0 and bool(rng.random() < chance)


class StageClock:
    """Seconds per stage, summed over the samples of a shard (goes into stats.json)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now


def make_page(
    config: dict[str, Any], index: int, ctx: WorkerContext, clock: StageClock | None = None
) -> tuple[Any, dict, Any, int]:
    """Render and warp sample `index`; returns (page, plan, views rng, seed)."""
    clock = clock or StageClock()

    seed = sample_seed(config["seed"], index)
    rng = sample_rng(seed)
    plan = plan_sample(config, child_rng(rng, "plan"))
    render_rng = child_rng(rng, "render")
    warp_rng = child_rng(rng, "warp")
    views_rng = child_rng(rng, "views")
    spec = PageSpec(language=plan["language"], scene=plan["scene"],
                    width=plan["width"], height=plan["height"], **page_style(plan, ctx))
    page = render_page(spec, render_rng, ctx.render_ctx)
    profiles = config.get("scene_profiles", {}).get(plan["scene"]) or config["profiles"]
    profile = profiles[plan["profile"]]["profile"]
    two_pages = is_spread(plan, profile, child_rng(rng, "spread"))
    if two_pages:  # a book lies open: the facing page is rendered from its own stream
        page = join_pages(page, render_page(spec, child_rng(rng, "render:facing"), ctx.render_ctx))
    clock.lap("render")
    release_free_heap()  # the warp's frames come next, on top of the render's heap holes
    release_font_pages()  # and the font files the render read stay in the page cache only
    # a JPEG row keeps the warp's own JPEG bytes (pipelines.rows.stored_image_bytes) and
    # nothing after the warp reads the pixels, so the decode back is skipped (~5 ms a row)
    page = warping.warp_page(
        page, profile, warp_rng, dewarp=bool(config.get("dewarp")),
        decode_jpeg=config["image"]["format"] != "jpeg", two_pages=two_pages,
        backgrounds=getattr(ctx.render_ctx, "backgrounds", None),  # --backgrounds: the table
        release_input=True,  # the flat page's pixels are not read again: freed mid-warp
    )
    clock.lap("warp")
    return page, plan, views_rng, seed


def make_row(
    config: dict[str, Any], index: int, ctx: WorkerContext, clock: StageClock | None = None
) -> dict[str, Any]:
    """The full output row of sample `index` (DESIGN §3 columns)."""
    clock = clock or StageClock()
    page, plan, views_rng, seed = make_page(config, index, ctx, clock)
    illegible = config.get("illegible") or {}
    # the parsing target as the parsing view writes it: partly hidden lines as their runs
    split = split_page(page) if illegible.get("runs", True) else None
    markdown = page_markdown(page if split is None else split[0],
                             illegible=illegible.get("parsing", "omit"))
    tasks = make_views(page, views_rng, task_mix=config.get("tasks"),
                       target_language=config["target_language"], corpus=ctx.corpus,
                       illegible=illegible, split=split)  # the views split the page no more
    clock.lap("views")
    if not config.get("dewarp"):
        page.extras.pop("dewarp_map", None)
    image = config["image"]
    row = page_to_row(
        page,
        row_id=row_id(ctx.config_hash, index),
        index=index,
        seed=seed,
        image_format=image["format"],
        quality=image["quality"],
        tasks=tasks,
        markdown=markdown,
        profile=plan["profile"],
        source="synth",
    )
    clock.lap("encode")
    return row


def remake_page(row: dict[str, Any], ctx: WorkerContext) -> Any:
    """Re-make a row's page from its stored records alone (render, then warp): no seeds, no
    plan, so a row can be audited or re-encoded without the run that made it."""
    render = json.loads(row["render"])
    facing = render.pop("facing", None)
    page = apply_render(render, ctx.render_ctx)
    if facing is not None:  # a two-page spread (warping.spread)
        page = join_pages(page, apply_render(facing, ctx.render_ctx))
    warp = json.loads(row["warp"] or "{}")
    if warp:
        page = warping.apply_warp(page, warp)
    return page
