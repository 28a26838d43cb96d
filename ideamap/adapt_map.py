"""Adapt a map's encoder to the map's own text, keep it only if it measures better, re-embed.

Steps: the map's paragraphs are split by document into a training part (80%) and a held-out part
(20%); the default encoder is adapted by TSDAE (ideamap/embed/adapt.py) on the training part's
sentences; on the held-out documents, which it never saw, the adapted encoder is compared with
the map's current one by label-free measures (ideamap/embed/quality.py). Only when it is not
worse are all paragraphs re-embedded with it and the map laid out again; vectors, layout, the
run and the encoder's provenance are then written in one transaction.

Nothing is written to the map before that point, so too little text, a cancel, a crash or an
adaptation that did not help all leave the map as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ideamap.embed.adapt import NotEnoughTextError, TrainParams, TrainStatus
from ideamap.errors import Cancelled, MapFileError
# The pipeline's progress protocol and stage timer, so the CLI bars and the app's progress
# dialog show an adaptation like a build.
from ideamap.pipeline import SEED, CancelFn, ProgressFn, _noop_progress, _timer
from ideamap.store.mapfile import MapStore

KEEP_IF_NOT_WORSE = "if-not-worse"
KEEP_ALWAYS = "always"
# The training time budget the app offers (the CLI's --minutes default is the same).
DEFAULT_MINUTES = 10.0


@dataclass
class AdaptOptions:
    train: TrainParams = field(default_factory=TrainParams)
    # TSDAE needs a few hundred distinct sentences at least to learn vocabulary rather than
    # memorise sentences.
    min_sentences: int = 200
    max_sentences: int = 50_000
    held_out_share: float = 0.2
    max_check_paragraphs: int = 2000
    keep: str = KEEP_IF_NOT_WORSE  # or KEEP_ALWAYS: skip the held-out verdict
    # Continue from this map's last checkpoint (ideamap/embed/checkpoint.py), so minutes add up.
    resume: bool = True
    # Leave an encoder the check rejected on disk (the app offers "Keep Anyway", then removes
    # it if the user declines); the CLI asks up front instead (--always-keep).
    keep_rejected: bool = False
    # Keep only when some held-out measure got better (and none worse), not merely as good:
    # idle adaptation (ideamap/adapt_idle.py) re-lays out the user's map only for a real gain.
    require_gain: bool = False
    seed: int = SEED


@dataclass
class AdaptReport:
    map_path: str
    kept: bool = False
    message: str = ""
    model_id: str = ""  # the encoder of the map's vectors afterwards
    previous_model_id: str = ""
    adapted_id: str = ""  # the encoder trained (deleted again when not kept, unless keep_rejected)
    adapted_is_new: bool = False  # this run made its folder (an identical one did not exist)
    kept_on_request: bool = False  # kept although the held-out check did not say it was better
    base_model: str = ""
    sentences: int = 0
    training: dict = field(default_factory=dict)
    check: dict = field(default_factory=dict)
    paragraphs_embedded: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Corpus:
    ids: np.ndarray  # paragraph ids with vectors, ascending
    doc_ids: np.ndarray
    texts: list[str]
    model_ids: list[str]
    layout_seed: int


def adapt_map(map_path, *, minutes: float, progress: ProgressFn | None = None,
              cancel: CancelFn | None = None, options: AdaptOptions | None = None) -> AdaptReport:
    """Adapt the encoder to the map at ``map_path`` within ``minutes`` of training.

    ``progress(stage, done, total, detail)`` as in the pipeline; stages: train (steps, with the
    loss and time left in ``detail``), check, embed, layout, write. ``cancel()`` returning true
    stops the run (raises :class:`Cancelled`; the map is unchanged). Raises
    :class:`NotEnoughTextError` when the map has too little text."""
    from ideamap.embed.encoder import DEFAULT_MODEL_ID

    options = options or AdaptOptions()
    progress, cancel = progress or _noop_progress, cancel or (lambda: False)
    corpus = _read_corpus(Path(map_path))
    report = AdaptReport(map_path=str(map_path), base_model=DEFAULT_MODEL_ID,
                         previous_model_id=", ".join(corpus.model_ids))
    train_rows, check_rows = split_by_document(corpus.doc_ids, options.held_out_share, options.seed)
    sentences = _sentences(corpus, train_rows, options)
    report.sentences = len(sentences)
    model_id, created = _train_and_save(Path(map_path), sentences, minutes, options, report, progress, cancel)
    report.adapted_is_new = created
    try:
        _check_and_apply(Path(map_path), corpus, check_rows, model_id, options, report, progress, cancel)
    except BaseException:
        _discard(model_id, created)
        raise
    if not report.kept and not options.keep_rejected:
        _discard(model_id, created)
    return report


def apply_encoder(map_path, model_id: str, *, check: dict | None = None, progress: ProgressFn | None = None,
                  cancel: CancelFn | None = None) -> AdaptReport:
    """Switch the map to the adapted encoder ``model_id`` although its held-out ``check`` (from
    the run that made it) said it was not better: re-embed, lay out and write as a kept
    adaptation does, in one transaction. The app's "Keep Anyway"."""
    from ideamap.embed.encoder import load_encoder
    from ideamap.embed.registry import adapted_encoder_path

    progress, cancel = progress or _noop_progress, cancel or (lambda: False)
    if not adapted_encoder_path(model_id).is_dir():
        raise MapFileError(f"The adapted encoder {model_id} is no longer on this computer; adapt the map again.")
    corpus = _read_corpus(Path(map_path))
    report = AdaptReport(map_path=str(map_path), previous_model_id=", ".join(corpus.model_ids),
                         adapted_id=model_id, check=dict(check or {}), kept=True, kept_on_request=True)
    vectors = _embed_all(load_encoder(model_id), corpus, report, progress, cancel)
    _stop_if(cancel)
    layout = _layout(vectors, corpus, report, progress)
    _stop_if(cancel)
    _write(Path(map_path), corpus, vectors, layout, model_id, report, progress)
    report.model_id = model_id
    report.message = (f"The map now uses the adapted encoder {model_id}, kept on request although it did "
                      "not measure better on the documents kept aside.")
    return report


# -- reading -----------------------------------------------------------------------------------------
def _read_corpus(map_path: Path) -> _Corpus:
    with MapStore.open(map_path, readonly=True) as store:
        rows = store.db.execute(
            "SELECT p.id, p.document_id, p.text FROM paragraphs p "
            "JOIN vectors v ON v.paragraph_id = p.id ORDER BY p.id"
        ).fetchall()
        model_ids = store.vector_model_ids()
        layout = json.loads(store.meta("layout_params") or "{}")
    if not rows:
        raise NotEnoughTextError("This map has no paragraphs on it yet, so there is nothing to adapt to.")
    return _Corpus(np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows]),
                   [r[2] for r in rows], model_ids, int(layout.get("seed", SEED)))


def split_by_document(doc_ids: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows): whole documents are held out, so the check measures text
    the encoder never saw. With fewer than 5 documents, paragraphs are held out instead."""
    rng = np.random.default_rng(seed)
    docs = np.unique(doc_ids)
    if len(docs) >= 5:
        held = rng.choice(docs, size=max(1, round(share * len(docs))), replace=False)
        mask = np.isin(doc_ids, held)
    else:
        mask = rng.random(len(doc_ids)) < share
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _sentences(corpus: _Corpus, rows: np.ndarray, options: AdaptOptions) -> list[str]:
    from ideamap.embed.adapt import training_sentences

    sentences = training_sentences([corpus.texts[i] for i in rows], max_sentences=options.max_sentences,
                                    seed=options.seed)
    if len(sentences) < options.min_sentences:
        raise NotEnoughTextError(
            f"This map has {len(sentences)} distinct sentences to learn from (outside the 20% of "
            f"documents kept aside to check the result); adapting the encoder needs at least "
            f"{options.min_sentences}. The map is unchanged."
        )
    return sentences


# -- training ------------------------------------------------------------------------------------------
def _train_and_save(map_path, sentences, minutes, options, report, progress, cancel) -> tuple[str, bool]:
    from ideamap.embed.adapt import provenance_record, save_encoder, train_tsdae
    from ideamap.embed.checkpoint import checkpoint_for
    from ideamap.embed.encoder import model_path

    folder = checkpoint_for(map_path, report.base_model) if options.resume else None
    with _timer(report.stage_seconds, "train"):
        result = train_tsdae(model_path(report.base_model), sentences, params=options.train,
                             minutes=minutes, progress=_train_progress(progress), cancel=cancel,
                             checkpoint=folder, base_model=report.base_model)
    record = provenance_record(report.base_model, sentences, options.train, result, minutes=minutes)
    report.training = record["training"]
    model_id, created = save_encoder(result.model, record)
    report.adapted_id = model_id
    return model_id, created


def _train_progress(progress: ProgressFn):
    def report(status: TrainStatus) -> None:
        left = int(round(status.seconds_left))
        detail = f"loss {status.loss:.2f}, {left // 60}:{left % 60:02d} left"
        progress("train", status.step, status.expected_steps, detail)

    return report


def _discard(model_id: str, created: bool) -> None:
    from ideamap.embed.registry import remove_encoder

    if created:  # never delete an encoder folder that existed before this run
        remove_encoder(model_id)


# -- checking and applying -----------------------------------------------------------------------
def _check_and_apply(map_path, corpus, check_rows, model_id, options, report, progress, cancel) -> None:
    from ideamap.embed.encoder import load_encoder

    _stop_if(cancel)
    progress("check", 0, 1, "comparing encoders on held-out documents")
    with _timer(report.stage_seconds, "check"):
        baseline_id = _baseline_id(corpus.model_ids)
        adapted = load_encoder(model_id)
        rows = _check_sample(check_rows, options)
        report.check = held_out_check(load_encoder(baseline_id), adapted, [corpus.texts[i] for i in rows],
                                      corpus.doc_ids[rows])
        report.check["baseline_id"] = baseline_id
    progress("check", 1, 1, "done")
    keep, why = verdict(report.check, require_gain=options.require_gain)
    report.kept = keep or options.keep == KEEP_ALWAYS
    report.kept_on_request = report.kept and not keep
    if not report.kept:
        report.model_id = report.previous_model_id
        report.message = (f"Adaptation did not help on held-out documents ({why}); the map keeps its "
                          f"encoder ({baseline_id}).")
        return
    _stop_if(cancel)
    vectors = _embed_all(adapted, corpus, report, progress, cancel)
    _stop_if(cancel)
    layout = _layout(vectors, corpus, report, progress)
    _stop_if(cancel)
    _write(map_path, corpus, vectors, layout, model_id, report, progress)
    report.model_id = model_id
    report.message = (f"The map now uses the adapted encoder {model_id} ({why})." if keep else
                      f"The map now uses the adapted encoder {model_id}, kept on request although "
                      f"it did not measure better ({why}).")


def _baseline_id(model_ids: list[str]) -> str:
    """What the adapted encoder must beat: the map's current encoder, or the default when the
    map's is not on this computer (or the map mixes encoders)."""
    from ideamap.embed.encoder import DEFAULT_MODEL_ID, model_path
    from ideamap.errors import EncoderUnavailableError

    if len(model_ids) != 1:
        return DEFAULT_MODEL_ID
    try:
        return model_ids[0] if (model_path(model_ids[0]) / "model.safetensors").is_file() else DEFAULT_MODEL_ID
    except EncoderUnavailableError:
        return DEFAULT_MODEL_ID


def _check_sample(rows: np.ndarray, options: AdaptOptions) -> np.ndarray:
    if len(rows) <= options.max_check_paragraphs:
        return rows
    rng = np.random.default_rng(options.seed + 2)
    return np.sort(rng.choice(rows, size=options.max_check_paragraphs, replace=False))


def held_out_check(baseline, adapted, texts: list[str], doc_ids: np.ndarray) -> dict:
    """Both label-free measures (see ideamap/embed/quality.py) for both encoders."""
    from ideamap.embed import VectorCache, embed_texts
    from ideamap.embed.quality import neighbour_agreement, retrieval_mrr, split_halves
    from ideamap.paths import cache_dir

    cache = VectorCache(cache_dir() / "vectors.sqlite")
    first, second = split_halves(texts)
    out: dict = {"paragraphs": len(texts), "documents": int(len(np.unique(doc_ids))), "halved": len(first)}
    for name, encoder in (("baseline", baseline), ("adapted", adapted)):
        vecs = embed_texts(encoder, texts, cache=cache)
        out[f"{name}_document_agreement"] = round(neighbour_agreement(vecs, doc_ids), 4)
        halves = embed_texts(encoder, first + second, cache=cache) if first else None
        mrr = retrieval_mrr(halves[: len(first)], halves[len(first) :]) if first else float("nan")
        out[f"{name}_split_half_mrr"] = round(mrr, 4)
    return out


def verdict(check: dict, *, require_gain: bool = False) -> tuple[bool, str]:
    """Keep the adapted encoder only if neither held-out measure got worse (and, with
    ``require_gain``, at least one got better)."""
    parts, keep, gained = [], True, False
    for key, name in (("document_agreement", "same-document neighbours"), ("split_half_mrr", "split-half MRR")):
        base, new = check.get(f"baseline_{key}"), check.get(f"adapted_{key}")
        if base is None or new is None or np.isnan(base) or np.isnan(new):
            continue  # too little held-out text for this measure
        keep = keep and new >= base
        gained = gained or new > base
        parts.append(f"{name} {base:.3f} → {new:.3f}")
    return keep and (gained or not require_gain), ", ".join(parts) or "no held-out measure possible"


def _embed_all(encoder, corpus, report, progress, cancel) -> np.ndarray:
    from ideamap.embed import VectorCache, embed_texts
    from ideamap.paths import cache_dir

    with _timer(report.stage_seconds, "embed"):
        vectors = embed_texts(encoder, corpus.texts, cache=VectorCache(cache_dir() / "vectors.sqlite"),
                              progress=lambda d, t: progress("embed", d, t, f"{len(corpus.texts)} paragraphs"),
                              cancel=cancel)
    report.paragraphs_embedded = len(corpus.texts)
    return vectors


def _layout(vectors, corpus, report, progress):
    from ideamap.layout import compute_layout

    progress("layout", 0, 1, f"laying out {len(corpus.texts)} paragraphs")
    with _timer(report.stage_seconds, "layout"):
        layout = compute_layout(vectors, corpus.texts, seed=corpus.layout_seed,
                                progress=lambda msg: progress("layout", 0, 1, msg))
    progress("layout", 1, 1, "done")
    return layout


def _write(map_path, corpus, vectors, layout, model_id, report, progress) -> None:
    """Vectors, layout, encoder provenance and the run record, all in one transaction."""
    from ideamap.embed.registry import adapted_encoder_path, read_provenance

    progress("write", 0, 1, "saving")
    provenance = read_provenance(adapted_encoder_path(model_id)) | {"held_out_check": report.check}
    with _timer(report.stage_seconds, "write"), MapStore.open(map_path) as store, store.db.atomic():
        current = [r[0] for r in store.db.execute("SELECT paragraph_id FROM vectors ORDER BY paragraph_id")]
        if current != corpus.ids.tolist():
            raise MapFileError("The map changed while the encoder was being adapted (paragraphs were "
                               "added or removed); it is unchanged. Run the adaptation again.")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        store.db.conn.executemany(
            "UPDATE vectors SET model_id = ?, dim = ?, vector = ? WHERE paragraph_id = ?",
            [(model_id, vectors.shape[1], v.tobytes(), int(pid)) for pid, v in zip(corpus.ids, vectors)])
        store.save_layout(corpus.ids, layout.coords, layout.levels, layout.islands, layout.sea_hint, replace=True)
        store.set_meta("layout_params", json.dumps(layout.params, sort_keys=True, default=str))
        store.set_meta("encoder", json.dumps(provenance, sort_keys=True, default=str))
        run_id = store.start_run("adapt", {"seed": corpus.layout_seed, "encoder": provenance,
                                           "previous_model_id": report.previous_model_id}, model_id=model_id)
        store.finish_run(run_id, extra={"stage_seconds": report.stage_seconds})
    progress("write", 1, 1, "done")


def _stop_if(cancel: CancelFn) -> None:
    if cancel():
        raise Cancelled("Adapting the encoder was cancelled; the map is unchanged.")

