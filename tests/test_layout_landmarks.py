"""Landmark layout: unchanged below the sample size, every point placed near its landmarks above."""

from __future__ import annotations

import numpy as np
import pytest

from ideamap.layout import landmarks as lm
from ideamap.layout import projection as proj
from ideamap.layout.neighbors import normalise_rows


def clustered(n: int, seed: int = 3, dim: int = 32, topics: int = 6) -> np.ndarray:
    """Normalised vectors around a few topic centres; one small topic of 8 points."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics + 1, dim)) * 3
    sizes = [8] + [(n - 8) // topics] * topics
    sizes[-1] += n - sum(sizes)
    rows = [centres[t] + rng.standard_normal((s, dim)) for t, s in enumerate(sizes)]
    return normalise_rows(np.vstack(rows))


@pytest.fixture(scope="module")
def big():
    v = clustered(400)
    v[390:] = v[0]  # ten copies of one paragraph: landmarks must be distinct rows
    coords, info = lm.project_with_landmarks(v, 11, sample=120)
    return v, coords, info


def test_below_sample_is_exactly_the_old_projection():
    v = clustered(150)
    old, old_info = proj.project_map(v, 5)
    new, new_info = lm.project_with_landmarks(v, 5, sample=150)
    np.testing.assert_array_equal(old, new)
    assert new_info == old_info


def test_compute_layout_below_sample_matches_old_coordinates():
    from ideamap.layout.build import compute_layout

    v = clustered(120, seed=4)
    texts = [f"paragraph {i} about topic {i % 7}" for i in range(120)]
    old, _ = proj.project_map(normalise_rows(v), 42)  # compute_layout normalises once more
    res = compute_layout(v, texts, seed=42)
    np.testing.assert_array_equal(res.coords, old)
    assert "landmarks" not in res.params["projection"]


def test_landmarks_are_distinct_stratified_and_deterministic():
    v = clustered(400)
    v[390:] = v[0]
    marks = lm.choose_landmarks(v, 120, 11)
    assert marks.size == 120
    np.testing.assert_array_equal(marks, lm.choose_landmarks(v, 120, 11))
    assert np.unique(lm.row_keys(v[marks])).size == marks.size  # no copies among landmarks
    assert np.intersect1d(marks, np.arange(391, 400)).size == 0  # copies of row 0 never chosen
    assert np.isin(np.arange(8), marks).sum() >= 2  # the small topic keeps points


def test_above_sample_every_point_placed_and_finite(big):
    v, coords, info = big
    assert coords.shape == (v.shape[0], 2)
    assert np.isfinite(coords).all()
    assert (coords >= 0).all() and (coords <= 1).all()
    assert info["landmarks"]["n_landmarks"] == 120


def test_landmarks_keep_their_fitted_coordinates(big):
    v, coords, _ = big
    marks = lm.choose_landmarks(v, 120, 11)
    fitted, _ = proj.project_map(v[marks], 11)
    np.testing.assert_array_equal(coords[marks], fitted)


def test_placed_points_land_near_their_nearest_landmark(big):
    v, coords, _ = big
    marks = lm.choose_landmarks(v, 120, 11)
    rest = np.setdiff1d(np.arange(v.shape[0]), marks)
    nearest = marks[np.argmax(v[rest] @ v[marks].T, axis=1)]
    gap = np.linalg.norm(coords[rest] - coords[nearest], axis=1)
    limit = lm.PLACE_RADIUS_SPACINGS / np.sqrt(marks.size) + 4 * lm.JITTER_MAX
    assert np.quantile(gap, 0.95) <= limit


def test_faiss_neighbours_agree_with_exact():
    from ideamap.layout.neighbors import cosine_knn

    base, queries = clustered(2000, seed=8), clustered(300, seed=9)
    idx, sim, info = lm.landmark_neighbours(queries, base, 10, 1)
    exact, _ = cosine_knn(queries, base, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, exact)])
    assert recall >= 0.8, (recall, info)
    assert (idx >= 0).all() and np.isfinite(sim).all()
