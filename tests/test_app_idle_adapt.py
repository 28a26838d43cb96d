"""Map › Adapt Encoder While Idle: off by default; once on, idleness starts a training slice in
the worker, user input or a build pauses it (checkpoint saved), slices add up, and a check that
says "better" reopens the map and says what changed. Stand-in jobs for the app's side; one test
runs the real worker end to end on a small map."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from ideamap.adapt_idle import check_due, trained_so_far
from ideamap.app.flows.idle_adapt import SWITCHED_TITLE, switched_message
from ideamap.app.jobs import build_job
from ideamap.app.jobs.build_job import JobSpec
from ideamap.model import FileStatus, ParagraphDraft, ReadResult
from ideamap.store.mapfile import MapStore
from tests.test_app_fakes import ADAPT_CHECK, make_small_map, polite_job
from tests.test_app_fakes import private_home, window  # noqa: F401 (fixtures)


# -- stand-in slices (module level: the spawned worker imports them by name) ------------------
def idle_slow_job(spec, queue, cancel_event):
    """Trains until cancelled, then stops as a real slice does."""
    for n in range(1, 10_000):
        if cancel_event.is_set():
            queue.put(("done", {"map_path": spec.map_path, "cancelled": True, "files_failed": []}))
            return
        queue.put(("progress", "train", n, 10_000, "loss 5.00, 4:00 left"))
        time.sleep(0.02)


def idle_short_job(spec, queue, cancel_event):
    """A slice that ran to its end without a check."""
    queue.put(("progress", "train", 1, 1, "loss 5.00, 0:00 left"))
    queue.put(("done", {"map_path": spec.map_path, "checked": False, "kept": False}))


def idle_kept_job(spec, queue, cancel_event):
    """A slice whose check said better: the worker switched the map (the file is left alone here)."""
    queue.put(("done", {"map_path": spec.map_path, "checked": True, "kept": True, "model_id": "adapted:abc123",
                        "check": ADAPT_CHECK, "paragraphs_embedded": 12}))


def idle_not_kept_job(spec, queue, cancel_event):
    queue.put(("done", {"map_path": spec.map_path, "checked": True, "kept": False, "check": ADAPT_CHECK}))


# -- helpers -------------------------------------------------------------------------------------
@pytest.fixture
def opened(window, tmp_path):
    assert window.open_map(make_small_map(tmp_path / "small.ideamap"))
    return window


def _turn_on(window, target, *, minutes=0.05):
    """Switch idle training on with a stand-in job; the flow's slice outcomes collect in
    ``flow.ends`` (a slice that ran to its end is followed by the next at once, so waiting for
    "not running" could miss the moment between two)."""
    flow = window.idle_adapt
    flow.job_target = target
    flow.slice_minutes = minutes
    flow.ends = []
    flow.sliceEnded.connect(flow.ends.append)
    flow.set_idle_after(0.05)  # tests do not wait two minutes to be idle
    window.actions.idle_adapt.setChecked(True)
    return flow


def _ended(flow, qtbot, count=1, timeout=30000):
    qtbot.waitUntil(lambda: len(flow.ends) >= count, timeout=timeout)
    return flow.ends[count - 1]


def _press_a_key(window):
    QTest.keyClick(window.statusBar(), Qt.Key_Shift)


# -- the setting ----------------------------------------------------------------------------------
def test_off_by_default_and_nothing_starts(opened):
    flow = opened.idle_adapt
    flow.job_target = idle_slow_job
    assert not opened.actions.idle_adapt.isChecked() and not flow.enabled
    flow._idle_reached()  # as if the idle timer fired
    assert flow.slices_started == 0 and flow.runner is None
    assert opened.idle_label.text() == ""


def test_the_setting_is_remembered(opened, tmp_path, qtbot):
    _turn_on(opened, idle_short_job)
    assert opened.settings.idle_adapt_enabled()
    from tests.test_app_fakes import shown_window

    opened.settings.sync()
    again = shown_window(qtbot, tmp_path)  # same settings file
    assert again.actions.idle_adapt.isChecked()
    again.close()


# -- idle, input, builds -------------------------------------------------------------------------
def test_idle_starts_a_lowest_priority_slice_of_the_open_map(opened, qtbot):
    flow = _turn_on(opened, idle_slow_job, minutes=0.25)
    qtbot.waitUntil(lambda: flow.running and flow.runner.state.steps >= 1, timeout=30000)
    spec = flow.runner.spec
    assert spec.kind == "idle-adapt" and spec.minutes == 0.25 and spec.map_path == str(opened.session.path)
    assert spec.check_every_minutes == flow.check_every_minutes > 0
    assert opened.idle_label.text().startswith("Adapting the encoder while idle")
    assert not opened.builds.running  # no progress dialog: idle training is quiet
    assert opened.builds.dialog is None


@pytest.mark.parametrize("how", ["key", "mouse"])
def test_user_input_cancels_the_slice_and_waits_again(opened, qtbot, how):
    flow = _turn_on(opened, idle_slow_job)
    qtbot.waitUntil(lambda: flow.running and flow.runner.state.steps >= 2, timeout=30000)
    if how == "key":
        _press_a_key(opened)
    else:
        QTest.mouseClick(opened.statusBar(), Qt.LeftButton, pos=QPoint(5, 5))
    assert flow._timer.isActive()  # the wait for idleness started over
    assert _ended(flow, qtbot).status == "cancelled"
    assert not flow.runner._process.is_alive()


def test_a_running_build_keeps_idle_training_from_starting(opened, qtbot):
    flow = _turn_on(opened, idle_slow_job)
    opened.builds.job_target = polite_job
    assert opened.builds.start(JobSpec("add", str(opened.session.path), ("x",)), "Adding")
    flow._idle_reached()
    assert flow.slices_started == 0
    opened.builds.cancel()
    qtbot.waitUntil(lambda: not opened.builds.running, timeout=30000)
    qtbot.waitUntil(lambda: flow.slices_started == 1, timeout=30000)  # idle again after the build


def test_a_build_starting_pauses_a_slice(opened, qtbot):
    flow = _turn_on(opened, idle_slow_job)
    qtbot.waitUntil(lambda: flow.running and flow.runner.state.steps >= 1, timeout=30000)
    opened.builds.job_target = polite_job
    opened.builds.start(JobSpec("add", str(opened.session.path), ("x",)), "Adding")
    assert _ended(flow, qtbot).status == "cancelled"
    opened.builds.cancel()
    qtbot.waitUntil(lambda: not opened.builds.running, timeout=30000)


def test_turning_it_off_stops_the_slice(opened, qtbot):
    flow = _turn_on(opened, idle_slow_job)
    qtbot.waitUntil(lambda: flow.running, timeout=30000)
    opened.actions.idle_adapt.setChecked(False)
    assert _ended(flow, qtbot).status == "cancelled"
    assert not flow._timer.isActive() and opened.idle_label.text() == ""


def test_opening_a_map_starts_the_wait_without_any_input(window, tmp_path, qtbot):
    flow = _turn_on(window, idle_short_job)
    qtbot.waitUntil(lambda: not flow._timer.isActive(), timeout=5000)  # fired with no map open
    assert flow.slices_started == 0
    window.open_map(make_small_map(tmp_path / "small.ideamap"))  # e.g. from the command line
    _ended(flow, qtbot)
    flow.set_enabled(False)


def test_a_finished_slice_is_followed_by_the_next_while_still_idle(opened, qtbot):
    flow = _turn_on(opened, idle_short_job)
    _ended(flow, qtbot, count=3)
    assert flow.last_outcome.status == "done"


def test_too_little_text_stops_trying_for_that_map(opened, qtbot):
    """The real worker: the small map is refused before any model loads."""
    flow = _turn_on(opened, build_job.run_job)
    outcome = _ended(flow, qtbot, timeout=60000)
    assert outcome.status == "failed" and "distinct sentences" in outcome.message
    assert opened.idle_label.text().startswith("Not adapting while idle: This map has")
    flow._idle_reached()
    assert flow.slices_started == 1  # not again in this session
    flow.set_enabled(False)


# -- a check that said better, or not ----------------------------------------------------------------
def test_a_better_encoder_reopens_the_map_and_says_what_changed(opened, qtbot):
    session = opened.session
    flow = _turn_on(opened, idle_kept_job)
    _ended(flow, qtbot)
    flow.set_enabled(False)
    title, text = opened.ask.infos[0]
    assert title == SWITCHED_TITLE
    assert text.startswith("Adapted to this map's text: neighbours of held-out documents 25% more on-topic.")
    assert "0.500 → 0.625" in text and "adapted:abc123" in text
    assert opened.session is not None and opened.session is not session  # reloaded


def test_a_check_that_did_not_help_says_nothing(opened, qtbot):
    session = opened.session
    flow = _turn_on(opened, idle_not_kept_job)
    _ended(flow, qtbot)
    flow.set_enabled(False)
    assert opened.ask.infos == [] and opened.session is session


def test_wording_and_when_checks_are_due():
    assert check_due(600, 0, 10) and not check_due(1190, 600, 10)
    plain = switched_message({"check": {"baseline_document_agreement": 0.5, "adapted_document_agreement": 0.5},
                              "paragraphs_embedded": 3})
    assert "at least as well" in plain and "All 3 paragraphs were re-embedded" in plain


def test_status_shows_the_minutes_trained_so_far(opened):
    from ideamap.adapt_idle import base_model
    from ideamap.embed.checkpoint import STATE, WEIGHTS, checkpoint_for

    folder = checkpoint_for(opened.session.path, base_model())
    folder.mkdir(parents=True)
    (folder / WEIGHTS).write_bytes(b"weights")
    (folder / STATE).write_text('{"base_model": "x", "steps": 700, "seconds": 845.0}')
    opened.idle_adapt.set_enabled(True)
    assert opened.idle_label.text() == "Adapted while idle: 14 min so far"


# -- the real worker, end to end ---------------------------------------------------------------------
SUBJECTS = ["The river", "A glacier", "The old harbour", "Our orchard", "The night sky", "A quiet village"]
VERBS = ["changed", "flooded", "shaped", "lit up", "fed", "sheltered"]
OBJECTS = ["the valley", "the fishing boats", "the spring market", "the northern fields",
           "the small school", "the stone bridge", "the winter roads", "the local mill"]


def make_wordy_map(path) -> None:
    """12 documents of 24 distinct sentences (288 in all): enough for the default minimum of 200
    training sentences outside the documents kept aside. Random vectors: nothing is checked."""
    sentences = [f"{s} {v} {o} last year." for s in SUBJECTS for v in VERBS for o in OBJECTS]
    rng = np.random.default_rng(1)
    store = MapStore.create(path)
    run = store.start_run("build", {"seed": 0}, model_id="test-model")
    for d in range(12):
        chunk = sentences[d * 24 : (d + 1) * 24]
        paras = [ParagraphDraft(text=" ".join(chunk[p * 4 : (p + 1) * 4]), order=p, page=1) for p in range(6)]
        result = ReadResult(path=str(path.parent / f"doc{d}.md"), doc_type="md", status=FileStatus.DONE,
                            title=f"Notes {d}", paragraphs=paras)
        vecs = rng.normal(size=(6, 16)).astype(np.float32)
        store.write_document(result, f"hash-{d}", vecs / np.linalg.norm(vecs, axis=1, keepdims=True),
                             model_id="test-model", run_id=run)
    ids, _ = store.vectors()
    from types import SimpleNamespace

    island = SimpleNamespace(level=0, key=0, parent_key=None, label="Places", terms=["river"], exemplars=[0],
                             size=len(ids), x=0.5, y=0.5)
    store.save_layout(ids, rng.random((len(ids), 2)), np.zeros((1, len(ids)), dtype=int), [island],
                      [-1] * len(ids), replace=True)
    store.finish_run(run)
    store.close()


@pytest.fixture
def wordy(window, tmp_path):
    import shutil

    from ideamap.embed.checkpoint import checkpoints_dir

    path = tmp_path / "wordy.ideamap"
    make_wordy_map(path)
    assert window.open_map(path)
    yield window
    shutil.rmtree(checkpoints_dir(), ignore_errors=True)  # ~100 MB of weights per checkpoint


def test_real_slices_add_up_and_input_stops_one_with_a_checkpoint(wordy, qtbot):
    flow = _turn_on(wordy, build_job.run_job, minutes=0.05)
    flow.check_every_minutes = 1000.0  # training only: the check would re-embed and lay out
    path = wordy.session.path
    trained = []  # the checkpoint's figures as each slice ended
    flow.sliceEnded.connect(lambda _outcome: trained.append(trained_so_far(path)))
    # The next slice is longer, so that the key press below surely comes while it trains.
    flow.sliceEnded.connect(lambda _outcome: setattr(flow, "slice_minutes", 2.0))
    first = _ended(flow, qtbot, count=1, timeout=120000)
    assert first.status == "done", first.message
    assert first.report["slice_steps"] >= 1 and not first.report["checked"]
    assert trained[0]["steps"] == first.report["steps"] == first.report["slice_steps"]
    assert trained[0]["seconds"] > 0
    # Still idle: the next slice starts by itself from the first one's checkpoint; a key press
    # once it trains stops it, and the steps it made are saved with the first slice's.
    qtbot.waitUntil(lambda: flow.running and flow.runner.state.steps >= 1, timeout=120000)
    _press_a_key(wordy)
    second = _ended(flow, qtbot, count=2, timeout=60000)
    flow.set_enabled(False)
    assert second.status == "cancelled"
    assert trained[1]["steps"] > trained[0]["steps"] and trained[1]["seconds"] > trained[0]["seconds"]
    from ideamap.adapt_idle import base_model
    from ideamap.embed.checkpoint import WEIGHTS, checkpoint_for

    assert (checkpoint_for(path, base_model()) / WEIGHTS).stat().st_size > 10_000_000  # real weights


def test_a_slice_runs_at_the_lowest_priority():
    import subprocess
    import sys

    code = "import os; from ideamap.app.jobs.build_job import _lowest_priority; _lowest_priority(); print(os.nice(0))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "19"
