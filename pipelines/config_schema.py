"""The run config's schema: every key `generate` accepts, its type and range, and the one-line
message a user reads when a key is wrong (pydantic's error list names the bad key and the
allowed values, because users read the first line of an error and nothing else)."""

from __future__ import annotations

import math
import os
import reprlib
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from .driver import STALL_RANGE, STALL_TIMEOUT

ImageFormat = Literal["jpeg", "png", "webp"]
Executor = Literal["auto", "local", "ray"]

# Keys that change how a run executes but never the bytes of a shard; left out of the hash.
EXECUTION_KEYS = (
    "num", "out", "workers", "executor", "ray_address", "overwrite", "max_failed_fraction",
    "resume_check", "stall_timeout",
)
SHAPE_HINTS = {
    "languages": "`all`, a list of language codes, or {code: weight}",
    "page_sizes": "a list of [width, height] or {width: [min, max], height: [min, max]}",
    "scenes": "a mapping {scene: weight}",
    "profiles": "a mapping {profile name or YAML path: weight}",
    "tasks": "null (the default mix) or the tasks to make: a list, or a mapping {task: weight}",
}


def _number_not_bool(value: Any) -> Any:
    """`num: true` or `quality: yes` is a mistake: lax pydantic reads a YAML boolean as 1 (a
    one-row run, quality 1) or 1.0 (every page text-free); numbers are numbers only."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


class ImageOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: ImageFormat = "jpeg"
    quality: int = Field(90, ge=1, le=100)

    @field_validator("quality", mode="before")
    @classmethod
    def _not_bool(cls, value: Any) -> Any:
        return _number_not_bool(value)


class IllegibleOptions(BaseModel):
    """What spotting and parsing views do with lines the warp made illegible (`Line.legible`):
    mark = `###` (ICDAR's don't-care), omit = leave them out. runs = a partly hidden line's
    readable runs of words are text instances of their own in those views (the hidden runs
    don't-care), as benchmarks annotate occluded text (`qa_factory.runs`)."""

    model_config = ConfigDict(extra="forbid")
    spotting: Literal["mark", "omit"] = "mark"
    parsing: Literal["omit", "mark"] = "omit"
    runs: StrictBool = True  # YAML true/false only (lax pydantic read "no" as false)


class SizeRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width: tuple[int, int]
    height: tuple[int, int]

    @model_validator(mode="after")
    def _ordered(self) -> SizeRange:
        for name in ("width", "height"):
            lo, hi = getattr(self, name)
            if not 16 <= lo <= hi <= 8192:
                raise ValueError(f"{name} range must satisfy 16 <= min <= max <= 8192")
        return self


TextSource = Literal["udhr", "vocab", "entities", "corpus"]
SourceWeight = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]


class TextOptions(BaseModel):
    """Where page text comes from (synth.textsynth): `udhr` the bundled parallel text,
    `corpus` a user's --corpus text (it replaces the UDHR of its language), `vocab` sentences
    from frequency vocabularies, `entities` sentences dense with numbers, dates, prices, codes.
    `languages` overrides weights per language code."""

    model_config = ConfigDict(extra="forbid")
    sources: dict[TextSource, SourceWeight] = Field(
        default_factory=lambda: {"udhr": 1.0, "vocab": 2.0, "entities": 1.0, "corpus": 3.0})
    languages: dict[str, dict[TextSource, SourceWeight]] = Field(default_factory=dict)

    @field_validator("sources")
    @classmethod
    def _some_source(cls, value: dict[str, float]) -> dict[str, float]:
        if sum(value.values()) <= 0:
            raise ValueError("needs a positive weight for at least one of udhr, vocab, entities, corpus")
        return value


class FontOptions(BaseModel):
    """Which families the page sampler may use: `include` / `exclude` family names (exact, or
    a trailing `*` for a prefix) and `weights` per style class (multiplying the role's own)."""

    model_config = ConfigDict(extra="forbid")
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    weights: dict[str, float] = Field(default_factory=dict)
    # share of draws given to families from --font-dir / POLYGLYPH_FONT_DIRS (where one fits)
    user_share: float = Field(0.5, ge=0.0, le=1.0)

    @field_validator("weights")
    @classmethod
    def _class_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        from fonts_manifest.catalog import CLASSES

        for name, value in weights.items():
            if name not in CLASSES:
                raise ValueError(f"unknown font class {name!r}; choose from {', '.join(CLASSES)}")
            if not 0.0 <= value <= 1000.0:  # also refuses NaN
                raise ValueError(f"weight of {name!r} must be in 0..1000, got {value}")
        return weights


class GenerateConfig(BaseModel):
    """Everything a run needs. `languages` and `profiles` are shorthand until `resolve_config`."""

    model_config = ConfigDict(extra="forbid")
    num: int = Field(100, ge=1, le=10**10)  # the shard plan is capped too (driver.MAX_SHARDS)
    seed: int = Field(0, ge=0, lt=2**63)
    shard_rows: int = Field(256, ge=1, le=100_000)
    languages: Literal["all"] | list[str] | dict[str, float] = "all"
    balance: Literal["language", "script"] = "language"
    scenes: dict[str, float] = Field(default_factory=lambda: {"document": 1.0})
    page_sizes: list[tuple[int, int] | SizeRange] = Field(default_factory=lambda: [(1024, 1448)])
    profiles: dict[str, float] = Field(default_factory=lambda: {"clean": 1.0})
    # scene -> its own {profile: weight}, replacing `profiles` for that scene (screens are not
    # photographed paper); `--profile` on the command line clears it, so the flag means "these
    # profiles for every scene"
    scene_profiles: dict[str, dict[str, float]] = Field(default_factory=dict)
    tasks: dict[str, float] | None = None
    # share of samples drawn as text-free pages (scene `blank`; answers "没有文字")
    no_text: float = Field(0.02, ge=0.0, le=1.0)
    illegible: IllegibleOptions = Field(default_factory=IllegibleOptions)
    # share of document pages in vertical scripts (CJK, Mongolian) set top to bottom
    vertical: float = Field(0.0, ge=0.0, le=1.0)
    # share of printed document pages that get handwriting (margin notes, written paragraphs)
    handwriting: float = Field(0.0, ge=0.0, le=1.0)
    target_language: str = "en"
    image: ImageOptions = Field(default_factory=ImageOptions)
    dewarp: StrictBool = False
    # inline cross-validation with cheap judges (e.g. ["tesseract"]); adds the same columns as
    # `polyglyph validate`, which remains the way to run costly (VLM) judges as their own job
    validate_judges: list[str] = Field(default_factory=list)
    corpus: dict[str, str] = Field(default_factory=dict)
    text: TextOptions = Field(default_factory=TextOptions)
    font_dirs: list[str] = Field(default_factory=list)
    # user background photos for scenes drawn on a photo (scene-text, video-frame, poster):
    # a folder of jpg/png/webp or a Parquet file with an image column; None = procedural
    backgrounds: str | None = None
    fonts: FontOptions = Field(default_factory=FontOptions)
    # execution only (not hashed)
    out: str | None = None
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=4096)
    executor: Executor = "auto"
    ray_address: str | None = None
    overwrite: StrictBool = False
    max_failed_fraction: float = Field(0.02, ge=0.0, le=1.0)
    resume_check: Literal["sha256", "size"] = "sha256"
    # Ray runs: seconds with no shard finished and no row made before the run stops (one line,
    # finished shards kept); a default far above any healthy row, checked like every number
    stall_timeout: float = Field(STALL_TIMEOUT, ge=STALL_RANGE[0], le=STALL_RANGE[1],
                                 allow_inf_nan=False)

    @field_validator("page_sizes")
    @classmethod
    def _sizes(cls, sizes: list[Any]) -> list[Any]:
        if not sizes:
            raise ValueError("needs at least one [width, height] or {width: [..], height: [..]}")
        for size in sizes:
            if isinstance(size, tuple) and not all(16 <= v <= 8192 for v in size):
                raise ValueError(f"size {list(size)} out of range 16..8192")
        return sizes

    @field_validator("num", "seed", "shard_rows", "no_text", "vertical", "handwriting",
                     "workers", "max_failed_fraction", "stall_timeout", mode="before")
    @classmethod
    def _not_bool(cls, value: Any) -> Any:
        return _number_not_bool(value)

    @field_validator("tasks", mode="before")
    @classmethod
    def _task_list(cls, value: Any) -> Any:
        """`tasks: [spotting, parsing]` is shorthand for weight 1 each."""
        return {name: 1.0 for name in value} if isinstance(value, list) else value

    @field_validator("scenes", "profiles", "tasks")
    @classmethod
    def _weights(cls, weights: dict[str, float] | None) -> dict[str, float] | None:
        if weights is None:
            return None
        # NaN passes `w < 0` and an infinite weight makes every probability NaN, so both
        # are refused here rather than failing (or silently dropping a language) per sample
        values = list(weights.values())
        if (not values or not all(math.isfinite(w) and w >= 0 for w in values)
                or not 0 < sum(values) < math.inf):
            raise ValueError("weights must be finite, >= 0, with a positive finite sum")
        return weights

    @field_validator("scene_profiles")
    @classmethod
    def _scene_weights(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for weights in value.values():
            cls._weights(weights)
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("needs at least one language code, or `all`")
        if isinstance(value, dict):
            cls._weights(value)
        return value


def format_validation_error(exc: ValidationError) -> str:
    """One line: the first bad key (dotted path), what is wrong, and what is allowed."""
    errors = exc.errors()
    specific = [e for e in errors if not str(e["type"]).endswith("_type")]
    err = (specific or errors)[0]
    loc = ".".join(str(p) for p in err["loc"] if not _is_union_tag(p)) or "config"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent = _model_at(err["loc"][:-1])
        allowed = ", ".join(parent.model_fields) if parent else ""
        return f"unknown config key {loc!r}; allowed keys: {allowed}"
    hint = SHAPE_HINTS.get(str(err["loc"][0])) if err["loc"] else None
    if hint and (err["type"] == "literal_error" or str(err["type"]).endswith("_type")):
        return f"config key {loc!r} must be {hint}; got {_shown(err.get('input'))}"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 and not specific else ""
    return f"config key {loc!r}: {msg}; got {_shown(err.get('input'))}{more}".replace("\n", " ")


def _shown(value: Any) -> str:
    """The bad value, short and on one line: a 10,000-entry list or a YAML alias bomb (nine
    levels of nine-fold `*anchors`, a 200-byte file) would otherwise print megabytes."""
    short = reprlib.Repr()  # keyword arguments only from Python 3.12
    short.maxlevel, short.maxstring, short.maxother = 3, 120, 120
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 8
    text = short.repr(value).replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        "[" in part or part in {"list", "dict", "tuple"} or part[:1].isupper()
    )


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model at an error's location. A list item (`page_sizes.0`) or a union member is
    named by the member's tag (`function-after[_ordered(), SizeRange]`): its model is the
    one named there (else `page_sizes.0.depth` listed no allowed keys)."""
    model: type[BaseModel] | None = GenerateConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if _is_union_tag(part):
            model = next((m for m in _MODELS if f", {m.__name__}]" in part or part == m.__name__),
                         None)
            continue
        field = model.model_fields.get(str(part)) if model else None
        ann = getattr(field, "annotation", None)
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return model


_MODELS = (SizeRange, ImageOptions, IllegibleOptions, TextOptions, FontOptions)
