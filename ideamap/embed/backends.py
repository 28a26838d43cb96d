"""Ways to run the encoder network. All return L2-normalised, mean-pooled vectors.

* ``OnnxBackend`` (default): the model exported once to ONNX and run with ONNX Runtime in fp32.
  Measured on the 2-core build machine: about 2x plain ``SentenceTransformer.encode`` with
  identical 10-NN sets, and no torch import once the export is cached (the app's search starts
  faster). ONNX files are protobuf data, not code, so loading one runs nothing.
* ``TorchBf16Backend``: the sentence-transformers model with its transformer cast to bfloat16
  (not autocast), chosen automatically only where the CPU computes bf16 natively (AMX or
  AVX512_BF16; issue 8 measured on an AMX machine: 14.2k tokens/s vs 5.7k for plain encode,
  recall@10 0.991 vs fp32). Where bf16 is emulated it is several times *slower* than fp32, so
  everywhere else ONNX fp32 stays.
  IDEAMAP_EMBED_PRECISION=fp32|bf16|auto overrides (see benchmarks/bench_embed_precision.py).
* ``TorchBackend``: plain sentence-transformers fp32, when ONNX Runtime is missing or
  IDEAMAP_BACKEND=torch.
* ``TorchGpuBackend``: on a CUDA GPU (device.py chooses), the model loaded on the GPU with its
  transformer in fp16; its name says precision and device (e.g. "torch-fp16-cuda").
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def cores_available() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def load_tokenizer(model_dir: Path, max_length: int):
    """A fast tokenizer configured for encoding: pad to the batch's longest, cut at the model's
    window (callers split long texts into windows first, so nothing is lost)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def uses_mean_pooling(model_dir: Path) -> bool:
    config = model_dir / "1_Pooling" / "config.json"
    if not config.is_file():
        return False
    data = json.loads(config.read_text())
    # sentence-transformers >= 6 saves {"pooling_mode": "mean"} (adapted encoders are saved so);
    # older models carry one flag per mode.
    if "pooling_mode" in data:
        return data["pooling_mode"] in ("mean", ["mean"])
    return bool(data.get("pooling_mode_mean_tokens")) and not any(
        data.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    )


def weights_digest(model_dir: Path) -> str:
    h = hashlib.sha256()
    with open(model_dir / "model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:24]


class OnnxBackend:
    name = "onnx-fp32"

    def __init__(self, onnx_path: Path, tokenizer, max_length: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = cores_available()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.max_length = max_length

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            ids, mask = _pad(self.tokenizer.encode_batch(texts[start : start + batch_size]), self.max_length)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out.append(self.session.run(None, feeds)[0])
        return np.concatenate(out).astype(np.float32)


def _pad(encodings, max_length: int) -> tuple[np.ndarray, np.ndarray]:
    longest = min(max(len(e.ids) for e in encodings), max_length)
    ids = np.zeros((len(encodings), longest), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, enc in enumerate(encodings):
        seq = enc.ids[:longest]
        if len(enc.ids) > longest:  # keep the closing [SEP] when a window is cut
            seq = enc.ids[: longest - 1] + enc.ids[-1:]
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


class TorchBackend:
    name = "torch-fp32"

    def __init__(self, st_model):
        self.model = st_model

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        with torch.inference_mode():
            vecs = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vecs, dtype=np.float32)


class TorchBf16Backend:
    """The transformer module in bf16; pooling and any later modules in fp32 on the float32-cast
    token vectors, so only the matmuls (where native bf16 pays) lose precision."""

    name = "torch-bf16"

    def __init__(self, st_model):
        import torch

        self.model = st_model.eval()
        self.model[0].to(torch.bfloat16)

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                # sentence-transformers >= 6 names it preprocess (tokenize is deprecated there)
                prep = getattr(self.model, "preprocess", None) or self.model.tokenize
                features = prep(texts[start : start + batch_size])
                features = self.model[0](features)
                features["token_embeddings"] = features["token_embeddings"].float()
                for module in list(self.model)[1:]:
                    features = module(features)
                vecs = torch.nn.functional.normalize(features["sentence_embedding"].float(), dim=-1)
                out.append(vecs.numpy())
        return np.concatenate(out).astype(np.float32)


class TorchGpuBackend:
    """The model on a CUDA device, its transformer cast to ``precision`` (fp16 by default:
    device.GPU_PRECISION says why); pooling and normalising in fp32, as in TorchBf16Backend."""

    batch_size = 256  # a GPU is idle at CPU batch sizes; Encoder.encode uses this by default

    def __init__(self, st_model, precision: str = "fp16"):
        import torch

        dtypes = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}
        self.model = st_model.eval()
        self.device = st_model.device
        self.model[0].to(dtypes[precision])
        self.name = f"torch-{precision}-cuda"

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                prep = getattr(self.model, "preprocess", None) or self.model.tokenize
                features = {k: v.to(self.device) if hasattr(v, "to") else v
                            for k, v in prep(texts[start : start + batch_size]).items()}
                features = self.model[0](features)
                features["token_embeddings"] = features["token_embeddings"].float()
                for module in list(self.model)[1:]:
                    features = module(features)
                vecs = torch.nn.functional.normalize(features["sentence_embedding"].float(), dim=-1)
                out.append(vecs.cpu().numpy())
        return np.concatenate(out).astype(np.float32)


PRECISION_ENV = "IDEAMAP_EMBED_PRECISION"
_NATIVE_BF16_FLAGS = {"amx_bf16", "avx512_bf16"}


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo (Linux); None where it cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def native_bf16() -> bool:
    """True only where bf16 matmuls run in hardware (AMX tiles or AVX512_BF16 dot products);
    plain AVX-512 or AVX2 emulate bf16, which is slower than fp32."""
    flags = cpu_flags()
    if flags is not None:
        return bool(flags & _NATIVE_BF16_FLAGS)
    import torch

    return "AMX" in torch.backends.cpu.get_cpu_capability().upper()


def choose_precision() -> str:
    """"bf16" or "fp32": IDEAMAP_EMBED_PRECISION=fp32|bf16 forces (IDEAMAP_PRECISION is the old
    name); auto (the default) takes bf16 only where the CPU computes it natively."""
    forced = (os.environ.get(PRECISION_ENV) or os.environ.get("IDEAMAP_PRECISION") or "auto").lower()
    if forced in ("fp32", "bf16"):
        return forced
    return "bf16" if native_bf16() else "fp32"


def load_sentence_transformer(model_dir: Path, device: str = "cpu"):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(cores_available())  # oversubscription made encoding several times slower
    # Weights from safetensors only (a pickled .bin can run code when loaded), no remote code.
    return SentenceTransformer(str(model_dir), device=device, local_files_only=True, trust_remote_code=False,
                               model_kwargs={"use_safetensors": True})


def export_onnx(model_dir: Path, out_path: Path) -> None:
    """Export the transformer with mean pooling and normalisation folded in (one graph from
    token ids to unit vectors). Written to a temporary name first so a crash leaves no half file."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a weights-loading bar would garble the CLI's own bars
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager",
                                      use_safetensors=True, trust_remote_code=False).eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    sample = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    tmp = out_path.with_suffix(".tmp")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    import warnings

    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model), (sample, sample, torch.zeros_like(sample)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
            opset_version=17, dynamo=False,
        )
    os.replace(tmp, out_path)
