"""Merges of islands into coarser ones that follow the map: only touching land, Ward by size."""

from __future__ import annotations

import numpy as np

from ideamap.layout import SEA
from ideamap.layout import islands as isl
from ideamap.layout.adjacency import cut, key_adjacency, pieces, weighted_ward_order


def line_of_blobs(n_blobs=6, per=40, seed=0):
    """Blobs side by side on the map; the first and last are alike in meaning, far apart."""
    rng = np.random.default_rng(seed)
    coords = np.vstack([[i, 0.0] + rng.normal(scale=0.2, size=(per, 2)) for i in range(n_blobs)])
    base = rng.normal(size=(n_blobs, 16))
    base[-1] = base[0] + 0.1 * rng.normal(size=16)
    vectors = np.vstack([b + 0.3 * rng.normal(size=(per, 16)) for b in base]).astype(np.float32)
    return coords, vectors, np.repeat(np.arange(n_blobs), per).astype(np.int32)


def test_key_adjacency_links_only_neighbouring_blobs():
    coords, _, bays = line_of_blobs()
    adj = key_adjacency(coords, bays, 6).toarray()
    assert (adj == adj.T).all() and (np.diag(adj) == 0).all()
    assert all(adj[i, i + 1] > 0 for i in range(5)) and adj[0, 5] == 0 and adj[0, 3] == 0
    assert pieces(key_adjacency(coords, bays, 6), np.array([0, 1, 2])) == 1
    assert pieces(key_adjacency(coords, bays, 6), np.array([0, 5])) == 2


def test_adjacent_merges_never_join_far_land():
    coords, vectors, bays = line_of_blobs()
    plain = isl.build_levels(vectors, bays)
    assert plain[1][bays == 0][0] == plain[1][bays == 5][0]  # Ward alone joins the far pair
    for weighted in (False, True):
        levels = isl.build_levels(vectors, bays, coords, weighted)
        assert ((levels == SEA) == (bays == SEA)).all()
        assert levels[1][bays == 0][0] != levels[1][bays == 5][0]
        for fine in (1, 2):  # nesting holds
            for key in np.unique(levels[fine]):
                assert len(np.unique(levels[fine - 1][levels[fine] == key])) == 1


def test_weighted_ward_takes_a_small_island_into_its_nearest_big_one_first():
    cents = np.array([[0.0, 0.0], [1.0, 0.0], [0.55, 0.0], [5.0, 0.0]])
    order = weighted_ward_order(cents, np.array([500, 500, 3, 500]))
    assert order[0] in ((0, 2), (1, 2))
    assert cut(order, 4, 4).tolist() == [0, 1, 2, 3] and len(set(cut(order, 4, 2).tolist())) == 2
