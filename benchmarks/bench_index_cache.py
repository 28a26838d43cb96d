"""The neighbour index across opens: build once, reopen from the user cache.

For each n: the first open (IVF build + cache write), a reopen (key hash + checksummed read),
recall@10 against exact search for several nprobe values, and the time of one click (the
neighbours of one paragraph, as the app asks) at p50/p95, for IVF and for exact search measured
in the same run; at the smallest n also the HNSW graph that ideamap used to rebuild every open.

Vectors: real all-MiniLM-L6-v2 paragraph vectors from ideamap's embedding cache
(~/.cache/ideamap/vectors.sqlite, the shared corpora embedded by earlier runs), each copied many
times with gaussian noise (cosine of a copy to its source ≈ 0.8, as in bench_index.py); when that
cache is missing, clustered random vectors (said in the JSON). Excluded: reading the vectors from
the map file, which is the same for every index kind.

    nice .venv/bin/python benchmarks/bench_index_cache.py [--n 100000 200000] [--no-hnsw]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

NPROBES = (16, 32, 48, 64, 96)


def real_vectors() -> tuple[np.ndarray, str]:
    from ideamap.paths import cache_dir

    path = cache_dir() / "vectors.sqlite"
    if path.exists():
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT vector FROM vectors WHERE model_id LIKE '%MiniLM%'").fetchall()
        vecs = [np.frombuffer(r[0], dtype=np.float32) for r in rows]
        vecs = [v for v in vecs if len(v) == 384]
        if len(vecs) >= 1000:
            return np.stack(vecs), f"real MiniLM vectors from {path} ({len(vecs)}) + noise"
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(300, 384))
    v = centres[rng.integers(0, 300, 10_000)] + 0.5 * rng.normal(size=(10_000, 384))
    return v.astype(np.float32), "clustered random normal vectors (no embedding cache found)"


def synthetic_from(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    src = real[rng.integers(0, len(real), size=n)]
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    noise = rng.normal(size=src.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    out = src + 0.75 * noise
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def clicks_ms(index, ids: np.ndarray, k: int = 10) -> dict:
    times = []
    for pid in ids:
        t0 = time.perf_counter()
        index.neighbors(int(pid), k)
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50": round(float(np.percentile(times, 50)), 2), "p95": round(float(np.percentile(times, 95)), 2)}


def recall(truth: np.ndarray, found: np.ndarray) -> float:
    return round(float(np.mean([len(set(a) & set(b)) / truth.shape[1] for a, b in zip(truth, found)])), 4)


def one_size(vectors: np.ndarray, queries: int, hnsw: bool) -> dict:
    from ideamap.search import index as index_mod
    from ideamap.search.index import NeighborIndex

    n = len(vectors)
    ids = np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(1)
    picked = rng.choice(n, queries, replace=False)
    out: dict = {"n": n, "nlist": index_mod.ivf_lists(n)}

    exact = NeighborIndex(ids, vectors, exact=True)
    t0 = time.perf_counter()
    _, truth = exact.search_vectors(vectors[picked], 11)
    out["exact_batch_query_s"] = round(time.perf_counter() - t0, 2)
    truth = np.array([[i for i in row if i != q][:10] for q, row in zip(picked, truth)])
    out["exact_click_ms"] = clicks_ms(exact, picked[:50])  # slow at this size: fewer
    del exact

    t0 = time.perf_counter()
    first = NeighborIndex(ids, vectors, threshold=0, encoder="bench")
    out["first_open_build_and_cache_s"] = round(time.perf_counter() - t0, 2)
    assert not first.from_cache
    t0 = time.perf_counter()
    again = NeighborIndex(ids, vectors, threshold=0, encoder="bench")
    out["reopen_from_cache_s"] = round(time.perf_counter() - t0, 2)
    assert again.from_cache
    out["cache_file_mb"] = round(sum(p.stat().st_size for p in Path(os.environ["IDEAMAP_CACHE_DIR"]).rglob("*.faiss")) / 2**20)

    sweep = {}
    for nprobe in NPROBES:
        again.index.nprobe = nprobe
        _, found = again.search_vectors(vectors[picked], 11)
        found = np.array([[i for i in row if i != q][:10] for q, row in zip(picked, found)])
        sweep[nprobe] = {"recall_at_10": recall(truth, found), "click_ms": clicks_ms(again, picked[:200])}
    out["ivf_by_nprobe"] = sweep
    again.index.nprobe = index_mod.NPROBE
    out["nprobe_default"] = index_mod.NPROBE
    out["recall_at_10"] = sweep[index_mod.NPROBE]["recall_at_10"]
    out["click_p95_ms"] = sweep[index_mod.NPROBE]["click_ms"]["p95"]

    if hnsw:
        out["hnsw_m32_efc80"] = hnsw_baseline(vectors, picked, truth)
    return out


def hnsw_baseline(vectors: np.ndarray, picked: np.ndarray, truth: np.ndarray) -> dict:
    """What ideamap did before: an HNSW graph built at every open."""
    import faiss

    t0 = time.perf_counter()
    index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.add(vectors)
    build = time.perf_counter() - t0
    index.hnsw.efSearch = 128
    _, found = index.search(vectors[picked], 11)
    found = np.array([[i for i in row if i != q][:10] for q, row in zip(picked, found)])
    return {"build_every_open_s": round(build, 2), "recall_at_10_ef128": recall(truth, found)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--no-hnsw", action="store_true", help="skip the HNSW baseline (slow)")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "index_cache.json")
    args = parser.parse_args()

    import faiss

    real, source = real_vectors()
    results = {"vectors": source, "threads": faiss.omp_get_max_threads(), "sizes": []}
    for i, n in enumerate(args.n):
        with tempfile.TemporaryDirectory() as cache:
            os.environ["IDEAMAP_CACHE_DIR"] = cache  # a fresh, throwaway cache per size
            row = one_size(synthetic_from(real, n), args.queries, hnsw=not args.no_hnsw and i == 0)
        results["sizes"].append(row)
        print(json.dumps(row), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
