"""Map quality on the shared labelled corpora: purity per region, NMI per level, sea share and
label retrieval of the old c-TF-IDF word-list labels vs today's phrase names, in the same run.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/map_quality.py

Corpora (from ../shared/corpora, skipped when absent):
  papers_open    38 PDFs; each paragraph takes its paper's ``coarse_topic`` (6 classes) and
                 ``topic`` (fine) from labels.csv.
  meeting_notes  130 Rust lang-team minutes; coarse = design meeting vs triage minutes (index.csv
                 group), fine = the topic words of a design meeting's file name (planning
                 meetings as one topic), "triage" for the minutes.
Paragraphs are read and embedded as the app does (ingest readers, body and caption paragraphs,
the app's encoder) and laid out with each paragraph's document, so boilerplate goes to sea.
Five hierarchies are built from the same map's bays and scored in one run: compute_layout's
(touching_average: average linkage of touching land, hierarchy.py) and, for comparison, the
Ward merges before it (islands.build_levels): on island centroids (the old default), of
touching land only, weighted by island size, and both.
Vectors and the map (coords, bays) are cached in /tmp (the map under a hash of the code that
makes it), so a rerun only merges, names and scores (1-2 min; a cold run ~18 min on the busy
2-core machine, nearly all embedding). JSON: benchmarks/results/map_quality.json; names table
(today's hierarchy): benchmarks/results/map_quality_names.md.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "corpora"
CACHE = Path("/tmp/ideamap_map_quality")
OUT = ROOT / "benchmarks" / "results" / "map_quality.json"
NAMES_OUT = ROOT / "benchmarks" / "results" / "map_quality_names.md"
BIG_REGION = 0.05  # the goal: regions holding >= 5% of the map have purity >= 0.85
PURITY_GOAL = 0.85


# --- corpora -----------------------------------------------------------------------------


def _read(paths: list[Path]) -> tuple[list[str], list[int], list[Path]]:
    """Mapped paragraphs of each file (as pipeline._mapped_texts), their document index."""
    from ideamap.ingest import read_document
    from ideamap.store.mapfile import MAPPED_KINDS

    texts, docs = [], []
    for d, path in enumerate(paths):
        for p in read_document(path).paragraphs:
            if p.kind.value in MAPPED_KINDS:
                texts.append(p.text)
                docs.append(d)
    return texts, docs, paths


def papers_open() -> dict:
    folder = SHARED / "papers_open"
    rows = {r["file"]: r for r in csv.DictReader(open(folder / "labels.csv", encoding="utf-8"))}
    names = sorted(rows)
    texts, docs, _ = _read([folder / n for n in names])
    return {"texts": texts, "docs": docs, "coarse": [rows[names[d]]["coarse_topic"] for d in docs],
            "fine": [rows[names[d]]["topic"] for d in docs]}


def _meeting_topic(file: str, group: str) -> str:
    if not group.endswith("design-meeting-minutes"):
        return "triage"
    slug = re.sub(r"^.*minutes_\d{4}-\d{2}-\d{2}-?", "", Path(file).stem).lower()
    return "planning" if "planning" in slug else (slug or "design-untitled")


def meeting_notes() -> dict:
    folder = SHARED / "meeting_notes"
    rows = sorted(csv.DictReader(open(folder / "index.csv", encoding="utf-8")), key=lambda r: r["file"])
    texts, docs, _ = _read([folder / r["file"] for r in rows])
    coarse = ["design" if rows[d]["group"].endswith("design-meeting-minutes") else "triage" for d in docs]
    return {"texts": texts, "docs": docs, "coarse": coarse,
            "fine": [_meeting_topic(rows[d]["file"], rows[d]["group"]) for d in docs]}


CORPORA = {"papers_open": papers_open, "meeting_notes": meeting_notes}


# --- caches (npz + JSON, no pickle) --------------------------------------------------------


def encoder():
    from ideamap.embed.encoder import load_encoder

    enc = load_encoder()
    return lambda texts: enc.encode(list(texts))


def load_corpus(name: str, encode) -> dict:
    path = CACHE / f"{name}_vectors.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        return {k: (z[k] if k == "vectors" else z[k].tolist()) for k in z.files}
    data = CORPORA[name]()
    t0 = time.perf_counter()
    data["vectors"] = encode(data["texts"])
    print(f"{name}: {len(data['texts'])} paragraphs embedded in {time.perf_counter() - t0:.0f} s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{k: np.asarray(v) for k, v in data.items()})
    return data


def code_hash() -> str:
    """Hash of the code that places points and finds bays (what the cache holds): the merges
    into islands/regions and the names are recomputed on every run, so editing them is cheap."""
    import inspect

    from ideamap.layout import islands as isl

    h = hashlib.sha1()
    for f in ("projection.py", "landmarks.py", "neighbors.py", "boilerplate.py"):
        h.update((ROOT / "ideamap" / "layout" / f).read_bytes())
    for fn in (isl.hdbscan_params, isl.find_bays, isl.absorb_fringe):
        h.update(inspect.getsource(fn).encode())
    return h.hexdigest()[:12]


def load_map(name: str, data: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """(coords, bays, seconds) of the map as the app builds it (compute_layout with each
    paragraph's document, so boilerplate is sea), cached."""
    from ideamap.layout import compute_layout

    path = CACHE / f"{name}_map_{code_hash()}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        return z["coords"], z["bays"], float(z["seconds"])
    t0 = time.perf_counter()
    r = compute_layout(data["vectors"], list(data["texts"]), documents=list(data["docs"]))
    seconds = time.perf_counter() - t0
    print(f"{name}: laid out in {seconds:.0f} s", flush=True)
    np.savez(path, coords=r.coords, bays=r.levels[-1], seconds=seconds)
    return r.coords, r.levels[-1], seconds


def hierarchy(data: dict, coords, bays, variant: str) -> tuple[np.ndarray, list]:
    """Levels and island dicts from the map's bays, as compute_layout makes them (its names are
    relabel_islands). ``touching_average`` is compute_layout's (hierarchy.build_levels); the
    others are islands.build_levels, today's before issue 12: Ward on centroids, optionally of
    touching land only and/or weighted by island size."""
    from ideamap.layout import hierarchy as hier
    from ideamap.layout import islands as isl
    from ideamap.layout import relabel_islands

    vectors = np.asarray(data["vectors"])
    if variant == "touching_average":
        levels = hier.build_levels(vectors, bays, coords)
    else:
        adjacent, weighted = HIERARCHIES[variant]
        levels = isl.build_levels(vectors, bays, coords if adjacent else None, weighted)
    specs = relabel_islands(list(data["texts"]), levels, coords, vectors)
    return levels, [dataclasses.asdict(s) for s in specs]


# --- the old labels, for the comparison -------------------------------------------------


def old_labels(texts: list[str], levels: np.ndarray) -> dict:
    """The labels before phrase names (specs.py at a829cdb): top c-TF-IDF uni/bigrams joined
    with ' · ', top-down, each island leaving out its parent's label words."""
    from ideamap.layout import labels as lab
    from ideamap.layout.types import SEA

    counts, vocab = lab.term_matrix(texts)
    out: dict = {}
    for level in range(levels.shape[0]):
        keys = levels[level]
        k = int(keys.max()) + 1
        w = lab.ctfidf(counts, keys, k)
        parents = lab.parent_map(levels, level, k) if level > 0 else np.full(k, SEA)
        n_children = np.bincount(parents[parents != SEA], minlength=k)
        for key in range(k):
            p = int(parents[key])
            exclude = out.get((level - 1, p), "").split(" · ") if p != SEA and n_children[p] > 1 else []
            out[(level, key)] = lab.make_label(lab.top_terms(w[key], vocab, [e for e in exclude if e]))
    return out


# --- scores ------------------------------------------------------------------------------


def purity(keys: np.ndarray, truth: np.ndarray, n_map: int) -> tuple[float, list[dict]]:
    """Size-weighted purity over land, and per key its share of the map, purity, majority."""
    rows, majority_total = [], 0
    for key in np.unique(keys[keys >= 0]):
        t = truth[keys == key]
        values, counts = np.unique(t, return_counts=True)
        majority_total += int(counts.max())
        share, pur = len(t) / n_map, float(counts.max() / len(t))
        rows.append({"key": int(key), "size": int(len(t)), "share": round(share, 3), "purity": round(pur, 3),
                     "majority": str(values[counts.argmax()]),
                     "flag": bool(share >= BIG_REGION and pur < PURITY_GOAL)})
    return round(majority_total / max(int((keys >= 0).sum()), 1), 3), rows


def retrieval(names: dict, vectors, levels, parents: dict, encode) -> dict:
    """Per level, share of islands whose name's embedding is nearest to its own centroid among
    its siblings (islands with the same parent; all regions are siblings), and the chance rate."""
    out = {}
    for level in range(levels.shape[0]):
        keys = levels[level]
        groups: dict = {}
        for key in np.unique(keys[keys >= 0]):
            groups.setdefault(parents.get((level, int(key))), []).append(int(key))
        hits = total = 0
        chance = 0.0
        for sibs in groups.values():
            if len(sibs) < 2:
                continue
            cents = np.stack([vectors[keys == s].mean(axis=0) for s in sibs])
            cents /= np.linalg.norm(cents, axis=1, keepdims=True)
            emb = encode([names.get((level, s)) or "?" for s in sibs])
            hits += int(((emb @ cents.T).argmax(axis=1) == np.arange(len(sibs))).sum())
            total += len(sibs)
            chance += 1.0
        out[str(level)] = {"islands_scored": total, "hit_rate": round(hits / max(total, 1), 3),
                           "chance": round(chance / max(total, 1), 3)}
    hits = sum(v["hit_rate"] * v["islands_scored"] for v in out.values())
    n = sum(v["islands_scored"] for v in out.values())
    out["all"] = round(hits / max(n, 1), 3)
    return out


def contiguity(coords, levels, n_map: int) -> list[dict]:
    """Per level: how many keys are one connected area of land (their bays linked by map
    neighbours), the map share held by keys in several pieces, and the most pieces of one key."""
    from ideamap.layout.adjacency import key_adjacency, pieces

    bays = levels[-1]
    adj = key_adjacency(coords, bays, int(bays.max()) + 1)
    out = []
    for lv in range(levels.shape[0] - 1):
        keys = levels[lv]
        split = []
        for key in np.unique(keys[keys >= 0]):
            parts = pieces(adj, np.unique(bays[keys == key]))
            if parts > 1:
                split.append((parts, int((keys == key).sum())))
        out.append({"level": lv, "keys": int(keys.max()) + 1, "in_pieces": len(split),
                    "share_in_pieces": round(sum(s for _, s in split) / n_map, 3),
                    "most_pieces": max([p for p, _ in split], default=1)})
    return out


def drawn_land(coords, levels) -> list[dict]:
    """Per level: keys whose paragraphs lie on more than one land mass *as the canvas draws it*
    (its blurred land density above the coast, app/canvas/fields.py), counting a mass only when
    it holds >= 5% of the key. Stricter than ``contiguity``: a thin bridge of paragraphs links
    map neighbours but may be drawn as sea."""
    import math

    from scipy import ndimage

    from ideamap.app.canvas import fields

    class Scene:  # what fields' bandwidth reads from a scene
        def __init__(self):
            self.xy, self.land = np.asarray(coords, np.float32), levels[-1] >= 0

        def memo(self, _key, make):
            return make()

    scene = Scene()
    sigma = fields._bandwidth(scene)
    density = fields.blur(fields.counts(scene.xy[scene.land]), sigma)
    masses, _ = ndimage.label(density > fields.COAST_FRACTION / (2 * math.pi * sigma**2))
    ix, iy = fields.cells(scene.xy, fields.GRID)
    mass = masses[iy, ix]
    out = []
    for lv in range(levels.shape[0] - 1):
        keys, split = levels[lv], 0
        for key in np.unique(keys[keys >= 0]):
            counts = np.bincount(mass[(keys == key) & (mass > 0)])[1:]
            split += int((counts >= 0.05 * (keys == key).sum()).sum() > 1)
        out.append({"level": lv, "keys": int(keys.max()) + 1, "on_several_drawn_masses": split})
    return out


def score(data: dict, coords, levels, islands, encode) -> dict:
    from sklearn.metrics import normalized_mutual_info_score as nmi

    vectors, texts = np.asarray(data["vectors"]), list(data["texts"])
    fine, coarse = np.array(data["fine"]), np.array(data["coarse"])
    n = len(texts)
    new = {(s["level"], s["key"]): s["label"] for s in islands}
    parents = {(s["level"], s["key"]): s["parent_key"] for s in islands}
    old = old_labels(texts, levels)
    per_level = []
    for lv in range(levels.shape[0]):
        land = levels[lv] >= 0
        pc, rows = purity(levels[lv], coarse, n)
        pf, _ = purity(levels[lv], fine, n)
        per_level.append({"level": lv, "islands": int(levels[lv].max()) + 1,
                          "nmi_coarse": round(float(nmi(coarse[land], levels[lv][land])), 3),
                          "nmi_fine": round(float(nmi(fine[land], levels[lv][land])), 3),
                          "purity_coarse": pc, "purity_fine": pf})
    _, regions = purity(levels[0], coarse, n)
    for r in regions:
        r.update(old=old.get((0, r["key"]), ""), new=new.get((0, r["key"]), ""))
    return {
        "levels": per_level, "regions": regions, "regions_flagged": sum(r["flag"] for r in regions),
        "regions_big": sum(r["share"] >= BIG_REGION for r in regions),
        "largest_region_share": max((r["share"] for r in regions), default=0.0),
        "contiguity": contiguity(coords, levels, n),
        "drawn_land": drawn_land(coords, levels),
        # old_first_term: the old label cut to its best term, to tell "one term vs a word list"
        # apart from "phrase scoring vs c-TF-IDF" in the phrase names' score.
        "label_retrieval": {"old_ctfidf": retrieval(old, vectors, levels, parents, encode),
                            "old_first_term": retrieval({k: v.split(" · ")[0] for k, v in old.items()},
                                                        vectors, levels, parents, encode),
                            "new_phrases": retrieval(new, vectors, levels, parents, encode)},
        "multi_word_names": {"old_ctfidf": _multi(old.values()), "new_phrases": _multi(new.values())},
        "name_variants": _name_variants(islands, vectors, levels, parents, encode),
        "_names": _name_rows(islands, levels, coarse, fine, old, n),
    }


def _name_variants(islands, vectors, levels, parents, encode) -> dict:
    """Label retrieval of other names made from the same phrase evidence (``terms``): the
    first multi-word phrase among the top 5, and the top two phrases joined with ' · '."""
    def first_phrase(terms):
        return next((t for t in terms[:5] if " " in t), terms[0] if terms else "")

    out = {}
    for name, make in (("first_multiword_of_top5", first_phrase), ("top2_joined", lambda t: " · ".join(t[:2]))):
        names = {(s["level"], s["key"]): make(s["terms"]) or s["label"] for s in islands}
        out[name] = {"retrieval": retrieval(names, vectors, levels, parents, encode)["all"],
                     "multi_word": _multi(names.values())}
    return out


def _multi(names) -> float:
    """Share of names with more than one word (a ' · ' list counts as several)."""
    names = list(names)
    return round(sum(" " in n.strip() for n in names) / max(len(names), 1), 3)


def _name_rows(islands, levels, coarse, fine, old, n, limit: int = 10) -> list[dict]:
    """Every region, then the largest islands (level 1), up to ``limit`` rows."""
    rows = []
    for s in sorted(islands, key=lambda s: (s["level"], -s["size"])):
        if s["level"] > 1 or len(rows) >= limit:
            continue
        truth = fine if s["level"] else coarse
        values, counts = np.unique(truth[levels[s["level"]] == s["key"]], return_counts=True)
        rows.append({"level": ("region", "island")[s["level"]], "key": s["key"], "share": round(s["size"] / n, 3),
                     "majority": f"{values[counts.argmax()]} {counts.max() / counts.sum():.0%}",
                     "old": old.get((s["level"], s["key"]), ""), "new": s["label"]})
    return rows


def names_markdown(report: dict) -> str:
    out = ["# Island names before (c-TF-IDF word lists) and after (phrases)", "",
           "Made by `benchmarks/map_quality.py` on the shared corpora; *majority* is the region's most",
           "common coarse label (papers: coarse topic; notes: design/triage) or the island's most common",
           "fine label (papers: topic; notes: design-meeting file topic or triage), with its share.", ""]
    for name, r in report["corpora"].items():
        out += [f"## {name} ({r['paragraphs']} paragraphs)", "",
                "| level | share | majority | before (c-TF-IDF) | after (phrase) |", "|---|---|---|---|---|"]
        out += [f"| {x['level']} | {x['share']:.1%} | {x['majority']} | {x['old']} | {x['new']} |"
                for x in r[report["names_from"]]["_names"]]
        out.append("")
    return "\n".join(out)


# name -> (merges of touching land only, Ward weighted by island size) for islands.build_levels;
# touching_average is hierarchy.build_levels (compute_layout's since issue 12).
HIERARCHIES = {"touching_average": None, "ward_centroids": (False, False), "adjacent_ward": (True, False),
               "weighted_ward": (False, True), "adjacent_weighted_ward": (True, True)}
SHOWN = "touching_average"  # the hierarchy whose names the table shows: compute_layout's


def run_corpus(name: str, encode) -> dict:
    data = load_corpus(name, encode)
    coords, bays, seconds = load_map(name, data)
    out = {"paragraphs": len(data["texts"]), "documents": len(set(data["docs"])),
           "classes_coarse": len(set(data["coarse"])), "classes_fine": len(set(data["fine"])),
           "sea_share": round(float(np.mean(bays < 0)), 3), "bays": int(bays.max()) + 1,
           "layout_s": round(seconds, 1)}
    for variant in HIERARCHIES:
        t0 = time.perf_counter()
        levels, islands = hierarchy(data, coords, bays, variant)
        out[variant] = {"merge_and_name_s": round(time.perf_counter() - t0, 1),
                        **score(data, coords, levels, islands, encode)}
    return out


def main() -> dict:
    encode = encoder()
    report: dict = {"command": "HF_HUB_OFFLINE=1 PYTHONPATH=$PWD nice -n 19 python benchmarks/map_quality.py",
                    "names_from": SHOWN, "corpora": {}}
    for name in CORPORA:
        if not (SHARED / name).is_dir():
            print(f"{name}: not found, skipped")
            continue
        report["corpora"][name] = run_corpus(name, encode)
        print(f"{name}: scored", flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    NAMES_OUT.write_text(names_markdown(report))
    for r in report["corpora"].values():
        for variant in HIERARCHIES:
            r[variant].pop("_names")
    OUT.write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
