"""Map › Adapt Encoder While Idle: trains the open map's encoder whenever the app is left alone.

Off unless the user turns it on (remembered). Once the app has seen no keyboard, mouse or touch
input for ``idle_after_s`` and no build, add or adaptation is running, a slice of
``slice_minutes`` of training starts in a worker process at the lowest priority
(ideamap/adapt_idle.py, job kind "idle-adapt"). Any user input or a starting job cancels the
slice: it finishes its step, saves its checkpoint and exits, so no training is lost, and the
wait for idleness begins again. A slice that ran to its end is followed at once by the next
while the user stays away. Every ``check_every_minutes`` of accumulated training the worker
runs the held-out check; when it says the adapted encoder is better, the worker has already
re-embedded and written the map in one transaction, and this flow reopens the map and says
what changed, with the check's figures. A check that did not help says nothing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from ideamap.app.jobs.build_job import IDLE_ADAPT, JobOutcome, JobSpec, run_job
from ideamap.app.jobs.build_runner import BuildRunner

IDLE_AFTER_S = 120.0  # no input for this long: the user is away
SLICE_MINUTES = 5.0
# A cancelled slice finishes its step and saves a checkpoint (~100 MB) before it stops.
SLICE_CANCEL_GRACE_S = 20.0
USER_INPUT = frozenset({QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.MouseButtonDblClick,
                        QEvent.MouseMove, QEvent.Wheel, QEvent.TouchBegin, QEvent.TabletPress})
SWITCHED_TITLE = "The map now uses an encoder adapted to its text"


class IdleAdaptFlow(QObject):
    changed = Signal()  # the status text changed (the status bar follows it)
    sliceEnded = Signal(object)  # JobOutcome of each slice, after the flow acted on it

    def __init__(self, window, *, idle_after_s: float = IDLE_AFTER_S, slice_minutes: float = SLICE_MINUTES,
                 check_every_minutes: float | None = None):
        super().__init__(window)
        from ideamap.adapt_idle import CHECK_EVERY_MINUTES

        self.w = window
        self.slice_minutes = slice_minutes
        self.check_every_minutes = CHECK_EVERY_MINUTES if check_every_minutes is None else check_every_minutes
        self.job_target = run_job  # what the worker process runs (tests substitute a stand-in)
        self.runner: BuildRunner | None = None
        self.slices_started = 0
        self.last_outcome: JobOutcome | None = None
        self._refused: dict[str, str] = {}  # map path -> why it cannot be adapted (this session)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._idle_reached)
        self.set_idle_after(idle_after_s)
        QApplication.instance().installEventFilter(self)
        window.builds.busyChanged.connect(self._builds_busy)

    # -- switching on and off -------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.w.settings.idle_adapt_enabled()

    def set_enabled(self, on: bool) -> None:
        self.w.settings.set_idle_adapt_enabled(on)
        self._refused.clear()  # turning it on again is a request to try again
        if on:
            self._timer.start()
        else:
            self._timer.stop()
            self.pause()
        self.changed.emit()

    def set_idle_after(self, seconds: float) -> None:
        self._timer.setInterval(int(seconds * 1000))
        if self.enabled:
            self._timer.start()

    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.running

    # -- what pauses it -------------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:
        # Only input from the window system (spontaneous) means the user is here; events Qt
        # makes up itself (a synthetic move after a relayout) must not pause anything.
        if event.type() in USER_INPUT and event.spontaneous():
            self.user_active()
        return False

    def user_active(self) -> None:
        if self.enabled:
            self._timer.start()  # the wait for idleness begins again
        self.pause()

    def map_opened(self) -> None:
        """A map was opened (by the user, or reopened after a switch): wait for idleness anew,
        as no input may come to start the wait otherwise."""
        if self.enabled and not self.running:
            self._timer.start()

    def _builds_busy(self, busy: bool) -> None:
        if busy:
            self.pause()
        elif self.enabled:
            self._timer.start()

    def pause(self) -> None:
        """Stop the running slice cleanly (it saves its checkpoint first)."""
        if self.running:
            self.runner.cancel()
            self.changed.emit()

    def shutdown(self) -> None:
        """The window is closing: stop the slice now (it may lose the minutes since its last save)."""
        self._timer.stop()
        if self.running:
            self.runner.shutdown()

    # -- running slices -------------------------------------------------------------------------
    def _idle_reached(self) -> None:
        if not self._may_start():
            return
        spec = JobSpec(IDLE_ADAPT, str(self.w.session.path), minutes=self.slice_minutes,
                       check_every_minutes=self.check_every_minutes)
        self.runner = BuildRunner(spec, self, target=self.job_target, cancel_grace_s=SLICE_CANCEL_GRACE_S)
        self.runner.finished.connect(self._slice_ended)
        self.runner.progressed.connect(lambda _state: self.changed.emit())
        self.runner.start()
        self.slices_started += 1
        self.changed.emit()

    def _may_start(self) -> bool:
        session = self.w.session
        return (self.enabled and session is not None and not self.running and not self.w.builds.running
                and str(session.path) not in self._refused)

    def _slice_ended(self, outcome: JobOutcome) -> None:
        self.last_outcome = outcome
        path = self.runner.spec.map_path
        report = outcome.report or {}
        if outcome.status in ("failed", "crashed"):
            # Too little text, or a fault: trying again every idle minute would not change it.
            self._refused[path] = outcome.message
        elif outcome.status == "done" and report.get("kept"):
            self._switched(Path(report.get("map_path") or path), report)
        self.changed.emit()
        self.sliceEnded.emit(outcome)
        if outcome.status == "done" and not self._timer.isActive():
            # No input since this slice started: the user is still away, so train on.
            QTimer.singleShot(0, self._idle_reached)

    def _switched(self, path: Path, report: dict) -> None:
        text = switched_message(report)
        if self.w.session is not None and self.w.session.path.resolve() == path.resolve():
            self.w.open_map(path)  # the new vectors and layout
        self.w.statusBar().showMessage(text.splitlines()[0], 60000)
        self.w.ask.info(SWITCHED_TITLE, text)

    # -- what the window shows ------------------------------------------------------------------
    def status_text(self) -> str:
        """"Adapted while idle: 14 min so far" (the open map's checkpoint), or "" when off."""
        session = self.w.session
        if not self.enabled or session is None:
            return ""
        refused = self._refused.get(str(session.path))
        if refused:
            return "Not adapting while idle: " + _first_sentence(refused)
        from ideamap.adapt_idle import trained_so_far

        minutes = trained_so_far(session.path)["seconds"] / 60.0
        so_far = f"{minutes:.0f} min so far" if minutes >= 1 or minutes == 0 else "under a minute so far"
        if self.running:
            return f"Adapting the encoder while idle… ({so_far})"
        return f"Adapted while idle: {so_far}"


def switched_message(report: dict) -> str:
    """What changed, in the check's own figures: "Adapted to this map's text: neighbours of
    held-out documents 6% more on-topic." then the figures and what was redone."""
    from ideamap.app.flows.adapt_flow import held_out_figures

    check = report.get("check") or {}
    base, new = check.get("baseline_document_agreement"), check.get("adapted_document_agreement")
    if isinstance(base, (int, float)) and isinstance(new, (int, float)) and 0 < base < new:
        headline = (f"Adapted to this map's text: neighbours of held-out documents "
                    f"{100 * (new - base) / base:.0f}% more on-topic.")
    else:
        headline = "Adapted to this map's text: it did at least as well on held-out documents."
    lines = [headline]
    figures = held_out_figures(check)
    if figures:
        lines.append(f"On {check.get('documents', 0):,} documents kept aside from training: {figures}")
    lines.append(f"All {report.get('paragraphs_embedded', 0):,} paragraphs were re-embedded with "
                 f"{report.get('model_id', 'the adapted encoder')} and the map was laid out again.")
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].strip()
    return head if head.endswith(".") else head + "."
