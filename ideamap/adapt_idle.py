"""One slice of adapting a map's encoder while the app is idle (issue 13, "minutes that add up").

The app runs slices of a few minutes in its worker process whenever the user leaves it alone.
Each slice resumes the map's checkpoint (ideamap/embed/checkpoint.py), trains, and saves the
checkpoint again, also when cancelled, so minutes from many slices and sittings accumulate.
Training alone never touches the map. Only when the accumulated training has grown by
``check_every_minutes`` since the last check is the encoder saved and held-out checked, as
`ideamap adapt` does but stricter: only when some figure got better and none worse (not merely
as good) is the map re-embedded, laid out and written in one transaction (ideamap/adapt_map.py).
An encoder the check rejected is removed again: nobody asked for it, and the checkpoint keeps
the training for the next check.

When the last check was is kept in a small JSON beside the checkpoint (``idle.json``), so a
slice that was cancelled during its check is checked again by the next one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# adapt_map's own steps, so a slice reads, splits, checks and writes exactly as `ideamap adapt`.
from ideamap.adapt_map import (
    AdaptOptions, AdaptReport, _check_and_apply, _discard, _read_corpus, _sentences, _train_progress,
    split_by_document,
)
from ideamap.pipeline import CancelFn, ProgressFn, _noop_progress

# Trained minutes between held-out checks: a check costs about as much as a minute or two of
# training (embedding the held-out documents twice, saving a ~90 MB encoder).
CHECK_EVERY_MINUTES = 10.0
# A slice saves its checkpoint this often too, so a slice killed (not cancelled) loses little.
CHECKPOINT_EVERY_S = 60.0
RECORD = "idle.json"


@dataclass
class SliceReport:
    map_path: str
    trained_seconds: float = 0.0  # all slices and sittings on this map's checkpoint
    steps: int = 0  # likewise
    slice_steps: int = 0
    checked: bool = False  # the held-out check ran at the end of this slice
    kept: bool = False  # ... and the map now uses the adapted encoder
    model_id: str = ""
    previous_model_id: str = ""
    check: dict = field(default_factory=dict)
    paragraphs_embedded: int = 0
    message: str = ""


def base_model() -> str:
    from ideamap.embed.encoder import DEFAULT_MODEL_ID

    return DEFAULT_MODEL_ID


def trained_so_far(map_path: Path) -> dict:
    """{"seconds", "steps", "checked_at_seconds"} of the map's checkpoint (zeros when none).
    Reads two small JSON files; no model is loaded, so the app may call it on its UI thread."""
    from ideamap.embed.checkpoint import checkpoint_for, read_state

    folder = checkpoint_for(Path(map_path), base_model())
    state = read_state(folder)
    return {"seconds": float(state.get("seconds", 0.0)), "steps": int(state.get("steps", 0)),
            "checked_at_seconds": float(_read_record(folder).get("checked_at_seconds", 0.0))}


def check_due(trained_seconds: float, checked_at_seconds: float, every_minutes: float) -> bool:
    return trained_seconds - checked_at_seconds >= every_minutes * 60.0


def adapt_slice(map_path, *, minutes: float, check_every_minutes: float = CHECK_EVERY_MINUTES,
                progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                options: AdaptOptions | None = None) -> SliceReport:
    """Train the map's encoder for ``minutes`` from its checkpoint; check and switch when due.
    Raises :class:`Cancelled` (checkpoint saved, map unchanged) and NotEnoughTextError."""
    from ideamap.embed.adapt import train_tsdae
    from ideamap.embed.checkpoint import checkpoint_for
    from ideamap.embed.encoder import model_path

    map_path = Path(map_path)
    options = replace(options or AdaptOptions(), require_gain=True, keep_rejected=False)
    progress, cancel = progress or _noop_progress, cancel or (lambda: False)
    corpus = _read_corpus(map_path)
    train_rows, check_rows = split_by_document(corpus.doc_ids, options.held_out_share, options.seed)
    sentences = _sentences(corpus, train_rows, options)
    folder = checkpoint_for(map_path, base_model())
    result = train_tsdae(model_path(base_model()), sentences, params=options.train, minutes=minutes,
                         progress=_train_progress(progress), cancel=cancel, checkpoint=folder,
                         base_model=base_model(), checkpoint_every_s=CHECKPOINT_EVERY_S)
    so_far = trained_so_far(map_path)
    report = SliceReport(str(map_path), so_far["seconds"], so_far["steps"], result.steps,
                         previous_model_id=", ".join(corpus.model_ids))
    if check_due(so_far["seconds"], so_far["checked_at_seconds"], check_every_minutes):
        _check(map_path, corpus, check_rows, sentences, result, minutes, options, report, progress, cancel)
        _write_record(folder, {"checked_at_seconds": so_far["seconds"], "kept": report.kept,
                               "check": report.check})
    return report


def _check(map_path, corpus, check_rows, sentences, result, minutes, options, report, progress, cancel) -> None:
    """Save the encoder trained so far, check it on the held-out documents and switch the map
    to it if it is better (adapt_map's own check and write); remove it otherwise."""
    from ideamap.embed.adapt import provenance_record, save_encoder

    record = provenance_record(base_model(), sentences, options.train, result, minutes=minutes)
    model_id, created = save_encoder(result.model, record)
    adapt = AdaptReport(map_path=str(map_path), base_model=base_model(), adapted_id=model_id,
                        previous_model_id=report.previous_model_id, training=record["training"])
    try:
        _check_and_apply(map_path, corpus, check_rows, model_id, options, adapt, progress, cancel)
    except BaseException:
        _discard(model_id, created)
        raise
    if not adapt.kept:
        _discard(model_id, created)
    report.checked, report.kept, report.check = True, adapt.kept, adapt.check
    report.model_id, report.message = adapt.model_id, adapt.message
    report.paragraphs_embedded = adapt.paragraphs_embedded


def _read_record(folder: Path) -> dict:
    try:
        return json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_record(folder: Path, record: dict) -> None:
    tmp = folder / (RECORD + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, folder / RECORD)
