"""Which paragraphs the names of a large map are read from: a per-island sample with weights.

Counting phrases is the slowest part of labelling (a Python analyzer per paragraph: 158 s of the
169 s labelling stage of a 300k-paragraph map, benchmarks/bench_scale.py) and grows with n. A
name only needs each island's phrase *shares*, which a sample estimates well, so above
``LABEL_SAMPLE`` paragraphs the phrases are counted on a sample stratified by the finest level:
every bay (and the sea) keeps rows in proportion to its size, but at least ``BAY_FLOOR`` (or all
it has), so a small island is still named from its own text. Each sampled row carries the weight
size / kept of its stratum, which makes weighted shares unbiased for the whole island at every
level. At or below the sample size every row is used with weight 1, exactly as before.
"""

from __future__ import annotations

import numpy as np

LABEL_SAMPLE = 100_000
BAY_FLOOR = 20
_SEED = 0x1ABE


def label_rows(finest: np.ndarray, seed: int = 42) -> tuple[np.ndarray, np.ndarray] | None:
    """(sorted sampled rows, their weights), or None when the map is small enough to use all."""
    n = finest.size
    if n <= LABEL_SAMPLE:
        return None
    rng = np.random.default_rng([seed, _SEED])
    rate = LABEL_SAMPLE / n
    order = np.lexsort((rng.random(n), finest))  # by stratum, random within it
    strata, starts, sizes = np.unique(finest[order], return_index=True, return_counts=True)
    kept = np.maximum(np.minimum(sizes, BAY_FLOOR), np.round(sizes * rate).astype(np.int64))
    rank = np.arange(n) - np.repeat(starts, sizes)
    take = rank < np.repeat(kept, sizes)
    rows = order[take]
    weights = np.repeat(sizes / kept, sizes)[take]
    sort = np.argsort(rows, kind="stable")
    return rows[sort], weights[sort].astype(np.float64)
