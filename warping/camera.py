"""Projective steps: in-plane rotation, camera pose (perspective) and placement into a scene.

Each is one 3x3 homography (page frame -> next frame), so each is exactly invertible; the
record holds the drawn pose, and the matrix is rebuilt from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from warping import params as P
from warping.params import Ranges
from warping.steps import GEOMETRIC, ProjectiveStep, Record, apply_homography, register


def _translate(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _scale(s: float) -> np.ndarray:
    return np.diag([s, s, 1.0])


def homography(record: dict[str, Any]) -> np.ndarray:
    """Forward matrix (input frame -> output frame) of a projective step's record."""
    return GEOMETRIC[record["step"]].homography(record)  # type: ignore[attr-defined]


def output_frame(record: dict[str, Any]) -> tuple[int, int]:
    return GEOMETRIC[record["step"]].output_frame(record)


def _camera(record: dict[str, Any], w: int, h: int) -> tuple[np.ndarray, float]:
    px, py, pz = (np.deg2rad(record[k]) for k in ("pitch_deg", "yaw_deg", "roll_deg"))
    rx = np.array([[1, 0, 0], [0, np.cos(px), -np.sin(px)], [0, np.sin(px), np.cos(px)]])
    ry = np.array([[np.cos(py), 0, np.sin(py)], [0, 1, 0], [-np.sin(py), 0, np.cos(py)]])
    rz = np.array([[np.cos(pz), -np.sin(pz), 0], [np.sin(pz), np.cos(pz), 0], [0, 0, 1]])
    return rz @ ry @ rx, record["focal"] * float(np.hypot(w, h))


def _page_in_front(record: dict[str, Any], w: int, h: int, margin: float = 0.3) -> bool:
    """Every page corner at least `margin` of the focal length in front of the camera."""
    r, f = _camera(record, w, h)
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]], float) / 2
    depth = f + corners @ r[2, :2]
    return bool(depth.min() >= margin * f)


def _perspective(record: dict[str, Any], w: int, h: int) -> np.ndarray:
    """Page plane turned by (pitch, yaw, roll) about its centre, seen by a pinhole camera, then
    scaled and centred so the projected page fills `fill` of the frame."""
    r, f = _camera(record, w, h)
    project = np.array(
        [[f * r[0, 0], f * r[0, 1], 0.0], [f * r[1, 0], f * r[1, 1], 0.0], [r[2, 0], r[2, 1], f]]
    )
    centred = project @ _translate(-w / 2, -h / 2)
    corners = apply_homography(centred, np.array([[0, 0], [w, 0], [w, h], [0, h]], float))
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    s = record["fill"] * min(w / (hi[0] - lo[0]), h / (hi[1] - lo[1]))
    mid = (lo + hi) / 2
    return _translate(w / 2, h / 2) @ _scale(s) @ _translate(-mid[0], -mid[1]) @ centred


def backward(record: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
    inverse = np.linalg.inv(homography(record))
    return lambda pts: apply_homography(inverse, pts)


def _sample_rotate(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {"angle_deg": P.signed(rng, r["angle_deg"], 3)}


def _sample_perspective(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    rec = {
        "pitch_deg": P.signed(rng, r["pitch_deg"], 3),
        "yaw_deg": P.signed(rng, r["yaw_deg"], 3),
        "roll_deg": P.signed(rng, r["roll_deg"], 3),
        "focal": P.uniform(rng, r["focal"], 3),
        "fill": P.uniform(rng, r["fill"], 3),
    }
    # extreme user ranges: tilt less, never past the camera. Bounded: 0.8^40 of 60 degrees is
    # under 0.01; a pose still not in front after that (a focal length the limits refuse) is
    # seen head-on rather than searched for forever
    for _ in range(40):
        if _page_in_front(rec, w, h):
            return rec
        rec["pitch_deg"] = round(rec["pitch_deg"] * 0.8, 3)
        rec["yaw_deg"] = round(rec["yaw_deg"] * 0.8, 3)
    if not _page_in_front(rec, w, h):
        rec["pitch_deg"] = rec["yaw_deg"] = 0.0
    return rec


def _sample_place(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    cw = int(round(w * P.uniform(rng, r["canvas"])))
    ch = int(round(h * P.uniform(rng, r["canvas"])))
    zoom = P.uniform(rng, r["zoom"])
    slack_x, slack_y = max(0.0, (cw - zoom * w) / 2), max(0.0, (ch - zoom * h) / 2)
    ox = float(rng.uniform(-1, 1)) * slack_x
    oy = float(rng.uniform(-1, 1)) * slack_y
    crop = P.uniform(rng, r["crop"])
    if crop > 0:  # push the page past one border by `crop` of its size
        side = P.integer(rng, [0, 3])
        if side < 2:
            ox += (1 if side == 0 else -1) * (slack_x + crop * zoom * w)
        else:
            oy += (1 if side == 2 else -1) * (slack_y + crop * zoom * h)
    return {
        "canvas": [cw, ch],
        "zoom": zoom,
        "offset": [round(ox, 2), round(oy, 2)],
        "crop": crop,
        "background": sample_background(r, rng),
    }


def sample_background(r: Ranges, rng: np.random.Generator) -> dict[str, Any]:
    """What surrounds the page: a colour, a procedural texture, or one of the user's images."""
    kinds = list(r.get("background", ["solid"]))
    images = list(r.get("images", []))
    if not images and "image" in kinds:
        kinds.remove("image")
    kind = P.choice(rng, kinds or ["solid"])
    tone = P.uniform(rng, r.get("tone", [0.1, 0.9]), 3)
    hue = P.uniform(rng, [0.0, 1.0], 3)
    out: dict[str, Any] = {
        "kind": kind,
        "tone": tone,
        "hue": hue,
        "seed": P.integer(rng, [0, 2**31 - 1]),
    }
    if kind == "image":
        out["path"] = str(P.choice(rng, images))
    return out


class Rotate(ProjectiveStep):
    """In-plane rotation about the page centre."""

    name = "rotate"
    defaults = {"angle_deg": [0.0, 3.0]}

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return _sample_rotate(ranges, rng, width, height)

    def homography(self, record: Record) -> np.ndarray:
        w, h = record["frame"]
        a = np.deg2rad(record["angle_deg"])
        rot = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0, 0, 1.0]])
        return _translate(w / 2, h / 2) @ rot @ _translate(-w / 2, -h / 2)


class Perspective(ProjectiveStep):
    """Camera pose: the page plane turned by pitch/yaw/roll, seen by a pinhole camera."""

    name = "perspective"
    defaults = {
        "pitch_deg": [0.0, 15.0],
        "yaw_deg": [0.0, 15.0],
        "roll_deg": [0.0, 5.0],
        "focal": [0.9, 2.0],
        "fill": [0.85, 1.0],
    }

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return _sample_perspective(ranges, rng, width, height)

    def homography(self, record: Record) -> np.ndarray:
        w, h = record["frame"]
        return _perspective(record, w, h)


class Place(ProjectiveStep):
    """The page placed, zoomed and maybe cropped into a larger scene with a background."""

    name = "place"
    defaults = {
        "canvas": [1.0, 1.2],
        "zoom": [0.75, 0.95],
        "crop": [0.0, 0.0],
        "tone": [0.1, 0.9],
        # smallest line (px, short side) the framing aims for; 0 = no aim (warping.framing)
        "min_text_px": [0.0, 0.0],
        "background": ["solid", "wood", "fabric", "stone"],
        "images": [],
    }
    choices = frozenset({"background", "images"})

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return _sample_place(ranges, rng, width, height)

    def homography(self, record: Record) -> np.ndarray:
        w, h = record["frame"]
        cw, ch = record["canvas"]
        z = record["zoom"]
        ox, oy = record["offset"]
        return _translate(cw / 2 + ox, ch / 2 + oy) @ _scale(z) @ _translate(-w / 2, -h / 2)

    def split_background(self, record: Record) -> tuple[Record, Record | None]:
        return record, record.pop("background")

    def output_frame(self, record: Record) -> tuple[int, int]:
        return int(record["canvas"][0]), int(record["canvas"][1])


STEPS = {step.name: step for step in (Rotate(), Perspective(), Place())}
for _step in STEPS.values():
    register(_step)

__all__ = ["STEPS", "apply_homography", "homography", "output_frame"]
