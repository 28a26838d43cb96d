"""Nearest-neighbour index benchmark: above 50k paragraphs ideamap switches from exact FAISS
search to an IVF index (HNSW before; see bench_index_cache.py). This measures its recall@10 against exact search (goal ≥ 0.95), and
the query and build times of both, in the same run.

Vectors: real paragraph vectors from a map (default: build one from the demo corpus or pass
--map), each copied many times with gaussian noise so the cloud has real-world structure at
250k points (cosine of a copy to its source ≈ 0.8).

    .venv/bin/python benchmarks/bench_index.py [--map some.ideamap] [--n 250000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def synthetic_from(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    src = real[rng.integers(0, len(real), size=n)]
    noise = rng.normal(size=src.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    out = src + 0.75 * noise
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--map", type=Path)
    parser.add_argument("--n", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()

    from ideamap.search.index import NeighborIndex
    from ideamap.store.mapfile import MapStore

    if args.map is None:
        from ideamap.demo import ensure_demo_map

        args.map = ensure_demo_map()
    with MapStore.open(args.map) as store:
        _, real = store.vectors()
    vectors = synthetic_from(real, args.n)
    ids = np.arange(len(vectors), dtype=np.int64)
    queries = vectors[np.random.default_rng(1).choice(len(vectors), args.queries, replace=False)]

    t0 = time.perf_counter()
    exact = NeighborIndex(ids, vectors, exact=True)
    exact_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, truth = exact.search_vectors(queries, 10)
    exact_query = (time.perf_counter() - t0) / len(queries)

    t0 = time.perf_counter()
    approx = NeighborIndex(ids, vectors, cache=False)  # the automatic choice; no cache: a cold build
    approx_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, found = approx.search_vectors(queries, 10)
    approx_query = (time.perf_counter() - t0) / len(queries)

    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)]))
    result = {
        "n": len(vectors), "dim": int(vectors.shape[1]), "source_vectors": len(real),
        "automatic_index": "exact" if approx.exact else "ivf",
        "recall_at_10": recall,
        "exact_build_s": round(exact_build, 2), "approx_build_s": round(approx_build, 2),
        "exact_query_ms": round(exact_query * 1000, 3), "approx_query_ms": round(approx_query * 1000, 3),
        "query_speedup": round(exact_query / approx_query, 1),
    }
    result["meets_goal"] = recall >= 0.95
    out = Path(__file__).parent / "results" / "index.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
