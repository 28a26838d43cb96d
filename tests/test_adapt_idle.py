"""One idle slice (ideamap/adapt_idle.py) in this process with the real model: training resumes
the checkpoint, the held-out check runs only when due, its time is recorded, and an encoder the
check rejects is removed again while the map stays as it was."""

from __future__ import annotations

import shutil

import pytest

from ideamap.adapt_idle import adapt_slice, trained_so_far
from ideamap.adapt_map import AdaptOptions
from ideamap.embed.adapt import TrainParams
from ideamap.store.mapfile import MapStore
from tests.test_adapt import snapshot
from tests.test_app_idle_adapt import make_wordy_map

FEW_STEPS = AdaptOptions(train=TrainParams(batch_size=8, max_seq_length=32, max_steps=3))


@pytest.fixture
def wordy(tmp_path, monkeypatch):
    monkeypatch.setenv("IDEAMAP_HOME", str(tmp_path / "home"))
    path = tmp_path / "wordy.ideamap"
    make_wordy_map(path)
    yield path
    shutil.rmtree(tmp_path / "home", ignore_errors=True)  # checkpoints and encoders, ~100 MB each


def test_a_slice_trains_from_the_checkpoint_and_checks_only_when_due(wordy):
    from ideamap.embed.registry import encoders_dir

    before = snapshot(wordy)
    first = adapt_slice(wordy, minutes=5, check_every_minutes=1000, options=FEW_STEPS)
    assert first.slice_steps == first.steps == 3 and not first.checked
    assert snapshot(wordy) == before  # training alone never touches the map
    # Due at once (every 0 minutes): trains on from step 3, then checks.
    second = adapt_slice(wordy, minutes=5, check_every_minutes=0, options=FEW_STEPS)
    assert second.steps == 6 and second.checked
    assert {"baseline_document_agreement", "adapted_document_agreement"} <= set(second.check)
    assert trained_so_far(wordy)["checked_at_seconds"] == pytest.approx(second.trained_seconds)
    on_disk = [p.name for p in encoders_dir().iterdir()]
    with MapStore.open(wordy, readonly=True) as store:
        model_ids = store.vector_model_ids()
    if second.kept:
        assert model_ids == [second.model_id] and second.paragraphs_embedded == 72 and len(on_disk) == 1
    else:
        assert snapshot(wordy) == before and model_ids == ["test-model"]
        assert on_disk == []  # the rejected encoder is removed; the checkpoint keeps the training


def test_idle_switches_only_for_a_gain_not_for_a_tie():
    from ideamap.adapt_map import verdict

    tie = {"baseline_document_agreement": 0.5, "adapted_document_agreement": 0.5,
           "baseline_split_half_mrr": 0.75, "adapted_split_half_mrr": 0.75}
    assert verdict(tie)[0] and not verdict(tie, require_gain=True)[0]
    gain = dict(tie, adapted_split_half_mrr=0.8)
    assert verdict(gain, require_gain=True)[0]
    assert not verdict(dict(gain, adapted_document_agreement=0.4), require_gain=True)[0]
