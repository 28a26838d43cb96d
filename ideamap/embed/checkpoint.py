"""Checkpoints of an adaptation in progress, so that training minutes from many sittings add up.

A checkpoint is the TSDAE loss module's weights (encoder, tied decoder and the decoder's own
cross-attention) as safetensors, plus a small JSON state (steps so far, base model, corpus
hashes seen). safetensors, not ``torch.save``: a checkpoint is data and never runs code when
loaded (no pickle, see DESIGN.md). The optimiser's moments are not kept: AdamW re-estimates
them within a few dozen steps, and saving them would double the file for little gain.

Checkpoints are keyed by the map (its resolved path) and the base model: a map that grows
keeps training from where it was, since its old sentences are still its sentences.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

WEIGHTS = "checkpoint.safetensors"
STATE = "checkpoint.json"


def checkpoints_dir() -> Path:
    from ideamap.paths import data_dir

    path = data_dir() / "adapt-checkpoints"
    path.mkdir(parents=True, exist_ok=True)
    return path


def checkpoint_for(map_path: Path, base_model: str) -> Path:
    """The checkpoint folder of one map's adaptation of one base model."""
    key = f"{Path(map_path).resolve()}\n{base_model}".encode("utf-8")
    return checkpoints_dir() / hashlib.sha256(key).hexdigest()[:20]


def read_state(folder: Path | None) -> dict:
    """The checkpoint's state ({} when there is none or it is unreadable)."""
    if folder is None or not (folder / WEIGHTS).is_file():
        return {}
    try:
        return json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save(loss_fn, folder: Path, state: dict) -> None:
    """Write weights and state; both go to temporary names first, so a crash mid-save leaves
    the previous checkpoint intact."""
    from safetensors.torch import save_model

    folder.mkdir(parents=True, exist_ok=True)
    # save_model (not save_file) because the tied decoder shares tensors with the encoder.
    save_model(loss_fn, str(folder / (WEIGHTS + ".tmp")))
    (folder / (STATE + ".tmp")).write_text(json.dumps(state, indent=2, sort_keys=True, default=str))
    os.replace(folder / (WEIGHTS + ".tmp"), folder / WEIGHTS)
    os.replace(folder / (STATE + ".tmp"), folder / STATE)


def load(loss_fn, folder: Path, base_model: str) -> dict:
    """Load the checkpoint into ``loss_fn`` and return its state; {} (and nothing loaded) when
    there is none or it was made from another base model."""
    from safetensors.torch import load_model

    state = read_state(folder)
    if not state or state.get("base_model") != base_model:
        return {}
    load_model(loss_fn, str(folder / WEIGHTS))
    return state
