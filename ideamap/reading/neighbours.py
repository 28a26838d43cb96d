"""Neighbours without repetition: near-copies collapsed into one row, boilerplate last or hidden.

Two neighbours are copies of each other when their text is the same once case, digits,
punctuation and spacing are set aside, or their vectors are at least ``near_copy`` alike
(NEAR_COPY_SIMILARITY, measured in benchmarks/bench_digest.py). The first (most similar) of
a group is the row; the others are listed in its ``copies``. Copies of the current paragraph
itself are not neighbours: they are returned apart, as "also in".

Boilerplate (layout/boilerplate.py: copies spread over many documents, such as licence lines
and agenda templates) is ranked after every other row by default, so it shows only when fewer
than k other neighbours exist; it can also be hidden, or shown in its place by similarity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ideamap.layout.boilerplate import NEAR_COPY_SIMILARITY, boilerplate_mask, normalise_for_repeats

# Candidates fetched per wanted row, before copies and filters thin them out; doubled until
# enough rows are found or the whole map was looked at.
_POOL_FACTOR = 5
_POOL_MIN = 30
_POOL_MAX = 5000
# Above this many paragraphs the boilerplate check groups exact (normalised) copies only: the
# kNN graph over every paragraph would cost more than a neighbour query should.
_KNN_BOILERPLATE_LIMIT = 50_000
_KNN_K = 10
BOILERPLATE_RANKS = ("last", "hide", "show")


@dataclass(frozen=True)
class CopyRef:
    """A near-copy of a row (or of the current paragraph): where else the same text is."""

    id: int
    document_id: int
    document: str
    page: int | None
    similarity: float


@dataclass(frozen=True)
class NeighborRow:
    id: int
    document_id: int
    document: str  # path as stored in the map
    page: int | None
    similarity: float  # cosine to the current paragraph
    text: str
    boilerplate: bool
    copies: list[CopyRef] = field(default_factory=list)

    def copies_line(self) -> str:
        """"and 3 near-copies in: a.pdf p.2, …" (empty without copies)."""
        if not self.copies:
            return ""
        where = ", ".join(_where(c.document, c.page) for c in self.copies[:4])
        more = ", …" if len(self.copies) > 4 else ""
        word = "near-copy" if len(self.copies) == 1 else "near-copies"
        return f"and {len(self.copies)} {word} in: {where}{more}"


@dataclass(frozen=True)
class Neighbourhood:
    paragraph_id: int
    rows: list[NeighborRow]
    copies_of_current: list[CopyRef]  # the current paragraph's own copies elsewhere
    hidden_boilerplate: int  # boilerplate rows left out (only with boilerplate_rank="hide")


def boilerplate_ids(store, index=None) -> frozenset[int]:
    """Ids of paragraphs on the map that are boilerplate. With a NeighborIndex over a map of
    up to 50k paragraphs, near-copies (cosine ≥ NEAR_COPY_SIMILARITY) join exact ones.
    Costs one pass over the map's texts: compute once per opened map and pass it on."""
    rows = store.db.execute(
        "SELECT p.id, p.text, p.document_id FROM paragraphs p JOIN vectors v ON v.paragraph_id = p.id ORDER BY p.id"
    ).fetchall()
    if not rows:
        return frozenset()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    knn_rows = knn_sims = None
    if index is not None and len(index) == len(ids) and len(ids) <= _KNN_BOILERPLATE_LIMIT \
            and np.array_equal(index.ids, ids):
        knn_sims, found = index.search_vectors(index.vectors, _KNN_K + 1)
        knn_rows = np.where(found >= 0, np.searchsorted(ids, np.maximum(found, 0)), -1)
    mask = boilerplate_mask([r[1] for r in rows], [r[2] for r in rows], knn_rows, knn_sims)
    return frozenset(int(i) for i in ids[mask])


def neighbours_without_repetition(
    store,
    index,
    paragraph_id: int,
    k: int = 10,
    *,
    other_documents_only: bool = False,
    boilerplate_rank: str = "last",
    near_copy: float = NEAR_COPY_SIMILARITY,
    boilerplate: frozenset[int] | None = None,
) -> Neighbourhood:
    """Up to ``k`` distinct neighbours of a paragraph on the map.

    ``other_documents_only`` drops paragraphs of the current paragraph's own document.
    ``boilerplate_rank``: "last" (after every other row), "hide" (left out, counted in
    ``hidden_boilerplate``) or "show" (in its place by similarity, still marked).
    ``boilerplate``: ids from :func:`boilerplate_ids` (computed here when None).
    Raises NotFoundError for a paragraph without a vector (a heading, an unknown id).
    """
    if boilerplate_rank not in BOILERPLATE_RANKS:
        raise ValueError(f"boilerplate_rank must be one of {BOILERPLATE_RANKS}, not {boilerplate_rank!r}")
    current = store.paragraph(paragraph_id)
    own = _vector(index, paragraph_id)
    flags = boilerplate_ids(store, index) if boilerplate is None else boilerplate
    pool = max(_POOL_MIN, k * _POOL_FACTOR)
    while True:
        found = index.neighbors(paragraph_id, min(pool, len(index)))
        groups, current_copies = _collapse(store, index, current, own, found, near_copy)
        kept, hidden = _filter(groups, current.document_id, other_documents_only, boilerplate_rank, flags)
        exhausted = len(found) >= len(index) - 1 or pool >= _POOL_MAX
        if len(kept) >= k or exhausted:
            break
        pool *= 2
    return Neighbourhood(paragraph_id, kept[:k], current_copies, hidden)


def _vector(index, paragraph_id: int) -> np.ndarray:
    return index.vector_of(paragraph_id)  # raises NotFoundError for a paragraph off the map


def _collapse(store, index, current, own_vector, found, near_copy):
    """Group neighbours (most similar first) into copy groups; split off the current one's copies."""
    paragraphs = {p.id: p for p in store.paragraphs([n.paragraph_id for n in found])}
    paths = _paths(store, {p.document_id for p in paragraphs.values()} | {current.document_id})
    own_key = normalise_for_repeats(current.text)
    heads: list[dict] = []  # {"row": NeighborRow fields, "key": text key, "vec": vector}
    current_copies: list[CopyRef] = []
    for n in found:
        p = paragraphs.get(n.paragraph_id)
        if p is None:
            continue
        ref = CopyRef(p.id, p.document_id, paths[p.document_id], p.page, round(n.similarity, 4))
        key = normalise_for_repeats(p.text)
        if key == own_key or n.similarity >= near_copy:
            current_copies.append(ref)
            continue
        vec = _vector(index, p.id)
        head = next((h for h in heads if h["key"] == key or float(h["vec"] @ vec) >= near_copy), None)
        if head is not None:
            head["copies"].append(ref)
        else:
            heads.append({"ref": ref, "key": key, "vec": vec, "text": p.text, "copies": []})
    return heads, current_copies


def _filter(heads, own_document, other_documents_only, rank, flags):
    rows, boiler = [], []
    for h in heads:
        ref = h["ref"]
        copies = h["copies"]
        if other_documents_only:
            others = [c for c in [ref, *copies] if c.document_id != own_document]
            if not others:
                continue
            ref, copies = others[0], others[1:]
        is_boiler = ref.id in flags or any(c.id in flags for c in copies)
        row = NeighborRow(ref.id, ref.document_id, ref.document, ref.page, ref.similarity, h["text"],
                          is_boiler, copies)
        (boiler if is_boiler and rank != "show" else rows).append(row)
    if rank == "last":
        return rows + boiler, 0
    return rows, len(boiler)


def _paths(store, document_ids) -> dict[int, str]:
    marks = ",".join("?" * len(document_ids))
    sql = f"SELECT id, path FROM documents WHERE id IN ({marks})"
    return dict(store.db.execute(sql, list(document_ids)).fetchall())


def _where(path: str, page: int | None) -> str:
    return Path(path).name + (f" p.{page}" if page else "")
