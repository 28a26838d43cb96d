"""Large-map paths of the layout on small data: sampled bays, sampled sea hints, sampled names.

The sample sizes are lowered with monkeypatch so a few thousand points take the paths a 1M map
takes; at or below the sample sizes the old code runs unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest

from ideamap.layout import bay_sample, islands, label_sample
from ideamap.layout.neighbors import normalise_rows
from ideamap.layout.specs import relabel_islands
from ideamap.layout.types import SEA


def blobs(n_per: int, centres: list[tuple[float, float]], spread: float = 0.02, seed: int = 0):
    rng = np.random.default_rng(seed)
    pts = [rng.normal(c, spread, size=(n_per, 2)) for c in centres]
    truth = np.repeat(np.arange(len(centres)), n_per)
    return np.clip(np.concatenate(pts), 0, 1).astype(np.float32), truth


CENTRES = [(0.2, 0.2), (0.8, 0.2), (0.5, 0.8), (0.2, 0.7), (0.8, 0.75)]


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import adjusted_rand_score

    return adjusted_rand_score(a, b)


def test_sampled_bays_find_the_same_islands_as_the_whole_map(monkeypatch):
    coords, truth = blobs(1200, CENTRES)
    params = islands.hdbscan_params(coords.shape[0])
    whole = islands.find_bays(coords, params)
    monkeypatch.setattr(bay_sample, "CLUSTER_SAMPLE", 1500)
    sampled = islands.find_bays(coords, params, seed=3)
    assert len(np.unique(sampled[sampled != SEA])) == len(CENTRES)
    assert agreement(sampled, truth) > 0.95
    assert agreement(sampled, whole) > 0.95
    # deterministic for a seed
    assert np.array_equal(sampled, islands.find_bays(coords, params, seed=3))


def test_below_the_cluster_sample_the_bays_are_unchanged(monkeypatch):
    coords, _ = blobs(300, CENTRES)
    params = islands.hdbscan_params(coords.shape[0])
    monkeypatch.setattr(bay_sample, "sample_rows", lambda *a: pytest.fail("sampled a small map"))
    assert np.array_equal(islands.find_bays(coords, params), islands._hdbscan_bays(coords, params))


def test_vote_keeps_sample_labels_and_follows_the_nearest_sample_points():
    coords = np.array([[0.0, 0.0], [0.01, 0.0], [0.0, 0.01], [1.0, 1.0], [1.01, 1.0],
                       [0.005, 0.005], [1.0, 1.005], [0.5, 0.5]], dtype=np.float32)
    rows = np.arange(5)
    labels = np.array([4, 4, 4, SEA, SEA], dtype=np.int32)
    out = bay_sample.assign_by_vote(coords, rows, labels, k=3)
    assert out[:5].tolist() == labels.tolist()
    assert out[5] == 4 and out[6] == SEA  # among its bay's points / among sea points
    # Tie (k=2: one bay point and one sea point equally many): the nearer one wins.
    near_bay = np.array([[0.0, 0.0], [1.0, 0.0], [0.1, 0.0]], dtype=np.float32)
    got = bay_sample.assign_by_vote(near_bay, np.arange(2), np.array([7, SEA], dtype=np.int32), k=2)
    assert got[2] == 7


def test_large_map_sea_hints_from_a_land_sample_agree_with_exact(monkeypatch):
    rng = np.random.default_rng(1)
    topics = normalise_rows(rng.standard_normal((4, 32)))
    which = rng.integers(0, 4, 3000)
    vectors = normalise_rows(topics[which] + 0.25 * rng.standard_normal((3000, 32)))
    finest = np.where(rng.random(3000) < 0.1, SEA, which).astype(np.int32)
    exact = islands.sea_hints(vectors, finest)
    monkeypatch.setattr(bay_sample, "CLUSTER_SAMPLE", 1000)
    monkeypatch.setattr(bay_sample, "HINT_LAND_SAMPLE", 800)
    sampled = islands.sea_hints(vectors, finest)
    sea = finest == SEA
    assert (sampled[~sea] == SEA).all()
    assert np.mean(sampled[sea] == exact[sea]) > 0.95
    assert np.mean(sampled[sea] == which[sea]) > 0.95


def test_label_rows_keep_every_bay_and_weigh_rows_back_to_its_size(monkeypatch):
    monkeypatch.setattr(label_sample, "LABEL_SAMPLE", 500)
    finest = np.concatenate([np.zeros(4000), np.ones(900), np.full(7, 2), np.full(93, SEA)]).astype(np.int32)
    assert label_sample.label_rows(finest[:400]) is None
    rows, weights = label_sample.label_rows(finest, seed=5)
    assert np.all(np.diff(rows) > 0)
    for key, size in ((0, 4000), (1, 900), (2, 7), (SEA, 93)):
        mine = finest[rows] == key
        assert mine.sum() >= min(size, label_sample.BAY_FLOOR)
        assert weights[mine].sum() == pytest.approx(size)
    again = label_sample.label_rows(finest, seed=5)
    assert np.array_equal(rows, again[0])


TOPICS = {
    "quantum error correction": "qubits decoherence surface codes stabilizer measurements",
    "river flood forecasting": "rainfall gauges discharge levees upstream catchment",
    "sourdough bread baking": "starter dough gluten oven crust fermentation",
}


def labelled_map(n_per: int):
    rng = np.random.default_rng(2)
    texts, keys = [], []
    for key, (phrase, words) in enumerate(TOPICS.items()):
        pool = words.split()
        for i in range(n_per):
            before, after = " ".join(rng.choice(pool, 3)), " ".join(rng.choice(pool, 3))
            texts.append(f"{before}, {phrase}; {after}.")
            keys.append(key)
    keys = np.array(keys, dtype=np.int32)
    vectors = normalise_rows(np.eye(8, dtype=np.float32)[keys] + 0.05 * rng.standard_normal((keys.size, 8)))
    coords = np.stack([keys * 0.3 + 0.1, rng.random(keys.size) * 0.1], axis=1).astype(np.float32)
    levels = np.stack([np.zeros_like(keys), keys, keys])
    return texts, levels, coords, vectors


def test_sampled_names_match_the_names_read_from_every_paragraph(monkeypatch):
    texts, levels, coords, vectors = labelled_map(400)
    def specs():
        return {(s.level, s.key): s for s in relabel_islands(texts, levels, coords, vectors)}

    full = specs()
    monkeypatch.setattr(label_sample, "LABEL_SAMPLE", 300)
    sampled = specs()
    assert sampled.keys() == full.keys()
    phrases = list(TOPICS)
    for (level, key), spec in full.items():
        mine = sampled[(level, key)]
        assert (mine.size, mine.exemplars) == (spec.size, spec.exemplars)  # from every member
        if level > 0:  # several phrases tie exactly here; each must come from the island's topic
            for name in (spec.label, mine.label):
                assert set(name.split()) <= set(phrases[key].split()), name
            assert len(set(mine.terms) & set(spec.terms)) >= len(spec.terms) // 2


def test_knn_over_a_large_base_in_slices_finds_what_one_product_finds(monkeypatch):
    from ideamap.layout import neighbors

    rng = np.random.default_rng(3)
    base = neighbors.normalise_rows(rng.normal(size=(5_000, 24)).astype(np.float32))
    queries = neighbors.normalise_rows(rng.normal(size=(300, 24)).astype(np.float32))
    whole_i, whole_s = neighbors.cosine_knn(queries, base, 10)
    monkeypatch.setattr(neighbors, "BASE_CHUNK_ROWS", 700)  # 8 slices, the last one short
    sliced_i, sliced_s = neighbors.cosine_knn(queries, base, 10)
    assert np.array_equal(sliced_i, whole_i)
    assert np.allclose(sliced_s, whole_s)


def test_unit_rows_spares_the_copy_only_when_rows_are_unit_length():
    from ideamap.layout.neighbors import normalise_rows, unit_rows

    v = normalise_rows(np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32))
    assert unit_rows(v) is v
    scaled = v * 3
    assert np.allclose(unit_rows(scaled), v, atol=1e-6)


def test_ancestors_table_maps_each_bay_to_its_first_members_levels():
    from ideamap.layout.place import _ancestors

    levels = np.array([[0, 0, 1, -1, 1], [0, 1, 2, -1, 2], [3, 1, 0, -1, 0]], dtype=np.int32)
    table = _ancestors(levels)
    assert table.shape == (4, 3)
    assert table[3].tolist() == [0, 0, 3] and table[1].tolist() == [0, 1, 1] and table[0].tolist() == [1, 2, 0]
    assert table[2].tolist() == [-1, -1, -1]  # a key no paragraph has stays sea
