"""Pull far-flung groups of points in next to the main landmass.

UMAP lays out parts of the data that share no neighbours (e.g. a run of HTML boilerplate, pasted
program output) as separate components at an arbitrary, often large, distance: on the meeting
notes two groups of ~40 points sat several map-radii away, and scaling the map to include them
left the real map in a corner. Each such group is moved rigidly, keeping its shape and its
direction from the main mass, to just beyond the coast.
"""

from __future__ import annotations

import numpy as np

# Points closer than this share of the main mass's radius belong to the same group.
LINK_SHARE = 0.15
# Only groups farther than this share of the radius from the land already placed are moved:
# stray points on the fringe of the main mass are part of the picture, not a layout artefact.
FAR_SHARE = 0.5
MAX_STEPS = 400


def groups(coords: np.ndarray, radius: float) -> np.ndarray:
    """Connected groups of points linked by distances below ``radius``."""
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import radius_neighbors_graph

    graph = radius_neighbors_graph(coords, radius, mode="connectivity", include_self=False)
    return connected_components(graph, directed=False)[1]


def main_radius(coords: np.ndarray) -> float:
    """A robust size of the map: 90th percentile of distances to the median point."""
    dist = np.linalg.norm(coords - np.median(coords, axis=0), axis=1)
    return float(np.quantile(dist, 0.9)) or 1.0


def pack_far_groups(coords: np.ndarray) -> np.ndarray:
    """Return coords with every group other than the largest moved close to the placed ones."""
    from sklearn.neighbors import KDTree

    coords = np.asarray(coords, dtype=np.float64)
    if coords.shape[0] < 4:
        return coords
    radius = main_radius(coords)
    gap = LINK_SHARE * radius
    labels = groups(coords, gap)
    sizes = np.bincount(labels)
    if sizes.size == 1:
        return coords
    order = np.lexsort((np.arange(sizes.size), -sizes))  # largest first, ties by label
    out = coords.copy()
    main = labels == order[0]
    centre = out[main].mean(axis=0)
    placed = out[main]
    for g in order[1:]:
        members = np.flatnonzero(labels == g)
        tree = KDTree(placed)
        if tree.query(out[members], k=1)[0].min() > FAR_SHARE * radius:
            out[members] = _slide_in(out[members], centre, placed, gap, tree)
        placed = np.vstack([placed, out[members]])
    return out


def _slide_in(pts: np.ndarray, centre: np.ndarray, placed: np.ndarray, gap: float, tree) -> np.ndarray:
    """Move ``pts`` along the ray from ``centre`` through their centroid to the first spot that
    keeps ``gap`` from every placed point, starting from the centre outwards."""
    own = pts.mean(axis=0)
    ray = own - centre
    norm = float(np.linalg.norm(ray))
    ray = ray / norm if norm > 0 else np.array([1.0, 0.0])
    shape = pts - own
    for step in range(MAX_STEPS):
        if step * gap / 2 >= norm:
            break  # never push a group outwards
        candidate = centre + ray * (step * gap / 2) + shape
        if tree.query(candidate, k=1)[0].min() >= gap:
            return candidate
    return pts  # no free spot found along the ray: leave the group where UMAP put it
