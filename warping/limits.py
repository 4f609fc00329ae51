"""The range every number in a warp profile may take, checked when the profile is read.

Why a table and not trust: a value outside these ranges either never ends (a negative focal
length kept the camera's "page in front" search shrinking the tilt forever), allocates without
bound (`grid_step: 100000` of a grid, `canvas: [40, 40]` = a 40x wider frame), or fails every
sample later with a traceback (NaN, inf). Each limit is wide enough for any sensible photo and
is documented next to the step defaults it guards; a key with no entry here must still be a
finite number.
"""

from __future__ import annotations

import math

# (step, key) -> inclusive (low, high). Sizes are fractions of the page's short side.
STEP_LIMITS: dict[tuple[str, str], tuple[float, float]] = {
    # geometric
    ("rotate", "angle_deg"): (0.0, 180.0),
    ("perspective", "pitch_deg"): (0.0, 60.0),
    ("perspective", "yaw_deg"): (0.0, 60.0),
    ("perspective", "roll_deg"): (0.0, 180.0),
    ("perspective", "focal"): (0.3, 10.0),  # focal length in frame diagonals
    ("perspective", "fill"): (0.1, 1.0),
    ("place", "canvas"): (0.5, 3.0),  # output frame over page size (memory grows with its square)
    ("place", "zoom"): (0.05, 3.0),
    ("place", "crop"): (0.0, 0.9),
    ("place", "tone"): (0.0, 1.0),
    ("place", "min_text_px"): (0.0, 200.0),
    ("curl", "start"): (0.0, 1.0),
    ("curl", "angle_deg"): (0.0, 180.0),
    ("curl", "toward"): (0.0, 1.0),
    ("curl", "focal"): (0.3, 10.0),
    ("fold", "count"): (0.0, 12.0),
    ("fold", "position"): (0.0, 1.0),
    ("fold", "tilt_deg"): (0.0, 45.0),
    ("fold", "diagonal"): (0.0, 1.0),
    ("fold", "shift"): (0.0, 0.2),
    ("fold", "falloff"): (0.001, 1.0),
    ("fold", "direction_deg"): (0.0, 180.0),
    ("crumple", "modes"): (1.0, 64.0),
    ("crumple", "wavelength"): (0.01, 5.0),
    ("crumple", "amplitude"): (0.0, 0.05),
    ("lens", "k1"): (0.0, 0.15),  # injective while 1 + 3 k1 r^2 > 0 (warping/lens.py)
    # photometric
    ("crease_shading", "dark"): (0.0, 1.0),
    ("crease_shading", "width"): (0.001, 1.0),
    ("crease_shading", "tilt"): (0.0, 1.0),
    ("crease_shading", "curl_dark"): (0.0, 1.0),
    ("shadow", "reach"): (0.0, 1.0),
    ("shadow", "intensity"): (0.0, 1.0),
    ("shadow", "softness"): (0.0, 0.5),
    ("lighting_gradient", "intensity"): (0.0, 1.0),
    ("glare", "radius"): (0.001, 2.0),
    ("glare", "strength"): (0.0, 1.0),
    ("drop_shadow", "offset"): (0.0, 0.5),
    ("drop_shadow", "softness"): (0.0, 0.5),
    ("drop_shadow", "intensity"): (0.0, 1.0),
    ("backlight", "exposure"): (0.05, 2.0),
    ("backlight", "bloom"): (0.0, 1.0),
    ("backlight", "reach"): (0.001, 2.0),
    ("color_cast", "red"): (0.2, 3.0),
    ("color_cast", "blue"): (0.2, 3.0),
    ("ink_bleed", "radius"): (0.0, 10.0),
    ("ink_bleed", "strength"): (0.0, 1.0),
    ("bleed_through", "opacity"): (0.0, 1.0),
    ("bleed_through", "blur"): (0.0, 20.0),
    ("motion_blur", "kernel"): (1.0, 99.0),
    ("motion_blur", "direction"): (-1.0, 1.0),
    ("defocus", "radius"): (0.0, 30.0),
    ("defocus", "alias_blur"): (0.0, 5.0),
    ("low_resolution", "scale"): (0.05, 1.0),
    ("gauss_noise", "sigma"): (0.0, 100.0),
    ("poisson_noise", "scale"): (0.0, 1.0),
    ("jpeg", "quality"): (1.0, 100.0),
    ("fingers", "count"): (1.0, 5.0),
    ("fingers", "width"): (0.01, 0.3),
    ("fingers", "reach"): (0.0, 1.0),
    ("fingers", "blur"): (0.0, 10.0),
    ("low_light", "exposure"): (0.02, 1.0),
    ("low_light", "read"): (0.0, 30.0),
    ("moire", "period"): (1.5, 100.0),
    ("moire", "beat"): (0.0, 1.0),
    ("moire", "strength"): (0.0, 1.0),
    # spreads: the seen distance stays monotone while the slope stays under 90 degrees
    ("book", "bend"): (0.02, 1.0),
    ("book", "angle_deg"): (0.0, 80.0),
    ("book", "focal"): (0.5, 10.0),
    ("book", "gutter"): (0.01, 0.5),  # the gutter shadow's fall-off, of the spread's width
    ("tear", "count"): (1.0, 10.0),
    ("clutter", "count"): (1.0, 6.0),
    ("clutter", "size"): (0.02, 1.0),
    ("clutter", "reach"): (-0.5, 1.0),
    ("clutter", "shadow"): (0.0, 0.1),
    ("clutter", "darkness"): (0.0, 0.95),
    ("clutter", "blur"): (0.0, 10.0),
    ("ink_smudge", "count"): (1.0, 10.0),
    ("ink_smudge", "size"): (0.01, 0.6),
    ("ink_smudge", "strength"): (0.0, 1.0),
}
GRID_STEP = (2, 64)  # px between coarse grid nodes: past 64 a curl is no longer followed
DENSIFY_STEP = (0.0, 200.0)  # px; 0 = no extra label points


def check_limits(step: str, key: str, low: float, high: float) -> str | None:
    """None when [low, high] is finite and inside the key's limits, else why not (one line)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{key!r} must be finite, got [{low}, {high}]"
    bounds = STEP_LIMITS.get((step, key))
    if bounds is not None and (low < bounds[0] or high > bounds[1]):
        return f"{key!r} must lie in [{bounds[0]:g}, {bounds[1]:g}], got [{low:g}, {high:g}]"
    return None
