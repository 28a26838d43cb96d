"""Where the encoder runs: "cuda" when torch sees a usable CUDA device, else "cpu".

IDEAMAP_EMBED_DEVICE=cpu|cuda|auto overrides (auto is the default), like
IDEAMAP_EMBED_PRECISION does for the CPU precision (backends.choose_precision). A forced
"cuda" where there is none is an error that says what is missing, never a silent CPU run:
a user who asked for the GPU should learn they are not getting it.

torch is imported only when this machine shows a GPU driver at all, so choosing "cpu" on an
ordinary laptop costs nothing (the app's search loads an ONNX encoder without torch).
"""

from __future__ import annotations

import os
from pathlib import Path

from ideamap.errors import EncoderUnavailableError

DEVICE_ENV = "IDEAMAP_EMBED_DEVICE"
DEVICES = ("cpu", "cuda")
# fp16 on the GPU: it keeps 10 mantissa bits (bf16 keeps 7), so with the same exponent-safe
# activations of a small BERT its vectors stay closer to fp32 (cosine) than bf16 ones, and
# every CUDA GPU this targets runs fp16 matmuls on tensor cores at full speed.
GPU_PRECISION = "fp16"
GPU_PRECISIONS = ("fp16", "bf16", "fp32")
# Signs of an NVIDIA (or ROCm, which torch also calls "cuda") driver, checked before torch is
# imported: without any of them torch cannot see a GPU either.
_DRIVER_MARKS = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd")


def requested_device() -> str:
    """The IDEAMAP_EMBED_DEVICE setting: "cpu", "cuda" or "auto" (unset or unknown)."""
    value = (os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    return value if value in DEVICES else "auto"


def gpu_driver_present() -> bool:
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        return False  # CUDA_VISIBLE_DEVICES hides every GPU from this process
    return any(Path(p).exists() for p in _DRIVER_MARKS)


def cuda_usable(*, driver_check: bool = True) -> bool:
    """True when torch can run on a CUDA device here. ``driver_check``: first look for a
    driver without importing torch (auto choice); a forced choice asks torch directly."""
    if driver_check and not gpu_driver_present():
        return False
    try:
        import torch
    except ImportError:
        return False
    try:
        return bool(torch.cuda.is_available()) and torch.cuda.device_count() > 0
    except RuntimeError:  # a broken driver install raises instead of answering False
        return False


def choose_device() -> str:
    """"cuda" or "cpu" from IDEAMAP_EMBED_DEVICE (auto: cuda when usable)."""
    requested = requested_device()
    if requested == "auto":
        return "cuda" if cuda_usable() else "cpu"
    return check_device(requested)


def check_device(device: str) -> str:
    """``device`` itself when it can be used here, else EncoderUnavailableError naming why."""
    if device not in DEVICES:
        raise ValueError(f"Unknown encoder device {device!r}; use one of {', '.join(DEVICES)} or auto.")
    if device == "cuda" and not cuda_usable(driver_check=False):
        raise EncoderUnavailableError(f"The encoder was asked to run on a CUDA GPU ({DEVICE_ENV}=cuda or a GPU "
                                      f"worker), but {why_no_cuda()}. Unset {DEVICE_ENV} (or set it to cpu) "
                                      "to embed on the CPU.")
    return device


def why_no_cuda() -> str:
    """What is missing, in words, when cuda_usable() is False."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
        return f"the installed torch {torch.__version__} is a CPU-only build (install a CUDA build of torch)"
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        return f"CUDA_VISIBLE_DEVICES={hidden!r} hides every GPU from this process"
    if not gpu_driver_present():
        return "no GPU driver was found (no /dev/nvidia0 or /proc/driver/nvidia)"
    return f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no usable CUDA device"


def gpu_precision() -> str:
    """The precision on a GPU: IDEAMAP_EMBED_PRECISION=fp16|bf16|fp32 forces, else fp16."""
    forced = (os.environ.get("IDEAMAP_EMBED_PRECISION") or os.environ.get("IDEAMAP_PRECISION") or "").lower()
    return forced if forced in GPU_PRECISIONS else GPU_PRECISION
