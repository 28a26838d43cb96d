"""Invented maps (nested gaussian blobs with made-up labels) for benchmarks, screenshots and
tests. No Qt, no ML: positions and islands are drawn from a seeded generator."""

from __future__ import annotations

import numpy as np

from ideamap.model import Island

_WORDS = (
    "rivers", "sediment", "glaciers", "climate", "forests", "soil", "wetlands", "coral",
    "neural", "networks", "training", "optimiser", "language", "grammar", "syntax", "meaning",
    "budget", "hiring", "roadmap", "customers", "pricing", "onboarding", "security", "privacy",
    "proteins", "enzymes", "genome", "cells", "vaccines", "trials", "dosage", "imaging",
    "housing", "transport", "energy", "grids", "storage", "solar", "wind", "policy",
    "history", "archives", "letters", "maps", "trade", "ports", "markets", "guilds",
)


def synthetic_map(n: int, seed: int = 0, *, regions: int = 7, islands_per_region: int = 4,
                  bays_per_island: int = 3, sea_share: float = 0.12):
    """(ids, xy, levels, islands) for ``n`` paragraphs in three nested levels."""
    rng = np.random.default_rng(seed)
    tree = _hierarchy(rng, regions, islands_per_region, bays_per_island)
    n_sea = int(n * sea_share)
    n_land = n - n_sea
    bay_of_point = _weighted_choice(rng, tree["bay_weight"], n_land)
    xy = np.empty((n, 2), dtype=np.float64)
    xy[:n_land] = _sample_bays(rng, tree, bay_of_point)
    xy[n_land:] = rng.uniform(0.04, 0.96, size=(n_sea, 2))
    levels = np.full((3, n), -1, dtype=np.int32)
    levels[2, :n_land] = bay_of_point
    levels[1, :n_land] = tree["bay_island"][bay_of_point]
    levels[0, :n_land] = tree["island_region"][levels[1, :n_land]]
    # HDBSCAN leaves the fringe of a bay unassigned at the finest level: mimic that.
    fringe = rng.random(n_land) < 0.08
    levels[2, :n_land][fringe] = -1
    xy = _normalise(xy)
    ids = np.arange(1, n + 1, dtype=np.int64)
    return ids, xy.astype(np.float32), levels, _islands(rng, xy, levels)


def _hierarchy(rng, regions, per_region, per_island) -> dict:
    region_xy = _spread_points(rng, regions, 0.2, 0.8, min_gap=0.22)
    island_xy, island_region, bay_xy, bay_island, bay_shape = [], [], [], [], []
    for r, centre in enumerate(region_xy):
        for _ in range(per_region):
            ixy = centre + rng.normal(0, 0.06, 2)
            island_xy.append(ixy)
            island_region.append(r)
            for _ in range(per_island):
                bay_xy.append(ixy + rng.normal(0, 0.022, 2))
                bay_island.append(len(island_xy) - 1)
                bay_shape.append(_random_covariance(rng))
    weights = rng.pareto(1.6, len(bay_xy)) + 0.3  # a few big bays, many small ones
    return {
        "island_region": np.array(island_region), "bay_xy": np.array(bay_xy),
        "bay_island": np.array(bay_island), "bay_shape": np.array(bay_shape),
        "bay_weight": weights / weights.sum(),
    }


def _spread_points(rng, k, lo, hi, min_gap) -> np.ndarray:
    """k points in [lo, hi]^2, at least ``min_gap`` apart when that is easy to achieve."""
    pts: list[np.ndarray] = []
    for _ in range(k):
        best = None
        for _ in range(60):
            p = rng.uniform(lo, hi, 2)
            gap = min((np.linalg.norm(p - q) for q in pts), default=1.0)
            if best is None or gap > best[0]:
                best = (gap, p)
            if gap >= min_gap:
                break
        pts.append(best[1])
    return np.array(pts)


def _random_covariance(rng) -> np.ndarray:
    angle = rng.uniform(0, np.pi)
    sx, sy = rng.uniform(0.008, 0.02), rng.uniform(0.004, 0.012)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rot @ np.diag([sx**2, sy**2]) @ rot.T


def _weighted_choice(rng, weights, n) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=weights).astype(np.int32)


def _sample_bays(rng, tree, bay_of_point) -> np.ndarray:
    out = np.empty((len(bay_of_point), 2))
    for b in range(len(tree["bay_xy"])):
        mask = bay_of_point == b
        chol = np.linalg.cholesky(tree["bay_shape"][b])
        out[mask] = tree["bay_xy"][b] + rng.standard_normal((mask.sum(), 2)) @ chol.T
    return out


def _normalise(xy: np.ndarray) -> np.ndarray:
    """Into [0.02, 0.98]^2 keeping the aspect ratio, as the layout step does."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = max(hi - lo)
    return 0.02 + (xy - lo) / span * 0.96 + (0.96 - (hi - lo) / span * 0.96) / 2


def _islands(rng, xy, levels) -> list[Island]:
    out = []
    for lv in range(levels.shape[0]):
        for key in np.unique(levels[lv][levels[lv] >= 0]):
            members = levels[lv] == key
            parent = None if lv == 0 else int(levels[lv - 1][members][0])
            words = rng.choice(len(_WORDS), size=2 if lv else 1, replace=False)
            label = " · ".join(_WORDS[w] for w in words)
            cx, cy = xy[members].mean(axis=0)
            out.append(Island(id=len(out) + 1, level=lv, key=int(key), parent_key=parent,
                              label=label.capitalize() if lv == 0 else label, terms=[],
                              exemplar_ids=[], size=int(members.sum()), x=float(cx), y=float(cy)))
    return out
