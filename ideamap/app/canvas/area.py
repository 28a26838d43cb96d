"""Area selection geometry: lassos and rectangles in world coordinates. No Qt.

A gesture records the pointer in world coordinates (so the outline stays on the map while the
camera moves afterwards); the points inside are found with numpy, with no Python loop over
points or edges (a lasso keeps at most MAX_VERTICES vertices). The scene's
bucket grid first narrows the candidates to the polygon's bounding box, so a small lasso on a
map of 100k+ paragraphs tests only the points near it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_STEP_PX = 3.0  # a lasso vertex is kept once the pointer moved this far from the last one
MAX_VERTICES = 512  # a longer lasso is thinned evenly (the shape barely changes at this density)
KINDS = ("lasso", "rect")


def points_in_polygon(xy, polygon) -> np.ndarray:
    """Bool mask: which points (N, 2) lie inside ``polygon`` (M, 2), by the even-odd rule
    (a ray cast to the right crosses the outline an odd number of times). The polygon is
    closed implicitly; fewer than 3 vertices enclose nothing.

    Points are sorted by y once; each edge is paired only with the points in its band of y
    (a binary search finds it), so the work is about N x (edges a horizontal line crosses),
    not N x M, and the pairs are tested together without a Python loop (in chunks of at most
    PAIRS_PER_CHUNK, for a zig-zag outline whose edges all span the map)."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    if len(poly) < 3 or len(xy) == 0:
        return np.zeros(len(xy), dtype=bool)
    order = np.argsort(xy[:, 1])  # any order of equal y will do
    xs, ys = xy[order, 0], xy[order, 1]
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    # Half-open bands [lo, hi): a ray through a shared vertex counts one crossing, not two;
    # a horizontal edge has an empty band (so its zero height never divides).
    starts = np.searchsorted(ys, np.minimum(y0, y1), "left")
    ends = np.searchsorted(ys, np.maximum(y0, y1), "left")
    crossings = np.zeros(len(xy), dtype=np.int64)
    for edges in _chunks(ends - starts):
        edge = np.repeat(edges, (ends - starts)[edges])
        pt = _ranges(starts[edges], ends[edges])
        cross_x = x0[edge] + (ys[pt] - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])
        crossings += np.bincount(pt[xs[pt] < cross_x], minlength=len(xy))
    inside = np.zeros(len(xy), dtype=bool)
    inside[order] = crossings % 2 == 1
    return inside


PAIRS_PER_CHUNK = 4_000_000


def _chunks(lengths: np.ndarray):
    """Edge indices in groups whose bands hold at most PAIRS_PER_CHUNK points together."""
    used = np.flatnonzero(lengths > 0)
    if len(used) == 0:
        return
    group = np.cumsum(lengths[used]) // PAIRS_PER_CHUNK
    for g in np.unique(group):
        yield used[group == g]


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, e) for s, e in zip(starts, ends)])`` without the loop."""
    lengths = ends - starts
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + offsets


def rect_polygon(a, b) -> np.ndarray:
    """The four corners of the axis-aligned rectangle with opposite corners ``a`` and ``b``."""
    (ax, ay), (bx, by) = a, b
    x0, x1 = sorted((float(ax), float(bx)))
    y0, y1 = sorted((float(ay), float(by)))
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def thin(polygon, max_vertices: int = MAX_VERTICES) -> np.ndarray:
    """Keep at most ``max_vertices`` vertices, evenly spaced along the list."""
    poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    if len(poly) <= max_vertices:
        return poly
    keep = np.linspace(0, len(poly) - 1, max_vertices).round().astype(np.int64)
    return poly[np.unique(keep)]


def rows_in_polygon(scene, polygon) -> np.ndarray:
    """Rows of the scene whose (world) points lie inside ``polygon`` (world), ascending."""
    poly = thin(polygon)
    if len(poly) < 3 or len(scene) == 0:
        return np.zeros(0, dtype=np.int64)
    (x0, y0), (x1, y1) = poly.min(axis=0), poly.max(axis=0)
    bx0, by0, bx1, by1 = scene.memo("bounds", scene.bounds)  # 30 ms at 300k points: once
    covered = (min(x1, bx1) - max(x0, bx0)) * (min(y1, by1) - max(y0, by0)) / max((bx1 - bx0) * (by1 - by0), 1e-12)
    # Gathering the grid's buckets costs more than it saves once the box holds most of the map.
    candidates = np.arange(len(scene)) if covered > 0.5 else scene.rows_in_rect((x0, y0, x1, y1))
    rows = candidates[points_in_polygon(scene.xy[candidates], poly)]
    return np.sort(rows)


@dataclass
class AreaGesture:
    """A selection being drawn: a lasso (every pointer position) or a rectangle (two corners).
    Positions are given in world coordinates plus the pixels per world unit at the time, so
    the vertex spacing is measured on screen."""

    kind: str
    points: list = field(default_factory=list)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown selection kind {self.kind!r}; use one of {KINDS}")

    def add(self, world_xy, px_per_world: float) -> None:
        p = (float(world_xy[0]), float(world_xy[1]))
        if self.kind == "rect":
            self.points = self.points[:1] + [p] if self.points else [p]
            return
        if self.points:
            lx, ly = self.points[-1]
            if np.hypot(p[0] - lx, p[1] - ly) * px_per_world < MIN_STEP_PX:
                return
        self.points.append(p)

    def polygon(self) -> np.ndarray:
        """The outline so far, in world coordinates ((0, 2) while nothing encloses an area)."""
        if self.kind == "rect":
            if len(self.points) < 2:
                return np.zeros((0, 2))
            return rect_polygon(self.points[0], self.points[-1])
        return np.asarray(self.points, dtype=np.float64).reshape(-1, 2)


@dataclass(frozen=True)
class AreaSelection:
    """A finished selection: its outline (world) and the scene rows inside it."""

    kind: str
    polygon: np.ndarray
    rows: np.ndarray

    @classmethod
    def empty(cls) -> "AreaSelection":
        return cls("lasso", np.zeros((0, 2)), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.rows)
