"""End-to-end tests of ideamap.layout on synthetic paragraphs (every test here runs UMAP: slow).

Blobs of normalised 384-d vectors stand in for topics; each blob's texts draw on its own
vocabulary, so a correct layout finds the blobs as islands and labels them with those words.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, homogeneity_score

from ideamap.layout import SEA, compute_layout, place_new_points, relabel_islands
from ideamap.layout.adjacency import key_adjacency, pieces

VOCABS = [
    "volcano lava magma eruption crater basalt".split(),
    "violin orchestra symphony concerto cello sonata".split(),
    "protein enzyme ribosome peptide amino folding".split(),
    "glacier iceberg tundra permafrost blizzard arctic".split(),
    "compiler parser bytecode lexer optimizer linker".split(),
    "tennis racket serve volley tournament wimbledon".split(),
]
pytestmark = pytest.mark.slow

COMMON = "the report notes several points about this topic and what we discussed today".split()


def make_blobs(n_groups=3, subs=2, per=45, seed=0, spread=0.05):
    """Topics in pairs: sub-blobs of one group share a direction, so merges should pair them."""
    rng = np.random.default_rng(seed)
    groups = rng.normal(size=(n_groups, 384))
    subs_c = np.repeat(groups, subs, axis=0) + 0.9 * rng.normal(size=(n_groups * subs, 384))
    subs_c /= np.linalg.norm(subs_c, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_groups * subs), per)
    v = subs_c[labels] + spread * rng.normal(size=(labels.size, 384))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    texts = [
        " ".join(rng.choice(VOCABS[b], 4).tolist() + rng.choice(COMMON, 6).tolist()) for b in labels
    ]
    return v.astype(np.float32), texts, labels, labels // subs


@pytest.fixture(scope="module")
def blobs():
    return make_blobs()


@pytest.fixture(scope="module")
def layout(blobs):
    vectors, texts, _, _ = blobs
    return compute_layout(vectors, texts, seed=7)


def test_result_shapes_and_ranges(layout, blobs):
    n = len(blobs[1])
    assert layout.coords.shape == (n, 2) and layout.coords.dtype == np.float32
    assert layout.coords.min() >= 0.0 and layout.coords.max() <= 1.0
    assert np.isclose(np.ptp(layout.coords, axis=0).max(), 1.0)  # the long side spans the map
    assert layout.levels.shape[0] >= 3 and layout.levels.shape[1] == n
    assert layout.levels.dtype == np.int32 and layout.sea_hint.shape == (n,)


def test_islands_recover_the_blobs(layout, blobs):
    _, _, topic, _ = blobs
    land = layout.levels[-1] != SEA
    assert homogeneity_score(topic[land], layout.levels[-1][land]) > 0.95
    assert adjusted_rand_score(topic[land], layout.levels[-1][land]) > 0.9


def test_merges_follow_the_topic_groups(layout, blobs):
    _, _, _, group = blobs
    land = layout.levels[1] != SEA
    # every island (level 1) holds sub-topics of one group only
    assert homogeneity_score(group[land], layout.levels[1][land]) > 0.95


def test_sea_is_small_and_hinted(layout):
    sea = layout.levels[-1] == SEA
    assert sea.mean() <= 0.2
    assert (layout.sea_hint[sea] >= 0).all() and (layout.sea_hint[~sea] == SEA).all()


def test_hierarchy_nests(layout):
    levels = layout.levels
    sea = levels[-1] == SEA
    assert all(((lv == SEA) == sea).all() for lv in levels)  # sea is the same at every level
    for fine in range(1, levels.shape[0]):
        for key in np.unique(levels[fine][~sea]):
            parents = np.unique(levels[fine - 1][levels[fine] == key])
            assert parents.size == 1  # each island lies in exactly one parent
    counts = [len(np.unique(lv[~sea])) for lv in levels]
    assert counts == sorted(counts)  # coarser levels never have more islands
    adj = key_adjacency(layout.coords, levels[-1], counts[-1])
    for lv in range(levels.shape[0] - 1):  # every region and island is one area of land
        for key in np.unique(levels[lv][~sea]):
            assert pieces(adj, np.unique(levels[-1][levels[lv] == key])) == 1
    specs = {(s.level, s.key): s for s in layout.islands}
    for s in layout.islands:
        members = np.flatnonzero(levels[s.level] == s.key)
        assert s.size == members.size and set(s.exemplars) <= set(members.tolist())
        if s.level == 0:
            assert s.parent_key is None
        else:
            assert (s.level - 1, s.parent_key) in specs
            assert (levels[s.level - 1][members] == s.parent_key).all()
        assert 0.0 <= s.x <= 1.0 and 0.0 <= s.y <= 1.0


def test_labels_use_the_blob_vocabulary(layout, blobs):
    _, _, topic, _ = blobs
    for s in layout.islands:
        if s.level != layout.levels.shape[0] - 1:
            continue
        members = np.flatnonzero(layout.levels[-1] == s.key)
        vocab = set(VOCABS[np.bincount(topic[members]).argmax()])
        words = set(s.label.replace(" · ", " ").split())
        assert words and words <= vocab, (s.label, vocab)
        assert len(s.terms) >= 3 and s.terms[0] in vocab


def test_same_input_same_map(layout, blobs):
    vectors, texts, _, _ = blobs
    again = compute_layout(vectors, texts, seed=7)
    assert np.array_equal(layout.coords, again.coords)
    assert np.array_equal(layout.levels, again.levels)
    assert np.array_equal(layout.sea_hint, again.sea_hint)
    assert layout.islands == again.islands
    assert layout.params["seed"] == 7 and layout.params["projection"]["method"] == "umap"
    json.dumps(layout.params)  # the run record must be storable as JSON


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 12, 25])
def test_tiny_maps_work(n):
    vectors, texts, _, _ = make_blobs(per=10, seed=n)
    said: list[str] = []
    result = compute_layout(vectors[:n], texts[:n], seed=1, progress=said.append)
    assert len(said) == 3
    assert result.coords.shape == (n, 2) and result.levels.shape == (3, n)
    if n:
        assert result.coords.min() >= 0.0 and result.coords.max() <= 1.0
        assert (result.levels != SEA).any()  # a small map is at least one island
        assert {s.level for s in result.islands} == {0, 1, 2}


def test_a_map_of_copies_is_one_labelled_island():
    vectors = np.ones((50, 384), dtype=np.float32)
    result = compute_layout(vectors, ["glacier melt report"] * 50)
    assert (result.levels == 0).all()
    assert all("glacier" in s.label for s in result.islands)


def test_duplicates_do_not_break_the_map(blobs):
    vectors, texts, _, _ = blobs
    dup = np.vstack([vectors, np.repeat(vectors[:1], 30, axis=0)])
    result = compute_layout(dup, texts + [texts[0]] * 30, seed=3)
    copies = result.coords[-30:]
    # the 30 copies sit around their original instead of forming a far-away component
    assert np.linalg.norm(copies - result.coords[0], axis=1).max() < 0.1
    assert len(np.unique(copies, axis=0)) > 1


def test_place_new_points_lands_next_to_its_neighbours(layout, blobs):
    vectors, _, _, _ = blobs
    old_coords, old_levels = layout.coords.copy(), layout.levels.copy()
    rng = np.random.default_rng(5)
    target = 17
    new = vectors[target] + 0.01 * rng.normal(size=384).astype(np.float32)
    coords, levels = place_new_points(vectors, layout.coords, layout.levels, new[None, :], k=10)
    assert np.array_equal(layout.coords, old_coords) and np.array_equal(layout.levels, old_levels)
    assert coords.shape == (1, 2) and levels.shape == (3, 1)
    assert (levels[:, 0] == layout.levels[:, target]).all()
    island = layout.coords[layout.levels[-1] == layout.levels[-1, target]]
    # inside its island's extent, near the old point's neighbours
    assert (coords[0] >= island.min(axis=0) - 0.02).all() and (coords[0] <= island.max(axis=0) + 0.02).all()


def test_place_new_points_spreads_duplicates_and_is_deterministic(layout, blobs):
    vectors, _, _, _ = blobs
    new = np.repeat(vectors[:1], 3, axis=0)
    a = place_new_points(vectors, layout.coords, layout.levels, new)
    b = place_new_points(vectors, layout.coords, layout.levels, new)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert len(np.unique(a[0], axis=0)) == 3


def test_relabel_after_adding(layout, blobs):
    vectors, texts, _, _ = blobs
    new = vectors[:5] * 1.0
    new_coords, new_levels = place_new_points(vectors, layout.coords, layout.levels, new)
    specs = relabel_islands(
        texts + texts[:5],
        np.hstack([layout.levels, new_levels]),
        np.vstack([layout.coords, new_coords]),
        np.vstack([vectors, new]),
    )
    before = {(s.level, s.key): s.size for s in layout.islands}
    after = {(s.level, s.key): s.size for s in specs}
    assert before.keys() == after.keys()
    assert sum(after.values()) - sum(before.values()) == 5 * 3  # five adds, counted at 3 levels
