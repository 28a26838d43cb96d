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
