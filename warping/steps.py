"""Warp steps as objects, registered once by name (the pattern of Kornia's augmentation base).

A step object holds everything about one step: its default ranges (what a profile may override),
`sample` (ranges + Generator -> a plain JSON record) and how the record is applied. Geometric
steps give a backward map (output points -> input points, plus the surface quantities shading
needs) and a forward map; the stage (`warping.geometric`) composes them into one grid and moves
pixels and every label with it, without knowing any step by name. Projective steps give only a
3x3 `homography`: the stage merges consecutive ones into one matrix. Photometric steps give
`apply`; steps with the same `fuse` kind that follow each other go through one pass
(`apply_run`, e.g. all light terms in one pass).

Adding a step = a subclass + `register(MyStep())`; profiles accept its name from then on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from fonts_manifest.errors import PolyglyphError
from warping.params import Ranges, Sampler

Record = dict[str, Any]


@dataclass(frozen=True)
class SurfaceFields:
    """Per point: signed crease distances (in falloffs) and paper slope, for shading."""

    creases: list[np.ndarray]
    slope: np.ndarray | None


@runtime_checkable
class StepProtocol(Protocol):
    """What every stage asks of a step (the classes below are the convenient base)."""

    name: str
    stage: str
    defaults: Ranges
    choices: frozenset[str]
    integers: frozenset[str]

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int
               ) -> Record: ...


@runtime_checkable
class GeometricStepProtocol(StepProtocol, Protocol):
    """A geometric step as `warping.geometric` uses it."""

    projective: bool

    def backward(self, record: Record, pts: np.ndarray
                 ) -> tuple[np.ndarray, SurfaceFields | None]: ...

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray: ...

    def split_background(self, record: Record) -> tuple[Record, Record | None]: ...

    def output_frame(self, record: Record) -> tuple[int, int]: ...


@runtime_checkable
class PhotometricStepProtocol(StepProtocol, Protocol):
    """A photometric step as `warping.photometric` uses it."""

    fuse: str | None

    def apply_run(self, image: np.ndarray, records: list[Record], ctx: Any) -> np.ndarray: ...


class WarpStep:
    """A step: name, default ranges, which keys are choices / integers, and `sample`."""

    name: str = ""
    stage: str = ""
    defaults: Ranges = {}
    choices: frozenset[str] = frozenset()  # keys whose value is a list of allowed strings
    integers: frozenset[str] = frozenset()  # keys drawn as integers (inclusive range)

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        """Draw a record (every numeric value rounded: what is recorded is what is applied)."""
        raise NotImplementedError

    def sample_pinned(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int,
                      pinned: Record | None = None) -> Record:
        """`sample`, keeping the values a caller pinned (SynthTIGER's `sample(meta)`).

        Every draw still happens, so pinning one value shifts no other; a pinned key must be
        one the step records. Values the step derives from others inside `sample` are not
        re-derived: pin a range [v, v] in the profile for those.
        """
        record = self.sample(ranges, rng, width, height)
        unknown = sorted(set(pinned or {}) - set(record))
        if unknown:
            raise PolyglyphError(f"warp step {self.name}: cannot pin {', '.join(unknown)}; "
                                 f"it records {', '.join(sorted(record))}")
        return {**record, **(pinned or {})}


class GeometricStep(WarpStep):
    """A step that moves points. `backward` must be injective; `forward` may be approximate
    (labels use it only as the start of the exact numerical inverse of the pixel grid)."""

    stage = "geometric"
    projective: ClassVar[bool] = False

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        """Output points -> input points (N, 2), and the surface fields met there (or None)."""
        raise NotImplementedError

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        """Input points -> output points; `iterations` for fixed-point inverses."""
        raise NotImplementedError

    def split_background(self, record: Record) -> tuple[Record, Record | None]:
        """(record, scene background) for steps that put the page into a scene."""
        return record, None

    def output_frame(self, record: Record) -> tuple[int, int]:
        """The frame size after this step (most steps keep the frame they got)."""
        return int(record["frame"][0]), int(record["frame"][1])


def apply_homography(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Project points; points beyond the horizon (w <= 0) go to infinity along their ray
    instead of wrapping round to a mirrored copy of the page."""
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    x, y = pts[:, 0], pts[:, 1]
    m = matrix / matrix[2, 2] if matrix[2, 2] > 0 else matrix
    d = np.maximum(m[2, 0] * x + m[2, 1] * y + m[2, 2], 1e-6)
    return np.stack(
        [(m[0, 0] * x + m[0, 1] * y + m[0, 2]) / d, (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / d],
        axis=1,
    )


class ProjectiveStep(GeometricStep):
    """A step that is one 3x3 matrix (input frame -> output frame): exactly invertible, and
    merged with its projective neighbours into one matrix by the stage."""

    projective = True

    def homography(self, record: Record) -> np.ndarray:
        raise NotImplementedError

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        return apply_homography(np.linalg.inv(self.homography(record)), pts), None

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        return apply_homography(self.homography(record), pts)


class Homography(GeometricStep):
    """A run of merged projective steps; its "record" is the merged forward matrix."""

    name = "homography"

    def backward(self, record: Any, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        return apply_homography(np.linalg.inv(record), pts), None

    def forward(self, record: Any, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        return apply_homography(record, pts)


HOMOGRAPHY = Homography()


class PhotometricStep(WarpStep):
    """A step that changes pixels only. Consecutive steps of one `fuse` kind are applied
    together by the first one's `apply_run` (one pass instead of one per step)."""

    stage = "photometric"
    fuse: str | None = None

    def apply(self, image: np.ndarray, record: Record, ctx: Any) -> np.ndarray:
        raise NotImplementedError

    def apply_run(self, image: np.ndarray, records: list[Record], ctx: Any) -> np.ndarray:
        for record in records:
            image = self.apply(image, record, ctx)
        return image


Applier = Callable[[np.ndarray, Record, Any], np.ndarray]
RunApplier = Callable[[np.ndarray, list[Record], Any], np.ndarray]


class FunctionStep(PhotometricStep):
    """A photometric step made of a sampler and an applier function (most built-ins)."""

    def __init__(self, name: str, defaults: Ranges, sampler: Sampler, applier: Applier | None,
                 *, fuse: str | None = None, run: RunApplier | None = None,
                 choices: frozenset[str] = frozenset(), integers: frozenset[str] = frozenset()
                 ) -> None:
        self.name = name
        self.defaults, self.choices, self.integers = defaults, choices, integers
        self.fuse = fuse
        self._sampler, self._applier, self._run = sampler, applier, run

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return self._sampler(ranges, rng, width, height)

    def apply(self, image: np.ndarray, record: Record, ctx: Any) -> np.ndarray:
        if self._applier is None:
            return self.apply_run(image, [record], ctx)
        return self._applier(image, record, ctx)

    def apply_run(self, image: np.ndarray, records: list[Record], ctx: Any) -> np.ndarray:
        if self._run is not None:
            return self._run(image, records, ctx)
        return super().apply_run(image, records, ctx)


GEOMETRIC: dict[str, GeometricStep] = {}
PHOTOMETRIC: dict[str, PhotometricStep] = {}
STAGES: dict[str, dict[str, Any]] = {"geometric": GEOMETRIC, "photometric": PHOTOMETRIC}
PROTOCOLS: dict[str, type] = {"geometric": GeometricStepProtocol,
                              "photometric": PhotometricStepProtocol}


def register(step: StepProtocol) -> StepProtocol:
    """Make a step known to profiles and stages by its name (once per name)."""
    stage = getattr(step, "stage", None)
    table = STAGES.get(stage) if isinstance(stage, str) else None
    if table is None or not getattr(step, "name", ""):
        raise PolyglyphError(f"warp step {step!r}: needs a name and a stage (geometric|photometric)")
    if not isinstance(step, PROTOCOLS[stage]):
        missing = sorted(m for m in _members(PROTOCOLS[stage]) if not hasattr(step, m))
        raise PolyglyphError(f"warp step {step.name!r}: a {stage} step needs {', '.join(missing)}")
    if step.name in GEOMETRIC or step.name in PHOTOMETRIC:
        raise PolyglyphError(f"warp step {step.name!r} is registered already")
    table[step.name] = step
    return step


def _members(proto: type) -> set[str]:
    """The public attributes and methods a protocol names (its own and its bases')."""
    names: set[str] = set()
    for base in proto.__mro__:
        if base.__module__ == __name__:
            names |= {k for k in vars(base) if not k.startswith("_")}
            names |= set(getattr(base, "__annotations__", {}))
    return names


def unregister(name: str) -> None:
    """Forget a step (for tests and plug-ins that register steps for one run)."""
    GEOMETRIC.pop(name, None)
    PHOTOMETRIC.pop(name, None)


# The old name of the step type (profiles and benches read `defaults`, `choices`, `integers`).
StepDef = WarpStep
