"""Fast unit tests of the layout's parts (no UMAP, no HDBSCAN fit)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from ideamap.layout import SEA, _heavy, place_new_points
from ideamap.layout import islands as isl
from ideamap.layout import labels as lab
from ideamap.layout.dedupe import duplicate_groups
from ideamap.layout.neighbors import cosine_knn, knn_graph, normalise_rows, top_k
from ideamap.layout.packing import pack_far_groups
from ideamap.layout.projection import n_neighbors_for, normalise_coords, trivial_coords


def unit_rows(n, d=16, seed=0):
    return normalise_rows(np.random.default_rng(seed).normal(size=(n, d)))


def test_top_k_is_sorted_and_breaks_ties_by_index():
    sims = np.array([[0.5, 0.9, 0.5, 0.5, 0.1]], dtype=np.float32)
    idx, val = top_k(sims, 3)
    assert idx.tolist() == [[1, 0, 2]] and np.allclose(val, [[0.9, 0.5, 0.5]])


def test_cosine_knn_matches_brute_force():
    a, b = unit_rows(30, seed=1), unit_rows(50, seed=2)
    idx, sim = cosine_knn(a, b, 5)
    brute = np.argsort(-(a @ b.T), axis=1)[:, :5]
    assert np.array_equal(idx, brute) and np.allclose(sim, np.take_along_axis(a @ b.T, brute, 1))


def test_knn_graph_puts_each_point_first_even_among_duplicates():
    v = np.vstack([np.repeat(unit_rows(1), 20, axis=0), unit_rows(10, seed=3)])
    idx, dist = knn_graph(v, 15)
    assert (idx[:, 0] == np.arange(len(v))).all() and (dist[:, 0] == 0).all()
    assert (dist >= 0).all() and (np.diff(dist, axis=1) >= -1e-6).all()


def test_duplicate_groups_join_copies_only():
    base = unit_rows(6, seed=4)
    v = np.vstack([base, base[[2, 2, 5]]])
    idx, dist = knn_graph(v, 5)
    reps = duplicate_groups(idx, dist)
    assert reps.tolist() == [0, 1, 2, 3, 4, 5, 2, 2, 5]


def test_pack_far_groups_pulls_a_far_group_in_and_keeps_its_shape():
    rng = np.random.default_rng(0)
    main = rng.normal(size=(300, 2))
    far = rng.normal(scale=0.2, size=(30, 2)) + [60.0, 0.0]
    out = pack_far_groups(np.vstack([main, far]))
    assert np.allclose(out[:300], main)  # the main mass, fringe included, stays put
    moved = out[300:]
    assert np.allclose(moved - moved.mean(0), far - far.mean(0))  # rigid move
    assert 2.0 < moved.mean(0)[0] < 10.0  # now beside the main mass, still on its side
    gap = np.linalg.norm(moved[:, None] - main[None], axis=2).min()
    assert gap > 0.1  # and still separate from it


def test_normalise_coords_keeps_aspect_and_range():
    c = np.array([[0, 0], [4, 0], [4, 1], [0, 1]], dtype=np.float32)
    out = normalise_coords(c)
    assert out.min() >= 0 and out.max() <= 1
    assert np.allclose(out[:, 0], [0, 1, 1, 0])
    assert np.allclose(out[:, 1], [0.375, 0.375, 0.625, 0.625])  # short axis centred
    assert np.allclose(normalise_coords(np.ones((3, 2))), 0.5)


def test_trivial_coords_and_neighbour_counts():
    assert trivial_coords(1).tolist() == [[0.5, 0.5]]
    three = trivial_coords(3)
    assert len(np.unique(three, axis=0)) == 3 and three.min() >= 0 and three.max() <= 1
    assert n_neighbors_for(5) == 4 and n_neighbors_for(1000) == 15


def test_clean_drops_urls_links_and_speakers():
    text = "nikomatsakis: we discussed [the RFC](https://x.org/rfc) - josh: see www.a.com/b now"
    out = lab.clean(text)
    assert "nikomatsakis" not in out and "josh" not in out and "http" not in out and "www" not in out
    assert "the RFC" in out and "std::mem" in lab.clean("std::mem is: fine")


def test_redundancy_and_label_building():
    assert lab.redundant("async", ["async fn"]) and lab.redundant("const generics", ["generic"])
    assert not lab.redundant("async closures", ["async fn"])
    assert lab.redundant("categories", ["category"]) and not lab.redundant("class", ["cla"])
    assert lab.make_label(["lava", "volcano", "magma", "eruption"]) == "lava · volcano · magma"
    assert lab.make_label(["hidden type", "constrain hidden", "opaque"]) == "hidden type · opaque"
    long = ["extraordinarily lengthy term", "another wordy phrase", "third"]
    assert lab.make_label(long) == "extraordinarily lengthy term · another wordy phrase"


def test_ctfidf_prefers_the_distinctive_term():
    texts = ["lava volcano report"] * 5 + ["violin cello report"] * 5 + ["report 2024"] * 2
    texts = [f"{t} {i}" for i, t in enumerate(texts)]  # distinct paragraphs (repeats count once)
    counts, vocab = lab.term_matrix(texts)
    keys = np.array([0] * 5 + [1] * 5 + [SEA] * 2)
    weights = lab.ctfidf(counts, keys, 2)
    first = [lab.top_terms(weights[k], vocab, []) for k in range(2)]
    assert first[0][0] in {"lava", "volcano", "lava volcano"} and "report" not in first[0][:2]
    assert first[1][0] in {"violin", "cello", "violin cello"}
    assert all(not t.isdigit() for terms in first for t in terms)


def test_term_matrix_without_words():
    counts, vocab = lab.term_matrix(["123 456", "the and of"])
    assert counts is None and len(vocab) == 0


def test_by_size_orders_keys_largest_first():
    keys = np.array([5, 5, SEA, 2, 2, 2, 9])
    assert isl.by_size(keys).tolist() == [1, 1, SEA, 0, 0, 0, 2]


def test_build_levels_nests_and_shrinks():
    rng = np.random.default_rng(0)
    vectors = unit_rows(400, seed=5)
    bays = rng.integers(-1, 30, size=400).astype(np.int32)
    levels = isl.build_levels(vectors, bays)
    assert levels.shape == (3, 400) and ((levels == SEA) == (bays == SEA)).all()
    counts = [len(np.unique(lv[lv != SEA])) for lv in levels]
    assert counts == [isl.level_targets(30)[1], isl.level_targets(30)[0], 30]
    for fine in (1, 2):
        for key in np.unique(levels[fine][levels[fine] != SEA]):
            assert len(np.unique(levels[fine - 1][levels[fine] == key])) == 1


def test_level_targets_are_nested_counts():
    for n in (1, 2, 3, 5, 10, 50, 150, 600):
        islands, regions = isl.level_targets(n)
        assert 1 <= regions <= islands <= n


def test_absorb_fringe_takes_only_points_on_a_shore():
    coords = np.vstack([np.random.default_rng(0).normal(scale=0.1, size=(30, 2)), [[0.0, 0.0], [9, 9]]])
    labels = np.array([0] * 30 + [SEA, SEA], dtype=np.int32)
    out = isl.absorb_fringe(labels, coords)
    assert out[30] == 0  # inside the island: land
    assert out[31] == 0 or out[31] == SEA  # far point: only its neighbours decide
    lonely = np.vstack([coords[:30], np.full((12, 2), 50.0)])
    lab2 = np.array([0] * 30 + [SEA] * 12, dtype=np.int32)
    assert (isl.absorb_fringe(lab2, lonely)[30:] == SEA).all()  # a sea of its own stays sea


def test_weighted_vote():
    keys = np.array([3, 3, SEA, SEA, SEA])
    w = np.ones(5)
    assert isl.weighted_vote(keys, w, sea_allowed=True) == SEA
    assert isl.weighted_vote(keys, w, sea_allowed=False) == 3
    assert isl.weighted_vote(np.array([1, 2, 2]), np.array([0.9, 0.3, 0.3]), True) == 1


def test_numba_cache_dir_respects_the_user(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert _heavy.ensure_numba_cache() == str(tmp_path / "mine")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = _heavy.ensure_numba_cache()
    assert folder.endswith("numba") and "ideamap" in folder


def test_place_new_points_goes_to_sea_among_sea():
    rng = np.random.default_rng(0)
    old = rng.normal(size=(20, 8)).astype(np.float32)
    coords = rng.random((20, 2)).astype(np.float32)
    levels = np.full((3, 20), SEA, dtype=np.int32)
    levels[:, :3] = 0
    _, new_levels = place_new_points(old, coords, levels, old[10:12] * 1.01, k=5)
    assert (new_levels == SEA).all()


def test_place_new_points_edge_cases():
    coords, levels = place_new_points(np.zeros((0, 4)), np.zeros((0, 2)), np.zeros((3, 0)), np.ones((2, 4)))
    assert coords.shape == (2, 2) and (levels == SEA).all()
    coords, levels = place_new_points(np.ones((1, 4)), np.full((1, 2), 0.3), np.zeros((3, 1)), np.ones((1, 4)))
    assert levels.tolist() == [[0], [0], [0]] and np.allclose(coords, 0.3, atol=0.05)


def test_importing_layout_does_not_import_umap():
    code = (
        "import sys, ideamap.layout; "
        "print(sorted(m for m in ('umap','numba','hdbscan','torch','PySide6') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_people_named_as_speakers_are_not_topic_terms():
    from ideamap.layout.labels import person_names

    texts = [
        "niko: I think the borrow checker should accept this",
        "Niko: agreed, the borrow checker change is small",
        "As Niko said, the borrow checker needs a proposal",
        "@josh wrote the proposal for the borrow checker",
        "@josh: can you review the proposal",
        "Proposal: accept the borrow checker change",
        "Proposal: defer the RFC",
        "The proposal was discussed; the proposal needs an RFC",
        "RFC: the RFC process for the proposal",
        "RFC: another RFC",
    ]
    names = person_names(texts)
    assert {"niko", "josh"} <= names
    assert "proposal" not in names and "rfc" not in names and "borrow" not in names
