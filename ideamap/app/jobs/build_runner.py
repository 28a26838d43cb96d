"""Runs a build job in a worker process and relays its progress to the UI.

The worker is a 'spawn' process (a fresh interpreter: no Qt state copied, same behaviour on
every OS). A QTimer drains its Queue a few times a second, with a cap per tick so a chatty
worker can never make the event loop late. Cancel sets an Event; if the worker has not stopped
by CANCEL_GRACE_S it is terminated, which is safe because the pipeline commits each document
in its own transaction.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time

from PySide6.QtCore import QObject, QTimer, Signal

from ideamap.app.jobs.build_job import (
    CRASHED, DONE, FAILED, IDLE_ADAPT, PROGRESS, JobOutcome, JobSpec, run_job,
)
from ideamap.app.jobs.adapt_progress import AdaptProgressState
from ideamap.app.jobs.progress_state import ProgressState

POLL_MS = 100
MAX_MESSAGES_PER_TICK = 200
REAP_TIMEOUT_S = 2.0
CANCEL_GRACE_S = 1.2  # polite stop first; well inside the 2 s users are promised
STOPPED_KEPT = "Stopped. Documents finished so far are kept; build again to resume."
STOPPED_UNCHANGED = "Stopped. The map is unchanged."


def stopped_message(kind: str) -> str:
    return STOPPED_UNCHANGED if kind in ("adapt", IDLE_ADAPT) else STOPPED_KEPT


def _vanished_message(kind: str, code) -> str:
    if kind in ("adapt", IDLE_ADAPT):
        return (f"Adapting the encoder stopped unexpectedly (exit code {code}), perhaps for lack of "
                "memory. The map is unchanged.")
    return (f"The build stopped unexpectedly (exit code {code}), perhaps for lack of memory. "
            "Documents finished so far are kept; build again to resume.")


class BuildRunner(QObject):
    progressed = Signal(object)  # ProgressState
    finished = Signal(object)  # JobOutcome

    def __init__(self, spec: JobSpec, parent: QObject | None = None, *, target=run_job,
                 cancel_grace_s: float = CANCEL_GRACE_S):
        super().__init__(parent)
        self.spec = spec
        self._target = target  # the function the worker runs (tests pass a stand-in)
        # Idle training takes longer: its step ends and its checkpoint is saved before it stops.
        self._grace_s = cancel_grace_s
        self.state = AdaptProgressState() if spec.kind in ("adapt", IDLE_ADAPT) else ProgressState()
        self._stopped = stopped_message(spec.kind)
        self._ctx = multiprocessing.get_context("spawn")
        self._queue = self._ctx.Queue()
        self._cancel = self._ctx.Event()
        self._process = None
        self._outcome: JobOutcome | None = None
        self._cancel_requested = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self._process is not None and self._outcome is None

    def start(self) -> None:
        # Not a daemon: readers may start processes of their own, which daemons cannot.
        self._process = self._ctx.Process(
            target=self._target, args=(self.spec, self._queue, self._cancel), name="ideamap-build"
        )
        self._process.start()
        self._timer.start()

    def cancel(self) -> None:
        """Ask the worker to stop; force it after the grace period (CANCEL_GRACE_S by default)."""
        if not self.running or self._cancel_requested:
            return
        self._cancel_requested = True
        self._cancel.set()
        QTimer.singleShot(int(self._grace_s * 1000), self._force_stop)

    def shutdown(self, timeout: float = 4.0) -> None:
        """Stop the worker now, blocking (the window is closing). Returns within ``timeout``."""
        if not self.running:
            return
        self._cancel.set()
        deadline = time.monotonic() + min(self._grace_s, timeout / 2)
        while self._process.is_alive() and time.monotonic() < deadline:
            self._drain()  # a worker blocked on a full pipe could not exit otherwise
            self._process.join(0.05)
        self._kill()
        self._end(JobOutcome("cancelled", self._stopped))

    # -- internals ---------------------------------------------------------------------------
    def _poll(self) -> None:
        self._drain()
        if self._outcome is None and not self._process.is_alive():
            self._drain()  # the last messages may have arrived just before it exited
            if self._outcome is None:
                self._end(self._vanished())

    def _drain(self) -> None:
        for _ in range(MAX_MESSAGES_PER_TICK):
            try:
                message = self._queue.get_nowait()
            except (queue_module.Empty, EOFError, OSError):
                return
            self._handle(message)
            if self._outcome is not None:
                return

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == PROGRESS:
            self.state.update(*message[1:])
            self.progressed.emit(self.state)
        elif kind == DONE:
            report = message[1]
            status = "cancelled" if report.get("cancelled") else "done"
            self._end(JobOutcome(status, self._stopped if status == "cancelled" else "", report))
        elif kind in (FAILED, CRASHED):
            self._end(JobOutcome("failed" if kind == FAILED else "crashed", message[1]))

    def _vanished(self) -> JobOutcome:
        if self._cancel_requested:
            return JobOutcome("cancelled", self._stopped)
        return JobOutcome("crashed", _vanished_message(self.spec.kind, self._process.exitcode))

    def _force_stop(self) -> None:
        if self.running and self._process.is_alive():
            self._kill()
            self._end(JobOutcome("cancelled", self._stopped))

    def _kill(self) -> None:
        # After a terminate the queue may hold half a message: it is not read again.
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(1.0)

    def _end(self, outcome: JobOutcome) -> None:
        if self._outcome is not None:
            return
        self._outcome = outcome
        self._timer.stop()
        # A worker that reported its end exits right after; reap it so that no finished job leaves
        # a process behind (on a busy machine the exit can lag the last message by a moment).
        if self._process is not None and self._process.is_alive():
            self._process.join(REAP_TIMEOUT_S)
        self.finished.emit(outcome)
