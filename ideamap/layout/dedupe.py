"""Collapse duplicate paragraphs before UMAP.

Templated notes repeat paragraphs verbatim ("Nominated PRs", agenda headings). A group of 15+
identical vectors has only itself as neighbours, so UMAP treats it as a separate component and
throws it far from the rest, squeezing the real map into a corner (seen on the meeting notes:
5 such groups held the map's extent). Each group is projected once and its copies are drawn
around the same spot.
"""

from __future__ import annotations

import numpy as np

# Cosine similarity above which two paragraphs are the same for the map (float32 noise on
# identical texts is ~1e-6; paraphrases stay well below).
DUPLICATE_SIMILARITY = 0.9995


def duplicate_groups(idx: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Representative row of each row's duplicate group (the lowest row index in the group).

    Uses the precomputed kNN: ties in similarity are broken by lower index, so every member of a
    large group lists the group's first rows and union-find joins the whole group.
    """
    n = idx.shape[0]
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows, cols = np.nonzero(dist <= 1.0 - DUPLICATE_SIMILARITY)
    for i, j in zip(rows, idx[rows, cols]):
        a, b = find(int(i)), find(int(j))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return np.array([find(i) for i in range(n)], dtype=np.int64)
