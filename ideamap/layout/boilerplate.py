"""Boilerplate: paragraphs repeated, verbatim or nearly, across many documents.

Licence statements, agenda templates, bot messages and mailing-list footers are not ideas of the
collection: on the map they form islands of their own, and as neighbours they crowd out real
text. A paragraph is boilerplate when its group of copies spans many *documents* (a paragraph
repeated inside one document is emphasis, not a template).

Copies are grouped two ways: the same text once digits, case, punctuation and spacing are set
aside ("Meeting 2024-03-05" and "meeting 2024-04-02" match), and, when a kNN graph is given,
vectors at least NEAR_COPY_SIMILARITY apart (the same licence in other words of a year or a
name). Groups are connected components, so the cost is linear in paragraphs and graph edges.

Qt-free and light (numpy, scipy): the layout uses it to keep boilerplate off the islands, and
reading/ to rank it last among neighbours.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np

# Cosine similarity above which two paragraphs count as copies of each other. Rewordings of
# one idea by different authors sit lower (0.7-0.9 with MiniLM); the same statement with a
# name or year changed sits above.
NEAR_COPY_SIMILARITY = 0.95
# A group is "many documents" from this many documents on, and never below MIN_DOCUMENTS.
MIN_DOCUMENTS = 3

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


def normalise_for_repeats(text: str) -> str:
    """The text with case, digits, punctuation and spacing set aside, for exact-copy grouping."""
    text = _DIGITS.sub("0", text.casefold())
    return _NON_WORD.sub(" ", text).strip()


def min_documents_for(n_documents: int) -> int:
    """How many documents a repeated paragraph must span to count as boilerplate.

    Grows like the square root of the collection: 3 in a folder of 10-36 documents, 6 in 130
    meeting notes, 50 in 10,000 papers, so a phrase two authors happen to share is not a
    template, while a licence printed in a few percent of a large library still is.
    """
    return max(MIN_DOCUMENTS, math.ceil(math.sqrt(max(n_documents, 0)) / 2))


def copy_groups(
    texts: Sequence[str],
    knn_rows: np.ndarray | None = None,
    knn_sims: np.ndarray | None = None,
    *,
    near_copy: float = NEAR_COPY_SIMILARITY,
) -> np.ndarray:
    """A group id per paragraph: paragraphs in one group are copies (exact or near) of each other.

    ``knn_rows``/``knn_sims`` are an optional (n, k) neighbour graph (row indices, cosine
    similarities; -1 for a missing neighbour) over the same paragraphs.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keys: dict[str, int] = {}
    first = np.array([keys.setdefault(normalise_for_repeats(t), i) for i, t in enumerate(texts)])
    src, dst = [np.arange(n)], [first]
    if knn_rows is not None and knn_sims is not None:
        rows = np.asarray(knn_rows)
        close = (np.asarray(knn_sims) >= near_copy) & (rows >= 0)
        i, j = np.nonzero(close)
        src.append(i)
        dst.append(rows[i, j])
    a, b = np.concatenate(src), np.concatenate(dst)
    graph = sparse.coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def documents_per_group(groups: np.ndarray, documents: Sequence[int]) -> np.ndarray:
    """For each paragraph, how many distinct documents its copy group spans."""
    groups = np.asarray(groups, dtype=np.int64)
    if groups.size == 0:
        return np.zeros(0, dtype=np.int64)
    docs = np.asarray(documents, dtype=np.int64)
    pairs = np.unique(np.stack([groups, docs], axis=1), axis=0)
    spans = np.bincount(pairs[:, 0], minlength=int(groups.max()) + 1)
    return spans[groups]


def boilerplate_mask(
    texts: Sequence[str],
    documents: Sequence[int],
    knn_rows: np.ndarray | None = None,
    knn_sims: np.ndarray | None = None,
    *,
    min_documents: int | None = None,
) -> np.ndarray:
    """True for paragraphs whose copies appear in at least ``min_documents`` documents.

    ``documents`` gives each paragraph's document (any integer key). Without ``min_documents``
    the threshold follows the collection's size (``min_documents_for``).
    """
    documents = np.asarray(documents, dtype=np.int64)
    if len(texts) != documents.size:
        raise ValueError(f"{len(texts)} texts but {documents.size} document keys")
    if documents.size == 0:
        return np.zeros(0, dtype=bool)
    needed = min_documents or min_documents_for(np.unique(documents).size)
    spans = documents_per_group(copy_groups(texts, knn_rows, knn_sims), documents)
    return spans >= needed
