"""Time of the merges into islands and regions (hierarchy.build_levels, compute_layout's) against
the Ward on centroids before it (islands.build_levels), on synthetic maps in the same run.

    .venv/bin/python benchmarks/bench_hierarchy.py 100000:800 300000:1500

Each argument is paragraphs:bays. Bays are random spots on the map (10% sea), 384-d unit vectors
drawn around one topic per 10 bays. Prints one line per map; the vectors take 1.5 GB at 1M.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def synthetic_map(n: int, n_bays: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.random((n_bays, 2))
    bays = rng.integers(0, n_bays, n).astype(np.int32)
    coords = (centres[bays] + rng.normal(scale=0.3 / np.sqrt(n_bays), size=(n, 2))).astype(np.float32)
    bays[rng.random(n) < 0.1] = -1
    topics = rng.normal(size=(n_bays // 10 + 1, 384)).astype(np.float32)
    vectors = topics[np.maximum(bays, 0) // 10] + rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, bays, coords


def main(args: list[str]) -> None:
    from ideamap.layout import hierarchy, islands

    for arg in args or ["100000:800"]:
        n, n_bays = (int(x) for x in arg.split(":"))
        vectors, bays, coords = synthetic_map(n, n_bays)
        t0 = time.perf_counter()
        levels = hierarchy.build_levels(vectors, bays, coords)
        t_new = time.perf_counter() - t0
        t0 = time.perf_counter()
        islands.build_levels(vectors, bays)
        t_old = time.perf_counter() - t0
        print(f"n {n} bays {n_bays}: touching average {t_new:.1f} s ({levels[0].max() + 1} regions, "
              f"{levels[1].max() + 1} islands); Ward on centroids {t_old:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
