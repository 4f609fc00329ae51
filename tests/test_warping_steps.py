"""Warp steps as objects: a step registered from outside works end to end, pixels and labels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import warping
from pipelines.errors import PolyglyphError
from synth.rng import sample_rng
from warping import params as P
from warping.fidelity import shape_ious, shapes_page
from warping.photometric import apply_photometric
from warping.steps import GEOMETRIC, GeometricStep, PhotometricStep, register, unregister


class Wave(GeometricStep):
    """Rows slide sideways along a sine of y: x' = x + a sin(2 pi y / L) (injective)."""

    name = "test_wave"
    defaults = {"amplitude": [0.005, 0.01], "wavelength": [0.2, 0.5]}

    def sample(self, ranges: Any, rng: np.random.Generator, width: int, height: int) -> dict:
        side = min(width, height)
        return {"amplitude": round(P.uniform(rng, ranges["amplitude"]) * side, 2),
                "wavelength": round(P.uniform(rng, ranges["wavelength"]) * side, 2)}

    def _dx(self, record: dict, y: np.ndarray) -> np.ndarray:
        return record["amplitude"] * np.sin(2 * np.pi * y / record["wavelength"])

    def backward(self, record: dict, pts: np.ndarray) -> tuple[np.ndarray, None]:
        out = np.array(pts, dtype=np.float64)
        out[:, 0] -= self._dx(record, out[:, 1])
        return out, None

    def forward(self, record: dict, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        out = np.array(pts, dtype=np.float64)
        out[:, 0] += self._dx(record, out[:, 1])
        return out


class Darken(PhotometricStep):
    name = "test_darken"
    defaults = {"factor": [0.5, 0.5]}

    def sample(self, ranges: Any, rng: np.random.Generator, width: int, height: int) -> dict:
        return {"factor": P.uniform(rng, ranges["factor"], 3)}

    def apply(self, image: np.ndarray, record: dict, ctx: Any) -> np.ndarray:
        return (image * record["factor"]).astype(np.uint8)


@pytest.fixture
def plugin_steps() -> Iterator[None]:
    register(Wave())
    register(Darken())
    try:
        yield
    finally:
        unregister(Wave.name)
        unregister(Darken.name)


def test_a_registered_step_moves_pixels_and_labels_together(plugin_steps: None,
                                                            tmp_path: Path) -> None:
    profile = tmp_path / "wavy.yaml"
    profile.write_text("geometric:\n  - {step: test_wave, amplitude: [0.02, 0.02]}\n"
                       "photometric:\n  - {step: test_darken}\n", "utf-8")
    page = shapes_page(seed=4, cols=4, rows=5)
    record = warping.sample_warp(str(profile), page.width, page.height, sample_rng(1))
    assert [s["step"] for s in record["geometric"]] == ["test_wave"]
    assert record["photometric"] == [{"step": "test_darken", "factor": 0.5}]
    warped = warping.apply_warp(page, dict(record, photometric=[]))
    moved = [np.abs(np.subtract(a.polygon, b.polygon)).max() if len(a.polygon) == len(b.polygon)
             else np.inf for a, b in zip(warped.lines, page.lines, strict=True)]
    assert max(moved) > 5  # the wave moved the labels...
    ious = shape_ious(warped)  # ...and they still cover their (moved) ink
    assert np.median(ious) >= 0.95 and np.percentile(ious, 5) >= 0.85
    darker = apply_photometric(warped.image, record["photometric"])
    assert int(darker.max()) <= 128 and darker.shape == warped.image.shape


def test_unknown_and_duplicate_steps_are_named(plugin_steps: None, tmp_path: Path) -> None:
    with pytest.raises(PolyglyphError, match="test_wave"):
        register(Wave())
    class NoMaps:  # a geometric step without backward/forward maps
        name, stage, defaults = "test_nomaps", "geometric", {}
        choices = integers = frozenset()

        def sample(self, ranges: Any, rng: Any, width: int, height: int) -> dict:
            return {}

    with pytest.raises(PolyglyphError, match="test_nomaps.*needs backward, forward"):
        register(NoMaps())  # type: ignore[arg-type]
    assert "test_nomaps" not in GEOMETRIC
    bad = tmp_path / "bad.yaml"
    bad.write_text("geometric:\n  - {step: no_such_step}\n", "utf-8")
    with pytest.raises(PolyglyphError, match="no_such_step"):
        warping.load_profile(str(bad))


def test_sample_pinned_keeps_the_pinned_value_and_every_other_draw() -> None:
    step = GEOMETRIC["perspective"]
    ranges = dict(step.defaults)
    free = step.sample(ranges, sample_rng(3), 800, 1000)
    pinned = step.sample_pinned(ranges, sample_rng(3), 800, 1000, {"fill": 0.9})
    assert pinned == {**free, "fill": 0.9}
    with pytest.raises(PolyglyphError, match="perspective: cannot pin zoom"):
        step.sample_pinned(ranges, sample_rng(3), 800, 1000, {"zoom": 1.0})
