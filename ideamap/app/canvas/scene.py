"""One map's drawable data: coordinates, island memberships, islands, and spatial indexes.

No Qt. Reads only the map file (coordinates, memberships, islands), never vectors or the
ML stack, so opening a saved map stays fast. Arrays are read-only after construction; derived
data that is expensive and not always needed (the k-d tree, density fields) is built on
first use through :meth:`MapScene.memo`, which is safe to call from tile workers.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable

import numpy as np

from ideamap.model import Island

INDEX_GRID = 512  # cells per side of the bucket grid used to find points in a rectangle
LABEL_MIN_RADIUS_PX = 42  # a level is shown once its typical island is this big on screen
# Maps are stored in [0, 1]^2 with the outermost points on its edge, while the fields and tiles
# stop at the world square: land there was cut straight. The scene insets every coordinate by
# this share of the world on each side, so coasts fade into sea (the blur is at most 8/512
# cells, 4 sigma = 0.0625; the coast itself lies ~1.2 sigma = 0.02 beyond the outermost point).
WORLD_MARGIN = 0.06


def inset(v):
    """Stored map coordinates (scalars or arrays) to world coordinates inside the margin."""
    return WORLD_MARGIN + np.asarray(v, dtype=np.float64) * (1.0 - 2.0 * WORLD_MARGIN)


class MapScene:
    """Immutable arrays for one map. Rows are ordered by paragraph id."""

    def __init__(self, ids, xy, levels, islands: Iterable[Island] = ()):
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        # The map file's packed layout is already in id order: no sort and no copies then
        # (~0.1 s of a 1M map's opening).
        order = None if np.all(ids[1:] > ids[:-1]) else np.argsort(ids, kind="stable")
        self.ids = _frozen(ids if order is None else ids[order])
        xy = np.asarray(xy, dtype=np.float32).reshape(-1, 2)
        self.xy = _frozen(inset(xy if order is None else xy[order]).astype(np.float32))
        levels = np.asarray(levels, dtype=np.int32)
        n_levels = levels.shape[0] if levels.ndim == 2 else 1
        levels = levels.reshape(n_levels, len(ids))
        self.levels = _frozen(levels if order is None else levels[:, order])
        self.islands: dict[int, tuple[Island, ...]] = _by_level(islands)
        self._island_index = {(i.level, i.key): i for lv in self.islands.values() for i in lv}
        self._memo: dict = {}
        self._memo_locks: dict = {}
        self._memo_guard = threading.Lock()
        self.land = _frozen(self._land_mask())
        self.island_radius = self._median_island_radius()

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_store(cls, store) -> "MapScene":
        """Read a map through ``MapStore`` (coordinates, memberships, islands only)."""
        ids, xy, levels = store.whole_layout()  # the packed copy when there is one (fast)
        return cls(ids, xy, levels, store.islands())

    @classmethod
    def synthetic(cls, n: int, seed: int = 0, **options) -> "MapScene":
        """Gaussian blobs with invented island labels, for benchmarks and screenshots."""
        from ideamap.app.canvas.synthetic import synthetic_map

        ids, xy, levels, islands = synthetic_map(n, seed, **options)
        return cls(ids, xy, levels, islands)

    # -- basic facts ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_levels(self) -> int:
        return self.levels.shape[0]

    def island(self, level: int, key: int) -> Island | None:
        return self._island_index.get((int(level), int(key)))

    def bounds(self) -> tuple[float, float, float, float]:
        """The rectangle holding every point ((0,0,1,1) for an empty map)."""
        if len(self) == 0:
            return 0.0, 0.0, 1.0, 1.0
        lo, hi = self.xy.min(axis=0), self.xy.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def island_bounds(self, level: int, key: int) -> tuple[float, float, float, float] | None:
        """The rectangle holding most of an island (2nd to 98th percentile of its points, so a
        few strays do not make "zoom to island" show half the map), or None if it has none."""
        if not 0 <= level < self.n_levels:
            return None
        xy = self.xy[self.levels[level] == key]
        if len(xy) == 0:
            return None
        lo, hi = np.percentile(xy, [2, 98], axis=0) if len(xy) >= 50 else (xy.min(axis=0), xy.max(axis=0))
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def rows_of(self, ids) -> np.ndarray:
        """Row index of each paragraph id, -1 for ids not on the map."""
        ids = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
        if len(self) == 0 or ids.size == 0:
            return np.full(ids.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.ids, ids), len(self) - 1)
        return np.where(self.ids[pos] == ids, pos, -1)

    def level_for_scale(self, px_per_world: float) -> int:
        """The finest island level whose typical island spans enough pixels at this scale:
        broad regions when zoomed out, islands, then bays as the user zooms in."""
        level = 0
        for lv, radius in enumerate(self.island_radius):
            if radius > 0 and radius * px_per_world >= LABEL_MIN_RADIUS_PX:
                level = lv
        return level

    # -- spatial queries -------------------------------------------------------------------------
    def rows_in_rect(self, rect) -> np.ndarray:
        """Rows of the points inside the world rectangle (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = rect
        g = INDEX_GRID
        cx0, cx1 = _cell(x0, g), _cell(x1, g)
        cy0, cy1 = _cell(y0, g), _cell(y1, g)
        if len(self) == 0 or cx1 < cx0 or cy1 < cy0:
            return np.zeros(0, dtype=np.int64)
        order, cell_start = self.memo("grid_index", self._build_grid_index)
        starts = cell_start[np.arange(cy0, cy1 + 1) * g + cx0]
        ends = cell_start[np.arange(cy0, cy1 + 1) * g + cx1 + 1]
        rows = order[_ranges(starts, ends)]
        p = self.xy[rows]
        inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
        return rows[inside]

    def ids_in_rect(self, rect) -> np.ndarray:
        return self.ids[self.rows_in_rect(rect)]

    def hit_test(self, world_xy, radius_world: float, accept: Callable | None = None) -> int | None:
        """The id of the nearest paragraph within ``radius_world`` of ``world_xy``, or None.

        ``accept(rows) -> bool mask`` can rule points out (e.g. dots not drawn at this zoom),
        so a click picks what the user sees."""
        row = self.hit_test_row(world_xy, radius_world, accept)
        return None if row is None else int(self.ids[row])

    def hit_test_row(self, world_xy, radius_world: float, accept: Callable | None = None):
        if len(self) == 0:
            return None
        tree = self.memo("kdtree", self._build_tree)
        k = min(len(self), 16)
        dist, rows = tree.query(np.asarray(world_xy, dtype=np.float64), k=k,
                                distance_upper_bound=radius_world)
        dist, rows = np.atleast_1d(dist), np.atleast_1d(rows)
        found = np.isfinite(dist)
        rows = rows[found]
        if accept is not None and len(rows):
            rows = rows[np.asarray(accept(rows), dtype=bool)]
        return int(rows[0]) if len(rows) else None

    # -- lazily derived data -----------------------------------------------------------------------
    def memo(self, key, build: Callable):
        """``build()`` once per key, shared by threads; a second caller waits for the first."""
        with self._memo_guard:
            if key in self._memo:
                return self._memo[key]
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = build()
            return self._memo[key]

    def memo_latest(self, kind: str, token, build: Callable):
        """Like :meth:`memo`, keeping only the newest ``token``'s value of this kind (each new
        map filter replaces the previous one's field instead of piling up)."""
        key = (kind, token)
        with self._memo_guard:
            for old in [k for k in self._memo if isinstance(k, tuple) and len(k) == 2 and k[0] == kind and k != key]:
                del self._memo[old]
                self._memo_locks.pop(old, None)
        return self.memo(key, build)

    def _build_tree(self):
        from scipy.spatial import cKDTree

        return cKDTree(self.xy.astype(np.float64))

    def _build_grid_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows ordered by bucket, each bucket's first position): built on first use (the
        first tile's dots, on the tile thread), not while the window waits for the scene."""
        g = INDEX_GRID
        cells = _cell_array(self.xy[:, 1], g) * g + _cell_array(self.xy[:, 0], g)
        order = _frozen(stable_order(cells))
        counts = np.bincount(cells, minlength=g * g)
        return order, _frozen(np.concatenate([[0], np.cumsum(counts)]))

    def warm_up(self) -> None:
        """Build the lookups the first hover and the first zoomed-in tiles need (call from a
        background thread as the map opens)."""
        self.memo("grid_index", self._build_grid_index)
        self.hit_test((0.5, 0.5), 0.0)

    def _land_mask(self) -> np.ndarray:
        """Land = points in an island at some level; the rest is sea. A map without any
        islands (not clustered yet) is all land, so it does not look empty."""
        if not self.islands:
            return np.ones(len(self), dtype=bool)
        return (self.levels >= 0).any(axis=0)

    def _median_island_radius(self) -> tuple[float, ...]:
        """Per level, the median spread (root mean square distance to the centre) of islands."""
        radii = []
        x, y = (self.xy[:, d].astype(np.float64) for d in (0, 1))
        r2 = x * x + y * y  # shared by the levels: one pass over the points, not one per level
        for lv in range(self.n_levels):
            keys = self.levels[lv]
            ok = keys >= 0
            if not ok.any():
                radii.append(0.0)
                continue
            all_land = bool(ok.all())
            k = keys if all_land else keys[ok]
            px, py, pr = (v if all_land else v[ok] for v in (x, y, r2))
            n = np.bincount(k).astype(np.float64)
            used = n > 0
            mx, my = (np.bincount(k, v)[used] / n[used] for v in (px, py))
            var = np.maximum(np.bincount(k, pr)[used] / n[used] - mx * mx - my * my, 0)
            radii.append(float(np.median(np.sqrt(var))))
        return tuple(radii)


def color_values(store, ids, mode: str) -> np.ndarray:
    """Per-paragraph values for ``MapCanvas.set_color_mode``, aligned with ``ids``.

    "document": the document id; "folder": a stable hash of the document's folder;
    "date": the document's date as days since 1970 (NaN when it has none)."""
    from datetime import date
    from pathlib import PurePath

    from ideamap.app.canvas.colors import stable_hash

    rows = store.db.execute(
        "SELECT p.id, d.id, d.path, d.date FROM paragraphs p JOIN documents d "
        "ON d.id = p.document_id WHERE p.x IS NOT NULL"
    ).fetchall()
    info = {r[0]: r[1:] for r in rows}
    out = []
    for pid in np.asarray(ids, dtype=np.int64):
        doc_id, path, when = info.get(int(pid), (-1, "", None))
        if mode == "document":
            out.append(doc_id)
        elif mode == "folder":
            out.append(stable_hash(str(PurePath(path).parent)) if path else -1)
        elif mode == "date":
            try:
                out.append(float(date.fromisoformat(when[:10]).toordinal() - 719163))
            except (TypeError, ValueError):
                out.append(np.nan)
        else:
            raise ValueError(f"unknown colour mode {mode!r}")
    return np.asarray(out, dtype=np.float64 if mode == "date" else np.int64)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for non-negative integer keys, as one or two
    passes over 16-bit digits: numpy sorts 16-bit keys by radix, ~4x faster than a
    comparison sort of 1M 64-bit keys (the buckets of a 1M map's first tiles)."""
    keys = np.asarray(keys)
    if keys.size == 0:
        return np.zeros(0, np.int64)
    top = int(keys.max())
    if keys.min() < 0 or top >= 2**32:
        return np.argsort(keys, kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if top < 2**16:
        return order
    return order[np.argsort((keys[order] >> 16).astype(np.uint16), kind="stable")]


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _by_level(islands: Iterable[Island]) -> dict[int, tuple[Island, ...]]:
    from dataclasses import replace

    out: dict[int, list[Island]] = {}
    for island in islands:
        # Label anchors live in the same (inset) world as the points.
        island = replace(island, x=float(inset(island.x)), y=float(inset(island.y)))
        out.setdefault(int(island.level), []).append(island)
    return {lv: tuple(sorted(v, key=lambda i: -i.size)) for lv, v in sorted(out.items())}


def _cell(v: float, g: int) -> int:
    return int(min(g - 1, max(0, np.floor(v * g))))


def _cell_array(v: np.ndarray, g: int) -> np.ndarray:
    return np.clip((v * g).astype(np.int64), 0, g - 1)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, e)`` for each pair without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + offsets
