"""Placing new paragraphs on an existing map without moving any old point."""

from __future__ import annotations

import numpy as np

from ideamap.layout.islands import weighted_vote
from ideamap.layout.neighbors import BASE_CHUNK_ROWS, cosine_knn, normalise_rows, unit_rows
from ideamap.layout.types import SEA

JITTER_SEED = 20240917
# Jitter spread as a share of the typical spacing between points (1/sqrt(n) on a unit map):
# enough that duplicates do not hide each other, small against any island.
JITTER_SPACING_SHARE = 0.3
JITTER_MAX = 0.01  # on small maps the typical spacing is large; never move more than 1% of the map


def place_new_points(
    old_vectors: np.ndarray,
    old_coords: np.ndarray,
    old_levels: np.ndarray,
    new_vectors: np.ndarray,
    *,
    k: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (m, 2) and island keys (n_levels, m) for new paragraphs; old points stay put.

    Each new paragraph takes the finest-level island its k most similar old paragraphs vote for
    (weighted by cosine similarity; sea when sea holds most of the weight), the coarser levels of
    that island, and the similarity-weighted mean position of the voters inside that island (all
    k when it is sea), so it lands on its island rather than between two. A small deterministic
    jitter keeps duplicates apart.
    """
    old_levels = np.asarray(old_levels, dtype=np.int32)
    if old_levels.ndim == 1:
        old_levels = old_levels[None, :]
    new = normalise_rows(np.atleast_2d(new_vectors))
    m, n_old = new.shape[0], old_levels.shape[1]
    if m == 0 or n_old == 0 or new.shape[1] == 0:
        return np.full((m, 2), 0.5, dtype=np.float32), np.full((old_levels.shape[0], m), SEA, np.int32)
    # A large map's vectors are used as they are when already unit length (no 1.5 GB copy);
    # small maps normalise as they always did, so their placements stay bit for bit the same.
    old = unit_rows(old_vectors) if n_old > BASE_CHUNK_ROWS else normalise_rows(old_vectors)
    coords = np.asarray(old_coords, dtype=np.float64)
    idx, sim = cosine_knn(new, old, max(1, min(k, n_old)))
    weights = np.maximum(sim.astype(np.float64), 1e-6)
    finest = old_levels[-1]
    ancestors = _ancestors(old_levels)
    out_coords = np.empty((m, 2), dtype=np.float64)
    out_levels = np.full((old_levels.shape[0], m), SEA, dtype=np.int32)
    for i in range(m):
        keys = finest[idx[i]]
        bay = weighted_vote(keys, weights[i], sea_allowed=True)
        voters = keys == bay if bay != SEA else np.ones(keys.size, dtype=bool)
        w = weights[i][voters]
        out_coords[i] = (coords[idx[i][voters]] * w[:, None]).sum(axis=0) / w.sum()
        if bay != SEA:
            out_levels[:, i] = ancestors[bay]
    out_coords += _jitter(m, n_old)
    return np.clip(out_coords, 0.0, 1.0).astype(np.float32), out_levels


def _ancestors(levels: np.ndarray) -> np.ndarray:
    """For each finest-level key, its key at every level (nesting makes this a lookup)."""
    finest = levels[-1]
    k = int(finest.max()) + 1 if (finest != SEA).any() else 0
    table = np.full((k, levels.shape[0]), SEA, dtype=np.int32)
    keys, first = np.unique(finest, return_index=True)  # each key's first paragraph
    land = keys != SEA
    table[keys[land]] = levels[:, first[land]].T
    return table


def _jitter(m: int, n_old: int) -> np.ndarray:
    """Deterministic offsets; seeded by the map's size, so two batches of adds do not repeat them."""
    rng = np.random.default_rng([JITTER_SEED, n_old])
    scale = min(JITTER_SPACING_SHARE / np.sqrt(n_old + m), JITTER_MAX)
    return rng.normal(scale=scale, size=(m, 2))
