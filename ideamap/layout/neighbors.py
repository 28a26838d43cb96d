"""Exact cosine nearest neighbours in numpy, in row chunks so memory stays bounded.

Exact search is deterministic (no random projection trees) and, for the sizes a desktop map
holds, about as fast as NN-descent once numba's compile time is counted.
"""

from __future__ import annotations

import numpy as np

# Rows of the query matrix handled per matrix product: 1024 x n float32 similarities.
CHUNK_ROWS = 1024
# Above this many base rows the search is faiss's brute force (bounded memory, a heap per
# query); at or below it, exactly as before, so small maps keep their coordinates bit for bit.
BASE_CHUNK_ROWS = 131_072


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows (float32); zero rows stay zero instead of becoming NaN."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


def unit_rows(vectors: np.ndarray, tolerance: float = 1e-4) -> np.ndarray:
    """``vectors`` themselves when every row already has unit length (a map's vectors do),
    otherwise normalise_rows: at 1M rows that spares a 1.5 GB copy."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.einsum("ij,ij->i", v, v) if v.size else np.ones(len(v), np.float32)
    if len(v) and np.all(np.abs(norms - 1.0) <= tolerance):
        return v
    return normalise_rows(v)


def top_k(sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest entries per row, best first, ties by lower index."""
    k = min(k, sims.shape[1])
    if k < sims.shape[1]:
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(sims.shape[1]), sims.shape).copy()
    vals = np.take_along_axis(sims, part, axis=1)
    # lexsort: last key is primary; sorting (index, -value) makes ties deterministic.
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def cosine_knn(
    queries: np.ndarray, base: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k most similar rows of ``base`` for each row of ``queries`` (both normalised).

    Returns (indices int64 (m, k), similarities float32 (m, k)), most similar first.
    """
    k = min(k, base.shape[0])
    idx = np.empty((queries.shape[0], k), dtype=np.int64)
    sim = np.empty((queries.shape[0], k), dtype=np.float32)
    for start in range(0, queries.shape[0], CHUNK_ROWS):
        block = queries[start : start + CHUNK_ROWS]
        if base.shape[0] <= BASE_CHUNK_ROWS:
            found = top_k(block @ base.T, k)
        else:
            found = _top_k_large_base(block, base, k)
        idx[start : start + len(block)], sim[start : start + len(block)] = found
    return idx, sim


def _top_k_large_base(queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top_k over a large base by faiss's brute-force search (BLAS products a slice at a
    time, a heap per query). numpy's argpartition over 1,000 x 1M similarities took 44 s here
    and held 4 GB of similarities and 8 GB of indices; this takes a few seconds in bounded
    memory. Ties may fall in another order than top_k's (only maps this large come here)."""
    import faiss

    sims, rows = faiss.knn(np.ascontiguousarray(queries, dtype=np.float32),
                           np.ascontiguousarray(base, dtype=np.float32), k, metric=faiss.METRIC_INNER_PRODUCT)
    return rows.astype(np.int64), sims.astype(np.float32)


def knn_graph(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """UMAP's precomputed kNN: each row's k nearest rows with cosine distances, itself first.

    UMAP expects the point itself in column 0 at distance 0; with duplicate paragraphs a plain
    top-k could put the twin first, so the diagonal is forced above every real similarity.
    """
    n = vectors.shape[0]
    k = min(k, n)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, CHUNK_ROWS):
        block = vectors[start : start + CHUNK_ROWS] @ vectors.T
        rows = np.arange(len(block))
        block[rows, start + rows] = 3.0  # above any cosine similarity
        i, s = top_k(block, k)
        idx[start : start + len(block)] = i
        dist[start : start + len(block)] = np.clip(1.0 - s, 0.0, 2.0)
        dist[start : start + len(block), 0] = 0.0
    return idx, dist
