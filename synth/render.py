"""Render plumbing: page spec → sampled record → Page, through pluggable scene modules.

Sample then apply: `sample_render` draws every choice (fonts, sizes, colours, layout, paragraph
ids, paper) into a JSON-ready record; `apply_render` re-makes the identical page from that record
alone, with no randomness. The record goes into the output row, so any sample can be re-made.

A scene module (`synth.scenes.<name>`) provides `sample(spec, rng, ctx) -> dict` and
`apply(record, ctx) -> Page`. Scenes are imported lazily: one that is listed but not written or
broken yet makes only that scene unavailable, never the others.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np

from fonts_manifest.errors import PolyglyphError
from fonts_manifest.sampling import FAMILY_PREFIX, font_name, sample_family
from synth.memo import LanguageMemo
from synth.page import Page
from synth.text import TextEngine, TextStyle

SCENES: dict[str, str] = {
    "document": "synth.scenes.document",
    "table": "synth.scenes.table",
    "form": "synth.scenes.form",
    "receipt": "synth.scenes.receipt",
    "card": "synth.scenes.card",
    "handwriting-note": "synth.scenes.handwriting_note",
    # beyond documents (issue 17)
    "screenshot": "synth.scenes.screenshot",
    "video-frame": "synth.scenes.video_frame",
    "ticket": "synth.scenes.ticket",
    "scene-text": "synth.scenes.scene_text",
    "poster": "synth.scenes.poster",
    "game-ui": "synth.scenes.game_ui",
    "blank": "synth.scenes.blank",  # no text at all: negative samples (`no_text:` share)
    "formula": "synth.scenes.formula",
    "chart": "synth.scenes.chart",
}

# HunyuanOCR's nine scene tags (DESIGN §3 `scene_group`), so users can balance or filter rows.
# A scene's record may name its own group (a poster is `ads` or `art` by its content); a scene
# missing here is a document-like one.
SCENE_GROUP_TAGS = ("doc", "scene", "ads", "hand", "screen", "receipt/card", "game", "video", "art")
SCENE_GROUPS: dict[str, str] = {
    "document": "doc", "table": "doc", "form": "doc", "receipt": "receipt/card",
    "card": "receipt/card", "handwriting-note": "hand",
    "screenshot": "screen", "video-frame": "video", "ticket": "receipt/card", "scene-text": "scene",
    "poster": "ads", "game-ui": "game", "blank": "doc", "formula": "doc", "chart": "doc",
}

# Pen and print colours (RGB) used across scenes.
PRINT_INKS = ((20, 20, 20), (0, 0, 0), (35, 35, 40), (45, 40, 38), (25, 30, 60), (50, 50, 50))
ACCENT_INKS = ((20, 40, 110), (120, 20, 25), (20, 70, 50), (70, 30, 90), (30, 30, 30))


@runtime_checkable
class Scene(Protocol):
    """What a scene is (a module named in SCENES): `sample` draws every choice of a page into
    a JSON record, `apply` re-makes the page from the record alone (no randomness)."""

    def sample(self, spec: PageSpec, rng: np.random.Generator, ctx: RenderContext
               ) -> dict[str, Any]: ...

    def apply(self, record: dict[str, Any], ctx: RenderContext) -> Page: ...


@dataclass
class PageSpec:
    """What to render. `None` knobs are sampled; set ones are obeyed."""

    language: str
    scene: str = "document"
    width: int = 1024
    height: int = 1448
    margin: float | None = None  # fraction of the shorter side
    columns: int | None = None  # document scene: 1..3
    style_mix: float = 0.0  # share of handwritten lines (forms and notes may add their own)
    font_size: tuple[int, int] | None = None  # body size range in px
    font_style: str | None = None  # sans | serif; None = sampled
    backgrounds: tuple[str, ...] = ()  # user background image paths for the paper
    vertical: bool = False  # vertical text (ttb for CJK, rotated for Mongolian)
    options: dict[str, Any] = field(default_factory=dict)  # scene-specific knobs

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["backgrounds"] = list(self.backgrounds)
        data["font_size"] = list(self.font_size) if self.font_size else None
        return data


class RenderContext:
    """Per-worker state: the font registry, the corpus and the text engine's shaping caches."""

    def __init__(self, registry: Any, corpus: dict[str, Any],
                 fonts: dict[str, Any] | None = None, text: dict[str, Any] | None = None) -> None:
        self.registry = registry
        # the registry's copy of a user corpus lacks the sampled rows no font draws
        held = getattr(registry, "corpus", {})
        self.corpus = {code: held.get(code, text) for code, text in corpus.items()}
        self.fonts = dict(fonts or {})  # the run's `fonts` policy: include / exclude / weights
        # the run config's `text` section: {sources: {udhr, vocab, entities, corpus},
        # languages: {code: {source: weight}}}; None = synth.textsynth.DEFAULT_SOURCES
        self.text_config = text or {}
        self.engine = TextEngine(registry)
        self._chains: dict[tuple[str, str], tuple[Any, ...]] = {}
        # per-worker facts scenes derive from fonts and corpus, for the languages used last
        self.memo: LanguageMemo = LanguageMemo()
        self.backgrounds: Any = None  # the run's user images (synth.backgrounds.BackgroundSource)

    def language(self, code: str) -> Any:
        """LanguageInfo of a usable language; unknown codes raise PolyglyphError."""
        return self.registry.language(code)

    def chain(self, code: str, style: str = "sans") -> tuple[Any, ...]:
        key = (code, style)
        chain = self._chains.get(key)
        if chain is None:
            if style.startswith(FAMILY_PREFIX):
                chain = tuple(self.registry.family_chain(code, style[len(FAMILY_PREFIX):]))
            else:
                chain = tuple(self.registry.chain(code, style))
            self._chains[key] = chain
        return chain

    def sample_font(self, rng: np.random.Generator, code: str, role: str,
                    style: str | None = None) -> str:
        """A font name for one block and role: `family:<name>` drawn from the language's
        eligible families (see `fonts_manifest.sampling`), else `style` or sans/serif."""
        families = self._families(code)
        user = getattr(getattr(self.registry, "catalog", None), "user", ())
        family = sample_family(rng, families, role, self.fonts, style, user)
        fallback = style or ("serif" if rng.random() < 0.5 else "sans")
        return font_name(family, fallback)

    def _families(self, code: str) -> dict[str, str]:
        key = ("families", code)
        found = self.memo.get(key)
        if found is None:
            getter = getattr(self.registry, "families", None)
            found = self.memo[key] = dict(getter(code)) if getter is not None else {}
        return found

    def has_style(self, code: str, style: str) -> bool:
        return bool(self.registry.has_style(code, style))

    def text(self, code: str) -> Any:
        """The corpus text of a language (CorpusText)."""
        text = self.corpus.get(code)
        if text is None or not text.paragraphs:
            raise PolyglyphError(f"language {code!r} has no corpus text; pass --corpus {code}=PATH")
        return text

    def text_sources(self, code: str) -> dict[str, float]:
        """Source weights of a language's page text (the run's mix, with its per-language
        override on top)."""
        from synth.textsynth import DEFAULT_SOURCES

        sources = dict(self.text_config.get("sources") or DEFAULT_SOURCES)
        sources.update((self.text_config.get("languages") or {}).get(code, {}))
        return sources

    def style(self, code: str, size: int, font_style: str = "sans",
              direction: str | None = None) -> TextStyle:
        info = self.language(code)
        return TextStyle(
            chain=self.chain(info.code, font_style),
            size=int(size),
            language=info.code,
            script=info.script,
            direction=direction or info.direction,
        )


def scene_module(name: str) -> Scene:
    """Import a scene module; a scene that does not exist or cannot load is a user error."""
    if name not in SCENES:
        raise PolyglyphError(f"unknown scene {name!r}; choose from {', '.join(SCENES)}")
    try:
        module = importlib.import_module(SCENES[name])
    except ImportError as exc:
        raise PolyglyphError(f"scene {name!r} is not available in this build ({exc})") from exc
    if not isinstance(module, Scene):
        raise PolyglyphError(f"scene {name!r} ({SCENES[name]}) lacks sample() or apply()")
    return cast(Scene, module)


def available_scenes() -> list[str]:
    """Scenes whose modules import cleanly here."""
    names = []
    for name in SCENES:
        try:
            scene_module(name)
        except PolyglyphError:
            continue
        names.append(name)
    return names


def sample_render(spec: PageSpec, rng: np.random.Generator, ctx: RenderContext) -> dict[str, Any]:
    """Draw every render choice for `spec` into a JSON-ready record."""
    if spec.width < 64 or spec.height < 64:
        raise PolyglyphError(f"page size {spec.width}x{spec.height} is too small (min 64x64)")
    module = scene_module(spec.scene)
    info = ctx.language(spec.language)
    spec = PageSpec(**{**spec.to_dict(), "language": info.code})
    record = module.sample(spec, rng, ctx)
    record.setdefault("scene", spec.scene)
    record.setdefault("language", info.code)
    record.setdefault("width", int(spec.width))
    record.setdefault("height", int(spec.height))
    record["spec"] = spec.to_dict()
    return record


def apply_render(record: dict[str, Any], ctx: RenderContext) -> Page:
    """Re-make the page of a record exactly (no randomness)."""
    page = scene_module(record["scene"]).apply(record, ctx)
    page.render = record
    return page


def scene_group(scene: str, render: dict[str, Any] | None = None) -> str:
    """The HunyuanOCR tag of a page: its record's own `scene_group`, else its scene's."""
    group = (render or {}).get("scene_group") or SCENE_GROUPS.get(scene, "doc")
    if group not in SCENE_GROUP_TAGS:
        raise PolyglyphError(f"scene {scene!r}: unknown scene_group {group!r}")
    return str(group)


def render_page(spec: PageSpec, rng: np.random.Generator, ctx: RenderContext) -> Page:
    return apply_render(sample_render(spec, rng, ctx), ctx)


# --- paper shared by all scenes -------------------------------------------------------------


def sample_background(rng: np.random.Generator, width: int, height: int,
                      backgrounds: tuple[str, ...] = (), **options: Any) -> dict[str, Any]:
    """Paper record from `synth.paper` when it is present, else a plain tint."""
    try:
        from synth import paper
    except ImportError:
        paper = None
    if paper is not None:
        return {"kind": "paper", "paper": paper.sample_paper(
            rng, width, height, backgrounds=backgrounds, **options)}
    tint = [int(v) for v in rng.integers(236, 256, size=3)]
    return {"kind": "plain", "tint": tint}


def apply_background(record: dict[str, Any], width: int, height: int) -> np.ndarray:
    if record["kind"] == "paper":
        from synth import paper

        return paper.apply_paper(record["paper"], width, height)
    image = np.empty((height, width, 3), np.uint8)
    image[:] = np.asarray(record["tint"], np.uint8)
    return image


def pick(rng: np.random.Generator, options: tuple[Any, ...] | list[Any]) -> Any:
    """One item of a sequence, drawn with `rng` (JSON-friendly: tuples become lists)."""
    item = options[int(rng.integers(len(options)))]
    return list(item) if isinstance(item, tuple) else item
