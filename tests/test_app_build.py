"""Builds in the worker process: cancel and shutdown deadlines, readable failures, and (slow)
dropping a folder onto the window with the real model and layout."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ideamap.app.jobs.build_job import JobSpec
from ideamap.app.jobs.build_runner import BuildRunner
from tests.test_app_fakes import failing_job, make_small_map, polite_job, stubborn_job
from tests.test_app_fakes import private_home, window  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]



def _run(qtbot, target, *, cancel_after_progress: bool):
    runner = BuildRunner(JobSpec("build", "/nowhere.ideamap"), target=target)
    outcomes = []
    runner.finished.connect(outcomes.append)
    runner.start()
    if cancel_after_progress:
        qtbot.waitUntil(lambda: runner.state.files_done >= 2, timeout=30000)
        started = time.monotonic()
        runner.cancel()
        qtbot.waitUntil(lambda: bool(outcomes), timeout=5000)
        return outcomes[0], time.monotonic() - started, runner
    qtbot.waitUntil(lambda: bool(outcomes), timeout=30000)
    return outcomes[0], 0.0, runner


def test_cancel_stops_a_stuck_worker_within_two_seconds(qtbot):
    outcome, took, runner = _run(qtbot, stubborn_job, cancel_after_progress=True)
    assert outcome.status == "cancelled" and "kept" in outcome.message
    assert took < 2.0
    assert not runner._process.is_alive()


def test_cancel_is_polite_when_the_worker_listens(qtbot):
    outcome, took, runner = _run(qtbot, polite_job, cancel_after_progress=True)
    assert outcome.status == "cancelled" and took < 1.0


def test_a_library_error_arrives_as_a_readable_message(qtbot):
    outcome, _, _ = _run(qtbot, failing_job, cancel_after_progress=False)
    assert outcome.status == "failed" and outcome.message == "No files found in the paths given."


def test_shutdown_ends_the_worker_within_five_seconds(qtbot):
    runner = BuildRunner(JobSpec("build", "/nowhere.ideamap"), target=stubborn_job)
    runner.start()
    qtbot.waitUntil(lambda: runner.state.files_done >= 1, timeout=30000)
    started = time.monotonic()
    runner.shutdown()
    assert time.monotonic() - started < 5.0 and not runner._process.is_alive()


def test_progress_dialog_shows_failures_at_the_end(window, qtbot, tmp_path):
    from ideamap.app.jobs.build_job import JobOutcome

    flow = window.builds
    flow.start(JobSpec("build", str(tmp_path / "m.ideamap")), "Making")
    flow.runner.shutdown()
    report = {"files_read": 2, "paragraphs_added": 5, "files_failed": [["/d/a.pdf", "encrypted", "Needs a password."]]}
    flow.runner._outcome = None
    flow.runner._end(JobOutcome("done", "", report))
    dialog = flow.dialog
    assert dialog.title.text() == "The map is ready"
    assert dialog.failures.topLevelItemCount() == 1
    assert "password" in dialog.failures.topLevelItem(0).text(1)


def test_opening_a_map_imports_neither_torch_nor_umap(tmp_path):
    path = make_small_map(tmp_path / "m.ideamap")
    script = f"""
import sys, os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from ideamap.app.launch import make_app
from ideamap.app.shell.main_window import MainWindow
from ideamap.app.settings import AppSettings
from tests.test_app_fakes import fake_kit
app = make_app([])
kit = None
try:
    import ideamap.app.canvas.widget
except ImportError:
    kit = fake_kit()
w = MainWindow(AppSettings(QSettings(r"{tmp_path / 's.ini'}", QSettings.IniFormat)), kit=kit)
w.show()
assert w.open_map(r"{path}")
w.nav.show_paragraph(int(w.session.scene.ids[0]))
w.run_search("bread")
deadline = __import__("time").monotonic() + 20
while w.session.index is None and __import__("time").monotonic() < deadline:
    app.processEvents()
assert w.session.index is not None
print("torch" in sys.modules, "umap" in sys.modules, "sentence_transformers" in sys.modules)
"""
    env = {**__import__("os").environ, "IDEAMAP_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["False", "False", "False"]


def _notes(folder: Path, n: int) -> Path:
    folder.mkdir()
    topics = ["Rivers carry water and sediment to the sea; deltas form where it settles.",
              "Stars burn hydrogen in their cores until a supernova ends the largest.",
              "Bread dough rises as yeast ferments sugar; kneading builds gluten."]
    for i in range(n):
        body = "\n\n".join(f"{t} (note {i}, part {j})" for j, t in enumerate(topics))
        (folder / f"note{i}.md").write_text(f"# Note {i}\n\n{body}\n")
    return folder


@pytest.mark.slow
def test_dropping_a_folder_builds_a_map_and_shows_it(window, qtbot, tmp_path):
    folder = _notes(tmp_path / "notes", 3)
    window.ask.save_path = tmp_path / "notes.ideamap"
    window.builds.handle_drop([folder])
    assert window.builds.dialog.isVisible()
    qtbot.waitUntil(lambda: window.session is not None, timeout=240_000)
    assert window.session.path == tmp_path / "notes.ideamap"
    assert window.documents_panel.tree.topLevelItemCount() == 3
    assert len(window.session.scene.ids) == 9
    assert window.builds.dialog.title.text() == "The map is ready"
    qtbot.waitUntil(lambda: window.session.index is not None, timeout=20000)
    window.nav.paragraph_clicked(int(window.session.scene.ids[0]))
    qtbot.waitUntil(lambda: not window.reading.busy(), timeout=10000)  # found in the background
    assert window.paragraph_panel.neighbor_ids()


@pytest.mark.slow
def test_cancel_leaves_a_usable_map(window, qtbot, tmp_path):
    folder = _notes(tmp_path / "many", 60)
    window.ask.save_path = tmp_path / "many.ideamap"
    window.builds.new_map([folder])
    runner = window.builds.runner
    qtbot.waitUntil(lambda: runner.state.files_done >= 1, timeout=120_000)
    started = time.monotonic()
    window.builds.cancel()
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)
    assert time.monotonic() - started < 2.5
    qtbot.waitUntil(lambda: window.session is not None, timeout=5000)
    assert window.session.path == tmp_path / "many.ideamap"
    assert not window.ask.errors
    qtbot.waitUntil(window.actions.resume.isEnabled, timeout=2000)  # the banner offers to finish


def test_closing_the_window_during_a_build_ends_the_worker_within_five_seconds(window, qtbot, tmp_path):
    window.builds.job_target = stubborn_job
    window.builds.start(JobSpec("build", str(tmp_path / "m.ideamap")), "Making")
    runner = window.builds.runner
    qtbot.waitUntil(lambda: runner.state.files_done >= 1, timeout=30000)
    assert "Files read: " in window.builds.dialog.files.text()
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 5.0
    assert not runner._process.is_alive()
