"""Our illumination fields and blur kernels (`warping.kernels`) against albumentations 2.0.8,
which computed them before: records keep their meaning. albumentations is the oracle here and
nowhere else: a worker making a row must not import it (~58 MiB RSS each).

The comparison is at a stated tolerance, not bit for bit: the fields are float32 arithmetic in
another library (and in numpy/OpenCV underneath it), whose last bit moves between releases
(numpy 2.4 vs 2.3 differ by one ulp on ~3 % of values). Bit-identity is polyglyph's promise
about its own output, checked against recorded digests (tests/test_golden.py), not about
another library's rounding."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import albumentations.augmentations.blur.functional as ablur
import albumentations.augmentations.pixel.functional as apixel
import numpy as np
import pytest

from warping.kernels import (
    corner_illumination,
    defocus_kernel,
    gaussian_illumination,
    linear_illumination,
    motion_kernel,
)

ROOT = Path(__file__).resolve().parent.parent
# lattices of the worker (1/8 of 1024x1448 and of a landscape page), odd and tiny ones
SHAPES = [(181, 128), (96, 181), (37, 5), (2, 3), (1, 64)]
# Two float32 ulps at 1.0 (2.4e-7): far below one pixel level (1/255 = 3.9e-3 of a gain), above
# the one-ulp drift between numpy/OpenCV releases. albumentations' corner distances
# (cv2.distanceTransform) are off by up to a float32 ulp as well.
ULP_TOLERANCE = 2 * float(np.finfo(np.float32).eps)


def _ones(shape: tuple[int, int]) -> np.ndarray:
    return np.ones((*shape, 3), np.float32)


def _close(ours: np.ndarray, reference: np.ndarray) -> None:
    """Equal to the reference within `ULP_TOLERANCE` (a gain, so pixels do not move)."""
    assert ours.dtype == np.float32
    assert ours.shape == reference.shape[:2]
    assert np.abs(ours - reference[..., 0]).max() <= ULP_TOLERANCE


@pytest.mark.parametrize("shape", SHAPES)
def test_linear_field_matches_albumentations(shape: tuple[int, int]) -> None:
    # on the axes albumentations' ramp already spans [0, 1]; elsewhere ours is rescaled
    for intensity in (-0.3, -0.05, 0.0, 0.05, 0.3):
        for angle in (0.0, 90.0):
            reference = apixel.apply_linear_illumination(_ones(shape), intensity, angle)
            _close(linear_illumination(*shape, intensity, angle), reference)


@pytest.mark.parametrize("angle", [0.0, 6.2831, 45.0, 100.0, 180.0, 228.46, 301.0, 359.0])
def test_linear_field_darkens_half_the_page_at_every_angle(angle: float) -> None:
    for intensity in (-0.3, 0.1):
        gain = linear_illumination(60, 80, intensity, angle)
        assert gain.min() == pytest.approx(1.0 - abs(intensity), abs=1e-6)
        assert gain.max() == 1.0
        assert 0.3 < float((gain < 1.0).mean()) < 0.7


@pytest.mark.parametrize("shape", SHAPES)
def test_gaussian_field_matches_albumentations(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    for intensity in (-0.3, -0.12, 0.0, 0.2):
        for _ in range(6):
            center = (float(rng.uniform(0, 1)), float(rng.uniform(0, 1)))
            sigma = float(rng.uniform(0.2, 0.8))
            reference = apixel.apply_gaussian_illumination(
                _ones(shape), intensity, center, sigma
            )
            _close(gaussian_illumination(*shape, intensity, center, sigma), reference)


@pytest.mark.parametrize("shape", SHAPES)
def test_corner_field_matches_albumentations(shape: tuple[int, int]) -> None:
    for intensity in (-0.2, 0.0, 0.05, 0.3):
        for corner in range(4):
            reference = apixel.apply_corner_illumination(_ones(shape), intensity, corner)
            _close(corner_illumination(*shape, intensity, corner), reference)


def test_fields_darken_where_they_should() -> None:
    """Not only equal to the reference: the reference's meaning, spelled out."""
    corner = corner_illumination(100, 80, 0.3, 2)  # bottom-right stays lit, top-left darkest
    assert corner[-1, -1] == 1.0
    assert corner[0, 0] == pytest.approx(1 - 0.3 * np.hypot(99, 79) / np.hypot(100, 80))
    bright = gaussian_illumination(50, 50, 0.3, (0.5, 0.5), 0.3)
    assert (bright == 1.0).all()  # clipped: a bright spot does nothing
    dim = gaussian_illumination(50, 50, -0.3, (0.5, 0.5), 0.3)
    assert dim[25, 25] == pytest.approx(0.7, abs=1e-3) and dim[0, 0] > dim[25, 25]
    ramp = linear_illumination(10, 100, -0.2, 0.0)
    assert ramp[0, 0] == 1.0 and ramp[0, -1] == pytest.approx(0.8, abs=1e-6)


def test_motion_kernel_matches_albumentations() -> None:
    rng = np.random.default_rng(2)
    cases = [(size, a, d) for size in (3, 5, 7, 9) for a in range(0, 360, 15)
             for d in (-1.0, -0.5, -0.25, 0.0, 0.3, 0.5, 1.0)]  # fmt: skip
    cases += [(int(rng.choice([3, 5, 7, 9, 15, 31])), float(rng.uniform(0, 180)),
               float(rng.uniform(-1, 1))) for _ in range(400)]  # fmt: skip
    for size, angle, direction in cases:
        ours = motion_kernel(size, angle, direction)
        reference = ablur.create_motion_kernel(size, angle, direction, False, random.Random(0))
        assert ours.dtype == np.float32
        assert ours.shape == reference.shape, (size, angle, direction)
        assert np.abs(ours - reference).max() <= ULP_TOLERANCE, (size, angle, direction)


def test_defocus_kernel_matches_albumentations() -> None:
    """albumentations' defocus of a unit impulse is its kernel; trimmed by our rule."""
    impulse = np.zeros((61, 61), np.float32)
    impulse[30, 30] = 1.0
    for radius in (1, 2, 3, 5, 8, 9, 12):
        for alias_blur in (0.05, 0.1, 0.2, 0.5, 1.0):
            full = ablur.defocus(impulse, radius, alias_blur)
            rows, cols = np.nonzero(full >= 1e-3 * full.max())
            reference = full[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
            ours = defocus_kernel(radius, alias_blur)
            assert ours.shape == reference.shape, (radius, alias_blur)
            assert np.abs(ours - reference / reference.sum()).max() < 1e-7
            assert ours.sum() == pytest.approx(1.0, abs=1e-6)


_WORKER = """
import json, sys
from pipelines.config import build_config, config_hash, resolve_config
from pipelines.sample import make_row, worker_context
import warping
from synth.rng import sample_rng
from warping.lighting import ShadingContext
from warping.photometric import STEPS, apply_photometric, sample_photometric
import numpy as np

config = resolve_config(build_config(None, {"languages": ["en"], "profiles": {"wild": 1.0},
                                            "seed": 3, "num": 1}))
row = make_row(config, 0, worker_context(config, config_hash(config)))
steps = [{"step": n, "p": 1.0, **STEPS[n].defaults} for n in STEPS]
for kind in ("linear", "gaussian", "corner"):
    steps[[s["step"] for s in steps].index("lighting_gradient")]["kind"] = [kind]
    records = sample_photometric(steps, 200, 160, sample_rng(5))
    apply_photometric(np.full((160, 200, 3), 200, np.uint8), records, ShadingContext())
print(json.dumps({"row": sorted(row), "steps": [r["step"] for r in records],
                  "loaded": sorted(m for m in sys.modules
                                   if m.split(".")[0] in ("albumentations", "albucore"))}))
"""


def test_a_worker_making_a_wild_row_does_not_import_albumentations() -> None:
    """In a fresh interpreter, so other tests' imports don't count."""
    done = subprocess.run([sys.executable, "-c", _WORKER], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "image" in report["row"]
    assert {"lighting_gradient", "motion_blur", "defocus"} <= set(report["steps"])
    assert report["loaded"] == []
