"""compute_layout: vectors and texts in, map coordinates, nested islands and labels out."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ideamap.layout import bay_sample
from ideamap.layout import hierarchy
from ideamap.layout import islands as isl
from ideamap.layout import labels, phrases
from ideamap.layout.landmarks import LANDMARK_SAMPLE, project_with_landmarks
from ideamap.layout.neighbors import normalise_rows
from ideamap.layout.specs import relabel_islands
from ideamap.layout.types import SEA, LayoutResult

ALGORITHM = "umap2d+hdbscan2d+touching-average+ctfidf/2"


def compute_layout(
    vectors: np.ndarray,
    texts: list[str],
    *,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
    landmark_sample: int = LANDMARK_SAMPLE,
    documents=None,
) -> LayoutResult:
    """Project paragraphs to a 2-D map, find nested islands and label them.

    ``vectors`` are the (n, d) paragraph embeddings (normalised here again to be safe), ``texts``
    the paragraphs in the same order. The same input and ``seed`` give the same map. The first
    call in a process spends a few seconds compiling UMAP's numba kernels. Above
    ``landmark_sample`` paragraphs UMAP is fitted on that many landmarks and the rest are placed
    from their nearest landmarks (see landmarks.py); at or below it the map is unchanged.
    """
    say = progress or (lambda _msg: None)
    vectors = normalise_rows(vectors)
    n = vectors.shape[0]
    if len(texts) != n:
        raise ValueError(f"{n} vectors but {len(texts)} texts")
    timings: dict[str, float] = {}
    params: dict = {"algorithm": ALGORITHM, "seed": seed, "n": n, "versions": _versions()}

    say("Projecting paragraphs onto the map")
    t0 = time.perf_counter()
    coords = _project(vectors, seed, params, landmark_sample)
    timings["projection"] = time.perf_counter() - t0

    say("Finding islands")
    t0 = time.perf_counter()
    levels, sea_hint = _cluster(vectors, coords, params, _boilerplate(texts, documents, params))
    timings["clustering"] = time.perf_counter() - t0

    say("Labelling islands")
    t0 = time.perf_counter()
    islands = relabel_islands(texts, levels, coords, vectors)
    timings["labelling"] = time.perf_counter() - t0

    params["labels"] = {**labels.params(), **phrases.params()}
    params["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    return LayoutResult(coords=coords, levels=levels, islands=islands, sea_hint=sea_hint, params=params)


def _project(vectors: np.ndarray, seed: int, params: dict, sample: int) -> np.ndarray:
    coords, params["projection"] = project_with_landmarks(vectors, seed, sample=sample)
    return coords


def _boilerplate(texts, documents, params) -> np.ndarray | None:
    """Paragraphs copied (up to digits, case and spacing) across many documents: licence
    lines, agenda templates, bot messages. They stay on the map and in search, but in the sea,
    so they never form islands of their own. ``documents`` is each paragraph's document key."""
    if documents is None:
        return None
    from ideamap.layout.boilerplate import boilerplate_mask

    mask = boilerplate_mask(texts, documents)
    params["boilerplate"] = {"method": "exact normalised copies across documents", "to_sea": int(mask.sum())}
    return mask


def _cluster(vectors: np.ndarray, coords: np.ndarray, params: dict, boilerplate=None):
    n = vectors.shape[0]
    hdb = isl.hdbscan_params(n)
    # Copies of one paragraph are spread around one spot: clustering that spread would split
    # a map of a few distinct paragraphs into arbitrary islands.
    distinct = params["projection"].get("n_unique", n)
    seed = params.get("seed", 42)
    bays = isl.find_bays(coords, hdb, seed) if distinct >= isl.MIN_POINTS_TO_CLUSTER else isl.one_island(n)
    if boilerplate is not None and boilerplate.any() and not boilerplate.all():
        bays = np.where(boilerplate, SEA, bays)  # build_levels renumbers the bays left
    levels = hierarchy.build_levels(vectors, bays, coords, seed)
    counts = [int(lv.max()) + 1 if (lv != SEA).any() else 0 for lv in levels]
    params["clustering"] = {
        "method": "hdbscan on map coords" if distinct >= isl.MIN_POINTS_TO_CLUSTER else "single island",
        **hdb,
        "fringe": {"neighbours": isl.FRINGE_NEIGHBOURS, "share": isl.FRINGE_SHARE},
        "merge": hierarchy.params(),
        **_sampling(n),
        "islands_per_level": counts,
        "sea_share": float(np.mean(levels[-1] == SEA)) if n else 0.0,
    }
    return levels, isl.sea_hints(vectors, levels[-1], seed)


def _sampling(n: int) -> dict:
    """How a map above the cluster sample size was clustered (nothing for smaller maps)."""
    if n <= bay_sample.CLUSTER_SAMPLE:
        return {}
    return {"sample": {"rows": bay_sample.CLUSTER_SAMPLE, "assign_k": bay_sample.ASSIGN_K,
                       "min_cluster_size_in_sample": "min_cluster_size x sample / n",
                       "sea_hint_land_sample": bay_sample.HINT_LAND_SAMPLE}}


def _versions() -> dict:
    """Versions of the libraries that shape the map, read without importing them."""
    from importlib import metadata

    out = {}
    for dist in ("umap-learn", "hdbscan", "scikit-learn", "scipy", "numpy", "pynndescent", "numba"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out
