"""Run config for `polyglyph generate`: validated once, resolved once, hashed once.

Validation is the schema's (`pipelines.config_schema`: one line naming the bad key and the
allowed values). Resolution turns the user's shorthand (`languages: all`, a profile name) into
explicit data, so the manifest records what the run really used and the config hash changes
whenever the shards would.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipelines.errors import YAML_ERRORS, PolyglyphError, yaml_reason

from .config_schema import EXECUTION_KEYS, GenerateConfig, TextOptions, format_validation_error


def default_config_dict() -> dict[str, Any]:
    text = resources.files("pipelines").joinpath("default.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


MAX_CONFIG_BYTES = 4 << 20  # a run config is a few KB; a page-size list of thousands fits


def read_config_file(path: str | Path) -> dict[str, Any]:
    """`--config` as YAML. A folder is named as one (it is not "not found"); a pipe such as
    `--config <(make-config)` is read like a file; an unreadable file is one line."""
    p = Path(path)
    if p.is_dir():
        raise PolyglyphError(f"config file {p} is a folder; give a YAML file")
    if not p.exists():
        raise PolyglyphError(f"config file not found: {p}")
    try:
        with p.open("rb") as fh:  # capped: `--config /dev/zero` would read forever
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise PolyglyphError(f"config file {p} is over {MAX_CONFIG_BYTES >> 20} MiB; "
                                 "is it a run config?")
        data = yaml.safe_load(raw.decode("utf-8"))
    except OSError as exc:
        raise PolyglyphError(f"config file {p}: cannot read: {exc.strerror or exc}") from None
    except (yaml.YAMLError, *YAML_ERRORS) as exc:  # UnicodeDecodeError is a ValueError
        raise PolyglyphError(f"config file {p} is not valid YAML: {yaml_reason(exc)}") from None
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
    from fonts_manifest.corpus_drawable import report_skipped
    from fonts_manifest.fontdb import check_font_dirs
    from fonts_manifest.registry import FontRegistry

    check_font_dirs(config.font_dirs)  # a mistyped --font-dir was skipped without a word
    # A user's text decides which fonts a language needs: check coverage against it, not UDHR.
    corpus = load_corpus(dict(config.corpus) or None)
    registry = FontRegistry.load(extra_dirs=tuple(config.font_dirs), corpus=corpus)
    report_skipped(registry.corpus)  # rows of a --corpus no installed font draws
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
        raise PolyglyphError(f"target_language: unknown language {config.target_language!r}"
                             f"{registry.why_unknown(config.target_language)}; "
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
    _check_font_filters(config.fonts.include, config.fonts.exclude, languages, registry)
    data["text"] = _resolve_text(config.text, registry)
    data["corpus"] = {code: _file_digest(code, path) for code, path in sorted(config.corpus.items())}
    data["font_dirs"] = [str(Path(d).resolve()) for d in config.font_dirs]
    data.pop("backgrounds", None)
    if config.backgrounds:  # only when set: configs without it keep their hash
        from synth.backgrounds import index_backgrounds

        try:
            data["backgrounds"] = index_backgrounds(config.backgrounds).to_dict()
        except (OSError, ValueError) as exc:  # a page that does not decode; ArrowInvalid too
            raise PolyglyphError(f"--backgrounds {config.backgrounds}: cannot read: {exc}"
                                 ) from None
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


def _check_font_filters(include: list[str], exclude: list[str], languages: dict[str, float],
                        registry: Any) -> None:
    """A `fonts.include` pattern that matches no pool family of the run's languages, or an
    `exclude` that removes them all, would be ignored without a word (pages fall back to the
    language's own chain), so a typo such as `Noto Serf*` is refused here."""
    from fonts_manifest.sampling import allowed_families

    pool: dict[str, str] = {}
    for code in languages:
        pool.update(registry.families(code))
    for pattern in include:
        if not allowed_families(pool, {"include": [pattern]}):
            raise PolyglyphError(
                f"fonts.include {pattern!r}: matches no font family that draws the run's "
                "languages (`polyglyph fonts --language L` lists them)")
    policy = {"include": include, "exclude": exclude}
    if pool and not allowed_families(pool, policy):
        raise PolyglyphError(f"fonts.exclude {exclude}: leaves no font family for the run's "
                             "languages (`polyglyph fonts --language L` lists them)")


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
            f"languages: unknown language {code!r}{registry.why_unknown(code)}{hint}; "
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
