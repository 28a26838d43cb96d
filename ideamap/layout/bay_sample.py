"""Bays of a map too large for one HDBSCAN run: cluster a random sample, assign the rest.

HDBSCAN on the 2-D map is near-linear in time but not in memory: measured on a 1M-paragraph map
(benchmarks/bench_scale.py) it peaked at 20.6 GB where 300k needed under 3 GB. Above
``CLUSTER_SAMPLE`` points we therefore run it on a uniform random sample of the map (a uniform
sample keeps the density shape HDBSCAN reads, only thinner), with the minimum bay size scaled by
the sampling rate so bays stay the size they would have on the whole map, then give every other
point the bay most of its nearest sample points are in (sea when most are sea). At or below the
sample size nothing changes: ``islands.find_bays`` runs as before.
"""

from __future__ import annotations

import numpy as np

CLUSTER_SAMPLE = 200_000
ASSIGN_K = 10  # sample points voting for each other point's bay
ASSIGN_CHUNK = 65_536  # rows per KD-tree query, so the (m, k) arrays stay small
_SEED = 0xBA75


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted indices of ``size`` rows drawn uniformly without replacement, fixed by ``seed``."""
    rng = np.random.default_rng([seed, _SEED])
    return np.sort(rng.choice(n, size, replace=False))


def scaled_params(params: dict, n: int, size: int) -> dict:
    """HDBSCAN settings for the sample: the minimum bay size shrinks with the sampling rate."""
    mcs = max(5, int(round(params["min_cluster_size"] * size / n)))
    return {**params, "min_cluster_size": mcs}


def assign_by_vote(coords: np.ndarray, rows: np.ndarray, labels: np.ndarray, k: int = ASSIGN_K) -> np.ndarray:
    """Labels for all points: ``rows`` keep theirs, every other point takes the label held by
    most of its k nearest sample points (ties go to the nearer point's label; sea is a label
    like the others, so thin land between bays stays sea as in the sample)."""
    from sklearn.neighbors import KDTree

    n = coords.shape[0]
    out = np.empty(n, dtype=np.int32)
    out[rows] = labels
    rest = np.setdiff1d(np.arange(n), rows, assume_unique=True)
    tree = KDTree(coords[rows].astype(np.float64))
    k = min(k, rows.size)
    # A tiny bonus for nearer voters breaks ties toward the nearest sample point.
    nearness = np.linspace(0.5, 0.0, k, endpoint=False)
    for start in range(0, rest.size, ASSIGN_CHUNK):
        chunk = rest[start : start + ASSIGN_CHUNK]
        idx = tree.query(coords[chunk].astype(np.float64), k=k, return_distance=False)
        votes = labels[idx]  # (m, k), nearest first
        counts = (votes[:, :, None] == votes[:, None, :]).sum(axis=2) + nearness[None, :]
        out[chunk] = votes[np.arange(len(chunk)), np.argmax(counts, axis=1)]
    return out


HINT_LAND_SAMPLE = 50_000  # land paragraphs a large map's sea paragraphs are compared with


def sea_voters(vectors: np.ndarray, sea: np.ndarray, land: np.ndarray, k: int, seed: int):
    """For each sea row, k similar land rows (indices into ``vectors``) and their cosines, from a
    uniform sample of the land searched with faiss IVF: an exact sea x land product would be
    quadratic (150k sea x 850k land paragraphs on a 1M map)."""
    from ideamap.layout.landmarks import landmark_neighbours

    voters = land if land.size <= HINT_LAND_SAMPLE else land[sample_rows(land.size, HINT_LAND_SAMPLE, seed)]
    idx, sim, _ = landmark_neighbours(vectors[sea], vectors[voters], k, seed)
    return voters[idx], sim
