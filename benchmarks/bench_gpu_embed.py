"""GPU embedding check (issue 9: "on GPUs when the cluster has them, in the precision the local
engine would choose there"): the same real paragraphs embedded on the CPU in fp32 (the reference
and the baseline) and on the GPU through ideamap's own path (load_encoder(device="cuda"): torch,
model on the GPU, fp16 by default; bf16 and fp32 on the GPU too, to show what fp16 buys).

Reported per path: paragraphs/s, tokens/s (windows as the encoder splits them), speed vs CPU
fp32, mean/min cosine to CPU fp32, recall@10 of each path's 10-NN sets against the CPU fp32 ones.
JSON into benchmarks/results/gpu_embed.json.

    python benchmarks/bench_gpu_embed.py [--n 2000] [--precisions fp16,bf16,fp32]

Without CUDA it prints {"skipped": "no CUDA: <what is missing>"} and exits 0 (a results file that
already holds measured figures is left as it is).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _corpus import prose_paragraphs  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "gpu_embed.json"


def knn(v: np.ndarray, k: int = 10) -> np.ndarray:
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    return np.argpartition(-sims, k, axis=1)[:, :k]  # the set is what counts, not its order


def recall_at_10(ref: np.ndarray, other: np.ndarray) -> float:
    a, b = knn(ref), knn(other)
    return float(np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)]))


def timed(encoder, texts: list[str], rounds: int) -> tuple[np.ndarray, float, int]:
    """(vectors, best seconds, tokens per pass) after one warm-up call (CUDA start, kernels)."""
    encoder.encode(texts[:64])
    best, vecs, tokens = float("inf"), None, 0
    for _ in range(rounds):
        before = encoder.tokens_encoded
        start = time.perf_counter()
        vecs = encoder.encode(texts)
        best = min(best, time.perf_counter() - start)
        tokens = encoder.tokens_encoded - before
    return vecs, best, tokens


def load(device: str, precision: str):
    from ideamap.embed.encoder import load_encoder

    saved = os.environ.get("IDEAMAP_EMBED_PRECISION")
    os.environ["IDEAMAP_EMBED_PRECISION"] = precision  # read by load_encoder on either device
    try:
        return load_encoder(backend="torch", device=device)
    finally:
        os.environ.pop("IDEAMAP_EMBED_PRECISION")
        if saved is not None:
            os.environ["IDEAMAP_EMBED_PRECISION"] = saved


def skip(reason: str, out: Path) -> None:
    result = {"skipped": f"no CUDA: {reason}", "host": platform.node(), "command": _command()}
    print(json.dumps(result, indent=2))
    if out.is_file() and "skipped" not in json.loads(out.read_text() or "{}"):
        print(f"{out} holds measured figures; left as it is.")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


def _command() -> str:
    return "python benchmarks/bench_gpu_embed.py " + " ".join(sys.argv[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="real paragraphs (meeting notes)")
    parser.add_argument("--precisions", default="fp16,bf16,fp32", help="GPU precisions to run")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes per path; best kept")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()

    from ideamap.embed import device as device_mod

    if not device_mod.cuda_usable(driver_check=False):
        skip(device_mod.why_no_cuda(), args.json)
        return
    import torch

    from ideamap.embed.backends import cores_available

    texts, source = prose_paragraphs(args.n)
    cpu = load("cpu", "fp32")
    ref, cpu_s, tokens = timed(cpu, texts, 1)  # the slow baseline: one pass is enough
    result = {
        "command": _command(), "gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "cuda": torch.version.cuda, "cpu_threads": cores_available(), "corpus": source,
        "paragraphs": len(texts), "tokens": tokens,
        "auto_choice": {"device": device_mod.choose_device(), "gpu_precision": device_mod.gpu_precision()},
        "cpu_fp32": {"backend": cpu.precision, "seconds": cpu_s, "paragraphs_per_s": len(texts) / cpu_s,
                     "tokens_per_s": tokens / cpu_s},
    }
    for precision in [p.strip() for p in args.precisions.split(",") if p.strip()]:
        gpu = load("cuda", precision)
        vecs, seconds, _ = timed(gpu, texts, args.rounds)
        cos = np.sum(ref * vecs, axis=1)
        result[f"gpu_{precision}"] = {
            "backend": gpu.precision, "seconds": seconds, "paragraphs_per_s": len(texts) / seconds,
            "tokens_per_s": tokens / seconds, "speed_vs_cpu_fp32": cpu_s / seconds,
            "mean_cosine_to_cpu_fp32": float(cos.mean()), "min_cosine_to_cpu_fp32": float(cos.min()),
            "recall_at_10_vs_cpu_fp32": recall_at_10(ref, vecs),
        }
    fp16 = result.get("gpu_fp16")
    if fp16:  # issue 9's bar for engine-vs-engine vectors, read here for GPU-vs-CPU ones
        result["fp16_min_cosine_at_least_0.9999"] = fp16["min_cosine_to_cpu_fp32"] >= 0.9999
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
