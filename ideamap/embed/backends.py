"""Ways to run the encoder network. Both return L2-normalised, mean-pooled vectors.

* ``OnnxBackend`` (default): the model exported once to ONNX and run with ONNX Runtime in fp32.
  Measured on the 2-core build machine: about 2x plain ``SentenceTransformer.encode`` with
  identical 10-NN sets, and no torch import once the export is cached (the app's search starts
  faster). ONNX files are protobuf data, not code, so loading one runs nothing.
* ``TorchBackend``: sentence-transformers on torch, with bf16 autocast where the CPU computes it
  natively. Faster still on AVX-512 machines, but it changed 5-6% of 10-NN sets on real meeting
  notes, so it is only used when ONNX Runtime is missing or IDEAMAP_BACKEND=torch.
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
    def __init__(self, st_model, precision: str):
        self.model = st_model
        self.precision = precision
        self.name = f"torch-{precision}"

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vecs = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vecs, dtype=np.float32)


def choose_precision() -> str:
    """bf16 where the CPU computes it natively (AVX-512/AMX); fp32 elsewhere, where emulated
    bf16 would be slower. IDEAMAP_PRECISION=fp32|bf16 overrides."""
    forced = os.environ.get("IDEAMAP_PRECISION", "").lower()
    if forced in ("fp32", "bf16"):
        return forced
    import torch

    capability = torch.backends.cpu.get_cpu_capability().upper()
    return "bf16" if ("AVX512" in capability or "AMX" in capability) else "fp32"


def load_sentence_transformer(model_dir: Path):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(cores_available())  # oversubscription made encoding several times slower
    # Weights from safetensors only (a pickled .bin can run code when loaded), no remote code.
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True, trust_remote_code=False,
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
