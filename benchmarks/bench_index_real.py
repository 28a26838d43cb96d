"""Recall of ideamap's IVF index on *real* paragraph vectors, at the share of the lists a
large map's search scans.

bench_scale.py measures recall at 1M paragraphs, but on noisy copies of ~1,300 real vectors,
where a paragraph's neighbours are mostly copies of its own source: an easy test. A real
library of 1M paragraphs cannot be embedded here (hours), so this asks the question the other
way round: take every real vector of a map (e.g. all shared corpora, ~8k paragraphs), build the
IVF index as ideamap would for that many (ivf_lists(n) lists, the same training), and search it
scanning the same *share* of the lists as ideamap's NPROBE scans at 100k, 300k and 1M
paragraphs (48 of 1,265 / 2,191 / 4,000). Recall@10 against exact inner-product search, up to
10,000 paragraphs as queries (each itself excluded). Also what a build of the map would choose
(calibrate_nprobe). Fewer points per list than at 1M, so it is a proxy, said
as such in the JSON.

    .venv/bin/python benchmarks/bench_index_real.py --map all_corpora.ideamap [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

SIZES = (100_000, 300_000, 1_000_000)


def recall_at_10(truth: np.ndarray, found: np.ndarray, own: np.ndarray) -> float:
    hits = []
    for qid, t_row, f_row in zip(own, truth, found):
        t = [i for i in t_row if i != qid][:10]
        f = {i for i in f_row if i != qid and i >= 0}
        hits.append(len(f.intersection(t)) / max(len(t), 1))
    return float(np.mean(hits))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--map", type=Path, required=True)
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "index_real.json")
    parser.add_argument("--queries", type=int, default=10_000, help="paragraphs searched (a sample)")
    args = parser.parse_args()

    import faiss

    from ideamap.search.index import NPROBE, build_ivf, calibrate_nprobe, ivf_lists
    from ideamap.store.mapfile import MapStore

    with MapStore.open(args.map, readonly=True) as store:
        ids, vectors = store.vectors()
    n = len(vectors)
    rows = np.sort(np.random.default_rng(2).choice(n, min(n, args.queries), replace=False))
    _, truth = faiss.knn(vectors[rows], vectors, 11, metric=faiss.METRIC_INNER_PRODUCT)
    nlist = ivf_lists(n)
    t0 = time.perf_counter()
    ivf = build_ivf(vectors, nlist)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    calibration = calibrate_nprobe(ivf, vectors)  # what a build of this map would choose
    calibration["seconds"] = round(time.perf_counter() - t0, 2)
    out = {"map": args.map.name, "n_vectors": n, "queries": len(rows), "nlist": nlist,
           "build_s": round(build_s, 2), "build_calibration": calibration,
           "how": __doc__.split("\n\n")[1].replace("\n", " "), "at": {}}
    for size in SIZES:
        share = NPROBE / ivf_lists(size)
        nprobe = max(1, int(round(share * nlist)))
        ivf.nprobe = nprobe
        t0 = time.perf_counter()
        _, found = ivf.search(vectors[rows], 11)
        per_query_ms = (time.perf_counter() - t0) / len(rows) * 1000
        out["at"][str(size)] = {"lists_scanned_share": round(share, 4), "nprobe_here": nprobe,
                                "scanned_share_here": round(nprobe / nlist, 4),
                                "recall_at_10": round(recall_at_10(truth, found, rows), 4),
                                "query_ms": round(per_query_ms, 3)}
    args.json.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
