"""Embedding benchmark: ideamap's encoder against plain SentenceTransformer.encode (fp32, default
batch size) on the same paragraphs, in the same run. Prints and saves JSON.

Both sides get only paragraphs that fit the model's window, so they do the same work (longer
paragraphs are windowed by ideamap but truncated by plain encode). Goals (issue 2): speed ratio
≥ 1.8, mean cosine ≥ 0.999 to fp32, identical top-10 neighbour sets for ≥ 95% of paragraphs.

    .venv/bin/python benchmarks/bench_embed.py [--n 1500]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import prose_paragraphs  # noqa: E402


def top10_agreement(a: np.ndarray, b: np.ndarray) -> float:
    def top(v):
        sims = v @ v.T
        np.fill_diagonal(sims, -np.inf)
        return np.argsort(-sims, axis=1)[:, :10]

    ta, tb = top(a), top(b)
    return float(np.mean([set(x) == set(y) for x, y in zip(ta, tb)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1500)
    args = parser.parse_args()

    from ideamap.embed.backends import load_sentence_transformer
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, load_encoder, model_path

    encoder = load_encoder()
    model = load_sentence_transformer(model_path(DEFAULT_MODEL_ID))
    texts, source = prose_paragraphs(args.n * 2)
    texts = [t for t, n in zip(texts, encoder.count_tokens(texts)) if n <= encoder.max_tokens][: args.n]
    tokens = sum(encoder.count_tokens(texts))

    model.encode(texts[:32])  # warm both paths
    encoder.encode(texts[:32])
    start = time.perf_counter()
    baseline = model.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    t_base = time.perf_counter() - start

    start = time.perf_counter()
    ours = encoder.encode(texts)
    t_ours = time.perf_counter() - start

    cosine = (baseline * ours).sum(axis=1)
    result = {
        "corpus": source,
        "paragraphs": len(texts),
        "tokens": tokens,
        "backend": encoder.precision,
        "baseline_paragraphs_per_s": len(texts) / t_base,
        "baseline_tokens_per_s": tokens / t_base,
        "ideamap_paragraphs_per_s": len(texts) / t_ours,
        "ideamap_tokens_per_s": tokens / t_ours,
        "speed_ratio": t_base / t_ours,
        "mean_cosine_to_fp32": float(cosine.mean()),
        "min_cosine_to_fp32": float(cosine.min()),
        "top10_same_share": top10_agreement(baseline, ours),
    }
    result["meets_goals"] = (result["speed_ratio"] >= 1.8 and result["mean_cosine_to_fp32"] >= 0.999
                             and result["top10_same_share"] >= 0.95)
    out = Path(__file__).parent / "results" / "embed.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
