"""From "the user dropped a folder" to "the map is on screen": asks where to save or whether to
add, starts the worker, shows progress, reports the outcome, opens the result."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ideamap.app.jobs.build_job import JobOutcome, JobSpec, run_job
from ideamap.app.jobs.build_runner import BuildRunner
from ideamap.app.panels.progress_dialog import CANCELLING_KEPT, BuildProgressDialog
from ideamap.app.text import count_words
from ideamap.errors import IdeamapError

MAP_SUFFIX = ".ideamap"


def default_map_path(paths: list[Path]) -> Path:
    """Next to what was dropped: ``papers/`` → ``papers.ideamap`` beside it; loose files → a map
    named after their folder, in that folder. Never an existing finished map's name."""
    first = Path(paths[0]).resolve()
    base = first.parent / f"{first.name}{MAP_SUFFIX}" if first.is_dir() else first.parent / f"{first.parent.name}{MAP_SUFFIX}"
    candidate, n = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.stem} {n}{MAP_SUFFIX}")
        n += 1
    return candidate


def map_state(path: Path) -> str:
    """"missing", "unfinished" (a build was interrupted: building again resumes it) or "done"."""
    if not path.exists():
        return "missing"
    from ideamap.pipeline import has_unfinished_build
    from ideamap.store.mapfile import MapStore

    try:
        with MapStore.open(path) as store:
            return "unfinished" if has_unfinished_build(store) else "done"
    except IdeamapError:
        return "done"  # not a usable map: treated like any existing file (replaced on request)


class BuildFlow(QObject):
    busyChanged = Signal(bool)  # a worker job started (True) or ended (False)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.runner: BuildRunner | None = None
        self.dialog: BuildProgressDialog | None = None
        self._on_finished = self._finished
        self._cancelling_text = CANCELLING_KEPT
        self.job_target = run_job  # what the worker process runs (tests substitute a stand-in)

    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.running

    # -- what the user asked for -------------------------------------------------------------
    def new_from_folder(self) -> None:
        folder = self.w.ask.folder_to_map()
        if folder:
            self.new_map([folder])

    def add_files(self) -> None:
        paths = self.w.ask.files_to_add()
        if paths:
            self.add_to_open_map(paths)

    def add_folder(self) -> None:
        folder = self.w.ask.folder_to_map()
        if folder:
            self.add_to_open_map([folder])

    def handle_drop(self, paths: list[Path]) -> None:
        maps = [p for p in paths if p.suffix == MAP_SUFFIX and p.is_file()]
        if maps:
            self.w.open_map(maps[0])
            return
        if self.w.session is None:
            self.new_map(paths)
            return
        choice = self.w.ask.new_or_add(self.w.session.path.stem)
        if choice == "add":
            self.add_to_open_map(paths)
        elif choice == "new":
            self.new_map(paths)

    def new_map(self, paths: list[Path]) -> None:
        out = self.w.ask.where_to_save_map(default_map_path(paths))
        if out is None or not self._make_room(out):
            return
        self.w.settings.set_sources(out, paths)
        self.start(JobSpec("build", str(out), tuple(str(p) for p in paths)), f"Making the map “{out.stem}”")

    def add_to_open_map(self, paths: list[Path]) -> None:
        session = self.w.session
        if session is None:
            self.new_map(paths)
            return
        known = self.w.settings.sources_for(session.path)
        self.w.settings.set_sources(session.path, known + [p for p in paths if p not in known])
        self.start(JobSpec("add", str(session.path), tuple(str(p) for p in paths)), f"Adding to “{session.path.stem}”")

    def resume(self) -> None:
        """Finish an interrupted build or add of the open map."""
        session = self.w.session
        if session is None:
            return
        sources = [p for p in self.w.settings.sources_for(session.path) if p.exists()]
        kind = "build" if map_state(session.path) == "unfinished" else "add"
        if kind == "build" and not sources:
            folder = self.w.ask.folder_to_map()
            if folder is None:
                return
            sources = [folder]
        self.start(JobSpec(kind, str(session.path), tuple(str(p) for p in sources)), f"Finishing “{session.path.stem}”")

    def build_demo(self) -> None:
        from ideamap.demo import demo_map_path

        self.start(JobSpec("demo", str(demo_map_path())), "Making the demo map (about a minute, once)")

    # -- running --------------------------------------------------------------------------------
    def start(self, spec: JobSpec, title: str, *, on_finished=None, cancelling_text: str = "") -> bool:
        """Run ``spec`` in the worker with a progress dialog; ``on_finished(outcome)`` reports
        the outcome (default: a build's summary, then the map opens). One job at a time."""
        if self.running:
            self.w.ask.info("A build is running", "Wait for the current build to finish, or cancel it first.")
            return False
        # An open map stays open while files are added to it (SQLite's WAL lets the window read
        # while the worker writes); it is reopened with the result.
        spec = replace(spec, ocr=self.w.settings.ocr_enabled())  # the setting when the job starts
        self.runner = BuildRunner(spec, self, target=self.job_target)
        self.dialog = BuildProgressDialog(title, self.w)
        self.runner.progressed.connect(self.dialog.update_state)
        self._on_finished = on_finished or self._finished
        self._cancelling_text = cancelling_text or CANCELLING_KEPT
        self.runner.finished.connect(self._job_ended)
        self.dialog.cancelRequested.connect(self.cancel)
        self.runner.start()
        self.dialog.show()
        self.busyChanged.emit(True)
        return True

    def cancel(self) -> None:
        if self.running:
            self.dialog.show_cancelling(self._cancelling_text)
            self.runner.cancel()

    def shutdown(self) -> None:
        """The window is closing: stop the worker (blocks for at most a few seconds)."""
        if self.running:
            self.runner.shutdown()

    def _job_ended(self, outcome: JobOutcome) -> None:
        try:
            self._on_finished(outcome)
        finally:
            self.busyChanged.emit(False)

    def _finished(self, outcome: JobOutcome) -> None:
        spec = self.runner.spec
        headline, message = _summary(outcome)
        if self.dialog is not None:
            self.dialog.show_finished(headline, message, outcome.failed_files)
        if outcome.status in ("done", "cancelled"):
            path = Path((outcome.report or {}).get("map_path") or spec.map_path)
            if path.exists():
                self.w.open_map(path)
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()

    def _make_room(self, out: Path) -> bool:
        """The save dialog already asked before replacing a file; an interrupted build is resumed
        instead of replaced, because building again into it continues where it stopped."""
        state = map_state(out)
        if state in ("missing", "unfinished"):
            return True
        if self.w.session is not None and self.w.session.path.resolve() == out.resolve():
            self.w.close_map()
        try:
            for suffix in ("", "-wal", "-shm"):
                Path(str(out) + suffix).unlink(missing_ok=True)
        except OSError as exc:
            self.w.ask.error("Cannot replace the map", f"{out} could not be replaced: {exc.strerror}.")
            return False
        return True


def _summary(outcome: JobOutcome) -> tuple[str, str]:
    report = outcome.report or {}
    if outcome.status == "done":
        failed = len(outcome.failed_files)
        parts = [f"{count_words(report.get('files_read', 0), 'file')} read",
                 f"{count_words(report.get('paragraphs_added', 0), 'paragraph')} added"]
        if report.get("files_unchanged"):
            parts.append(f"{report['files_unchanged']} unchanged")
        if failed:
            parts.append(f"{failed} could not be read (listed below)")
        return "The map is ready", ", ".join(parts) + "."
    if outcome.status == "cancelled":
        return "Build stopped", outcome.message
    return "The build did not finish", outcome.message
