"""IslandSpecs for every island at every level: labels top-down so children say something new."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ideamap.layout import label_sample
from ideamap.layout import labels as lab
from ideamap.layout import phrases as ph
from ideamap.layout.neighbors import normalise_rows
from ideamap.layout.types import LEVEL_NAMES, SEA, IslandSpec


def relabel_islands(
    texts: list[str], levels: np.ndarray, coords: np.ndarray, vectors: np.ndarray
) -> list[IslandSpec]:
    """Recompute every island's spec (size, label, terms, exemplars, anchor) from the assignment.

    Call after new paragraphs were placed: keys and nesting are kept, only the descriptions
    change. Islands with no members left are omitted.
    """
    levels = np.asarray(levels, dtype=np.int32)
    coords = np.asarray(coords, dtype=np.float32)
    vectors = normalise_rows(vectors)
    sample = label_sample.label_rows(levels[-1]) if levels.shape[0] else None
    read = texts if sample is None else [texts[i] for i in sample[0]]
    counts, vocab, proper = ph.phrase_matrix(read) if len(read) else (None, np.array([]), frozenset())
    words = Words(counts, vocab, proper, *(sample or (None, None)),
                  vectors if sample is None else vectors[sample[0]])
    specs: list[IslandSpec] = []
    parent_labels: dict[int, list[str]] = {}
    parent_shares = None
    for level in range(levels.shape[0]):
        level_specs, parent_shares = _level_specs(level, levels, coords, vectors, words, parent_labels,
                                                  parent_shares)
        parent_labels = {s.key: _label_terms(s) for s in level_specs}
        specs.extend(level_specs)
    return specs


def _label_terms(spec: IslandSpec) -> list[str]:
    """The parent's words its children should not repeat: its name and best evidence."""
    return ([spec.label] if spec.label else []) + list(spec.terms[:2])


class Words(NamedTuple):
    """The phrase counts names are read from, on all rows or (large maps) a weighted sample."""

    counts: object  # (rows read, V) sparse, or None when no phrase survived
    vocab: np.ndarray
    proper: frozenset
    rows: np.ndarray | None  # which map rows were read; None: all of them
    weights: np.ndarray | None  # paragraphs each read row stands for; None: 1 each
    vectors: np.ndarray  # the read rows' vectors

    def keys(self, keys: np.ndarray) -> np.ndarray:
        return keys if self.rows is None else keys[self.rows]

    def collection_shares(self) -> np.ndarray:
        if self.weights is None:
            return np.asarray(self.counts.mean(axis=0)).ravel()
        return np.asarray(self.weights @ self.counts).ravel() / self.weights.sum()


def _members_by_key(keys: np.ndarray, k: int) -> list[np.ndarray]:
    """Each key's rows in ascending order (one sort, not one scan of the map per key)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(k + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(k)]


def _level_specs(level, levels, coords, vectors, words: Words, parent_labels, parent_shares):
    counts, vocab, proper = words.counts, words.vocab, words.proper
    keys = levels[level]
    k = int(keys.max()) + 1 if (keys != SEA).any() else 0
    if k == 0:
        return [], None
    read_keys = words.keys(keys)
    shares = ph.class_shares(counts, read_keys, k, words.weights)[0] if counts is not None else None
    p_all = words.collection_shares() if counts is not None else None
    all_members, read_members = _members_by_key(keys, k), _members_by_key(read_keys, k)
    parents = lab.parent_map(levels, level, k) if level > 0 else np.full(k, SEA)
    n_children = np.bincount(parents[parents != SEA], minlength=k)
    out: list[IslandSpec] = []
    taken: dict = {}  # parent -> names its children already have: siblings get different names
    sizes = np.bincount(keys[keys != SEA], minlength=k)
    for key in np.argsort(-sizes, kind="stable").tolist():  # bigger islands choose names first
        members = all_members[key]
        if members.size == 0:
            continue
        parent = int(parents[key]) if parents[key] != SEA else None
        # An island's label should add to its parent's, except when it is the parent's only child
        # (then it is the same place and the same name is right).
        exclude = parent_labels.get(parent, []) if parent is not None and n_children[parent] > 1 else []
        terms = []
        if shares is not None:
            # Distinct from the whole collection and, among siblings, from the parent region.
            refs = [p_all] + ([parent_shares[parent].toarray().ravel()] if exclude else [])
            terms = ph.island_phrases(shares[key], refs, vocab, read_members[key], counts, words.vectors,
                                      proper, exclude)
        used = taken.setdefault(parent, set())
        name = next((t for t in terms if t not in used), "")
        used.add(name)
        x, y = lab.anchor(coords, members)
        out.append(
            IslandSpec(
                level=level,
                key=key,
                parent_key=parent,
                label=name or f"{LEVEL_NAMES[min(level, 2)]} {key + 1}",
                terms=terms,
                exemplars=lab.exemplars(vectors, members),
                size=int(members.size),
                x=x,
                y=y,
            )
        )
    out.sort(key=lambda s: s.key)
    return out, shares
