"""Digests: the k paragraphs that best cover a set, with no two of them near-copies.

Picks maximise facility location, sum over the set of each member's cosine to its closest
pick, greedily (the greedy choice is within 1 - 1/e of the best for this objective): a pick
is central to the part of the set no earlier pick stood for, so the picks spread over the
set's distinct ideas. A candidate at least ``near_copy`` alike to a pick, or with the same
normalised text, is never picked; boilerplate is picked only when nothing else is left.
Each pick ``covers`` the members closer to it than to any other pick. Picks are grouped by
sub-island (the island one level finer than the set's, or the finest level), groups by how
much they cover, and within a group in reading order (document, then position).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ideamap.errors import NotFoundError
from ideamap.layout.boilerplate import NEAR_COPY_SIMILARITY, normalise_for_repeats

# Bounds on the similarity matrix (candidates × members, float32): 2000 × 6000 is 48 MB.
MAX_CANDIDATES = 2000
MAX_MEMBERS = 6000
SEA_GROUP = "Between islands"


@dataclass(frozen=True)
class DigestPick:
    id: int
    document_id: int
    document: str
    page: int | None
    text: str
    group: int  # island key of the group (-1: between islands)
    group_label: str
    covers: int  # members of the set this pick stands for (itself included)
    order: int  # position in its document
    boilerplate: bool


def island_members(store, island_id: int) -> tuple[list[int], int]:
    """(ids of the island's paragraphs on the map, its level) for an island's row id."""
    row = store.db.execute("SELECT level, key FROM islands WHERE id = ?", [int(island_id)]).fetchone()
    if row is None:
        n = store.db.execute("SELECT count(*) FROM islands").fetchone()[0]
        raise NotFoundError(f"No island {island_id} in this map ({n} islands; 'ideamap islands MAP --json' "
                            "gives their ids).")
    level, key = row
    ids = [r[0] for r in store.db.execute(
        "SELECT m.paragraph_id FROM memberships m JOIN vectors v ON v.paragraph_id = m.paragraph_id "
        "WHERE m.level = ? AND m.island_key = ? ORDER BY m.paragraph_id", [level, key])]
    return ids, int(level)


def document_members(store, document_ids: Sequence[int]) -> list[int]:
    """Ids of the documents' paragraphs that have vectors, in reading order."""
    out: list[int] = []
    for doc_id in document_ids:
        out += [r[0] for r in store.db.execute(
            "SELECT p.id FROM paragraphs p JOIN vectors v ON v.paragraph_id = p.id "
            "WHERE p.document_id = ? ORDER BY p.ord", [int(doc_id)])]
    return out


def query_members(index, query_vector: np.ndarray, n: int = 200) -> list[int]:
    """The ``n`` paragraphs nearest a query's vector (the set a search digest covers)."""
    _, ids = index.search_vectors(np.asarray(query_vector, dtype=np.float32).reshape(1, -1), n)
    return [int(i) for i in ids[0] if i >= 0]


def select_diverse(vectors: np.ndarray, k: int, *, keys: Sequence[str] | None = None,
                   last_resort: np.ndarray | None = None, near_copy: float = NEAR_COPY_SIMILARITY,
                   seed: int = 0) -> list[int]:
    """Row indices of up to ``k`` picks (facility location, near-copies barred, see module doc).

    ``vectors`` are unit-length rows; ``keys`` texts' normalised forms (equal keys are copies);
    ``last_resort`` marks rows picked only when no other candidate is left (boilerplate).
    """
    n = len(vectors)
    if n == 0 or k <= 0:
        return []
    rng = np.random.default_rng(seed)
    members = _sample(n, MAX_MEMBERS, rng)
    candidates = _sample(n, MAX_CANDIDATES, rng)
    sims = vectors[candidates] @ vectors[members].T  # (c, m)
    best = np.zeros(len(members), dtype=np.float32)
    open_ = np.ones(len(candidates), dtype=bool)
    late = np.zeros(len(candidates), bool) if last_resort is None else np.asarray(last_resort)[candidates]
    picks: list[int] = []
    while len(picks) < k and open_.any():
        usable = open_ & ~late if (open_ & ~late).any() else open_
        gain = np.maximum(sims - best, 0).sum(axis=1)
        gain[~usable] = -1
        c = int(np.argmax(gain))
        picks.append(int(candidates[c]))
        best = np.maximum(best, sims[c])
        open_ &= _not_copies(vectors, candidates, candidates[c], keys, near_copy)
    return picks


def _sample(n: int, cap: int, rng) -> np.ndarray:
    return np.arange(n) if n <= cap else np.sort(rng.choice(n, cap, replace=False))


def _not_copies(vectors, candidates, pick, keys, near_copy) -> np.ndarray:
    ok = (vectors[candidates] @ vectors[pick]) < near_copy
    if keys is not None:
        ok &= np.array([keys[c] != keys[pick] for c in candidates])
    return ok


def digest(store, member_ids: Sequence[int], k: int = 12, *, index=None, level: int | None = None,
           near_copy: float = NEAR_COPY_SIMILARITY, boilerplate: frozenset[int] | None = None) -> list[DigestPick]:
    """The digest of a set of paragraph ids (those without a vector are left out).

    ``level``: the level of the island being digested, so groups are its sub-islands (one
    level finer); None groups by the finest level. ``index``: a NeighborIndex whose vectors are
    reused (else they are read from the map). ``boilerplate``: ids from
    reading.neighbours.boilerplate_ids (computed when None).
    """
    from ideamap.reading.neighbours import boilerplate_ids

    ids, vectors = _member_vectors(store, member_ids, index)
    if not len(ids):
        return []
    flags = boilerplate_ids(store, index) if boilerplate is None else boilerplate
    paragraphs = {p.id: p for p in store.paragraphs(ids.tolist())}
    keys = [normalise_for_repeats(paragraphs[int(i)].text) for i in ids]
    late = np.array([int(i) in flags for i in ids])
    rows = select_diverse(vectors, k, keys=keys, last_resort=late, near_copy=near_copy)
    covers = np.bincount(np.argmax(vectors @ vectors[rows].T, axis=1), minlength=len(rows))
    return _arrange(store, [paragraphs[int(ids[r])] for r in rows], covers, late[rows], level)


def _member_vectors(store, member_ids, index) -> tuple[np.ndarray, np.ndarray]:
    wanted = np.unique(np.asarray(list(member_ids), dtype=np.int64))
    all_ids, all_vectors = (index.ids, index.vectors) if index is not None else store.vectors()
    rows = np.searchsorted(all_ids, wanted)
    ok = (rows < len(all_ids)) & (all_ids[np.minimum(rows, len(all_ids) - 1)] == wanted) if len(all_ids) else \
        np.zeros(len(wanted), bool)
    vectors = all_vectors[rows[ok]]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return wanted[ok], vectors / np.maximum(norms, 1e-12)


def _arrange(store, picked, covers, late, level) -> list[DigestPick]:
    paths = {d.id: d.path for d in store.documents()}
    group_level = _group_level(store, level)
    keys = _island_keys(store, [p.id for p in picked], group_level)
    labels = {i.key: i.label for i in store.islands(group_level)} if group_level is not None else {}
    out = [
        DigestPick(p.id, p.document_id, paths.get(p.document_id, ""), p.page, p.text, keys.get(p.id, -1),
                   labels.get(keys.get(p.id, -1), SEA_GROUP), int(c), p.order, bool(b))
        for p, c, b in zip(picked, covers, late)
    ]
    weight: dict[int, int] = {}
    for pick in out:
        weight[pick.group] = weight.get(pick.group, 0) + pick.covers
    return sorted(out, key=lambda d: (d.group == -1, -weight[d.group], d.group, d.document, d.order))


def _group_level(store, level: int | None) -> int | None:
    n_levels = store.n_levels()
    if n_levels == 0:
        return None
    return n_levels - 1 if level is None else min(level + 1, n_levels - 1)


def _island_keys(store, ids, level) -> dict[int, int]:
    if level is None or not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = f"SELECT paragraph_id, island_key FROM memberships WHERE level = ? AND paragraph_id IN ({marks})"
    return dict(store.db.execute(sql, [level, *ids]).fetchall())


def digest_markdown(picks: Sequence[DigestPick], title: str = "Digest") -> str:
    """The digest as Markdown: a section per group, each pick quoted with its citation."""
    lines = [f"# {title}", ""]
    group = None
    for pick in picks:
        if pick.group != group:
            group = pick.group
            lines += [f"## {pick.group_label}", ""]
        where = Path(pick.document).name + (f", p. {pick.page}" if pick.page else "")
        text = " ".join(pick.text.split())
        lines += [f"> {text}", "", f"— {where} (stands for {pick.covers} paragraph{'s' * (pick.covers != 1)})", ""]
    return "\n".join(lines).rstrip() + "\n"


def digest_rows(picks: Sequence[DigestPick]) -> list[dict]:
    """The JSON form: {id, document, page, text, group, group_label, covers, boilerplate}."""
    return [{"id": p.id, "document": p.document, "page": p.page, "text": p.text, "group": p.group_label,
             "group_key": p.group, "covers": p.covers, "boilerplate": p.boilerplate} for p in picks]
