"""Islands: HDBSCAN "bays" on the 2-D map, merged into islands and regions.

Why the 2-D map and not a 5-10-D UMAP space: measured on 4.6k meeting-note paragraphs, HDBSCAN on
the map gives islands that are contiguous where the user sees them (91-94% of a paragraph's
10 nearest map neighbours share its bay, against 74-80% when clustering in 5-D/10-D), and it
saves a second UMAP fit. The semantic purity of bays drops a little (~0.55 vs ~0.65), which the
labels tolerate. compute_layout merges bays into islands and regions in hierarchy.py (touching
land only); ``build_levels`` here is the Ward on island centroids it used before issue 12, kept
as the baseline benchmarks/map_quality.py measures against.
"""

from __future__ import annotations

import math

import numpy as np

from ideamap.layout import bay_sample
from ideamap.layout._heavy import import_hdbscan
from ideamap.layout.adjacency import adjacent_ward, cut, key_adjacency, weighted_ward_order
from ideamap.layout.neighbors import cosine_knn, normalise_rows
from ideamap.layout.types import SEA

# Below this many paragraphs HDBSCAN has too little to work with: the map is one island.
MIN_POINTS_TO_CLUSTER = 12
# Fringe absorption: a sea point whose map neighbours are mostly one bay is on that bay's shore.
FRINGE_NEIGHBOURS = 10
FRINGE_SHARE = 0.5
SEA_HINT_NEIGHBOURS = 10


def hdbscan_params(n: int) -> dict:
    """HDBSCAN settings that scale with the map: bays grow like sqrt(n) so their count does too.

    Measured on 4.6k meeting-note paragraphs (min_cluster_size 11): sea share before / after
    fringe absorption was 15/10% with min_samples=1, 18/10.5% with 2, 22/12% with 3, 29/18%
    with 5; 'leaf' selection left 28/19% at min_samples=2. min_samples=2 keeps the sea small
    without the pure single-linkage chaining of 1; 'eom' gave fewer, more coherent bays.
    """
    mcs = int(np.clip(round(math.sqrt(n) / 6), 5, 200))
    return {"min_cluster_size": mcs, "min_samples": 2, "cluster_selection_method": "eom"}


def one_island(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int32)


def find_bays(coords: np.ndarray, params: dict, seed: int = 42) -> np.ndarray:
    """Finest-level keys per row (SEA for noise), before reordering. Maps larger than
    bay_sample.CLUSTER_SAMPLE are clustered on a sample (bounded memory), the rest assigned."""
    n = coords.shape[0]
    if n > bay_sample.CLUSTER_SAMPLE:
        rows = bay_sample.sample_rows(n, bay_sample.CLUSTER_SAMPLE, seed)
        labels = _hdbscan_bays(coords[rows], bay_sample.scaled_params(params, n, rows.size))
        return bay_sample.assign_by_vote(coords, rows, labels)
    if n < MIN_POINTS_TO_CLUSTER:
        return one_island(n)
    return _hdbscan_bays(coords, params)


def _hdbscan_bays(coords: np.ndarray, params: dict) -> np.ndarray:
    hdbscan = import_hdbscan()
    labels = hdbscan.HDBSCAN(**params).fit_predict(coords.astype(np.float64))
    labels = np.asarray(labels, dtype=np.int32)
    if labels.max() < 0:  # no structure found: one island rather than a map of only sea
        return one_island(coords.shape[0])
    return absorb_fringe(labels, coords)


def absorb_fringe(labels: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Give a sea point to a bay when at least half of its map neighbours belong to that bay.

    HDBSCAN calls the thinly spread edge of a dense patch noise; on a map those points sit on the
    island's shore, and leaving them as sea made ~17% sea where a reader sees land. One pass only,
    so the land never floods outwards.
    """
    from sklearn.neighbors import NearestNeighbors

    sea = np.flatnonzero(labels == SEA)
    k = min(FRINGE_NEIGHBOURS, coords.shape[0] - 1)
    if sea.size == 0 or k < 1:
        return labels
    nn = NearestNeighbors(n_neighbors=k + 1).fit(coords)
    neigh = nn.kneighbors(coords[sea], return_distance=False)[:, 1:]
    out = labels.copy()
    for row, nb in zip(sea, labels[neigh]):
        nb = nb[nb != SEA]
        if nb.size:
            counts = np.bincount(nb)
            if counts.max() >= FRINGE_SHARE * k:
                out[row] = int(np.argmax(counts))
    return out


def level_targets(n_bays: int) -> tuple[int, int]:
    """How many islands and regions for a given number of bays (about 2*sqrt and its sqrt)."""
    n_islands = int(np.clip(round(2 * math.sqrt(n_bays)), 1, n_bays))
    n_regions = int(np.clip(round(math.sqrt(n_islands)), 1, n_islands))
    if n_islands >= 2:
        n_regions = max(n_regions, 2)  # a single region would add a level with nothing to say
    return n_islands, n_regions


def key_sums(vectors: np.ndarray, keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per key the float64 sum of its members' vectors and its size (SEA rows are ignored)."""
    # One float64 bincount per dimension: the same sums, in the same row order, as
    # np.add.at (so the same bits), but ~20x faster and without copying the land's vectors.
    bins = np.where(keys == SEA, k, keys)
    sums = np.empty((k, vectors.shape[1]), dtype=np.float64)
    for j0 in range(0, vectors.shape[1], 32):  # 32 dimensions at a time, made contiguous
        block = np.ascontiguousarray(vectors[:, j0 : j0 + 32].T)
        for j, column in enumerate(block, start=j0):
            sums[:, j] = np.bincount(bins, weights=column, minlength=k + 1)[:k]
    return sums, np.bincount(bins, minlength=k + 1)[:k].astype(np.float64)


def centroids(vectors: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    """Normalised mean vector of each key's members (rows with SEA are ignored)."""
    return normalise_rows(key_sums(vectors, keys, k)[0])


def merge(vectors: np.ndarray, keys: np.ndarray, k: int, target: int, adj=None,
          weighted: bool = False) -> np.ndarray:
    """Map each of k keys to a coarser key: Ward on the centroid vectors, cut so that ``target``
    coarse islands are substantial (hold >= 1/(4*target) of the land). With ``adj`` (the keys'
    map adjacency, adjacency.key_adjacency) only keys that touch on the map are merged; with
    ``weighted`` the Ward cost counts each key's paragraphs (adjacency.weighted_ward_order).

    Why not a plain cut at ``target``: Ward on unweighted centroids keeps semantic outliers
    (an HTML fragment, pasted program output) apart until the last merges, so on the meeting
    notes 3 of 5 regions held 30-47 paragraphs each and the 4.5k others got 2 regions. Extra
    small islands are allowed, up to twice the target.
    """
    if target >= k:
        return np.arange(k, dtype=np.int32)
    if target <= 1:
        return np.zeros(k, dtype=np.int32)
    from scipy.cluster.hierarchy import fcluster, linkage

    cents = centroids(vectors, keys, k).astype(np.float64)
    sizes = np.bincount(keys[keys != SEA], minlength=k)
    tree = linkage(cents, method="ward") if adj is None and not weighted else None
    order = weighted_ward_order(cents, sizes, adj) if weighted else None
    floor = sizes.sum() / (4 * target)

    def grouping(t: int) -> np.ndarray:
        if weighted:
            return cut(order, k, t)
        if adj is not None:
            return adjacent_ward(cents, adj, t)
        return fcluster(tree, t, criterion="maxclust") - 1

    for t in range(target, min(k, 2 * target) + 1):
        coarse = grouping(t)
        if (np.bincount(coarse, weights=sizes) >= floor).sum() >= target:
            break
    return coarse.astype(np.int32)


def by_size(keys: np.ndarray) -> np.ndarray:
    """Renumber keys 0..k-1, largest first (ties: the key whose first member comes first)."""
    land = keys[keys != SEA]
    if land.size == 0:
        return keys.copy()
    uniq, first, counts = np.unique(land, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    remap = np.full(int(uniq.max()) + 1, SEA, dtype=np.int32)
    remap[uniq[order]] = np.arange(len(uniq), dtype=np.int32)
    out = np.full_like(keys, SEA)
    out[keys != SEA] = remap[land]
    return out


def coarsen(vectors: np.ndarray, fine: np.ndarray, target: int, coords=None, weighted: bool = False) -> np.ndarray:
    """Keys one level up: each fine island goes whole into one coarse island (so nesting holds).
    With ``coords`` (the map) only islands that touch on the map are merged."""
    k = int(fine.max()) + 1
    adj = key_adjacency(coords, fine, k) if coords is not None and target < k else None
    coarse_of_fine = merge(vectors, fine, k, target, adj, weighted)
    return by_size(np.where(fine == SEA, SEA, coarse_of_fine[np.maximum(fine, 0)]))


def build_levels(vectors: np.ndarray, bays: np.ndarray, coords=None, weighted: bool = False) -> np.ndarray:
    """(3, n) keys: regions, islands, bays, each a merge of the level below (of adjacent land
    only when ``coords`` is given; Ward weighted by island size when ``weighted``)."""
    bays = by_size(bays)
    if not (bays != SEA).any():
        return np.full((3, bays.size), SEA, dtype=np.int32)
    n_islands, n_regions = level_targets(int(bays.max()) + 1)
    islands = coarsen(vectors, bays, n_islands, coords, weighted)
    regions = coarsen(vectors, islands, n_regions, coords, weighted)
    return np.stack([regions, islands, bays]).astype(np.int32)


def weighted_vote(keys: np.ndarray, weights: np.ndarray, sea_allowed: bool) -> int:
    """The key with the largest summed weight; SEA when sea holds more than half the weight."""
    total = float(weights.sum())
    land = keys != SEA
    if not land.any():
        return SEA
    if sea_allowed and total > 0 and float(weights[~land].sum()) > 0.5 * total:
        return SEA
    scores = np.bincount(keys[land], weights=weights[land] + 1e-9)
    return int(np.argmax(scores))


def sea_hints(vectors: np.ndarray, finest: np.ndarray, seed: int = 42) -> np.ndarray:
    """For each sea row, the bay its most similar land paragraphs vote for; -1 elsewhere.
    Maps above bay_sample.CLUSTER_SAMPLE compare with a sample of the land (bounded time)."""
    hints = np.full(finest.shape, SEA, dtype=np.int32)
    sea = np.flatnonzero(finest == SEA)
    land = np.flatnonzero(finest != SEA)
    if sea.size == 0 or land.size == 0:
        return hints
    if finest.size > bay_sample.CLUSTER_SAMPLE:
        voters, sim = bay_sample.sea_voters(vectors, sea, land, SEA_HINT_NEIGHBOURS, seed)
    else:
        idx, sim = cosine_knn(vectors[sea], vectors[land], SEA_HINT_NEIGHBOURS)
        voters = land[idx]
    for row, nb, s in zip(sea, voters, sim):
        hints[row] = weighted_vote(finest[nb], np.maximum(s, 0.0), sea_allowed=False)
    return hints
