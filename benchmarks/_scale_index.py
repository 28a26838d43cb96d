"""bench_scale's neighbour-index figures: what the build's index stage made, and the reopen.

The reopen goes through the app's own path (main_window._build_index):
``MapStore.open(readonly=True)`` then ``NeighborIndex.from_store``, in a fresh process
(``child_reopen``), so nothing but the OS page cache is warm. When the build recorded the index
key for the version of the map it left (store/verified.py), the index is loaded from the cache
folder without reading a vector; otherwise the vectors are read and hashed for the key.
Recall@10 and click times are measured there too, on the index as a reopened map has it.
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


def built_index(n: int, build_s: float, recorded: bool) -> dict:
    """What the build's index stage made: kind, parameters, cache file size."""
    from ideamap.search import index as index_mod
    from ideamap.search.index_cache import cache_folder

    exact = n <= index_mod.APPROX_THRESHOLD
    out = {"build_s": build_s, "kind": "exact (IndexFlatIP, nothing to build)" if exact else "ivfflat",
           "n": n, "approx_threshold": index_mod.APPROX_THRESHOLD, "key_recorded_for_this_version": recorded}
    if not exact:
        out.update(nlist=index_mod.ivf_lists(n), nprobe=index_mod.NPROBE,
                   cache_file_mb=round(sum(p.stat().st_size for p in cache_folder().glob("*.faiss")) / 2**20, 1))
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
    from ideamap.store.mapfile import MapStore

    t0 = time.perf_counter()
    store = MapStore.open(path, readonly=True)
    opened = time.perf_counter() - t0
    index = index_mod.NeighborIndex.from_store(store)
    store.close()
    ready = time.perf_counter() - t0
    t_ready = time.time()
    out = {"ready_s": round(ready, 3), "t_ready": t_ready, "from_cache": index.from_cache,
           "exact": index.exact, "part_open_map_s": round(opened, 3),
           "all_vectors_read": not getattr(index, "from_record", False)}
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
