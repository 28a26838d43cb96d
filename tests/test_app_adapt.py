"""Map › Adapt Encoder to This Map…: the job runs in the worker with progress and Cancel, and
the outcome (kept, not kept, too little text, stopped) is said in plain words."""

from __future__ import annotations

import json
import queue as queue_module
import threading

import pytest

from ideamap.app.jobs import build_job
from ideamap.app.flows.adapt_flow import adapt_summary, held_out_figures
from ideamap.app.jobs.adapt_progress import AdaptProgressState
from ideamap.app.jobs.build_job import DONE, FAILED, JobOutcome, JobSpec
from ideamap.embed.adapt import NotEnoughTextError
from ideamap.errors import Cancelled
from tests.test_app_fakes import (
    ADAPT_CHECK, adapt_kept_job, adapt_not_kept_job, adapt_rejected_on_disk_job, adapt_slow_job,
    adapt_too_little_text_job, apply_encoder_job, make_small_map,
)
from tests.test_app_fakes import private_home, window  # noqa: F401 (fixtures)




@pytest.fixture
def opened(window, tmp_path):
    assert window.open_map(make_small_map(tmp_path / "small.ideamap"))
    return window


def _start(window, target):
    window.builds.job_target = target
    window.actions.adapt.trigger()
    return window.builds.runner


def _wait_finished(qtbot, window, timeout=30000):
    qtbot.waitUntil(lambda: window.builds.dialog is not None and window.builds.dialog.finished_, timeout=timeout)
    return window.builds.dialog


# -- the menu item ---------------------------------------------------------------------------------
def test_adapt_is_enabled_only_with_a_map_open(window, tmp_path):
    assert not window.actions.adapt.isEnabled()
    window.open_map(make_small_map(tmp_path / "small.ideamap"))
    assert window.actions.adapt.isEnabled()
    window.close_map()
    assert not window.actions.adapt.isEnabled()


def test_menu_item_starts_an_adapt_job_with_the_chosen_minutes(opened, qtbot):
    from ideamap.adapt_map import DEFAULT_MINUTES

    opened.ask.minutes = 2.5
    runner = _start(opened, adapt_kept_job)
    assert opened.ask.minutes_asked == [DEFAULT_MINUTES]
    assert runner.spec.kind == "adapt" and runner.spec.minutes == 2.5
    assert runner.spec.map_path == str(opened.session.path)
    assert not opened.actions.adapt.isEnabled()  # one job at a time
    _wait_finished(qtbot, opened)
    assert opened.actions.adapt.isEnabled()


def test_declining_the_minutes_question_starts_nothing(opened):
    opened.ask.minutes = None
    assert _start(opened, adapt_kept_job) is None
    assert opened.actions.adapt.isEnabled()


def test_progress_shows_steps_loss_and_time_left(opened, qtbot):
    runner = _start(opened, adapt_slow_job)
    dialog = opened.builds.dialog
    qtbot.waitUntil(lambda: runner.state.steps >= 3, timeout=30000)
    qtbot.waitUntil(lambda: "Training steps" in dialog.files.text(), timeout=5000)
    assert "of about 1,000" in dialog.files.text()
    assert "loss" in dialog.paragraphs.text().lower()
    assert "left" in dialog.eta.text()
    assert dialog.bar.maximum() == 1000 and "Adapting the encoder" in dialog.stage.text()


def test_cancel_stops_and_says_the_map_is_unchanged(opened, qtbot):
    session = opened.session
    runner = _start(opened, adapt_slow_job)
    qtbot.waitUntil(lambda: runner.state.steps >= 2, timeout=30000)
    opened.builds.dialog.cancelRequested.emit()
    assert "stays as it is" in opened.builds.dialog.stage.text()
    dialog = _wait_finished(qtbot, opened, timeout=5000)
    assert dialog.title.text() == "Adaptation stopped" and "unchanged" in dialog.stage.text()
    assert opened.session is session  # not reopened
    assert not runner._process.is_alive()


def test_kept_encoder_reopens_the_map_and_gives_the_held_out_figures(opened, qtbot):
    session = opened.session
    _start(opened, adapt_kept_job)
    dialog = _wait_finished(qtbot, opened)
    assert dialog.title.text() == "The map now uses the adapted encoder"
    text = dialog.stage.text()
    assert "adapted-abc123" in text and "0.500 → 0.625" in text and "0.300 → 0.350" in text
    assert opened.session is not None and opened.session is not session  # reloaded


def test_not_kept_shows_the_reports_message_and_keeps_the_map_open(opened, qtbot):
    session = opened.session
    _start(opened, adapt_not_kept_job)
    dialog = _wait_finished(qtbot, opened)
    assert dialog.title.text() == "Adaptation did not help"
    assert "keeps its encoder" in dialog.stage.text()
    assert opened.session is session


def _buttons(dialog) -> dict:
    return {b.text(): b for b in dialog.buttons.buttons()}


@pytest.fixture
def removed(monkeypatch) -> list:
    """Encoders the app removed (recorded, not deleted)."""
    gone: list = []
    monkeypatch.setattr("ideamap.embed.registry.remove_encoder", gone.append)
    return gone


def test_keep_anyway_switches_the_map_to_the_rejected_encoder(opened, qtbot, removed):
    session = opened.session
    _start(opened, apply_encoder_job)
    first = _wait_finished(qtbot, opened)
    assert first.title.text() == "Adaptation did not help" and "Keep Anyway" in first.stage.text()
    _buttons(first)["Keep Anyway"].click()
    qtbot.waitUntil(lambda: opened.builds.dialog is not first and opened.builds.dialog.finished_, timeout=30000)
    spec = opened.builds.runner.spec
    assert spec.kind == "apply-encoder" and spec.model_id == "adapted-rejected1"
    assert json.loads(spec.check_json)["adapted_document_agreement"] == 0.625  # the evidence goes along
    assert opened.builds.dialog.title.text() == "The map now uses the adapted encoder"
    assert "kept on request" in opened.builds.dialog.stage.text()
    assert opened.session is not session  # reopened with the new vectors
    assert removed == []  # the kept encoder is not removed


def test_closing_without_keeping_removes_the_rejected_encoder(opened, qtbot, removed):
    session = opened.session
    _start(opened, adapt_rejected_on_disk_job)
    dialog = _wait_finished(qtbot, opened)
    _buttons(dialog)["Close"].click()
    assert removed == ["adapted-rejected1"]
    assert opened.session is session


def test_too_little_text_is_a_readable_message(opened, qtbot):
    _start(opened, adapt_too_little_text_job)
    dialog = _wait_finished(qtbot, opened)
    assert dialog.title.text() == "The encoder was not adapted"
    assert "at least 200" in dialog.stage.text() and "Traceback" not in dialog.stage.text()


def test_real_worker_on_a_tiny_map_says_there_is_too_little_text(opened, qtbot):
    """The real job (no stand-in): the tiny map is refused before any model loads."""
    _start(opened, build_job.run_job)
    dialog = _wait_finished(qtbot, opened, timeout=60000)
    assert dialog.title.text() == "The encoder was not adapted"
    assert "distinct sentences" in dialog.stage.text()


# -- the worker side, in this process -------------------------------------------------------------
def _run_in_process(monkeypatch, raised: BaseException):
    def fake_adapt_map(*args, **kwargs):
        raise raised

    monkeypatch.setattr(build_job, "_prepare_environment", lambda: None)
    monkeypatch.setattr("ideamap.adapt_map.adapt_map", fake_adapt_map)
    q = queue_module.Queue()
    build_job.run_job(JobSpec("adapt", "/nowhere.ideamap", minutes=1.0), q, threading.Event())
    return q.get_nowait()


def test_worker_reports_cancel_as_a_stop_not_a_failure(monkeypatch):
    kind, report = _run_in_process(monkeypatch, Cancelled("Adapting the encoder was cancelled; the map is unchanged."))
    assert kind == DONE and report["cancelled"] is True


def test_worker_reports_too_little_text_as_its_message(monkeypatch):
    assert _run_in_process(monkeypatch, NotEnoughTextError("Too little text.")) == (FAILED, "Too little text.")


# -- wording ---------------------------------------------------------------------------------------
def test_progress_state_reads_adapt_maps_training_detail():
    state = AdaptProgressState()
    state.update("train", 40, 400, "loss 5.43, 4:05 left")
    lines = state.lines()
    assert state.fraction() == pytest.approx(0.1)
    assert lines["files"] == "Training steps: 40 of about 400"
    assert "5.43" in lines["paragraphs"] and lines["eta"] == "Training time left: 4:05"
    state.update("check", 0, 1, "comparing encoders on held-out documents")
    assert state.fraction() is None and state.lines()["eta"] == ""
    state.update("embed", 3, 4, "40 paragraphs")
    assert state.fraction() == pytest.approx(0.75) and "75%" in state.lines()["paragraphs"]


def test_summaries_for_each_ending():
    assert held_out_figures({"baseline_split_half_mrr": float("nan"), "adapted_split_half_mrr": 0.2}) == ""
    assert "0.500 → 0.625" in held_out_figures(ADAPT_CHECK)
    assert adapt_summary(JobOutcome("crashed", "It broke (details in log.txt)."))[1] == "It broke (details in log.txt)."
    headline, _ = adapt_summary(JobOutcome("done", "", {"kept": False, "message": ""}))
    assert headline == "Adaptation did not help"
