"""Merges of islands into coarser ones that follow the map: only touching land (Ward by size, and
compute_layout's average linkage of touching land, hierarchy.py)."""

from __future__ import annotations

import numpy as np

from ideamap.layout import SEA
from ideamap.layout import hierarchy as hier
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


# --- hierarchy.build_levels: compute_layout's merges (average linkage of touching land) ------


def topic_line(topics, per=40, seed=0, small=None):
    """Blobs side by side on the map; blob i is about ``topics[i]`` (blobs of one topic are alike
    in meaning wherever they lie). ``small``: index of a blob given only 12 paragraphs (more
    than the 10 map neighbours adjacency counts, so far out at sea it touches nothing)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(topics) + 1, 32))
    coords, vectors, bays = [], [], []
    for i, t in enumerate(topics):
        m = 12 if i == small else per
        coords.append([i, 0.0] + rng.normal(scale=0.2, size=(m, 2)))
        blob = centres[t] + 0.3 * rng.normal(size=32)  # each blob a sub-topic of its topic
        vectors.append(blob + 0.6 * rng.normal(size=(m, 32)))
        bays.append(np.full(m, i))
    v = np.vstack(vectors)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.vstack(coords), v.astype(np.float32), np.concatenate(bays).astype(np.int32)


def groups_of(levels, bays, level):
    """The partition of the bays at ``level``, as a set of frozensets of bay ids."""
    out: dict = {}
    for b in np.unique(bays[bays != SEA]):
        out.setdefault(int(levels[level][bays == b][0]), set()).add(int(b))
    return {frozenset(g) for g in out.values()}


def assert_nested_and_in_one_piece(levels, coords, bays):
    adj = key_adjacency(coords, levels[-1], int(levels[-1].max()) + 1)
    assert ((levels == SEA) == (bays == SEA)).all()
    for lv in (0, 1):
        for key in np.unique(levels[lv][levels[lv] != SEA]):
            members = levels[lv] == key
            assert len(np.unique(levels[lv - 1][members])) == 1 or lv == 0  # nesting
            assert pieces(adj, np.unique(levels[-1][members])) == 1  # one area of land


def test_regions_follow_the_land_when_far_land_is_alike():
    # topic 0 on both ends of the map, topic 1 between them: Ward on centroids joins the ends
    coords, vectors, bays = topic_line([0, 0, 1, 1, 0, 0])
    old = isl.build_levels(vectors, bays)
    assert old[0][bays == 0][0] == old[0][bays == 5][0]
    levels = hier.build_levels(vectors, bays, coords)
    assert_nested_and_in_one_piece(levels, coords, bays)
    assert groups_of(levels, bays, 0) == {frozenset({0, 1}), frozenset({2, 3}), frozenset({4, 5})}


def test_unlike_neighbours_stay_apart_and_alike_ones_merge():
    coords, vectors, bays = topic_line([0, 0, 0, 1, 2, 2])
    levels = hier.build_levels(vectors, bays, coords)
    assert_nested_and_in_one_piece(levels, coords, bays)
    # a region may be a single bay when it is unlike both neighbours
    assert groups_of(levels, bays, 0) == {frozenset({0, 1, 2}), frozenset({3}), frozenset({4, 5})}


def test_a_speck_joins_its_most_alike_neighbour_but_a_lone_one_stays():
    # blob 2: 12 of 1,612 paragraphs (under hierarchy.SMALL_REGION of the land), unlike both sides
    coords, vectors, bays = topic_line([0, 0, 1, 2, 2], per=400, small=2)
    levels = hier.build_levels(vectors, bays, coords)
    regions = groups_of(levels, bays, 0)
    assert frozenset({2}) not in regions and len(regions) == 2
    islet = coords.copy()
    islet[bays == 2] += [0.0, 30.0]  # the same speck far out at sea: nothing touches it
    assert frozenset({2}) in groups_of(hier.build_levels(vectors, bays, islet), bays, 0)  # few regions: kept


def test_separate_clumps_do_not_each_make_a_region():
    """A map of many separate clumps (each a piece of land of its own, nothing touching) gets
    regions of at least SMALL_REGION of the land, not one region per clump; big clumps stay
    regions of their own."""
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(4, 32))
    coords, vectors, bays = [], [], []
    for i in range(300):  # 300 clumps of 20 paragraphs, 4 topics, 3 map units apart
        coords.append([3.0 * (i % 20), 3.0 * (i // 20)] + rng.normal(scale=0.05, size=(20, 2)))
        vectors.append(centres[i % 4] + 0.5 * rng.normal(size=(20, 32)))
        bays.append(np.full(20, i))
    coords.append([100.0, 100.0] + rng.normal(scale=0.05, size=(2000, 2)))  # one big lone clump
    vectors.append(rng.normal(size=32) + 0.5 * rng.normal(size=(2000, 32)))
    bays.append(np.full(2000, 300))
    coords, vectors, bays = np.vstack(coords), np.vstack(vectors), np.concatenate(bays).astype(np.int32)
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    levels = hier.build_levels(vectors, bays, coords)
    # Far fewer regions than the 301 clumps: beyond MOST_REGIONS no region is a small islet.
    sizes = np.bincount(levels[0])
    assert len(sizes) <= hier.MOST_REGIONS or sizes.min() >= hier.SMALL_REGION * len(bays)
    assert len(sizes) < 1 / hier.SMALL_REGION and int(levels[1].max()) + 1 <= hier.MOST_ISLANDS
    big = levels[0][bays == 300]
    assert (levels[0] == big[0]).sum() == 2000  # the big lone clump is a region by itself
    # Each region is a few clumps near each other on the map, not clumps from all over it.
    for key in range(int(levels[0].max()) + 1):
        spread = coords[levels[0] == key].std(axis=0).max()
        assert spread < 20, f"region {key} spans the map"


def test_large_maps_read_adjacency_from_a_sample(monkeypatch):
    from ideamap.layout import bay_sample

    coords, vectors, bays = topic_line([0, 0, 1, 1, 0, 0])
    bays[::7] = SEA
    full = hier.build_levels(vectors, bays, coords)
    monkeypatch.setattr(bay_sample, "CLUSTER_SAMPLE", 150)  # the map has 240 rows
    sampled = hier.build_levels(vectors, bays, coords, seed=3)
    assert_nested_and_in_one_piece(sampled, coords, bays)
    assert groups_of(sampled, bays, 0) == groups_of(full, bays, 0)
    assert np.array_equal(sampled, hier.build_levels(vectors, bays, coords, seed=3))


def test_no_land_is_all_sea():
    levels = hier.build_levels(np.ones((4, 3), np.float32), np.full(4, SEA, np.int32), np.zeros((4, 2)))
    assert (levels == SEA).all() and levels.shape == (3, 4)
