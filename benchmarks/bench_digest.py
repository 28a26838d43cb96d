"""Digest benchmark: how well k picks stand for a real island, against two baselines, and the
near-copy threshold measured on the same maps.

For every island of a map (the "island" level, at least --min-size paragraphs), k paragraphs are
picked three ways: ideamap's digest (facility location, near-copies barred, boilerplate last),
the k most central members (highest mean cosine to the island), and k at random (mean over 5
seeds). Each pick set is scored by
  redundancy  the largest cosine between two picks (lower is better; ≥ 0.95 is a near-copy pair)
  coverage    the mean, over the island's members, of the cosine to the closest pick (higher)
  boilerplate the share of picks that are boilerplate (layout/boilerplate.py; lower)
The threshold part compares the cosine of pairs with the same normalised text (copies) with
that of each paragraph's nearest neighbours of different text (the hardest non-copies).

    .venv/bin/python benchmarks/bench_digest.py --map meetings.ideamap --map papers.ideamap [-k 12]

Maps are built beforehand (ideamap build ../shared/corpora/meeting_notes -o meetings.ideamap).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "digest.json"


def score(vectors: np.ndarray, picks: list[int], flags: np.ndarray) -> dict:
    chosen = vectors[picks]
    sims = chosen @ chosen.T
    upper = sims[np.triu_indices(len(picks), 1)]
    return {
        "redundancy": float(upper.max()) if upper.size else 0.0,
        "near_copy_pairs": int((upper >= 0.95).sum()),
        "coverage": float((vectors @ chosen.T).max(axis=1).mean()),
        "boilerplate_share": float(flags[picks].mean()),
    }


def most_central(vectors: np.ndarray, k: int) -> list[int]:
    centrality = vectors @ vectors.mean(axis=0)
    return [int(i) for i in np.argsort(-centrality)[:k]]


def island_sets(store, level: int, min_size: int) -> list[tuple[str, list[int]]]:
    from ideamap.reading import island_members

    out = []
    for island in store.islands(level):
        members, _ = island_members(store, island.id)
        if len(members) >= min_size:
            out.append((island.label, members))
    return out


def bench_map(path: Path, k: int, min_size: int) -> dict:
    from ideamap.layout.boilerplate import normalise_for_repeats
    from ideamap.reading import boilerplate_ids, select_diverse
    from ideamap.search import NeighborIndex
    from ideamap.store.mapfile import MapStore

    with MapStore.open(path, readonly=True) as store:
        index = NeighborIndex.from_store(store)
        start = time.perf_counter()
        flags_set = boilerplate_ids(store, index)
        boilerplate_s = time.perf_counter() - start
        texts = dict(store.db.execute("SELECT id, text FROM paragraphs WHERE id IN (SELECT paragraph_id FROM vectors)"))
        doc_of = dict(store.db.execute("SELECT id, document_id FROM paragraphs"))
        level = min(1, store.n_levels() - 1)
        sets = island_sets(store, level, min_size)
        ids = index.ids
        unit = index.vectors / np.linalg.norm(index.vectors, axis=1, keepdims=True)
        flags_all = np.isin(ids, np.fromiter(flags_set, np.int64, len(flags_set)))
        keys_all = [normalise_for_repeats(texts[int(i)]) for i in ids]
        per_method: dict[str, list[dict]] = {"digest": [], "most_central": [], "random": []}
        digest_seconds = []
        for _, members in sets:
            rows = np.searchsorted(ids, members)
            vecs, flags, keys = unit[rows], flags_all[rows], [keys_all[r] for r in rows]
            start = time.perf_counter()
            picks = select_diverse(vecs, k, keys=keys, last_resort=flags)
            digest_seconds.append(time.perf_counter() - start)
            per_method["digest"].append(score(vecs, picks, flags))
            per_method["most_central"].append(score(vecs, most_central(vecs, k), flags))
            rand = [score(vecs, list(np.random.default_rng(s).choice(len(vecs), min(k, len(vecs)), replace=False)), flags)
                    for s in range(5)]
            per_method["random"].append({m: float(np.mean([r[m] for r in rand])) for m in rand[0]})
        summary = {m: {metric: round(float(np.mean([r[metric] for r in rows_])), 4) for metric in rows_[0]}
                   for m, rows_ in per_method.items() if rows_}
        return {
            "map": path.name,
            "paragraphs_on_map": int(len(ids)),
            "boilerplate_paragraphs": len(flags_set),
            "boilerplate_seconds": round(boilerplate_s, 3),
            "boilerplate_exact_only_seconds_at_100k": round(exact_boilerplate_seconds(
                [texts[int(i)] for i in ids], [doc_of[int(i)] for i in ids]), 3),
            "islands": len(sets),
            "island_sizes": [len(m) for _, m in sets],
            "level": level,
            "k": k,
            "mean_over_islands": summary,
            "digest_seconds_mean": round(float(np.mean(digest_seconds)), 4) if digest_seconds else None,
            "threshold": threshold_evidence(unit, keys_all, index),
        }


def exact_boilerplate_seconds(texts: list[str], documents: list[int], n: int = 100_000) -> float:
    """Time of the exact-copies-only check (what maps above 50k paragraphs get) on n paragraphs:
    the map's texts repeated, each repetition a new set of documents."""
    from ideamap.layout.boilerplate import boilerplate_mask

    reps = -(-n // len(texts))
    big_texts = (texts * reps)[:n]
    offset = max(documents) + 1
    big_docs = [d + offset * (i // len(texts)) for i, d in enumerate(documents * reps)][:n]
    start = time.perf_counter()
    boilerplate_mask(big_texts, big_docs)
    return time.perf_counter() - start


def threshold_evidence(unit: np.ndarray, keys: list[str], index, max_pairs: int = 20000) -> dict:
    """Cosine of same-text pairs vs nearest different-text pairs, at candidate thresholds."""
    rng = np.random.default_rng(0)
    groups: dict[str, list[int]] = {}
    for row, key in enumerate(keys):
        groups.setdefault(key, []).append(row)
    same = [(a, b) for rows in groups.values() if len(rows) > 1 for i, a in enumerate(rows) for b in rows[i + 1:]]
    if len(same) > max_pairs:
        same = [same[i] for i in rng.choice(len(same), max_pairs, replace=False)]
    same_sims = np.array([float(unit[a] @ unit[b]) for a, b in same])
    sims, found = index.search_vectors(index.vectors, 11)
    rows = np.searchsorted(index.ids, np.maximum(found, 0))
    diff = []
    for r in range(len(keys)):
        for s, c, f in zip(sims[r], rows[r], found[r]):
            if f >= 0 and c != r and keys[c] != keys[r]:
                diff.append(float(s))
                break  # the nearest neighbour whose text differs
    diff_sims = np.array(diff)
    out = {"same_text_pairs": int(len(same_sims)), "nearest_different_text_pairs": int(len(diff_sims))}
    for name, values in (("same_text", same_sims), ("nearest_different_text", diff_sims)):
        if values.size:
            out[f"{name}_percentiles"] = {str(p): round(float(np.percentile(values, p)), 4) for p in (1, 5, 25, 50, 75, 95, 99)}
    for t in (0.9, 0.93, 0.95, 0.97):
        out[f"at_{t}"] = {
            "same_text_below": round(float((same_sims < t).mean()), 4) if same_sims.size else None,
            "different_text_above": round(float((diff_sims >= t).mean()), 4) if diff_sims.size else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--map", action="append", type=Path, required=True)
    parser.add_argument("-k", type=int, default=12)
    parser.add_argument("--min-size", type=int, default=30)
    args = parser.parse_args()
    results = {"k": args.k, "min_island_size": args.min_size, "maps": [bench_map(p, args.k, args.min_size) for p in args.map]}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
