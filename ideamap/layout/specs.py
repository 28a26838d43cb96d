"""IslandSpecs for every island at every level: labels top-down so children say something new."""

from __future__ import annotations

import numpy as np

from ideamap.layout import labels as lab
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
    counts, vocab = lab.term_matrix(texts) if len(texts) else (None, np.array([]))
    specs: list[IslandSpec] = []
    parent_labels: dict[int, list[str]] = {}
    for level in range(levels.shape[0]):
        level_specs = _level_specs(level, levels, coords, vectors, counts, vocab, parent_labels)
        parent_labels = {s.key: _label_terms(s) for s in level_specs}
        specs.extend(level_specs)
    return specs


def _label_terms(spec: IslandSpec) -> list[str]:
    return spec.label.split(" · ") if spec.label else []


def _level_specs(level, levels, coords, vectors, counts, vocab, parent_labels) -> list[IslandSpec]:
    keys = levels[level]
    k = int(keys.max()) + 1 if (keys != SEA).any() else 0
    if k == 0:
        return []
    weights = lab.ctfidf(counts, keys, k) if counts is not None else None
    parents = lab.parent_map(levels, level, k) if level > 0 else np.full(k, SEA)
    n_children = np.bincount(parents[parents != SEA], minlength=k)
    out: list[IslandSpec] = []
    for key in range(k):
        members = np.flatnonzero(keys == key)
        if members.size == 0:
            continue
        parent = int(parents[key]) if parents[key] != SEA else None
        # An island's label should add to its parent's, except when it is the parent's only child
        # (then it is the same place and the same name is right).
        exclude = parent_labels.get(parent, []) if parent is not None and n_children[parent] > 1 else []
        terms = lab.top_terms(weights[key], vocab, exclude) if weights is not None else []
        x, y = lab.anchor(coords, members)
        out.append(
            IslandSpec(
                level=level,
                key=key,
                parent_key=parent,
                label=lab.make_label(terms) or f"{LEVEL_NAMES[min(level, 2)]} {key + 1}",
                terms=terms,
                exemplars=lab.exemplars(vectors, members),
                size=int(members.size),
                x=x,
                y=y,
            )
        )
    return out
