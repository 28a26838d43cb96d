"""Maps larger than a sample: UMAP on landmarks, every other paragraph placed from its neighbours.

UMAP's fit grows faster than linearly (kNN graph, spectral init, epochs over all edges), so a
map of 1M paragraphs cannot be fitted whole on a laptop. Above ``LANDMARK_SAMPLE`` points we fit
the existing projection on a sample of distinct paragraphs (stratified over k-means cells so a
small topic keeps points) and put every other paragraph at the similarity-weighted position of
its nearest landmarks, found with an approximate faiss IVF index in query chunks. Both parts grow
linearly in n once the sample size is fixed. At or below the sample size nothing changes: the
result is exactly ``projection.project_map``.
"""

from __future__ import annotations

import numpy as np

from ideamap.layout import projection as proj

LANDMARK_SAMPLE = 50_000
STRATA = 256  # k-means cells over the vectors; each keeps up to CELL_FLOOR landmarks first
CELL_FLOOR_SHARE = 0.25  # a quarter of the sample is spread evenly over the cells
KMEANS_FIT_ROWS = 20_000  # k-means is fitted on a random subset: its cells need not be exact
PLACE_K = 10  # landmarks voting for each placed point
QUERY_CHUNK = 65_536  # rows per faiss search: 65k x k results, never an n x n product
# Only voters this close (map units, in typical landmark spacings 1/sqrt(L)) to the nearest
# landmark count, so a paragraph between two topics lands on one of them, not in the sea.
PLACE_RADIUS_SPACINGS = 4.0
JITTER_SPACING_SHARE = 0.3  # as in place.py: placed copies of one landmark do not hide each other
JITTER_MAX = 0.01


def project_with_landmarks(
    vectors: np.ndarray, seed: int, *, sample: int = LANDMARK_SAMPLE
) -> tuple[np.ndarray, dict]:
    """The 2-D map for normalised float32 ``vectors``; exactly ``project_map`` when n <= sample."""
    n = vectors.shape[0]
    if n <= sample:
        return proj.project_map(vectors, seed)
    marks = choose_landmarks(vectors, sample, seed)
    mark_coords, info = proj.project_map(vectors[marks], seed)
    rest = np.setdiff1d(np.arange(n), marks, assume_unique=True)
    idx, sim, knn_info = landmark_neighbours(vectors[rest], vectors[marks], PLACE_K, seed)
    coords = np.empty((n, 2), dtype=np.float32)
    coords[marks] = mark_coords
    coords[rest] = place_from_landmarks(mark_coords, idx, sim, n)
    info = {
        **info,
        "landmarks": {
            "sample": int(sample),
            "n_landmarks": int(marks.size),
            "strata": STRATA,
            "cell_floor_share": CELL_FLOOR_SHARE,
            "place_k": PLACE_K,
            "place_radius_spacings": PLACE_RADIUS_SPACINGS,
            **knn_info,
        },
    }
    # islands count distinct paragraphs; the landmark fit only saw the sample's
    info["n_unique"] = int(info.get("n_unique", marks.size)) + int(rest.size)
    return coords, info


def row_keys(vectors: np.ndarray) -> np.ndarray:
    """A key per row equal for identical rows: two fixed random projections in float64.

    Cheaper in memory than sorting the rows' bytes; distinct rows collide with ~zero chance."""
    rng = np.random.default_rng(1)
    r = rng.standard_normal((vectors.shape[1], 2))
    out = np.empty((vectors.shape[0], 2), dtype=np.float64)
    for start in range(0, vectors.shape[0], QUERY_CHUNK):
        out[start : start + QUERY_CHUNK] = vectors[start : start + QUERY_CHUNK].astype(np.float64) @ r
    return out[:, 0] * 1e6 + out[:, 1]


def choose_landmarks(vectors: np.ndarray, sample: int, seed: int) -> np.ndarray:
    """Sorted row indices of up to ``sample`` distinct rows, stratified over k-means cells.

    Every cell first keeps up to ``CELL_FLOOR_SHARE * sample / STRATA`` of its rows (so a small
    topic is not sampled away), the rest of the sample is drawn uniformly from the remaining
    distinct rows. Deterministic for a given seed."""
    _, first = np.unique(row_keys(vectors), return_index=True)
    distinct = np.sort(first)
    if distinct.size <= sample:
        return distinct
    rng = np.random.default_rng([seed, 0x1A4D])
    cells = _cells(vectors, distinct, seed)
    u = rng.random(distinct.size)
    order = np.lexsort((u, cells))  # by cell, random within a cell
    sorted_cells = cells[order]
    starts = np.searchsorted(sorted_cells, sorted_cells, side="left")
    rank = np.empty(distinct.size, dtype=np.int64)
    rank[order] = np.arange(distinct.size) - starts
    floor = max(1, int(CELL_FLOOR_SHARE * sample / STRATA))
    keep = rank < floor
    if keep.sum() > sample:  # more cells than the sample can honour: lowest random keys win
        keep = np.zeros_like(keep)
        keep[np.argsort(np.where(rank < floor, u, 2.0))[:sample]] = True
    others = np.flatnonzero(~keep)
    extra = sample - int(keep.sum())
    if extra > 0:
        keep[others[np.argsort(u[others])[:extra]]] = True
    return distinct[keep]


def _cells(vectors: np.ndarray, rows: np.ndarray, seed: int) -> np.ndarray:
    """The k-means cell of each of ``rows`` (MiniBatchKMeans fitted on a random subset)."""
    from sklearn.cluster import MiniBatchKMeans

    rng = np.random.default_rng([seed, 0xCE11])
    fit_rows = rows if rows.size <= KMEANS_FIT_ROWS else rng.choice(rows, KMEANS_FIT_ROWS, replace=False)
    km = MiniBatchKMeans(n_clusters=min(STRATA, fit_rows.size), random_state=seed, n_init=1,
                         batch_size=4096, max_iter=20)
    km.fit(vectors[np.sort(fit_rows)])
    out = np.empty(rows.size, dtype=np.int64)
    for start in range(0, rows.size, QUERY_CHUNK):
        out[start : start + QUERY_CHUNK] = km.predict(vectors[rows[start : start + QUERY_CHUNK]])
    return out


def landmark_neighbours(queries: np.ndarray, base: np.ndarray, k: int, seed: int):
    """Approximate cosine kNN of ``queries`` among ``base`` (both normalised float32).

    faiss IVF-Flat on inner product, searched in chunks; falls back to exact chunked numpy when
    faiss is missing. Returns (idx int64 (m, k), sim float32 (m, k), info)."""
    k = min(k, base.shape[0])
    try:
        import faiss
    except ImportError:
        from ideamap.layout.neighbors import cosine_knn

        idx, sim = cosine_knn(queries, base, k)
        return idx, sim, {"knn": "exact numpy (faiss missing)"}
    nlist = int(max(1, min(4 * np.sqrt(base.shape[0]), base.shape[0] // 39)))
    nprobe = min(nlist, 16)
    quantizer = faiss.IndexFlatIP(base.shape[1])
    index = faiss.IndexIVFFlat(quantizer, base.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.train(np.ascontiguousarray(base))
    index.add(np.ascontiguousarray(base))
    index.nprobe = nprobe
    idx = np.empty((queries.shape[0], k), dtype=np.int64)
    sim = np.empty((queries.shape[0], k), dtype=np.float32)
    for start in range(0, queries.shape[0], QUERY_CHUNK):
        s, i = index.search(np.ascontiguousarray(queries[start : start + QUERY_CHUNK]), k)
        idx[start : start + len(i)], sim[start : start + len(i)] = i, s
    # IVF may find fewer than k neighbours for a row: fill the gaps with its best one
    missing = idx < 0
    if missing.any():
        idx[missing] = np.broadcast_to(idx[:, :1], idx.shape)[missing]
        sim[missing] = np.broadcast_to(sim[:, :1], sim.shape)[missing]
    return idx, sim, {"knn": "faiss IVFFlat inner product", "nlist": nlist, "nprobe": nprobe}


def place_from_landmarks(mark_coords: np.ndarray, idx: np.ndarray, sim: np.ndarray, n: int) -> np.ndarray:
    """Similarity-weighted mean position of the voters near each row's nearest landmark, plus a
    small deterministic jitter. Vectorised: (m, k) arrays, no per-row Python loop."""
    m = idx.shape[0]
    if m == 0:
        return np.zeros((0, 2), dtype=np.float32)
    spacing = 1.0 / np.sqrt(mark_coords.shape[0])
    pos = mark_coords[idx].astype(np.float64)  # (m, k, 2)
    near = np.linalg.norm(pos - pos[:, :1], axis=2) <= PLACE_RADIUS_SPACINGS * spacing
    w = np.maximum(sim.astype(np.float64), 1e-6) * near  # the nearest landmark always votes
    out = (pos * w[:, :, None]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    rng = np.random.default_rng([20240917, n])
    out += rng.normal(scale=min(JITTER_SPACING_SHARE / np.sqrt(n), JITTER_MAX), size=(m, 2))
    return np.clip(out, 0.0, 1.0).astype(np.float32)
