"""Embedding precision benchmark (issue 8, point 4): plain SentenceTransformer.encode fp32 (the
baseline and the reference vectors), ideamap's ONNX fp32 and ideamap's torch bf16 backend, all on
the same real paragraphs in the same run, plus the CPU's torch GEMM rate in fp32 and bf16 (the
matmul bound), so figures from a busy machine are read as ratios.

Paragraphs: half from shared/corpora/meeting_notes (blank-line split), half from the papers in
shared/corpora/papers_open read with ideamap's own PDF reader; only those that fit the model's
window, so every path does the same work (plain encode would truncate longer ones).

Reported: tokens/s per path and as a ratio to plain encode; the bf16 path's share of the bf16
matmul bound (achieved model FLOP/s over GEMM FLOP/s); mean/min cosine to fp32; recall@10 of each
path's 10-NN sets against the fp32 ones (near-ties swap, so not identical sets). Goal: bf16
>= 2.5x plain encode with recall@10 >= 0.99 where the CPU computes bf16 natively.

    nice .venv/bin/python benchmarks/bench_embed_precision.py [--n 1500] [--rounds 1]
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
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import SHARED, prose_paragraphs  # noqa: E402


def paper_paragraphs(limit: int, *, min_chars: int = 80) -> list[str]:
    from ideamap.ingest import read_document

    out: list[str] = []
    for pdf in sorted((SHARED / "papers_open").glob("*.pdf")):
        result = read_document(pdf)
        out += [" ".join(p.text.split()) for p in result.paragraphs if len(p.text) >= min_chars]
        if len(out) >= limit:
            break
    return out[:limit]


def gemm_gflops(dtype, threads: int, seconds: float = 2.0) -> float:
    """Rate of one MiniLM-shaped product (a batch of 32x128 tokens through the FFN), with
    F.linear, the op the model's layers call (plain @ takes another kernel for bf16)."""
    import torch

    torch.set_num_threads(threads)
    a, w = torch.randn(4096, 384).to(dtype), torch.randn(1536, 384).to(dtype)
    with torch.inference_mode():
        for _ in range(2):
            torch.nn.functional.linear(a, w)
        start, k = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            torch.nn.functional.linear(a, w)
            k += 1
    return 2 * 4096 * 384 * 1536 * k / (time.perf_counter() - start) / 1e9


def flops_per_token(config: dict, mean_tokens: float) -> float:
    """Forward FLOPs per token of a BERT encoder: the dense layers plus attention scores."""
    h, f, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    return layers * (2 * (4 * h * h + 2 * h * f) + 4 * mean_tokens * h)


def knn(v: np.ndarray, k: int = 10) -> np.ndarray:
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    return np.argsort(-sims, axis=1)[:, :k]


def recall_at_10(ref: np.ndarray, other: np.ndarray) -> float:
    a, b = knn(ref), knn(other)
    return float(np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)]))


def timed(fn, texts):
    fn(texts[:16])  # warm
    start = time.perf_counter()
    vecs = fn(texts)
    return np.asarray(vecs, dtype=np.float32), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1500, help="paragraphs (half notes, half papers)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; best time kept")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "embed_precision.json")
    args = parser.parse_args()

    import torch

    from ideamap.embed import backends
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, load_encoder, model_path

    threads = backends.cores_available()
    os.environ["IDEAMAP_EMBED_PRECISION"] = "bf16"
    bf16 = load_encoder(backend="torch")
    onnx = load_encoder(backend="onnx")
    plain = backends.load_sentence_transformer(model_path(DEFAULT_MODEL_ID))
    notes, source = prose_paragraphs(args.n * 2)
    texts = notes[: args.n - args.n // 2] + paper_paragraphs(args.n)
    texts = [t for t, n in zip(texts, onnx.count_tokens(texts)) if n <= onnx.max_tokens][: args.n]
    counts = onnx.count_tokens(texts)
    tokens = sum(counts)

    paths = {
        "plain_st_fp32": lambda t: plain.encode(t, convert_to_numpy=True, normalize_embeddings=True),
        "ideamap_onnx_fp32": onnx.encode,
        "ideamap_torch_bf16": bf16.encode,
    }
    best = {name: float("inf") for name in paths}
    vecs = {}
    for _ in range(args.rounds):
        for name, fn in paths.items():
            torch.set_num_threads(threads)
            vecs[name], seconds = timed(fn, texts)
            best[name] = min(best[name], seconds)
    gemm = {"fp32": gemm_gflops(torch.float32, threads), "bf16": gemm_gflops(torch.bfloat16, threads)}

    config = json.loads((model_path(DEFAULT_MODEL_ID) / "config.json").read_text())
    fpt = flops_per_token(config, float(np.mean(counts)) + 2)
    ref = vecs["plain_st_fp32"]
    result = {
        "command": "nice python benchmarks/bench_embed_precision.py " + " ".join(sys.argv[1:]),
        "cpu": _cpu_name(), "threads": threads, "native_bf16": backends.native_bf16(),
        "auto_precision": _auto_precision(backends),
        "corpus": f"{source} + shared/corpora/papers_open (ideamap PDF reader)",
        "paragraphs": len(texts), "tokens": tokens, "rounds": args.rounds,
        "gemm_gflops": gemm, "model_gflop_per_token": fpt / 1e9,
    }
    for name in paths:
        rate = tokens / best[name]
        cos = np.sum(ref * vecs[name], axis=1)
        precision = "bf16" if "bf16" in name else "fp32"
        result[name] = {
            "seconds": best[name], "tokens_per_s": rate, "paragraphs_per_s": len(texts) / best[name],
            "speed_vs_plain": best["plain_st_fp32"] / best[name],
            "share_of_gemm_bound": rate * fpt / (gemm[precision] * 1e9),
            "mean_cosine_to_fp32": float(cos.mean()), "min_cosine_to_fp32": float(cos.min()),
            "recall_at_10_vs_fp32": recall_at_10(ref, vecs[name]),
        }
    b = result["ideamap_torch_bf16"]
    result["bf16_meets_goal"] = b["speed_vs_plain"] >= 2.5 and b["recall_at_10_vs_fp32"] >= 0.99
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="ascii", errors="replace"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor()


def _auto_precision(backends) -> str:
    forced = os.environ.pop("IDEAMAP_EMBED_PRECISION", None)
    try:
        return backends.choose_precision()
    finally:
        if forced is not None:
            os.environ["IDEAMAP_EMBED_PRECISION"] = forced


if __name__ == "__main__":
    main()
