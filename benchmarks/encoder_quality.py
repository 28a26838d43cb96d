"""Does adapting the encoder to a corpus (TSDAE, `ideamap adapt`) make a better map? Default vs
adapted encoder on labelled real text, same pipeline, same seeds. Prints and saves JSON.

    .venv/bin/python benchmarks/encoder_quality.py [--corpus meeting_notes|papers] [--minutes 10]

Documents are split 80/20 (stratified by label, fixed seed); the encoder is adapted on the 80%
only, exactly as `adapt_map` does. Reported for both encoders:

* held-out (the 20% never trained on; neighbours searched among held-out paragraphs only):
  neighbour label agreement (share of a paragraph's 10 NN from documents with the same label),
  also counting only neighbours from *other* documents, and the two label-free measures that
  `adapt_map` decides by (same-document neighbours, split-half MRR) — so we can see whether the
  label-free verdict agrees with the labelled one;
* the whole map (what a user sees): neighbour label agreement, NMI between document labels and
  each document's majority island (islands and bays levels), and the sea share;
* training throughput (sentences/s) and the projected time for 10,000 sentences.

Labels. meeting_notes: "group" = design meetings vs triage minutes; "topic" = design meetings
grouped by subject keywords in their file names (below; a design meeting matching none is its
own topic), triage minutes one topic. papers: labels.csv's coarse_topic and topic.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Encoders, ONNX exports and vector caches of a benchmark run stay out of the user's folders.
os.environ.setdefault("IDEAMAP_HOME", tempfile.mkdtemp(prefix="ideamap-bench-"))
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"
RESULTS = Path(__file__).resolve().parent / "results"

# Subjects of the Rust design meetings, by keywords in the file names (first match wins).
MEETING_TOPICS = {
    "planning and process": ("planning", "updates", "roadmap", "organization", "membership", "projects",
                             "decision-making", "guiding-principles", "design-meeting-minutes_2022-01-05",
                             "2021-11-03", "lint", "libs-most-wanted", "sealed-rust", "edition", "trust"),
    "async and impl trait": ("stream", "generators", "async", "rpitit", "return-type-notation", "tait"),
    "traits and generics": ("gat", "const-generics", "specialization", "implied-bounds", "where-the-where",
                            "wf-checks", "dyn-trait", "dyn-upcast", "named-fn-types", "structural-equality",
                            "custom-dst"),
    "unsafe and memory": ("pin-unsoundness", "dereferenceable", "provenance", "transmute", "const-eval",
                          "memory", "atomic", "temporary-lifetimes", "contracts", "ffi-unwind", "wasm-abi",
                          "rfc-2229"),
}


def meeting_notes_docs() -> list[dict]:
    folder = SHARED / "meeting_notes"
    with open(folder / "index.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    docs = []
    for row in rows:
        design = "design-meeting" in row["group"]
        name = row["file"].lower()
        topic = "triage minutes"
        if design:
            topic = next((t for t, keys in MEETING_TOPICS.items() if any(k in name for k in keys)), name)
        docs.append({"path": folder / row["file"], "coarse": "design" if design else "triage", "fine": topic})
    return docs


def papers_docs() -> list[dict]:
    folder = SHARED / "papers_open"
    with open(folder / "labels.csv", newline="") as f:
        return [{"path": folder / r["file"], "coarse": r["coarse_topic"], "fine": r["topic"]}
                for r in csv.DictReader(f)]


def read_paragraphs(docs: list[dict]) -> dict:
    """Mapped paragraphs (as a map holds them) with their document index and labels."""
    from ideamap.ingest import read_document
    from ideamap.store.mapfile import MAPPED_KINDS

    texts, doc_of = [], []
    for i, doc in enumerate(docs):
        for p in read_document(doc["path"]).paragraphs:
            if p.kind.value in MAPPED_KINDS:
                texts.append(p.text)
                doc_of.append(i)
    doc_of = np.array(doc_of)
    return {"texts": texts, "doc": doc_of, "coarse": np.array([docs[d]["coarse"] for d in doc_of]),
            "fine": np.array([docs[d]["fine"] for d in doc_of])}


def split_docs(docs: list[dict], share: float, seed: int) -> np.ndarray:
    """Indices of held-out documents: ``share`` of each coarse label, at least one."""
    rng = np.random.default_rng(seed)
    held = []
    for label in sorted({d["coarse"] for d in docs}):
        members = [i for i, d in enumerate(docs) if d["coarse"] == label]
        if len(members) >= 3:
            held.extend(rng.choice(members, size=max(1, round(share * len(members))), replace=False))
    return np.array(sorted(held))


def train(texts: list[str], minutes: float, params) -> tuple[str, dict]:
    from ideamap.embed.adapt import provenance_record, save_encoder, train_tsdae, training_sentences
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, model_path

    sentences = training_sentences(texts)
    last = [0.0]

    def show(status):
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  step {status.step}/{status.total_steps} loss {status.loss:.3f} "
                  f"{status.seconds_left / 60:.1f} min left", flush=True)

    result = train_tsdae(model_path(DEFAULT_MODEL_ID), sentences, params=params, minutes=minutes, progress=show)
    record = provenance_record(DEFAULT_MODEL_ID, sentences, params, result, minutes=minutes)
    model_id, _ = save_encoder(result.model, record)
    rate = result.sentences_per_s
    info = {**record["training"], "training_sentences": len(sentences),
            "projected_minutes_10k_sentences": round(10_000 / rate / 60, 1) if rate else None}
    return model_id, info


def held_out_metrics(vecs: np.ndarray, data: dict, rows: np.ndarray, encoder) -> dict:
    from ideamap.embed.quality import neighbour_agreement, retrieval_mrr, split_halves

    v, doc = vecs[rows], data["doc"][rows]
    first, second = split_halves([data["texts"][i] for i in rows])
    halves = encoder.encode(first + second)
    return {
        "agreement_coarse": neighbour_agreement(v, data["coarse"][rows]),
        "agreement_fine": neighbour_agreement(v, data["fine"][rows]),
        "agreement_coarse_other_docs": neighbour_agreement(v, data["coarse"][rows], exclude=doc),
        "agreement_fine_other_docs": neighbour_agreement(v, data["fine"][rows], exclude=doc),
        "document_agreement": neighbour_agreement(v, doc),
        "split_half_mrr": retrieval_mrr(halves[: len(first)], halves[len(first) :]),
    }


def map_metrics(vecs: np.ndarray, data: dict, seed: int) -> dict:
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from ideamap.embed.quality import neighbour_agreement
    from ideamap.layout import compute_layout

    start = time.perf_counter()
    layout = compute_layout(vecs, data["texts"], seed=seed)
    out = {"layout_seconds": round(time.perf_counter() - start, 1),
           "agreement_coarse": neighbour_agreement(vecs, data["coarse"]),
           "agreement_fine": neighbour_agreement(vecs, data["fine"]),
           "agreement_fine_other_docs": neighbour_agreement(vecs, data["fine"], exclude=data["doc"]),
           "sea_share": float(np.mean(layout.levels[-1] == -1)),
           "islands_per_level": [int(lv.max()) + 1 for lv in layout.levels]}
    docs = np.unique(data["doc"])
    for level, name in ((1, "islands"), (len(layout.levels) - 1, "bays")):
        majority = [_majority(layout.levels[level][data["doc"] == d]) for d in docs]
        for kind in ("coarse", "fine"):
            labels = [data[kind][data["doc"] == d][0] for d in docs]
            out[f"nmi_{kind}_{name}"] = float(nmi(labels, majority))
    return out


def _majority(keys: np.ndarray) -> int:
    """A document's island: the one most of its paragraphs are on (sea, -1, if all are sea)."""
    land = keys[keys != -1]
    return int(np.bincount(land).argmax()) if len(land) else -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", choices=["meeting_notes", "papers"], default="meeting_notes")
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget")
    parser.add_argument("--max-steps", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=3e-5)
    parser.add_argument("--decoder-warmup", type=float, default=0.0, help="see TrainParams.decoder_warmup")
    parser.add_argument("--anchor-weight", type=float, default=1.0, help="see TrainParams.anchor_weight (0: plain)")
    parser.add_argument("--train-layers", type=int, default=0, help="see TrainParams.train_layers (0: all)")
    parser.add_argument("--out", type=Path, help="JSON file (default: results/encoder_quality[_papers].json)")
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit("../shared/corpora is absent: this benchmark needs its labelled files.")

    from ideamap.adapt_map import verdict
    from ideamap.embed.adapt import TrainParams
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, load_encoder

    docs = meeting_notes_docs() if args.corpus == "meeting_notes" else papers_docs()
    data = read_paragraphs(docs)
    held_docs = split_docs(docs, args.held_out, args.seed)
    held = np.flatnonzero(np.isin(data["doc"], held_docs))
    trained = np.flatnonzero(~np.isin(data["doc"], held_docs))
    print(f"{len(docs)} documents, {len(data['texts'])} paragraphs; held out {len(held_docs)} documents "
          f"({len(held)} paragraphs)", flush=True)

    params = TrainParams(max_steps=args.max_steps, learning_rate=args.learning_rate,
                         decoder_warmup=args.decoder_warmup, anchor_weight=args.anchor_weight,
                         train_layers=args.train_layers)
    model_id, training = train([data["texts"][i] for i in trained], args.minutes, params)
    print(f"trained: {training}", flush=True)
    results = {}
    for name, mid in (("default", DEFAULT_MODEL_ID), ("adapted", model_id)):
        encoder = load_encoder(mid)
        vecs = encoder.encode(data["texts"])
        results[name] = {"held_out": held_out_metrics(vecs, data, held, encoder),
                         "map": map_metrics(vecs, data, args.seed)}
        print(name, json.dumps(results[name], indent=1), flush=True)
    report = summarise(args, docs, data, held_docs, held, training, results, verdict)
    RESULTS.mkdir(exist_ok=True)
    out = args.out or RESULTS / ("encoder_quality.json" if args.corpus == "meeting_notes"
                                 else f"encoder_quality_{args.corpus}.json")
    out.write_text(json.dumps(report, indent=2, default=float))
    print(json.dumps(report["verdict"], indent=2))
    print(f"saved {out}")


def summarise(args, docs, data, held_docs, held, training, results, verdict) -> dict:
    d, a = results["default"]["held_out"], results["adapted"]["held_out"]
    labelled_better = a["agreement_fine_other_docs"] >= d["agreement_fine_other_docs"] and \
        a["agreement_coarse_other_docs"] >= d["agreement_coarse_other_docs"]
    check = {f"{who}_{k}": results[name]["held_out"][k] for who, name in (("baseline", "default"), ("adapted", "adapted"))
             for k in ("document_agreement", "split_half_mrr")}
    proxy_keep, why = verdict(check)
    return {
        "corpus": f"shared/corpora/{args.corpus}",
        "documents": len(docs), "paragraphs": len(data["texts"]),
        "held_out_documents": len(held_docs), "held_out_paragraphs": int(len(held)),
        "minutes": args.minutes, "seed": args.seed, "learning_rate": args.learning_rate,
        "decoder_warmup": args.decoder_warmup, "anchor_weight": args.anchor_weight,
        "train_layers": args.train_layers, "training": training, "results": results,
        "verdict": {
            "labelled_held_out_says_adapted_is_better": bool(labelled_better),
            "label_free_check_keeps_adapted": bool(proxy_keep), "label_free_check": why,
            "label_free_check_agrees_with_labels": bool(labelled_better == proxy_keep),
        },
    }


if __name__ == "__main__":
    main()
