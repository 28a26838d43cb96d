"""UMAP projections: the 2-D map and the higher-dimensional space the islands are found in."""

from __future__ import annotations

import warnings

import numpy as np

from ideamap.layout._heavy import import_umap
from ideamap.layout.neighbors import knn_graph

N_NEIGHBORS = 15
# Above this many rows the exact kNN (n^2 dot products) costs more than NN-descent.
EXACT_KNN_MAX = 30_000


def n_neighbors_for(n: int) -> int:
    """UMAP needs fewer neighbours than points; tiny maps get what they have."""
    return max(2, min(N_NEIGHBORS, n - 1))


def shared_knn(vectors: np.ndarray, k: int, seed: int):
    """The kNN graph both UMAP fits reuse, so it is computed once. Returns (idx, dist, method)."""
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
