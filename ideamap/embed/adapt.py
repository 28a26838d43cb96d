"""Adapting the encoder to a corpus by sentence reconstruction (TSDAE).

Words of each training sentence are deleted (60%, as in the TSDAE paper), the encoder turns the
damaged sentence into one vector, and a decoder tied to the encoder must rebuild the original
sentence from that vector alone (sentence-transformers' ``DenoisingAutoEncoderLoss``). The
encoder thereby learns the corpus' own vocabulary without labels.

Choices, and why:

* A plain training loop over the loss, not ``SentenceTransformerTrainer``: the trainer needs
  ``datasets`` and ``accelerate`` (two more heavy dependencies) and gives nothing here that a
  loop with a time budget, progress and cancel does not.
* Our own deletion noise, not ``DenoisingAutoEncoderDataset``: that (deprecated) dataset needs
  nltk and its punkt tokenizer data, which is downloaded from the internet and so unavailable
  offline. Deleting whitespace-separated words is the same noise up to punctuation handling.
* An anchor (``TrainParams.anchor_weight``): plain TSDAE drags a well-trained sentence encoder
  out of its space faster than it learns new words (issue 13), so each step also pays the cosine
  distance between the encoder's and the frozen base encoder's vectors of the same, undamaged
  sentences. ``train_layers`` (train only the top layers) is the other brake on forgetting.
* Checkpoints (ideamap/embed/checkpoint.py) so that training minutes from many sittings add up.
* Saved with ``safe_serialization`` (safetensors) under a content hash: a model file is data,
  not executable code, and the same weights always get the same id.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ideamap.errors import Cancelled, IdeamapError

PROVENANCE_FILE = "ideamap_provenance.json"


class NotEnoughTextError(IdeamapError):
    """The map has too few sentences to adapt an encoder on."""


@dataclass(frozen=True)
class TrainParams:
    """TSDAE settings. Defaults follow the TSDAE paper (lr 3e-5, deletion 0.6, constant rate),
    with a small batch and short sequences so a 2-core CPU makes steady progress."""

    learning_rate: float = 3e-5
    batch_size: int = 8
    max_seq_length: int = 64  # training sentences only; the saved encoder keeps its own window
    deletion_ratio: float = 0.6
    epochs: int = 1
    max_steps: int = 0  # 0: no cap besides epochs and the time budget
    # Share of the run (by steps and by time) during which only the decoder's own new weights
    # (cross-attention, LM head) learn: their random start otherwise sends noise into the
    # pre-trained encoder.
    decoder_warmup: float = 0.0
    # Anchor: weight of a term that keeps the encoder's vectors of the (undamaged) training
    # sentences near the frozen base encoder's, as cosine distance. Plain TSDAE pulls a
    # well-trained sentence encoder out of its space faster than it learns the new vocabulary
    # (issue 13); 0 turns the anchor off.
    anchor_weight: float = 1.0
    # Train only the top N transformer layers (and the decoder's own weights); 0: all layers.
    train_layers: int = 0
    seed: int = 42


@dataclass(frozen=True)
class TrainStatus:
    """What a progress callback gets after each optimisation step."""

    step: int
    total_steps: int  # planned (epochs x batches); the time budget may end the run sooner
    loss: float  # mean over the last few steps (single steps are noisy)
    seconds_left: float
    elapsed: float

    @property
    def expected_steps(self) -> int:
        """The steps this run will likely make: the planned ones, or fewer by the time budget."""
        rate = self.step / self.elapsed if self.elapsed > 0 else 0.0
        return min(self.total_steps, self.step + int(round(self.seconds_left * rate)))


@dataclass
class TrainResult:
    model: object  # the adapted SentenceTransformer (in memory)
    steps: int
    sentences_seen: int
    seconds: float
    first_loss: float
    final_loss: float
    stopped_by: str  # "epochs", "max_steps" or "time budget"
    losses: list[float] = field(default_factory=list)
    previous_steps: int = 0  # steps of earlier sittings, resumed from a checkpoint
    anchor_distance: float = float("nan")  # mean 1 - cos(adapted, base) over the last steps

    @property
    def total_steps(self) -> int:
        return self.previous_steps + self.steps

    @property
    def sentences_per_s(self) -> float:
        return self.sentences_seen / self.seconds if self.seconds > 0 else 0.0


# -- the training corpus -------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph: cut after . ! ? before a capital or digit, and at line breaks
    (meeting notes put one point per line, often without a full stop)."""
    out = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


def training_sentences(paragraphs: Sequence[str], *, min_words: int = 4, max_sentences: int = 50_000,
                       seed: int = 42) -> list[str]:
    """Distinct sentences worth reconstructing, shuffled (so a run cut short by its time budget
    still sees the whole corpus' variety) and capped."""
    seen: dict[str, None] = {}
    for paragraph in paragraphs:
        for sentence in split_sentences(paragraph):
            sentence = " ".join(sentence.split())
            # Fragments of a word or two carry no meaning to reconstruct.
            if len(sentence.split()) >= min_words:
                seen.setdefault(sentence, None)
    sentences = list(seen)
    np.random.default_rng(seed).shuffle(sentences)
    return sentences[:max_sentences]


def corpus_hash(sentences: Sequence[str]) -> str:
    """Identifies a training corpus independently of its order."""
    h = hashlib.sha256()
    for sentence in sorted(sentences):
        h.update(sentence.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:24]


def delete_words(sentence: str, rng: np.random.Generator, ratio: float = 0.6) -> str:
    """TSDAE's noise: drop each word with probability ``ratio``, keeping at least one."""
    words = sentence.split()
    if not words:
        return sentence
    keep = rng.random(len(words)) >= ratio
    if not keep.any():
        keep[rng.integers(len(words))] = True
    return " ".join(w for w, k in zip(words, keep) if k)


# -- training ----------------------------------------------------------------------------------------
def train_tsdae(
    base_dir: Path,
    sentences: Sequence[str],
    *,
    params: TrainParams = TrainParams(),
    minutes: float,
    progress: Callable[[TrainStatus], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    checkpoint: Path | None = None,
    base_model: str = "",
    checkpoint_every_s: float = 300.0,
) -> TrainResult:
    """Fine-tune the sentence-transformers model in ``base_dir`` on ``sentences`` for at most
    ``minutes`` of training. Raises :class:`Cancelled` when ``cancel()`` turns true.

    With ``checkpoint`` (a folder), training starts from the weights saved there by an earlier
    sitting of the same ``base_model`` and saves there again every ``checkpoint_every_s``, at
    the end and on cancel, so minutes from many sittings add up."""
    if minutes <= 0:
        raise ValueError("The time budget must be more than 0 minutes.")
    import torch

    from ideamap.embed import checkpoint as ckpt

    torch.manual_seed(params.seed)
    model, base, loss_fn = _model_and_loss(base_dir, params.anchor_weight > 0)
    state = ckpt.load(loss_fn, checkpoint, base_model) if checkpoint is not None else {}
    previous = int(state.get("steps", 0))
    window = model.max_seq_length
    model.max_seq_length = params.max_seq_length
    batches = _batches(len(sentences), params)
    # A resumed run continues the shuffled order where the last sitting stopped, so the
    # sittings together walk through the corpus instead of repeating its start.
    offset = previous % max(len(batches), 1)
    batches = batches[offset:] + batches[:offset]
    stop = _Budget(minutes * 60.0, len(batches))
    rng = np.random.default_rng(params.seed + previous)
    losses: list[float] = []
    distances: list[float] = []
    loss_fn.train()
    warming = _freeze(model, params.decoder_warmup > 0, params.train_layers)
    optimizer = torch.optim.AdamW([p for p in loss_fn.parameters()], lr=params.learning_rate)
    saved_at = stop.elapsed()

    def save_checkpoint() -> None:
        if checkpoint is not None:
            ckpt.save(loss_fn, checkpoint, {
                "base_model": base_model, "steps": previous + len(losses),
                "corpus_hashes": sorted(set(state.get("corpus_hashes", [])) | {corpus_hash(sentences)}),
                "seconds": round(float(state.get("seconds", 0.0)) + stop.elapsed(), 1),
                "params": asdict(params)})

    for step, rows in enumerate(batches, 1):
        if cancel is not None and cancel():
            save_checkpoint()
            raise Cancelled("Adapting the encoder was cancelled; the map is unchanged.")
        if warming and not stop.within(params.decoder_warmup, step):
            warming = _freeze(model, False, params.train_layers)
        batch = [sentences[i] for i in rows]
        loss, distance = _step(model, base, loss_fn, optimizer, batch, rng, params)
        losses.append(loss)
        distances.append(distance)
        if progress is not None:
            progress(TrainStatus(step, len(batches), _recent(losses), stop.seconds_left(step), stop.elapsed()))
        if stop.elapsed() - saved_at >= checkpoint_every_s:
            save_checkpoint()
            saved_at = stop.elapsed()
        if stop.reached():
            break
    save_checkpoint()
    model.max_seq_length = window  # the saved encoder embeds with its full window again
    model.eval()
    seen = min(len(losses) * params.batch_size, len(sentences) * params.epochs)
    return TrainResult(model, len(losses), seen, stop.elapsed(), losses[0] if losses else float("nan"),
                       _recent(losses), _stopped_by(len(losses), len(batches), params), losses,
                       previous_steps=previous, anchor_distance=_recent(distances))


def _stopped_by(steps: int, planned: int, params: TrainParams) -> str:
    if steps < planned:
        return "time budget"
    return "max_steps" if params.max_steps and steps == params.max_steps else "epochs"


def _model_and_loss(base_dir: Path, with_base: bool):
    """The encoder, a frozen copy of it (the anchor's target; None without an anchor) and the
    TSDAE loss, whose decoder (a BertLMHeadModel with cross-attention) is built from the
    encoder's own local files and shares its weights."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers.sentence_transformer.losses import DenoisingAutoEncoderLoss

    from ideamap.embed.backends import load_sentence_transformer

    model = load_sentence_transformer(base_dir)
    base = None
    if with_base:
        import copy

        base = copy.deepcopy(model).eval()
        for param in base.parameters():
            param.requires_grad_(False)
    # The decoder's cross-attention is new, so transformers prints a table of "missing" weights:
    # expected here, and noise on a user's terminal.
    loss_fn = _quietly(lambda: DenoisingAutoEncoderLoss(model, tie_encoder_decoder=True))
    return model, base, loss_fn


def _quietly(fn):
    """Run ``fn`` without transformers' warnings and progress bars (they would garble the CLI's
    own progress bars)."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        return fn()
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()


def _batches(n: int, params: TrainParams) -> list[np.ndarray]:
    rng = np.random.default_rng(params.seed + 1)
    out: list[np.ndarray] = []
    for _ in range(params.epochs):
        order = rng.permutation(n)
        out.extend(order[i : i + params.batch_size] for i in range(0, n, params.batch_size))
    return out[: params.max_steps] if params.max_steps else out


def _step(model, base, loss_fn, optimizer, batch: list[str], rng, params: TrainParams) -> tuple[float, float]:
    """One optimisation step; returns (reconstruction loss, anchor distance: mean 1 - cos
    between the adapted and the base vectors of the batch's undamaged sentences)."""
    import torch

    damaged = [delete_words(s, rng, params.deletion_ratio) for s in batch]
    loss = loss_fn([model.preprocess(damaged), model.preprocess(batch)], None)
    distance = torch.zeros(())
    if base is not None:
        # The same sentences as the user will embed them (undamaged), against the frozen base.
        features = model.preprocess(batch)
        with torch.no_grad():
            target = base(dict(features))["sentence_embedding"]
        current = model(dict(features))["sentence_embedding"]
        distance = (1 - torch.nn.functional.cosine_similarity(current, target, dim=-1)).mean()
    total = loss + params.anchor_weight * distance if base is not None else loss
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    return float(loss.detach()), float(distance.detach())


def _freeze(model, frozen: bool, train_layers: int = 0) -> bool:
    """(Un)freeze the encoder; tied decoder layers are the same tensors, so they follow. With
    ``train_layers``, the embeddings and all but the top layers stay frozen regardless: the
    lower layers hold most of what the base model knows about general language."""
    for name, param in model.named_parameters():
        param.requires_grad_(not frozen and _trainable(name, train_layers, model))
    return frozen


def _trainable(name: str, train_layers: int, model) -> bool:
    if train_layers <= 0:
        return True
    match = re.search(r"encoder\.layer\.(\d+)\.", name)
    if match is None:  # embeddings are below every layer; the pooler is unused
        return False
    n_layers = model[0].auto_model.config.num_hidden_layers
    return int(match.group(1)) >= n_layers - train_layers


def _recent(losses: list[float], n: int = 20) -> float:
    return float(np.mean(losses[-n:])) if losses else float("nan")


class _Budget:
    """Stops training when the time budget is spent, and estimates the time left from the
    average step so far (whichever ends first: the steps or the budget)."""

    def __init__(self, seconds: float, total_steps: int):
        self.seconds = seconds
        self.total_steps = total_steps
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def reached(self) -> bool:
        return self.elapsed() >= self.seconds

    def within(self, share: float, step: int) -> bool:
        """Whether the run is still in its first ``share`` (of the steps and of the time)."""
        return step <= share * self.total_steps and self.elapsed() < share * self.seconds

    def seconds_left(self, step: int) -> float:
        elapsed = self.elapsed()
        by_steps = elapsed / max(step, 1) * (self.total_steps - step)
        return max(0.0, min(by_steps, self.seconds - elapsed))


# -- saving ------------------------------------------------------------------------------------------
def save_encoder(model, provenance: dict) -> tuple[str, bool]:
    """Save an adapted model as safetensors under ``encoders_dir()/<weights hash>`` with its
    provenance. Returns (encoder id, whether the folder is new). Written to a hidden temporary
    folder first, so a crash never leaves a half-saved encoder under a real id."""
    from ideamap.embed.backends import weights_digest
    from ideamap.embed.registry import ADAPTED_PREFIX, encoders_dir

    root = encoders_dir()
    tmp = Path(tempfile.mkdtemp(prefix=".saving-", dir=root))
    try:
        _quietly(lambda: model.save(str(tmp), create_model_card=False, safe_serialization=True))
        digest = weights_digest(tmp)
        model_id = ADAPTED_PREFIX + digest
        record = {"id": model_id, **provenance}
        (tmp / PROVENANCE_FILE).write_text(json.dumps(record, indent=2, sort_keys=True, default=str))
        final = root / digest
        if final.exists():  # the same weights were saved before
            shutil.rmtree(tmp)
            return model_id, False
        os.replace(tmp, final)
        return model_id, True
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def provenance_record(base_model_id: str, sentences: Sequence[str], params: TrainParams,
                      result: TrainResult, *, minutes: float) -> dict:
    """Everything needed to explain (and redo) an adapted encoder."""
    from datetime import datetime, timezone
    from importlib.metadata import version

    from ideamap import __version__

    return {
        "base_model": base_model_id,
        "method": "TSDAE (sentence-transformers DenoisingAutoEncoderLoss, tied decoder)"
                  + (f" + anchor to the frozen base (cosine, weight {params.anchor_weight})"
                     if params.anchor_weight > 0 else ""),
        "training_corpus_hash": corpus_hash(sentences),
        "training_sentences": len(sentences),
        "params": {**asdict(params), "minutes": minutes, "optimizer": "AdamW"},
        "training": {
            "steps": result.steps, "total_steps": result.total_steps,
            "resumed_from_steps": result.previous_steps, "sentences_seen": result.sentences_seen,
            "seconds": round(result.seconds, 1), "sentences_per_s": round(result.sentences_per_s, 2),
            "first_loss": round(result.first_loss, 4), "final_loss": round(result.final_loss, 4),
            "stopped_by": result.stopped_by,
            "anchor_distance": round(result.anchor_distance, 5),
        },
        "versions": {name: version(name) for name in ("sentence-transformers", "transformers", "torch")}
        | {"ideamap": __version__},
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
