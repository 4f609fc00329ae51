"""Two-page spreads: two rendered pages side by side, bent into the binding.

`join_pages(left, right)` lays two flat pages side by side (the right page's labels shifted by
the left page's width, through `map_page_geometry` like every move) into one flat page whose
lines, blocks, tables, fields, regions and paragraph ids read left page first. The `book`
geometric step then bends that page about its vertical centre line, the spine: each half lies
flat out to its outer edge and curves down into the gutter over `bend` of its width, reaching
`angle_deg` at the spine. A pinhole camera above the spread sees the curved band
foreshortened across and shrunk towards the centre along the spine (text lines bow in the
gutter, as in any photographed book). One backward map, so pixels and both pages' labels move
through the stage's one grid. The step reports the gutter as a crease (a dark valley, drawn by
`crease_shading`) and the paper slope (light falling off into it): the gutter shadow.

The pipeline decides a spread before rendering (`spread_chance`: the `book` step's `p`), renders
the facing page and joins; `sample_geometric(..., spread=True)` then always draws `book`, and
never without a spread (a single page bent in its middle would bend its lines, not a binding).
The facing page's render record rides in the joined page's `render["facing"]`.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np

from synth.page import Page, map_page_geometry
from warping import params as P
from warping.params import Ranges
from warping.steps import GeometricStep, Record, SurfaceFields, register

TABLE_SIZE = 2049


@functools.lru_cache(maxsize=16)
def _tables(half: float, bend: float, angle_deg: float, focal: float
            ) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Distance from the spine on the flat page t -> (seen distance, depth, slope) tables,
    over three half-widths (the background beyond the outer edge continues flat)."""
    t = np.linspace(0.0, 3.0 * half, TABLE_SIZE)
    b = max(bend * half, 1.0)
    phi = np.deg2rad(angle_deg) * np.clip((b - t) / b, 0.0, 1.0) ** 2
    dt = t[1] - t[0]
    x = np.concatenate([[0.0], np.cumsum((np.cos(phi[1:]) + np.cos(phi[:-1])) * dt / 2)])
    rise = np.concatenate([[0.0], np.cumsum((np.sin(phi[1:]) + np.sin(phi[:-1])) * dt / 2)])
    depth = rise[-1] - rise  # below the flat part, deepest at the spine
    seen = x * focal / (focal + depth)
    for table in (t, seen, depth, phi):
        table.flags.writeable = False
    return t, seen, depth, phi


def _setup(record: Record) -> tuple[float, float, float, tuple[np.ndarray, ...]]:
    w, h = record["frame"]
    focal = float(record["focal"]) * float(np.hypot(w, h))
    tables = _tables(w / 2.0, float(record["bend"]), float(record["angle_deg"]), focal)
    return w / 2.0, h / 2.0, focal, tables


class Book(GeometricStep):
    """The binding of a two-page spread (see the module doc)."""

    name = "book"
    defaults = {"bend": [0.12, 0.35], "angle_deg": [20.0, 55.0], "focal": [1.0, 2.0],
                "gutter": [0.1, 0.25]}  # fmt: skip

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return {"bend": P.uniform(rng, ranges["bend"], 3),
                "angle_deg": P.uniform(rng, ranges["angle_deg"], 2),
                "focal": P.uniform(rng, ranges["focal"], 3),
                "falloff": round(P.uniform(rng, ranges["gutter"], 4) * width, 3)}  # fmt: skip

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        cx, cy, focal, (t, seen, depth, phi) = _setup(record)
        pts = np.asarray(pts, np.float64).reshape(-1, 2)
        side = np.where(pts[:, 0] < cx, -1.0, 1.0)
        dist = np.interp(np.abs(pts[:, 0] - cx), seen, t)
        z = np.interp(dist, t, depth)
        src = np.stack([cx + side * dist, cy + (pts[:, 1] - cy) * (focal + z) / focal], axis=1)
        spine = (pts[:, 0] - cx) / float(record["falloff"])
        return src, SurfaceFields([spine], side * np.interp(dist, t, phi))

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        cx, cy, focal, (t, seen, depth, _) = _setup(record)
        pts = np.asarray(pts, np.float64).reshape(-1, 2)
        dist = np.abs(pts[:, 0] - cx)
        side = np.where(pts[:, 0] < cx, -1.0, 1.0)
        z = np.interp(dist, t, depth)
        out_d = np.interp(dist, t, seen)
        beyond = dist > t[-1]
        out_d[beyond] = seen[-1] + (dist[beyond] - t[-1])
        return np.stack([cx + side * out_d, cy + (pts[:, 1] - cy) * focal / (focal + z)], axis=1)


STEPS = {"book": Book()}
register(STEPS["book"])


def spread_chance(profile: dict[str, Any]) -> float:
    """The probability a profile gives a two-page spread (its `book` step's p; 0 without)."""
    return max((float(s["p"]) for s in profile.get("geometric", []) if s["step"] == "book"),
               default=0.0)  # fmt: skip


def join_pages(left: Page, right: Page) -> Page:
    """Two flat pages of one height side by side, as one page reading left page first."""
    if left.height != right.height:
        raise ValueError(f"a spread needs pages of one height, got {left.height} and {right.height}")
    image = np.concatenate([left.image, right.image], axis=1)
    dx = float(left.width)
    moved = map_page_geometry(right, image, lambda p: np.asarray(p, np.float64) + [dx, 0.0])
    n_lines, n_tables = len(left.lines), len(left.tables)
    lines = list(left.lines)
    for ln in moved.lines:
        ln = copy.copy(ln)
        ln.words = [_with(wd, line_index=wd.line_index + n_lines) for wd in ln.words]
        lines.append(ln)
    blocks = list(left.blocks) + [
        _with(b, line_indices=[i + n_lines for i in b.line_indices],
              table_index=b.table_index + n_tables if b.table_index >= 0 else -1)
        for b in moved.blocks
    ]
    regions = list(left.regions) + [_region(r, n_lines) for r in moved.regions]
    out = copy.copy(left)
    out.image = image
    out.lines, out.blocks, out.regions = lines, blocks, regions
    out.tables = list(left.tables) + list(moved.tables)
    out.fields = list(left.fields) + list(moved.fields)
    out.render = {**left.render, "facing": right.render}
    out.extras = _extras(left.extras, right.extras, n_lines)
    return out


def _with(obj: Any, **changes: Any) -> Any:
    new = copy.copy(obj)
    for key, value in changes.items():
        setattr(new, key, value)
    return new


def _region(region: Any, offset: int) -> Any:
    attrs = dict(region.attributes)
    if isinstance(attrs.get("line_indices"), list):
        attrs["line_indices"] = [i + offset for i in attrs["line_indices"]]
    return _with(region, attributes=attrs)


def _extras(left: dict[str, Any], right: dict[str, Any], offset: int) -> dict[str, Any]:
    """Paragraph ids keep pointing at their lines; other lists join; other values: left's."""
    out = dict(left)
    for key, value in right.items():
        if key == "paragraphs":
            value = [{**e, "line_indices": [i + offset for i in e.get("line_indices", [])]}
                     for e in value]  # fmt: skip
        if isinstance(value, list) and isinstance(out.get(key, []), list):
            out[key] = list(out.get(key, [])) + value
        else:
            out.setdefault(key, value)
    return out
