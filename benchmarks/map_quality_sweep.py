"""How the region figures of benchmarks/map_quality.py move with the merge thresholds of
ideamap/layout/hierarchy.py, on the same cached maps (run map_quality.py once first), without
names (seconds per setting).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/map_quality_sweep.py

Each row: island / region similarity thresholds; regions (how many hold >= 5% / < 1% of the map),
the largest region's share, regions >= 5% below 0.85 purity, size-weighted purity (coarse label)
and NMI (fine label) of regions / islands, keys in several pieces of land (regions / islands).
The first row of each corpus is the Ward on island centroids that compute_layout used before;
the last, the default thresholds with map-neighbour links longer than 3x the median distance
to the 5th neighbour left out (roughly where the canvas draws sea between two paragraphs; not
the default). JSON: benchmarks/results/map_quality_sweep.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import map_quality as mq  # noqa: E402

GRID = [(0.8, 0.5), (0.7, 0.5), (0.7, 0.4), (0.7, 0.3), (0.6, 0.4), (0.5, 0.4), (0.5, 0.3), (0.5, 0.2)]
OUT = mq.ROOT / "benchmarks" / "results" / "map_quality_sweep.json"


def figures(data: dict, coords, levels) -> dict:
    from sklearn.metrics import normalized_mutual_info_score as nmi

    n = len(data["texts"])
    fine, coarse = np.array(data["fine"]), np.array(data["coarse"])
    _, regions = mq.purity(levels[0], coarse, n)
    pieces = mq.contiguity(coords, levels, n)
    return {"regions": len(regions), "regions_big": sum(r["share"] >= mq.BIG_REGION for r in regions),
            "largest": max(r["share"] for r in regions),
            "under_1pct": sum(r["share"] < 0.01 for r in regions),
            "flagged": [r["purity"] for r in regions if r["flag"]],
            "purity": [mq.purity(levels[lv], coarse, n)[0] for lv in (0, 1)],
            "nmi_fine": [round(float(nmi(fine[levels[lv] >= 0], levels[lv][levels[lv] >= 0])), 3) for lv in (0, 1)],
            "in_pieces": [p["in_pieces"] for p in pieces],
            "drawn_split": [d["on_several_drawn_masses"] for d in mq.drawn_land(coords, levels)]}


def sweep(name: str) -> list[dict]:
    from ideamap.layout import hierarchy as hier
    from ideamap.layout import islands as isl

    data = mq.load_corpus(name, encode=None)  # cached by map_quality.py
    coords, bays, _ = mq.load_map(name, data)
    vectors = np.asarray(data["vectors"])
    rows = [{"setting": "ward_centroids (before)", **figures(data, coords, isl.build_levels(vectors, bays))}]
    saved = hier.ISLAND_SIMILARITY, hier.REGION_SIMILARITY
    try:
        for ti, tr in GRID:
            hier.ISLAND_SIMILARITY, hier.REGION_SIMILARITY = ti, tr
            label = f"{ti} / {tr}" + (" (default)" if (ti, tr) == saved else "")
            rows.append({"setting": label, **figures(data, coords, hier.build_levels(vectors, bays, coords))})
    finally:
        hier.ISLAND_SIMILARITY, hier.REGION_SIMILARITY = saved
    plain = hier.key_adjacency
    try:
        hier.key_adjacency = short_links_only
        rows.append({"setting": "default, short links only",
                     **figures(data, coords, hier.build_levels(vectors, bays, coords))})
    finally:
        hier.key_adjacency = plain
    return rows


def short_links_only(coords, keys, k, neighbours: int = 10, reach: float = 3.0):
    """adjacency.key_adjacency without links longer than ``reach`` x the median distance from
    a land paragraph to its 5th nearest land paragraph."""
    from scipy import sparse
    from sklearn.neighbors import NearestNeighbors

    land = np.flatnonzero(keys >= 0)
    dist, neigh = NearestNeighbors(n_neighbors=neighbours + 1).fit(coords[land]).kneighbors(coords[land])
    limit = reach * float(np.median(dist[:, 5]))
    a = np.repeat(keys[land], neighbours)
    b = keys[land][neigh[:, 1:].ravel()]
    keep = (a != b) & (dist[:, 1:].ravel() <= limit)
    adj = sparse.coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(k, k)).tocsr()
    return adj + adj.T


def markdown(name: str, rows: list[dict]) -> str:
    out = [f"{name}", "| islands / regions threshold | regions (>= 5%, < 1%) | largest | flagged | purity R / I "
           "| NMI fine R / I | in pieces R / I | on several drawn masses R / I |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['setting']} | {r['regions']} ({r['regions_big']}, {r['under_1pct']}) | {r['largest']:.0%} | "
                   f"{len(r['flagged'])} {r['flagged']} | {r['purity'][0]} / {r['purity'][1]} | "
                   f"{r['nmi_fine'][0]} / {r['nmi_fine'][1]} | {r['in_pieces'][0]} / {r['in_pieces'][1]} | "
                   f"{r['drawn_split'][0]} / {r['drawn_split'][1]} |")
    return "\n".join(out)


def main() -> dict:
    report = {}
    for name in mq.CORPORA:
        if (mq.CACHE / f"{name}_vectors.npz").exists():
            report[name] = sweep(name)
            print(markdown(name, report[name]), flush=True)
        else:
            print(f"{name}: no cached vectors; run benchmarks/map_quality.py first")
    OUT.write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
