"""Warp profiles: YAML lists of steps, each with a probability and parameter (severity) ranges.

Built-in profiles live in `warping/profiles/*.yaml`; a user passes a path to their own file:

    name: my-photos            # optional; defaults to the file name
    dewarp: false              # store the 1/8 backward map in page.extras["dewarp_map"]
    grid_step: 8               # coarse grid spacing (px); densify_step: label edge points (px)
    geometric:                 # forward order: paper first (curl, fold, crumple), then camera
      - {step: fold, p: 0.8, count: [1, 3], shift: [0.006, 0.02]}
      - {step: perspective, p: 1, pitch_deg: [0, 15]}
      - {step: place, background: [wood, image], images: [desk.jpg], crop: [0, 0.05]}
    photometric:
      - {step: shadow, p: 0.5}
      - {step: jpeg, quality: [50, 90]}

Every key a step leaves out keeps its default range; `p` defaults to 1. Ranges are [low, high]
(a single number means exactly that); a few keys take lists of choices. Every number is checked
against the key's limits (`warping.limits`: finite, and e.g. `focal` in [0.3, 10], `canvas` in
[0.5, 3], `grid_step` in [2, 64]) when the profile is read. Sizes are fractions of
the page's short side, angles in degrees. Validation resolves every step against its defaults
and stops at the first problem with one line naming the profile, the step and the key.
"""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fonts_manifest.errors import YAML_ERRORS, PolyglyphError, yaml_reason
from warping import camera, clutter, lens, photometric, spread, surface, tear  # noqa: F401  (they register the built-in steps)
from warping.limits import DENSIFY_STEP, GRID_STEP, check_limits
from warping.scene import KINDS as BACKGROUND_KINDS
from warping.steps import STAGES, StepDef

PROFILES = ("clean", "scan", "photo", "wild", "screen", "street", "tiny", "scene-photo", "scene-wild")
# what a paper profile means for inputs that are already photos (`polyglyph variants`):
# re-photographed, never shrunk onto a table
SCENE_FAMILY = {"photo": "scene-photo", "wild": "scene-wild", "tiny": "scene-wild"}
# Scenes that are not paper keep their own kind of profile (a screenshot is not photographed
# paper): pipelines/default.yaml's `scene_profiles` says the same; a user pins another per scene
# (`--profile screenshot=wild`, config `scene_profiles:`). `preview` reads this table.
SCENE_PROFILES: dict[str, dict[str, float]] = {
    "screenshot": {"screen": 1.0}, "video-frame": {"screen": 1.0}, "game-ui": {"screen": 1.0},
    "scene-text": {"street": 1.0}, "poster": {"street": 1.0, "clean": 1.0},
}


def scene_profile(scene: str, default: str, pinned: dict[str, str] | None = None) -> str:
    """The profile a one-profile tool (preview) uses for a scene: the user's pin for that scene,
    else the scene's own (its heaviest; a tie goes to the one other than `clean`, which shows
    more), else `default`."""
    if pinned and scene in pinned:
        return pinned[scene]
    own = SCENE_PROFILES.get(scene)
    if own:
        return max(own, key=lambda name: (own[name], name != "clean", name))
    return default
# STAGES (warping.steps): stage -> the registry of its steps, so a step registered later
# (a plug-in, a test) is a valid profile step from then on
TOP_KEYS = {"name", "description", "grid_step", "densify_step", "dewarp", *STAGES}
FREE_CHOICES = {"images"}  # choice keys whose values are user data, not a fixed vocabulary


# libyaml's parser when PyYAML was built with it: the pure-Python one took ~5 ms per profile
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_profile(name_or_path: str | os.PathLike[str]) -> dict[str, Any]:
    """A built-in profile by name, or a user's YAML file by path; validated and resolved.

    Built-ins are package data that cannot change while we run, so each is parsed once per
    process (`sample_warp("wild", ...)` resolves its profile on every call); every caller gets
    its own copy to change as it likes."""
    name = str(name_or_path)
    if name in PROFILES:
        return json.loads(_builtin_json(name))
    path = Path(name)
    if not path.is_file():
        raise PolyglyphError(
            f"warp profile {name!r} is neither a built-in ({', '.join(PROFILES)}) nor a file"
        )
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise PolyglyphError(f"warp profile {name!r}: not a UTF-8 text file") from None
    except OSError as exc:
        raise PolyglyphError(f"warp profile {name!r}: cannot read: {exc.strerror}") from None
    return _parse_profile(text, str(path))


@functools.cache
def _builtin_json(name: str) -> str:
    text = resources.files("warping").joinpath(f"profiles/{name}.yaml").read_text("utf-8")
    return json.dumps(_parse_profile(text, name))


def _parse_profile(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader, C or Python
    except (yaml.YAMLError, *YAML_ERRORS) as exc:
        raise PolyglyphError(f"warp profile {source!r}: not valid YAML: {yaml_reason(exc)}"
                             ) from None
    return validate_profile(data, source)


def validate_profile(data: Any, source: str = "<dict>") -> dict[str, Any]:
    """Check a profile mapping and return it with every step's ranges filled from defaults."""
    where = f"warp profile {source!r}"
    if not isinstance(data, dict):
        raise PolyglyphError(f"{where}: expected a mapping with 'geometric'/'photometric' lists")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise PolyglyphError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})"
        )
    out: dict[str, Any] = {
        "name": str(data.get("name", Path(source).stem)),
        "description": str(data.get("description", "")),
        "grid_step": _bounded_int(data.get("grid_step", 8), GRID_STEP, f"{where}: grid_step"),
        "densify_step": _bounded_number(
            data.get("densify_step", 6.0), DENSIFY_STEP, f"{where}: densify_step"
        ),
        "dewarp": _boolean(data.get("dewarp", False), f"{where}: dewarp"),
    }
    for stage, known in STAGES.items():
        steps = data.get(stage) or []
        if not isinstance(steps, list):
            raise PolyglyphError(f"{where}: {stage!r} must be a list of steps")
        out[stage] = [_validate_step(s, i, stage, known, where) for i, s in enumerate(steps)]
    return out


def _validate_step(
    step: Any, index: int, stage: str, known: dict[str, StepDef], where: str
) -> dict[str, Any]:
    if not isinstance(step, dict) or "step" not in step:
        raise PolyglyphError(f"{where}: {stage} entry {index + 1} needs a 'step' key")
    name = step["step"]
    if name not in known:
        raise PolyglyphError(
            f"{where}: {stage} step {name!r} is unknown (known: {', '.join(sorted(known))})"
        )
    spec = known[name]
    here = f"{where}: step {name!r}"
    resolved: dict[str, Any] = {"step": name, "p": 1.0}
    resolved.update({k: list(v) for k, v in spec.defaults.items()})
    for key, value in step.items():
        if key == "step":
            continue
        if key == "p":
            if not _is_number(value) or not 0.0 <= float(value) <= 1.0:  # NaN fails too
                raise PolyglyphError(f"{here}: 'p' must be a probability in [0, 1], got {value!r}")
            resolved["p"] = float(value)
        elif key not in spec.defaults:
            known_keys = ", ".join(["p", *sorted(spec.defaults)])
            raise PolyglyphError(f"{here}: unknown key {key!r} (known: {known_keys})")
        elif key in spec.choices:
            resolved[key] = _validate_choices(value, spec.defaults[key], key, here)
        else:
            resolved[key] = _validate_range(value, key in spec.integers, key, here)
            problem = check_limits(name, key, *resolved[key])
            if problem:
                raise PolyglyphError(f"{here}: {problem}")
    return resolved


def _validate_choices(value: Any, allowed: list[Any], key: str, here: str) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if key in FREE_CHOICES:
        for v in values:
            if not isinstance(v, str) or not Path(v).is_file():
                raise PolyglyphError(f"{here}: {key!r} entry {v!r} is not a readable file")
        return list(values)
    vocabulary = BACKGROUND_KINDS if key == "background" else allowed
    if not values or any(v not in vocabulary for v in values):
        raise PolyglyphError(
            f"{here}: {key!r} must be a non-empty list from {list(vocabulary)}, got {value!r}"
        )
    return list(values)


def _validate_range(value: Any, integers: bool, key: str, here: str) -> list[float]:
    if _is_number(value):
        value = [value, value]
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(_is_number(v) for v in value)
        or float(value[0]) > float(value[1])
    ):
        raise PolyglyphError(
            f"{here}: {key!r} must be a range [low, high] with low <= high, got {value!r}"
        )
    if integers:
        if any(float(v) != int(v) for v in value):
            raise PolyglyphError(f"{here}: {key!r} takes whole numbers, got {value!r}")
        return [int(value[0]), int(value[1])]
    return [float(value[0]), float(value[1])]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bounded_int(value: Any, bounds: tuple[int, int], where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not bounds[0] <= value <= bounds[1]:
        raise PolyglyphError(
            f"{where} must be a whole number in [{bounds[0]}, {bounds[1]}], got {value!r}"
        )
    return value


def _bounded_number(value: Any, bounds: tuple[float, float], where: str) -> float:
    # NaN fails both comparisons, so it is refused here too
    if not _is_number(value) or not bounds[0] <= float(value) <= bounds[1]:
        raise PolyglyphError(
            f"{where} must be a number in [{bounds[0]:g}, {bounds[1]:g}], got {value!r}"
        )
    return float(value)


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PolyglyphError(f"{where} must be true or false, got {value!r}")
    return value
