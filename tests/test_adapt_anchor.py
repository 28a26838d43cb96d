"""Adaptation that cannot forget (issue 13): the anchor to the frozen base keeps vectors near
the default encoder's, checkpoints let sittings add up, `adapt --json` reports the held-out
figures, and `encoders --remove` frees disk. Tiny: a few steps on a few dozen sentences."""

import json
import shutil
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from click.testing import CliRunner

from ideamap.cli import main as cli
from ideamap.embed.adapt import TrainParams, train_tsdae
from tests.test_adapt import sentences_for, write_corpus

# A high learning rate so that a handful of steps moves the encoder measurably.
QUICK = TrainParams(learning_rate=2e-4, batch_size=8, max_seq_length=24, epochs=1, max_steps=4)


@pytest.fixture(scope="module")
def sentences():
    return [s for topic in ("astronomy", "cooking") for s in sentences_for(topic)[::4]][:40]


@pytest.fixture(scope="module")
def base_vectors(sentences):
    return _encode_default(sentences)


def _encode_default(sentences):
    from ideamap.embed.backends import load_sentence_transformer
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, model_path

    return load_sentence_transformer(model_path(DEFAULT_MODEL_ID)).encode(sentences, normalize_embeddings=True)


def _mean_cos_to_base(model, sentences, base_vectors) -> float:
    vecs = model.encode(sentences, normalize_embeddings=True)
    return float(np.mean(np.sum(vecs * base_vectors, axis=1)))


def _train(sentences, params, **kw):
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, model_path

    return train_tsdae(model_path(DEFAULT_MODEL_ID), sentences, params=params, minutes=15,
                       base_model=DEFAULT_MODEL_ID, **kw)


def test_anchored_training_stays_closer_to_the_base(sentences, base_vectors):
    plain = _train(sentences, replace(QUICK, anchor_weight=0.0))
    anchored = _train(sentences, replace(QUICK, anchor_weight=20.0))
    cos_plain = _mean_cos_to_base(plain.model, sentences, base_vectors)
    cos_anchored = _mean_cos_to_base(anchored.model, sentences, base_vectors)
    assert plain.steps == anchored.steps == QUICK.max_steps
    assert cos_anchored > cos_plain
    assert 0.0 <= anchored.anchor_distance < 1.0


def test_top_layers_only_leaves_the_lower_layers_untouched(sentences):
    import torch

    from ideamap.embed.backends import load_sentence_transformer
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, model_path

    result = _train(sentences, replace(QUICK, max_steps=1, train_layers=2, anchor_weight=0.0))
    base = dict(load_sentence_transformer(model_path(DEFAULT_MODEL_ID)).named_parameters())
    for name, param in result.model.named_parameters():
        same = torch.equal(param.detach(), base[name].detach())
        assert same == ("encoder.layer.4." not in name and "encoder.layer.5." not in name), name


def test_resuming_from_a_checkpoint_adds_up_steps(sentences, tmp_path):
    from ideamap.embed import checkpoint

    folder = tmp_path / "ckpt"
    first = _train(sentences, replace(QUICK, max_steps=2), checkpoint=folder)
    assert (first.previous_steps, first.total_steps) == (0, 2)
    assert (folder / checkpoint.WEIGHTS).is_file() and checkpoint.read_state(folder)["steps"] == 2
    second = _train(sentences, replace(QUICK, max_steps=2), checkpoint=folder)
    assert (second.previous_steps, second.steps, second.total_steps) == (2, 2, 4)
    assert checkpoint.read_state(folder)["steps"] == 4
    # Not a pickle anywhere: the weights are safetensors, the state JSON.
    assert {p.name for p in folder.iterdir()} == {checkpoint.WEIGHTS, checkpoint.STATE}


@pytest.fixture
def fake_encoder():
    """An adapted encoder's folder (its weights need not be real for listing and removing)."""
    from ideamap.embed.registry import ADAPTED_PREFIX, encoders_dir

    folder = encoders_dir() / "0123abcdtest"
    folder.mkdir(exist_ok=True)
    (folder / "model.safetensors").write_bytes(b"\0" * 4096)
    (folder / "ideamap_provenance.json").write_text(json.dumps({"base_model": "x"}))
    yield ADAPTED_PREFIX + folder.name, folder
    shutil.rmtree(folder, ignore_errors=True)


def test_encoders_remove_frees_the_folder(fake_encoder):
    model_id, folder = fake_encoder
    result = CliRunner().invoke(cli, ["encoders", "--remove", model_id, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["removed"] == model_id and out["freed_bytes"] >= 4096
    assert not folder.exists()


def test_encoders_remove_refuses_unknown_ids_and_the_default(fake_encoder):
    from ideamap.embed.encoder import DEFAULT_MODEL_ID

    model_id, folder = fake_encoder
    for bad, words in (("adapted:ffff0000", "No adapted encoder"), ("nonsense", "No adapted encoder"),
                       (DEFAULT_MODEL_ID, "default encoder")):
        result = CliRunner().invoke(cli, ["encoders", "--remove", bad])
        assert result.exit_code == 1 and words in result.output, result.output
    assert folder.exists()  # nothing else was touched


def test_adapt_json_reports_held_out_figures_and_whether_kept(tmp_path, monkeypatch):
    import ideamap.adapt_map as adapt_map_module
    from ideamap.embed.checkpoint import checkpoint_for
    from ideamap.embed.encoder import DEFAULT_MODEL_ID
    from ideamap.pipeline import build

    write_corpus(tmp_path / "docs", docs_per_topic=2, paragraphs=3)
    path = tmp_path / "m.ideamap"
    build([tmp_path / "docs"], path)

    @dataclass
    class Small(adapt_map_module.AdaptOptions):  # what the CLI builds, with tiny-corpus settings
        train: TrainParams = field(default_factory=lambda: replace(QUICK, max_steps=2))
        min_sentences: int = 20

    monkeypatch.setattr(adapt_map_module, "AdaptOptions", Small)
    try:
        result = CliRunner().invoke(cli, ["adapt", str(path), "--minutes", "10", "--json"])
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        assert isinstance(out["kept"], bool) and out["message"]
        for name in ("baseline", "adapted"):
            for measure in ("document_agreement", "split_half_mrr"):
                assert isinstance(out["check"][f"{name}_{measure}"], float)
        assert out["training"]["total_steps"] == out["training"]["steps"] == 2
        assert out["model_id"] == (out["adapted_id"] if out["kept"] else DEFAULT_MODEL_ID)
        # The checkpoint stays whatever the verdict, so the next sitting goes on from here.
        assert (checkpoint_for(path, DEFAULT_MODEL_ID) / "checkpoint.safetensors").is_file()
    finally:
        shutil.rmtree(checkpoint_for(path, DEFAULT_MODEL_ID), ignore_errors=True)
        _remove_adapted(out.get("adapted_id") if "out" in locals() else None)


def _remove_adapted(model_id):
    """Adapted encoders are ~90 MB: keep the test home small."""
    from ideamap.embed.registry import delete_encoder
    from ideamap.errors import EncoderUnavailableError

    if model_id:
        try:
            delete_encoder(model_id)
        except EncoderUnavailableError:
            pass
