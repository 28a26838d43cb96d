"""The 2-D map: exact cosine kNN, duplicates collapsed, UMAP, far groups packed, scaled to [0, 1]^2.

Measured on 4.6k meeting-note paragraphs (2 cores): kNN 0.25 s, UMAP fit ~8 s (500 epochs;
seeded runs are single-threaded, and unseeded parallel runs were no faster here).
"""

from __future__ import annotations

import warnings

import numpy as np

from ideamap.layout._heavy import import_umap
from ideamap.layout.dedupe import DUPLICATE_SIMILARITY, duplicate_groups
from ideamap.layout.neighbors import knn_graph
from ideamap.layout.packing import FAR_SHARE, LINK_SHARE, pack_far_groups

N_NEIGHBORS = 15
MAP_MIN_DIST = 0.05  # tight islands with visible sea between them, yet points still separable
# Copies of a duplicated paragraph are spread around its spot by this share of the typical
# spacing between points (1/sqrt(n) on a unit map), so the canvas shows they are several.
COPY_SPREAD = 0.3
COPY_SPREAD_MAX = 0.01  # on small maps that spacing is large: never more than 1% of the map
# Above this many rows the exact kNN (n^2 dot products) costs more than NN-descent.
EXACT_KNN_MAX = 30_000


def n_neighbors_for(n: int) -> int:
    """UMAP needs fewer neighbours than points; tiny maps get what they have."""
    return max(2, min(N_NEIGHBORS, n - 1))


def shared_knn(vectors: np.ndarray, k: int, seed: int):
    """The kNN graph handed to UMAP (and used to find duplicates). Returns (idx, dist, method)."""
    if vectors.shape[0] <= EXACT_KNN_MAX:
        idx, dist = knn_graph(vectors, k)
        return idx, dist, "exact"
    umap = import_umap()
    idx, dist, _ = umap.umap_.nearest_neighbors(
        vectors, k, "cosine", {}, True, np.random.RandomState(seed), low_memory=True,
        use_pynndescent=True, n_jobs=1,
    )
    return idx.astype(np.int64), dist.astype(np.float32), "nndescent"


def umap_params(n: int, n_components: int, min_dist: float, seed: int) -> dict:
    return {
        "n_components": n_components,
        "n_neighbors": n_neighbors_for(n),
        "min_dist": min_dist,
        "metric": "cosine",
        "random_state": seed,
        # spectral init needs more points than dimensions + 1; random init is fine below that
        "init": "spectral" if n > n_components + 8 else "random",
    }


def umap_embed(vectors: np.ndarray, knn, params: dict) -> np.ndarray:
    """Fit UMAP with a precomputed kNN graph; returns float32 (n, n_components)."""
    umap = import_umap()
    idx, dist = knn[0], knn[1]
    model = umap.UMAP(**params, precomputed_knn=(idx, dist), n_jobs=1)
    with warnings.catch_warnings():
        # Expected and harmless here: "n_jobs overridden by random_state" (seeded runs are
        # single-threaded) and "no search index" (we never call transform).
        warnings.simplefilter("ignore", UserWarning)
        out = model.fit_transform(vectors)
    return np.asarray(out, dtype=np.float32)


def trivial_coords(n: int) -> np.ndarray:
    """Coordinates for maps too small to project: points spaced on a circle (or the centre)."""
    if n == 1:
        return np.array([[0.5, 0.5]], dtype=np.float32)
    angles = 2 * np.pi * np.arange(n) / n
    return (0.5 + 0.3 * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def normalise_coords(coords: np.ndarray) -> np.ndarray:
    """Scale into [0, 1]^2 keeping the aspect ratio; the shorter axis is centred."""
    c = np.asarray(coords, dtype=np.float64)
    lo, hi = c.min(axis=0), c.max(axis=0)
    span = float((hi - lo).max())
    if span <= 0:
        return np.full(c.shape, 0.5, dtype=np.float32)
    out = (c - lo) / span
    out += (1.0 - (hi - lo) / span) / 2  # centre the shorter axis
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def project_map(vectors: np.ndarray, seed: int) -> tuple[np.ndarray, dict]:
    """The 2-D map in [0, 1]^2 and the parameters that made it (duplicates projected once)."""
    n = vectors.shape[0]
    if n <= 3:
        return (trivial_coords(n) if n else np.zeros((0, 2), np.float32)), {"method": "trivial"}
    idx, dist, _ = shared_knn(vectors, n_neighbors_for(n), seed)
    reps = duplicate_groups(idx, dist)
    unique, where = np.unique(reps, return_inverse=True)
    info: dict = {
        "method": "umap",
        "n_unique": int(unique.size),
        "duplicate_similarity": DUPLICATE_SIMILARITY,
        "pack_far_groups": {"link_share": LINK_SHARE, "far_share": FAR_SHARE},
    }
    if unique.size <= 3:
        coords = trivial_coords(unique.size)
    else:
        params = umap_params(unique.size, 2, MAP_MIN_DIST, seed)
        sub = vectors[unique]
        if unique.size < n:  # the neighbours of the kept rows change once copies are gone
            idx, dist, _ = shared_knn(sub, params["n_neighbors"], seed)
        info["knn"] = "exact" if unique.size <= EXACT_KNN_MAX else "nndescent"
        coords = normalise_coords(pack_far_groups(umap_embed(sub, (idx, dist), params)))
        info.update(params)
    coords = coords[where]
    return spread_copies(coords, reps), info


def spread_copies(coords: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """Deterministic small offsets for every copy of a duplicate (the first copy stays put)."""
    copies = np.flatnonzero(reps != np.arange(reps.size))
    if copies.size == 0:
        return coords
    rng = np.random.default_rng([7, reps.size])
    out = coords.astype(np.float64)
    scale = min(COPY_SPREAD / np.sqrt(reps.size), COPY_SPREAD_MAX)
    out[copies] += rng.normal(scale=scale, size=(copies.size, 2))
    return np.clip(out, 0.0, 1.0).astype(np.float32)
