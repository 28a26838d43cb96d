"""Adapting the encoder to a map (TSDAE): the training corpus, end to end on a tiny map (a few
dozen steps), a run that does not help, cancel, too little text, and a map whose encoder is
missing."""

import hashlib
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from ideamap.adapt_map import KEEP_ALWAYS, AdaptOptions, adapt_map
from ideamap.cli import main as cli
from ideamap.embed.adapt import (
    NotEnoughTextError,
    TrainParams,
    corpus_hash,
    delete_words,
    split_sentences,
    training_sentences,
)
from ideamap.errors import Cancelled
from ideamap.store.mapfile import MapStore

TOPICS = {
    "astronomy": (["The telescope", "A young astronomer", "The survey team", "Our observatory"],
                  ["measured", "photographed", "catalogued", "tracked"],
                  ["the spiral galaxy", "a distant supernova", "the comet's tail", "the red giant star",
                   "a pulsar in the nebula"]),
    "cooking": (["The baker", "My grandmother", "The head chef", "A patient cook"],
                ["kneaded", "simmered", "seasoned", "roasted"],
                ["the sourdough loaf", "a pot of tomato sauce", "the winter vegetables", "the onion soup",
                 "a tray of almond biscuits"]),
    "finance": (["The central bank", "A pension fund", "The trader", "Our treasurer"],
                ["hedged", "priced", "sold", "rebalanced"],
                ["the bond portfolio", "a basket of index funds", "the quarterly earnings", "the mortgage book",
                 "a position in copper futures"]),
}
FAST = TrainParams(batch_size=8, max_seq_length=32, epochs=3, max_steps=24)


def sentences_for(topic: str) -> list[str]:
    subjects, verbs, objects = TOPICS[topic]
    return [f"{s} {v} {o} this week." for s in subjects for v in verbs for o in objects]


def write_corpus(folder, docs_per_topic=3, paragraphs=4, per_paragraph=4):
    """9 documents of 16 sentences: about 100 distinct training sentences, under the default
    minimum of 200 but over the 50 the fast tests ask for."""
    folder.mkdir(parents=True, exist_ok=True)
    for t, topic in enumerate(TOPICS):
        pool = sentences_for(topic)
        for d in range(docs_per_topic):
            rng = np.random.default_rng(10 * t + d)
            chosen = rng.permutation(len(pool))
            paras = [" ".join(pool[i] for i in chosen[p * per_paragraph : (p + 1) * per_paragraph])
                     for p in range(paragraphs)]
            (folder / f"{topic}-{d}.md").write_text(f"# {topic} {d}\n\n" + "\n\n".join(paras) + "\n")


def snapshot(path) -> str:
    """A digest of everything adapting may change: vectors, layout, islands, runs, meta."""
    h = hashlib.sha256()
    with MapStore.open(path, readonly=True) as store:
        for sql in ("SELECT paragraph_id, model_id, vector FROM vectors ORDER BY paragraph_id",
                    "SELECT id, x, y FROM paragraphs ORDER BY id", "SELECT * FROM islands ORDER BY id",
                    "SELECT * FROM runs ORDER BY id", "SELECT * FROM meta ORDER BY key"):
            h.update(repr(store.db.execute(sql).fetchall()).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def tiny_map(tmp_path_factory):
    from ideamap.embed.registry import encoders_dir
    from ideamap.paths import cache_dir
    from ideamap.pipeline import build

    root = tmp_path_factory.mktemp("adapt")
    write_corpus(root / "docs")
    before = {p.name for p in encoders_dir().iterdir()}
    build([root / "docs"], root / "m.ideamap")
    yield root / "m.ideamap"
    # Adapted encoders (and their ONNX exports) are ~90 MB each: keep the test home small.
    for folder in encoders_dir().iterdir():
        if folder.name not in before:
            shutil.rmtree(folder, ignore_errors=True)
            (cache_dir() / "onnx" / f"{folder.name}.onnx").unlink(missing_ok=True)
    # Adaptation checkpoints (ideamap/embed/checkpoint.py) are as large: only tests make them here.
    from ideamap.embed.checkpoint import checkpoints_dir

    shutil.rmtree(checkpoints_dir(), ignore_errors=True)


@pytest.fixture(scope="module")
def adapted(tiny_map, tmp_path_factory):
    """The tiny map copied and adapted for a few dozen steps (kept whatever the check says)."""
    path = tmp_path_factory.mktemp("adapted") / "m.ideamap"
    shutil.copy(tiny_map, path)
    _, before = MapStore.open(path).vectors()
    steps = []
    # max_steps ends the run (about 20 s on a quiet 2-core machine); the generous time budget
    # only keeps a loaded machine from stopping it early.
    report = adapt_map(path, minutes=15, progress=lambda *a: steps.append(a),
                       options=AdaptOptions(train=FAST, min_sentences=50, keep=KEEP_ALWAYS))
    return path, report, before, steps


# -- the training corpus (no model) --------------------------------------------------------------
def test_sentences_are_split_deduplicated_and_short_ones_dropped():
    text = "The borrow checker said no. Then it said yes!\n- niko: we should ship it\nok.\nok."
    assert split_sentences(text) == ["The borrow checker said no.", "Then it said yes!",
                                     "niko: we should ship it", "ok.", "ok."]
    corpus = training_sentences([text, text], min_words=2)
    assert sorted(corpus) == sorted(["The borrow checker said no.", "Then it said yes!", "niko: we should ship it"])
    assert corpus_hash(corpus) == corpus_hash(list(reversed(corpus)))


def test_deletion_noise_keeps_about_forty_percent_and_never_nothing():
    rng = np.random.default_rng(0)
    sentence = " ".join(f"w{i}" for i in range(1000))
    kept = delete_words(sentence, rng, 0.6).split()
    assert 330 < len(kept) < 470 and set(kept) <= set(sentence.split())
    assert all(delete_words("one two", rng, 0.99) for _ in range(50))


# -- end to end ----------------------------------------------------------------------------------
def test_adapting_re_embeds_and_records_provenance(adapted):
    path, report, before, steps = adapted
    assert report.kept and report.model_id.startswith("adapted:") and report.model_id == report.adapted_id
    assert report.training["steps"] == 24 and report.paragraphs_embedded == len(before)
    assert {"train", "check", "embed", "layout", "write"} <= {s[0] for s in steps}
    train = [s for s in steps if s[0] == "train"]
    assert train[-1][1:3] == (24, 24) and "loss" in train[-1][3] and "left" in train[-1][3]
    with MapStore.open(path) as store:
        _, after = store.vectors()
        assert store.vector_model_ids() == [report.model_id]
        assert len(store.coords()[0]) == len(before) and store.n_levels() >= 1
        provenance = json.loads(store.meta("encoder"))
        run = store.runs()[-1]
    assert after.shape == before.shape and not np.allclose(after, before, atol=1e-4)
    assert provenance["id"] == report.model_id
    assert provenance["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(provenance["training_corpus_hash"]) == 24 and provenance["params"]["deletion_ratio"] == 0.6
    assert {"torch", "sentence-transformers", "ideamap"} <= set(provenance["versions"])
    assert "held_out_check" in provenance and provenance["created_at"]
    assert run["kind"] == "adapt" and run["status"] == "done" and run["model_id"] == report.model_id


def test_adapted_encoder_is_safetensors_and_loads_with_onnx(adapted):
    from ideamap.embed.encoder import load_encoder
    from ideamap.embed.registry import adapted_encoder_path

    _, report, _, _ = adapted
    folder = adapted_encoder_path(report.model_id)
    names = {p.name for p in folder.rglob("*") if p.is_file()}
    assert "model.safetensors" in names and "ideamap_provenance.json" in names
    assert not any(n.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt")) for n in names)  # no pickle
    encoder = load_encoder(report.model_id)
    assert encoder.precision in ("onnx-fp32", "torch-bf16") and encoder.max_tokens == 254
    vecs = encoder.encode(["The baker kneaded the sourdough loaf this week."])
    assert vecs.shape == (1, 384) and abs(float(np.linalg.norm(vecs)) - 1) < 1e-4


def test_encoders_command_lists_the_adapted_encoder(adapted):
    _, report, _, _ = adapted
    result = CliRunner().invoke(cli, ["encoders", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["default"] and report.model_id in [r["id"] for r in rows]
    mine = next(r for r in rows if r["id"] == report.model_id)
    assert mine["base_model"].endswith("all-MiniLM-L6-v2") and mine["created_at"]


def test_add_to_an_adapted_map_uses_its_encoder(adapted, tmp_path):
    from ideamap.pipeline import add

    path, report, _, _ = adapted
    (tmp_path / "new.md").write_text("The head chef roasted the winter vegetables this week.\n")
    add(path, [tmp_path / "new.md"])
    with MapStore.open(path) as store:
        assert store.vector_model_ids() == [report.model_id]


WORSE = {"baseline_document_agreement": 0.6, "adapted_document_agreement": 0.5,
         "baseline_split_half_mrr": 0.4, "adapted_split_half_mrr": 0.41}


def _rejected_run(tiny_map, tmp_path, monkeypatch, **options):
    """A copy of the tiny map, its snapshot, and a 2-step adaptation the check rejects."""
    import ideamap.adapt_map as module

    path = tmp_path / "m.ideamap"
    shutil.copy(tiny_map, path)
    before = snapshot(path)
    monkeypatch.setattr(module, "held_out_check", lambda *a: dict(WORSE))
    train = TrainParams(batch_size=4, max_seq_length=16, max_steps=2)
    report = adapt_map(path, minutes=1, options=AdaptOptions(train=train, min_sentences=50, **options))
    return path, before, report


def test_adaptation_that_does_not_help_leaves_the_map(tiny_map, tmp_path, monkeypatch):
    from ideamap.embed.registry import adapted_encoder_path

    path, before, report = _rejected_run(tiny_map, tmp_path, monkeypatch)
    assert not report.kept and "did not help" in report.message and "0.600 → 0.500" in report.message
    assert report.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert snapshot(path) == before
    assert not adapted_encoder_path(report.adapted_id).exists()  # the rejected encoder is not kept


def test_a_rejected_encoder_can_be_kept_anyway(tiny_map, tmp_path, monkeypatch):
    """The app's "Keep Anyway": the rejected encoder stays on disk (keep_rejected), the map is
    unchanged until apply_encoder switches it, re-embedding every paragraph in one go."""
    import ideamap.adapt_map as module
    from ideamap.embed.registry import adapted_encoder_path

    path, before, rejected = _rejected_run(tiny_map, tmp_path, monkeypatch, keep_rejected=True)
    assert not rejected.kept and adapted_encoder_path(rejected.adapted_id).is_dir()
    assert snapshot(path) == before
    report = module.apply_encoder(path, rejected.adapted_id, check=rejected.check)
    assert report.kept and report.kept_on_request and "kept on request" in report.message
    with MapStore.open(path, readonly=True) as store:
        models = {r[0] for r in store.db.execute("SELECT DISTINCT model_id FROM vectors")}
        encoder = json.loads(store.meta("encoder"))
        n_vectors = len(store.vectors()[0])
    assert models == {rejected.adapted_id}
    assert encoder["held_out_check"]["adapted_document_agreement"] == 0.5  # the evidence stays
    assert report.paragraphs_embedded == n_vectors


def test_keeping_an_encoder_that_is_gone_says_so(tiny_map, tmp_path):
    import ideamap.adapt_map as module
    from ideamap.embed.registry import ADAPTED_PREFIX
    from ideamap.errors import MapFileError

    path = tmp_path / "m.ideamap"
    shutil.copy(tiny_map, path)
    before = snapshot(path)
    with pytest.raises(MapFileError, match="no longer on this computer"):
        module.apply_encoder(path, f"{ADAPTED_PREFIX}0000deadbeef")
    assert snapshot(path) == before


def test_cancel_leaves_the_map_unchanged(tiny_map, tmp_path):
    from ideamap.embed.registry import encoders_dir

    path = tmp_path / "m.ideamap"
    shutil.copy(tiny_map, path)
    before, folders = snapshot(path), set(encoders_dir().iterdir())
    calls = iter(range(1000))
    options = AdaptOptions(train=TrainParams(batch_size=4, max_seq_length=16), min_sentences=50)
    with pytest.raises(Cancelled, match="unchanged"):
        adapt_map(path, minutes=1, cancel=lambda: next(calls) >= 2, options=options)
    assert snapshot(path) == before and set(encoders_dir().iterdir()) == folders


def test_too_little_text_is_refused_and_the_map_unchanged(tiny_map, tmp_path):
    path = tmp_path / "m.ideamap"
    shutil.copy(tiny_map, path)
    before = snapshot(path)
    with pytest.raises(NotEnoughTextError, match="at least 200"):
        adapt_map(path, minutes=1)
    result = CliRunner().invoke(cli, ["adapt", str(path), "--minutes", "1"])
    assert result.exit_code == 1 and "at least 200" in result.output
    assert snapshot(path) == before


# -- a map whose encoder is missing -------------------------------------------------------------------
def test_map_with_a_missing_encoder_opens_and_search_says_what_is_missing(tiny_map, tmp_path):
    path = tmp_path / "m.ideamap"
    shutil.copy(tiny_map, path)
    missing = "adapted:" + "0" * 24
    with MapStore.open(path) as store, store.db.atomic():
        store.db.execute("UPDATE vectors SET model_id = ?", [missing])
        some_id = store.db.execute("SELECT paragraph_id FROM vectors LIMIT 1").fetchone()[0]
    runner = CliRunner()
    info = runner.invoke(cli, ["info", str(path)])
    assert info.exit_code == 0 and missing in info.output
    assert runner.invoke(cli, ["neighbors", str(path), str(some_id)]).exit_code == 0
    assert runner.invoke(cli, ["search", str(path), "sourdough", "--keyword-only"]).exit_code == 0
    semantic = runner.invoke(cli, ["search", str(path), "sourdough"])
    assert semantic.exit_code == 1
    assert f"The encoder '{missing}' is not on this computer" in semantic.output
    assert "keyword search work without it" in semantic.output
