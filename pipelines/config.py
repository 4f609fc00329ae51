"""Run config for `polyglyph generate`: validated once, resolved once, hashed once.

Validation turns pydantic's error list into one line naming the bad key and the allowed values,
because users read the first line of an error and nothing else. Resolution turns the user's
shorthand (`languages: all`, a profile name) into explicit data, so the manifest records what the
run really used and the config hash changes whenever the shards would.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.errors import PolyglyphError

ImageFormat = Literal["jpeg", "png", "webp"]
Executor = Literal["auto", "local", "ray"]

# Keys that change how a run executes but never the bytes of a shard; left out of the hash.
EXECUTION_KEYS = (
    "num", "out", "workers", "executor", "ray_address", "overwrite", "max_failed_fraction",
    "resume_check",
)
SHAPE_HINTS = {
    "languages": "`all`, a list of language codes, or {code: weight}",
    "page_sizes": "a list of [width, height] or {width: [min, max], height: [min, max]}",
    "scenes": "a mapping {scene: weight}",
    "profiles": "a mapping {profile name or YAML path: weight}",
    "tasks": "null (the default mix) or the tasks to make: a list, or a mapping {task: weight}",
}


class ImageOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: ImageFormat = "jpeg"
    quality: int = Field(90, ge=1, le=100)


class IllegibleOptions(BaseModel):
    """What spotting and parsing views do with lines the warp made illegible (`Line.legible`):
    mark = `###` (ICDAR's don't-care), omit = leave them out."""

    model_config = ConfigDict(extra="forbid")
    spotting: Literal["mark", "omit"] = "mark"
    parsing: Literal["omit", "mark"] = "omit"


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
    dewarp: bool = False
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
    overwrite: bool = False
    max_failed_fraction: float = Field(0.02, ge=0.0, le=1.0)
    resume_check: Literal["sha256", "size"] = "sha256"

    @field_validator("page_sizes")
    @classmethod
    def _sizes(cls, sizes: list[Any]) -> list[Any]:
        if not sizes:
            raise ValueError("needs at least one [width, height] or {width: [..], height: [..]}")
        for size in sizes:
            if isinstance(size, tuple) and not all(16 <= v <= 8192 for v in size):
                raise ValueError(f"size {list(size)} out of range 16..8192")
        return sizes

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
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
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
        return f"config key {loc!r} must be {hint}; got {err.get('input')!r}"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 and not specific else ""
    return f"config key {loc!r}: {msg}; got {err.get('input')!r}{more}".replace("\n", " ")


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        "[" in part or part in {"list", "dict", "tuple"} or part[:1].isupper()
    )


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = GenerateConfig
    for part in loc:
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            return None
    return model


def default_config_dict() -> dict[str, Any]:
    text = resources.files("pipelines").joinpath("default.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def read_config_file(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise PolyglyphError(f"config file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PolyglyphError(f"config file {p} is not valid YAML: {first}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolyglyphError(f"config file {p} must be a mapping of keys, got {type(data).__name__}")
    return data


def build_config(
    config_file: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> GenerateConfig:
    """Packaged defaults, then the file's top-level keys, then flag overrides; validated."""
    data = default_config_dict()
    if config_file is not None:
        given = read_config_file(config_file)
        own = given.get("scene_profiles")
        if isinstance(own, dict) and own and isinstance(data.get("scene_profiles"), dict):
            given["scene_profiles"] = {**data["scene_profiles"], **own}  # `{}` still clears all
        data.update(given)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key in ("image", "text", "scene_profiles") and isinstance(value, dict) and isinstance(data.get(key), dict):
            value = {**data[key], **value}  # scene_profiles: a pinned scene, the others keep theirs
        data[key] = value
    try:
        return GenerateConfig.model_validate(data)
    except ValidationError as exc:
        raise PolyglyphError(format_validation_error(exc)) from None


def resolve_config(config: GenerateConfig) -> dict[str, Any]:
    """Explicit content-defining config: language weights, loaded profiles, corpus file hashes.

    The result is plain JSON data: it goes into the manifest, it is what workers receive, and
    its hash names the run.
    """
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry

    # A user's text decides which fonts a language needs: check coverage against it, not UDHR.
    corpus = load_corpus(dict(config.corpus) or None)
    registry = FontRegistry.load(extra_dirs=tuple(config.font_dirs), corpus=corpus)
    usable = {info.code: info for info in registry.languages()}
    languages = _resolve_languages(config.languages, usable, registry)
    if config.balance == "script" and not isinstance(config.languages, dict):
        languages = _balance_by_script(languages, usable)
    scenes = _check_scenes(config.scenes)
    data = config.model_dump(mode="json", exclude=set(EXECUTION_KEYS))
    data["scenes"] = scenes
    data["languages"] = languages
    data["tasks"] = _check_tasks(config.tasks)
    # The target language only feeds the translation view: its text must exist, its fonts
    # never matter (the page is drawn in the source language).
    target = registry.known(config.target_language)
    if target is None:
        raise PolyglyphError(f"target_language: unknown language {config.target_language!r}; "
                             f"`polyglyph languages --all` lists the corpus codes")
    data["target_language"] = target
    data["profiles"] = {
        name: {"weight": float(w), "profile": _load_profile(name)}
        for name, w in sorted(config.profiles.items())
        if w > 0
    }
    data.pop("scene_profiles", None)
    own = _scene_profiles(config.scene_profiles, scenes)
    if own:  # only when a scene of the run has its own: older configs keep their hash
        data["scene_profiles"] = own
    if config.validate_judges:  # unknown judge names fail here, in one line
        from qa_factory.judges import get_judge

        for name in config.validate_judges:
            get_judge(name)
    data["text"] = _resolve_text(config.text, registry)
    data["corpus"] = {code: _file_digest(code, path) for code, path in sorted(config.corpus.items())}
    data["font_dirs"] = [str(Path(d).resolve()) for d in config.font_dirs]
    data.pop("backgrounds", None)
    if config.backgrounds:  # only when set: configs without it keep their hash
        from synth.backgrounds import index_backgrounds

        data["backgrounds"] = index_backgrounds(config.backgrounds).to_dict()
    return data


def _resolve_text(text: TextOptions, registry: Any) -> dict[str, Any]:
    """Text mix with canonical language codes, plus the versions of the sources it reads
    (a new wordfreq release changes the pages, so it changes the config hash too)."""
    from fonts_manifest.textsources import source_versions

    languages: dict[str, dict[str, float]] = {}
    for code, weights in sorted(text.languages.items()):
        try:
            canonical = registry.language(code).code
        except PolyglyphError as exc:
            raise PolyglyphError(f"text.languages: {exc}") from None
        languages[canonical] = {k: float(v) for k, v in sorted(weights.items())}
    return {"sources": {k: float(v) for k, v in sorted(text.sources.items())},
            "languages": languages, "versions": source_versions()}


def config_hash(resolved: dict[str, Any]) -> str:
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _resolve_languages(value: Any, usable: dict[str, Any], registry: Any) -> dict[str, float]:
    """{canonical code: weight}; any spelling the registry resolves (`zh`, `de`, `pt_BR`,
    `deu`) names its corpus code, two spellings of one language with weights are an error."""
    if value == "all":
        if not usable:
            raise PolyglyphError("languages: no usable language found (check fonts and corpus)")
        return {code: 1.0 for code in sorted(usable)}
    weights = {code: 1.0 for code in value} if isinstance(value, list) else dict(value)
    resolved: dict[str, float] = {}
    spelled: dict[str, str] = {}
    for code, weight in weights.items():
        canonical = _canonical_language(code, usable, registry)
        if isinstance(value, dict) and canonical in spelled:
            raise PolyglyphError(f"languages: {spelled[canonical]!r} and {code!r} both name "
                                 f"{canonical}; give it one weight")
        spelled[canonical] = code
        resolved[canonical] = weight
    return {code: float(w) for code, w in sorted(resolved.items()) if w > 0}


def _canonical_language(code: str, usable: dict[str, Any], registry: Any) -> str:
    from fonts_manifest.codes import suggestions

    canonical = registry.known(code)
    if canonical is not None and canonical not in usable:
        registry.language(canonical)  # text no font draws: its error names the character
    if canonical is None or canonical not in usable:
        near = suggestions(code, sorted(usable))
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise PolyglyphError(
            f"languages: unknown language {code!r}{hint}; "
            f"`polyglyph languages` lists the {len(usable)} usable codes"
        )
    return canonical


def _balance_by_script(languages: dict[str, float], usable: dict[str, Any]) -> dict[str, float]:
    """Every script gets the same share, split evenly among its languages (with `all`, Latin
    would otherwise take most samples: most UDHR languages are written in it)."""
    by_script: dict[str, list[str]] = {}
    for code in languages:
        by_script.setdefault(usable[code].script, []).append(code)
    return {
        code: 1.0 / (len(by_script) * len(codes))
        for codes in by_script.values()
        for code in codes
    }


def _check_scenes(scenes: dict[str, float]) -> dict[str, float]:
    """Unknown scenes are errors. Scenes of this build that cannot load are errors when the user
    asked for them, and quietly left out when they only come from the packaged defaults."""
    from synth.render import SCENES, available_scenes

    for name in scenes:
        if name not in SCENES:
            raise PolyglyphError(f"scenes: unknown scene {name!r}; allowed: {', '.join(SCENES)}")
    ready = set(available_scenes())
    missing = [name for name, w in scenes.items() if w > 0 and name not in ready]
    if not missing:
        return scenes
    if scenes != default_config_dict()["scenes"]:
        raise PolyglyphError(f"scenes: scene {missing[0]!r} is not available in this build; "
                             f"available: {', '.join(sorted(ready))}")
    kept = {name: w for name, w in scenes.items() if name in ready}
    if not kept:
        raise PolyglyphError("scenes: no scene of this build can be rendered")
    print(f"polyglyph: note: default scenes not in this build left out: {', '.join(missing)}",
          file=sys.stderr)
    return kept


def _scene_profiles(mapping: dict[str, dict[str, float]], scenes: dict[str, float]
                    ) -> dict[str, dict[str, Any]]:
    """Loaded profiles of the scenes of this run that have their own (others use `profiles`)."""
    from synth.render import SCENES

    for name, weights in mapping.items():
        if name not in SCENES:
            raise PolyglyphError(f"scene_profiles: unknown scene {name!r}; allowed: {', '.join(SCENES)}")
        for profile in weights:  # a typo is an error even while its scene is not drawn
            try:
                _load_profile(profile)
            except PolyglyphError as exc:
                raise PolyglyphError(f"scene_profiles.{name}: {exc}".replace(": profiles:", ":", 1)
                                     ) from None
    return {
        scene: {name: {"weight": float(w), "profile": _load_profile(name)}
                for name, w in sorted(weights.items()) if w > 0}
        for scene, weights in sorted(mapping.items())
        if scenes.get(scene, 0) > 0
    }


def _check_tasks(tasks: dict[str, float] | None) -> dict[str, float] | None:
    """None keeps qa_factory's default mix; a mapping selects exactly the tasks it names:
    every other task gets weight 0 (written out, so the manifest shows the whole mix)."""
    from qa_factory.views import TASKS

    if tasks is None:
        return None
    for name in tasks:
        if name not in TASKS:
            raise PolyglyphError(f"tasks: unknown task {name!r}; allowed: {', '.join(TASKS)}")
    return {name: float(tasks.get(name, 0.0)) for name in TASKS}


def _load_profile(name_or_path: str) -> dict[str, Any]:
    from warping.profiles import load_profile

    try:
        return json.loads(json.dumps(load_profile(name_or_path), default=_json_default))
    except PolyglyphError as exc:
        raise PolyglyphError(f"profiles: {exc}") from None
    except (OSError, ValueError, KeyError) as exc:
        raise PolyglyphError(f"profiles: cannot load profile {name_or_path!r}: {exc}") from None


def _file_digest(code: str, path: str) -> dict[str, Any]:
    """A corpus source as the manifest records it: where, how many rows, sha256 of its bytes
    (streamed; a directory or glob hashes every file it holds, in sorted order)."""
    from fonts_manifest.corpus_stream import open_corpus

    try:
        stream = open_corpus(path)
        digest = stream.digest()
    except PolyglyphError as exc:
        raise PolyglyphError(f"corpus: {code}={path}: {str(exc).removeprefix('--corpus ')}") from None
    where = path if "://" in path else str(Path(path).expanduser().resolve())
    return {"path": where, "files": len(stream.files), "rows": stream.total, "sha256": digest}


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)
