"""Which islands touch on the map, and merges that join only islands that touch.

Ward on centroid vectors alone can join two islands at opposite ends of the map into one region
(issue 12: a football island inside a "labour · government" region), so a region is not one area
of land. Here two keys are adjacent when a paragraph of one has a paragraph of the other among
its nearest land neighbours on the 2-D map; merges follow that graph, with Ward's criterion on
the centroid vectors choosing among adjacent pairs.
"""

from __future__ import annotations

import warnings

import numpy as np

from ideamap.layout.types import SEA

ADJACENT_NEIGHBOURS = 10


def key_adjacency(coords: np.ndarray, keys: np.ndarray, k: int, neighbours: int = ADJACENT_NEIGHBOURS):
    """(k, k) sparse symmetric count of map kNN edges between land points of different keys."""
    from scipy import sparse
    from sklearn.neighbors import NearestNeighbors

    land = np.flatnonzero(keys != SEA)
    m = min(neighbours, land.size - 1)
    if m < 1:
        return sparse.csr_matrix((k, k))
    nn = NearestNeighbors(n_neighbors=m + 1).fit(coords[land])
    neigh = nn.kneighbors(coords[land], return_distance=False)[:, 1:]
    a = np.repeat(keys[land], m)
    b = keys[land][neigh.ravel()]
    cross = a != b
    adj = sparse.coo_matrix((np.ones(int(cross.sum())), (a[cross], b[cross])), shape=(k, k)).tocsr()
    return adj + adj.T


def pieces(adj, members: np.ndarray) -> int:
    """How many connected areas the keys ``members`` form in the adjacency graph."""
    from scipy.sparse.csgraph import connected_components

    return int(connected_components(adj[members][:, members], directed=False)[0]) if members.size else 0


def adjacent_ward(cents: np.ndarray, adj, t: int) -> np.ndarray:
    """Ward clustering of the centroids into t groups, merging only adjacent keys. Keys on
    separate land (no path on the map) are joined last, by sklearn's nearest-centroid fix."""
    from sklearn.cluster import AgglomerativeClustering

    conn = (adj > 0).astype(np.float64)
    with warnings.catch_warnings():  # "the number of connected components ... is > 1": expected
        warnings.simplefilter("ignore")
        return AgglomerativeClustering(n_clusters=t, linkage="ward", connectivity=conn).fit_predict(cents)


def weighted_ward_order(cents: np.ndarray, sizes: np.ndarray, adj=None) -> list[tuple[int, int]]:
    """Merge order of Ward on the paragraphs, with keys kept whole: the cost of joining a and b
    is n_a n_b / (n_a + n_b) |c_a - c_b|^2 over the keys' sizes n and mean vectors c.

    Unweighted Ward on centroids treats a 20-paragraph island like a 2,000-paragraph one.
    With ``adj`` only touching keys merge while any touching pair is left; then the rest join
    by cost. k keys cost O(k^3): fine for the few hundred bays a map has.
    """
    c = np.asarray(cents, dtype=np.float64).copy()
    n = np.maximum(np.asarray(sizes, dtype=np.float64), 1.0)
    k = c.shape[0]
    touch = (adj.toarray() > 0) if adj is not None else np.ones((k, k), dtype=bool)
    sq = (c**2).sum(axis=1)
    cost = np.outer(n, n) / (n[:, None] + n[None, :]) * np.maximum(sq[:, None] + sq[None, :] - 2 * c @ c.T, 0.0)
    np.fill_diagonal(cost, np.inf)
    order = []
    for _ in range(k - 1):
        # Touching pairs first; when none is left, separate pieces of land join by cost.
        masked = np.where(touch, cost, np.inf)
        pick = masked if np.isfinite(masked).any() else cost
        i, j = np.unravel_index(int(np.argmin(pick)), pick.shape)
        a, b = int(min(i, j)), int(max(i, j))
        c[a] = (n[a] * c[a] + n[b] * c[b]) / (n[a] + n[b])
        n[a] += n[b]
        touch[a] |= touch[b]
        touch[:, a] = touch[a]
        cost[b, :] = cost[:, b] = np.inf  # b is gone
        alive = np.isfinite(cost[a]) | (np.arange(k) == a)
        row = n[a] * n / (n[a] + n) * ((c - c[a]) ** 2).sum(axis=1)
        row = np.where(alive, row, np.inf)
        row[a] = np.inf
        cost[a, :] = cost[:, a] = row
        order.append((a, b))
    return order


def cut(order: list[tuple[int, int]], k: int, t: int) -> np.ndarray:
    """Groups 0..t-1 of k keys after the first k - t merges of ``order``."""
    parent = np.arange(k)
    for a, b in order[: max(k - t, 0)]:
        parent[parent == b] = a
    return np.unique(parent, return_inverse=True)[1].astype(np.int32)
