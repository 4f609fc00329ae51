"""Every number of a warp profile is range-checked when the profile is read (issue 21, classes
2 and 3): values that used to loop forever, allocate without bound or fail every sample stop
at load time with one line naming the profile, the step and the key."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import warping
from pipelines.errors import PolyglyphError
from warping import camera
from warping.limits import STEP_LIMITS
from warping.profiles import STAGES


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("geometric:\n  - {step: perspective, focal: [-2, -1]}\n", "'focal'"),
        ("grid_step: 100000\n", "grid_step"),
        ("grid_step: 1\n", "grid_step"),
        ("densify_step: .nan\n", "densify_step"),
        ("geometric:\n  - {step: place, canvas: [40, 40]}\n", "'canvas'"),
        ("geometric:\n  - {step: fold, shift: [.nan, .nan]}\n", "'shift'"),
        ("geometric:\n  - {step: fold, shift: [0.01, .inf]}\n", "'shift'"),
        ("photometric:\n  - {step: glare, p: .nan}\n", "'p'"),
        ("photometric:\n  - {step: jpeg, quality: [0, 500]}\n", "'quality'"),
        ("photometric:\n  - {step: motion_blur, kernel: [3, 100001]}\n", "'kernel'"),
        ("photometric:\n  - {step: gauss_noise, sigma: -3}\n", "'sigma'"),
        ("photometric:\n  - {step: low_resolution, scale: [0.0, 0.5]}\n", "'scale'"),
    ],
)
def test_out_of_range_profile_values_fail_with_one_line(
    tmp_path: Path, text: str, culprit: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PolyglyphError) as info:
        warping.load_profile(str(path))
    message = str(info.value)
    assert culprit in message and "\n" not in message and "bad.yaml" in message


def test_every_numeric_step_key_has_limits() -> None:
    """A step added without limits would let its numbers through unchecked (finite only)."""
    missing = [
        f"{name}.{key}"
        for steps in STAGES.values()
        for name, spec in steps.items()
        for key in spec.defaults
        if key not in spec.choices and (name, key) not in STEP_LIMITS
    ]
    assert not missing, f"no limits for {missing}"


def test_builtin_profiles_stay_inside_the_limits() -> None:
    for name in warping.PROFILES:
        warping.load_profile(name)  # raises on a value outside its limits


def test_a_pose_that_cannot_face_the_camera_ends() -> None:
    """Sampling a pose with a negative focal length (bypassing validation) used to loop forever;
    now it ends, head-on, in well under a second."""
    ranges = {"pitch_deg": [10.0, 10.0], "yaw_deg": [10.0, 10.0], "roll_deg": [0.0, 0.0],
              "focal": [-2.0, -1.0], "fill": [1.0, 1.0]}
    started = time.monotonic()
    rec = camera.STEPS["perspective"].sample(ranges, np.random.default_rng(0), 400, 300)
    assert time.monotonic() - started < 1.0
    assert rec["pitch_deg"] == 0.0 and rec["yaw_deg"] == 0.0
