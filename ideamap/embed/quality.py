"""Measures of how well an encoder's vectors group related paragraphs. Plain numpy, so the
benchmark (with labels) and the adaptation check (without) measure the same way.

Users have no labels, so the adaptation check uses two label-free stand-ins:

* document agreement: the share of a paragraph's nearest neighbours from its own document
  (paragraphs of one document mostly share its subject);
* split-half retrieval: a paragraph is cut into its first and second half, and the first half
  must find its own second half among all second halves (mean reciprocal rank). A good encoder
  sees that two halves of one passage are about the same thing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

BLOCK = 1024  # rows per similarity block: bounds memory on big maps


def neighbour_agreement(vectors: np.ndarray, labels: Sequence, *, k: int = 10,
                        exclude: Sequence | None = None) -> float:
    """Mean share of each row's ``k`` nearest neighbours (cosine; rows are unit vectors) that
    have the same label. ``exclude``: a group per row (e.g. its document) whose other members
    are not counted as neighbours, to measure agreement across documents only."""
    labels = np.asarray(labels)
    groups = None if exclude is None else np.asarray(exclude)
    n = len(labels)
    if n < 2:
        return float("nan")
    shares = []
    for start in range(0, n, BLOCK):
        sims = vectors[start : start + BLOCK] @ vectors.T
        rows = np.arange(start, min(start + BLOCK, n))
        sims[rows - start, rows] = -np.inf  # a paragraph is not its own neighbour
        if groups is not None:
            sims[groups[rows][:, None] == groups[None, :]] = -np.inf
        kk = min(k, n - 1)
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        valid = np.take_along_axis(sims, top, axis=1) > -np.inf
        same = (labels[top] == labels[rows][:, None]) & valid
        counted = valid.sum(1)
        shares.extend(same.sum(1)[counted > 0] / counted[counted > 0])
    return float(np.mean(shares)) if shares else float("nan")


def split_halves(texts: Sequence[str], *, min_words: int = 16) -> tuple[list[str], list[str]]:
    """(first halves, second halves) of the texts long enough to halve, cut at the sentence
    boundary nearest the middle (or the middle word when there is one sentence)."""
    from ideamap.embed.adapt import split_sentences

    first, second = [], []
    for text in texts:
        words = text.split()
        if len(words) < min_words:
            continue
        sentences = split_sentences(text)
        if len(sentences) >= 2:
            lengths = np.cumsum([len(s.split()) for s in sentences])
            cut = int(np.argmin(np.abs(lengths[:-1] - lengths[-1] / 2))) + 1
            a, b = " ".join(sentences[:cut]), " ".join(sentences[cut:])
        else:
            a, b = " ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])
        first.append(a)
        second.append(b)
    return first, second


def retrieval_mrr(queries: np.ndarray, targets: np.ndarray) -> float:
    """Mean reciprocal rank of target i for query i among all targets (unit vectors)."""
    n = len(queries)
    if n < 2:
        return float("nan")
    ranks = []
    for start in range(0, n, BLOCK):
        sims = queries[start : start + BLOCK] @ targets.T
        rows = np.arange(start, min(start + BLOCK, n))
        own = sims[rows - start, rows][:, None]
        ranks.extend(1 + (sims > own).sum(1))
    return float(np.mean(1.0 / np.asarray(ranks)))
