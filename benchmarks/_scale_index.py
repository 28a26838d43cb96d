"""bench_scale's neighbour-index stages: the first open (build + cache write) and the reopen.

Both go through the app's own path (main_window._build_index): ``MapStore.open(readonly=True)``
then ``NeighborIndex.from_store``. The reopen runs in a fresh process (``child_reopen``), so
nothing but the OS page cache is warm: it reads the vectors from the map file, hashes them for
the cache key and loads the index from the cache folder. Recall@10 and click times are measured
there too, on the index as a reopened map has it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def set_threshold(threshold: int | None) -> None:
    """Where approximate search starts (None: ideamap's own APPROX_THRESHOLD). Small test maps
    pass 0 so the IVF + cache path runs at all."""
    if threshold is not None:
        from ideamap.search import index as index_mod

        index_mod.APPROX_THRESHOLD = threshold


def open_index(path: Path):
    """What the app does once a map is open: read its vectors and get the neighbour index."""
    from ideamap.search import NeighborIndex
    from ideamap.store.mapfile import MapStore

    with MapStore.open(path, readonly=True) as store:
        return NeighborIndex.from_store(store)


def first_open(path: Path) -> dict:
    """The index as the first open of a new map builds it (and writes it to the cache)."""
    from ideamap.search import index as index_mod
    from ideamap.search.index_cache import cache_folder

    t0 = time.perf_counter()
    index = open_index(path)
    seconds = time.perf_counter() - t0
    n = len(index)
    out = {"build_s": round(seconds, 2), "kind": "exact (IndexFlatIP)" if index.exact else "ivfflat",
           "from_cache": index.from_cache, "n": n,
           "approx_threshold": index_mod.APPROX_THRESHOLD}
    if not index.exact:
        out.update(nlist=index_mod.ivf_lists(n), nprobe=index_mod.NPROBE,
                   cache_file_mb=round(sum(p.stat().st_size for p in cache_folder().glob("*.faiss")) / 2**20, 1))
    del index
    return out


def reopen(path: Path, queries: int, threshold: int | None) -> dict:
    """Runs ``child_reopen`` in a fresh interpreter and returns what it measured."""
    cmd = [sys.executable, str(HERE / "bench_scale.py"), "--child-reopen", str(path), "--queries", str(queries)]
    if threshold is not None:
        cmd += ["--approx-threshold", str(threshold)]
    launched = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=os.environ.copy())
    if done.returncode != 0:
        raise RuntimeError(f"reopen child failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["launch_to_ready_s"] = round(result.pop("t_ready") - launched, 2)
    return result


def child_reopen(path: Path, queries: int) -> dict:
    """In the fresh process: time until neighbours are ready, then recall and clicks."""
    from ideamap.search import index as index_mod
    from ideamap.search import index_cache
    from ideamap.store.mapfile import MapStore

    t0 = time.perf_counter()
    index = open_index(path)
    ready = time.perf_counter() - t0
    t_ready = time.time()
    out = {"ready_s": round(ready, 3), "t_ready": t_ready, "from_cache": index.from_cache,
           "exact": index.exact}
    # Parts of ``ready``, measured again after it (the file is now in the page cache either way).
    with MapStore.open(path, readonly=True) as store:
        t0 = time.perf_counter()
        ids, vectors = store.vectors()
        out["part_read_vectors_s"] = round(time.perf_counter() - t0, 3)
        encoder = ",".join(sorted(store.vector_model_ids()))
    del ids, vectors
    if not index.exact:
        t0 = time.perf_counter()
        index_cache.index_key(index.ids, index.vectors, encoder, "ivfflat", {"nlist": index_mod.ivf_lists(len(index))})
        out["part_key_hash_s"] = round(time.perf_counter() - t0, 3)
        out["part_cache_load_and_rest_s"] = round(ready - out["part_read_vectors_s"] - out["part_key_hash_s"], 3)
    out.update(recall_and_clicks(index, queries))
    out["peak_rss_mb"] = peak_rss_mb_since_exec()
    return out


def peak_rss_mb_since_exec() -> float | None:
    """This process's own peak (VmHWM): ru_maxrss of a spawned child also counts the parent's
    RSS at the fork, so it would report the build's peak."""
    try:
        with open("/proc/self/status") as f:
            line = next(l for l in f if l.startswith("VmHWM:"))
        return round(int(line.split()[1]) / 1024, 1)
    except (OSError, StopIteration):
        return None


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, chunk: int = 65_536) -> np.ndarray:
    """Rows of the k most similar vectors per query by exact inner product, scanning
    ``vectors`` in chunks (views: no second copy of the matrix)."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_r = np.zeros((len(queries), 0), np.int64)
    for start in range(0, len(vectors), chunk):
        sims = queries @ vectors[start : start + chunk].T
        s = np.concatenate([best_s, sims], axis=1)
        r = np.concatenate([best_r, np.broadcast_to(np.arange(start, start + sims.shape[1]), sims.shape)], axis=1)
        keep = np.argpartition(-s, min(k, s.shape[1]) - 1, axis=1)[:, :k]
        best_s, best_r = np.take_along_axis(s, keep, 1), np.take_along_axis(r, keep, 1)
    order = np.argsort(-best_s, axis=1)
    return np.take_along_axis(best_r, order, 1)


def recall_and_clicks(index, queries: int, k: int = 10, seed: int = 1) -> dict:
    """recall@k of the index against exact search over ``queries`` random paragraphs (each
    itself excluded), and the time of one click: ``index.neighbors(pid, k)``, which is what
    MapSession.neighbors asks."""
    n = len(index)
    picked = np.random.default_rng(seed).choice(n, min(queries, n), replace=False)
    q = index.vectors[picked]
    truth_ids = index.ids[exact_top(index.vectors, q, k + 1)]
    _, found_ids = index.search_vectors(q, k + 1)
    hits = []
    for qid, t_row, f_row in zip(index.ids[picked], truth_ids, found_ids):
        truth = [i for i in t_row if i != qid][:k]
        found = {i for i in f_row if i != qid and i >= 0}
        hits.append(len(found.intersection(truth)) / max(len(truth), 1))
    times = []
    for pid in index.ids[picked]:
        t0 = time.perf_counter()
        index.neighbors(int(pid), k)
        times.append((time.perf_counter() - t0) * 1000)
    return {"queries": len(picked), "recall_at_10": round(float(np.mean(hits)), 4),
            "click_p50_ms": round(float(np.percentile(times, 50)), 2),
            "click_p95_ms": round(float(np.percentile(times, 95)), 2)}
