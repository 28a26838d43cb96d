"""The build worker process: reading, embedding, layout and adapting the encoder run here, never
in the UI process.

Qt-free on purpose: the process is started with the 'spawn' method, so it imports only this
module and the pipeline, not Qt. It talks to the app through a multiprocessing Queue of plain
tuples and is cancelled through an Event; the pipeline commits each document in its own
transaction, so stopping it (politely or by force) never leaves a half-written document.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

# Messages the worker sends (first element of each tuple).
PROGRESS = "progress"  # (PROGRESS, stage, done, total, detail)
DONE = "done"  # (DONE, report dict)
FAILED = "failed"  # (FAILED, readable message)
CRASHED = "crashed"  # (CRASHED, readable message with the log file's path)
IDLE_ADAPT = "idle-adapt"
ADAPT_KINDS = ("adapt", "apply-encoder", IDLE_ADAPT)


@dataclass(frozen=True)
class JobSpec:
    # "build" (new map), "add" (files into an existing map), "demo", "adapt", "apply-encoder" or
    # "idle-adapt" (one slice of training while the app is idle, ideamap/adapt_idle.py)
    kind: str
    map_path: str
    paths: tuple[str, ...] = ()
    minutes: float = 0.0  # "adapt" and "idle-adapt": the training time budget
    check_every_minutes: float = 0.0  # "idle-adapt" only: trained minutes between held-out checks
    ocr: bool = True  # read pages without a usable text layer by OCR (the app's setting)
    model_id: str = ""  # "apply-encoder" only: the adapted encoder the user keeps anyway
    check_json: str = ""  # "apply-encoder" only: the held-out check that rejected it (JSON)


@dataclass
class JobOutcome:
    """How a job ended, as the app sees it."""

    status: str  # "done", "cancelled", "failed" or "crashed"
    message: str = ""
    report: dict | None = None

    @property
    def failed_files(self) -> list[tuple[str, str, str]]:
        return [tuple(f) for f in (self.report or {}).get("files_failed", [])]


def run_job(spec: JobSpec, queue, cancel_event) -> None:
    """Process entry point. Never raises: every ending is reported through ``queue``."""
    _prepare_environment()
    from ideamap.errors import Cancelled, IdeamapError

    def progress(stage: str, done: int, total: int, detail: str = "") -> None:
        queue.put((PROGRESS, stage, int(done), int(total), str(detail)))

    try:
        report = _run(spec, progress, cancel_event.is_set)
        queue.put((DONE, report))
    except Cancelled as exc:
        queue.put((DONE, {"map_path": spec.map_path, "cancelled": True, "message": str(exc), "files_failed": []}))
    except IdeamapError as exc:
        queue.put((FAILED, str(exc)))
    except BaseException as exc:  # noqa: BLE001 - the app must get a message, whatever happened
        from ideamap.app.crashlog import log_exception, unexpected_message

        log = log_exception(exc, f"build worker {spec}")
        doing = "adapting the encoder" if spec.kind in ADAPT_KINDS else "building the map"
        queue.put((CRASHED, unexpected_message(exc, doing, log)))


def _prepare_environment() -> None:
    # No model hub is reachable, and a user's app must never try one.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from ideamap.app.crashlog import enable_fault_log
    from ideamap.paths import configure_numba_cache

    configure_numba_cache()
    enable_fault_log()  # a native crash in torch, UMAP or a parser leaves a trace
    try:
        # A lower priority keeps the window responsive while the build uses every core.
        os.nice(5)
    except (AttributeError, OSError):  # not on this platform, or not allowed
        pass


def _run(spec: JobSpec, progress, cancel) -> dict:
    from ideamap import pipeline

    paths = [Path(p) for p in spec.paths]
    if not spec.ocr:
        os.environ["IDEAMAP_OCR"] = "0"  # this worker's reader processes inherit it, as with --no-ocr
    if spec.kind == "build":
        report = pipeline.build(paths, Path(spec.map_path), progress=progress, cancel=cancel)
    elif spec.kind == "add":
        report = pipeline.add(Path(spec.map_path), paths, progress=progress, cancel=cancel)
    elif spec.kind == "demo":
        from ideamap.demo import ensure_demo_map

        return _demo_report(ensure_demo_map(progress=progress))
    elif spec.kind == "adapt":
        from ideamap.adapt_map import AdaptOptions, adapt_map

        # A rejected encoder stays on disk until the user declines "Keep Anyway".
        report = adapt_map(Path(spec.map_path), minutes=spec.minutes, progress=progress, cancel=cancel,
                           options=AdaptOptions(keep_rejected=True))
    elif spec.kind == "apply-encoder":
        import json

        from ideamap.adapt_map import apply_encoder

        report = apply_encoder(Path(spec.map_path), spec.model_id, check=json.loads(spec.check_json or "{}"),
                               progress=progress, cancel=cancel)
    elif spec.kind == IDLE_ADAPT:
        from ideamap.adapt_idle import adapt_slice

        _lowest_priority()  # the user's own work, and any build, come first
        report = adapt_slice(Path(spec.map_path), minutes=spec.minutes, progress=progress, cancel=cancel,
                             check_every_minutes=spec.check_every_minutes)
    else:
        raise ValueError(f"unknown job kind {spec.kind!r}")
    return asdict(report)


def _lowest_priority() -> None:
    try:
        os.nice(19 - os.nice(0))  # os.nice adds to the niceness and returns the result
    except (AttributeError, OSError):  # not on this platform, or not allowed
        pass


def _demo_report(path: Path) -> dict:
    """What the demo map holds, so "The map is ready" gives real numbers (the demo is built
    once and opened from then on, so there is no build report to pass on)."""
    from ideamap.store.mapfile import MapStore

    with MapStore.open(path, readonly=True) as store:
        files, paragraphs = len(store.documents()), store.count_paragraphs()
    return {"map_path": str(path), "files_read": files, "paragraphs_added": paragraphs,
            "files_failed": [], "cancelled": False}
