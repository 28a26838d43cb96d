"""Nearest neighbours over the full embeddings with FAISS.

The index is always rebuilt from the vectors stored in the map (never loaded from a file, so a
map from a stranger cannot smuggle in a crafted index). Exact inner-product search up to
APPROX_THRESHOLD paragraphs; above it an HNSW graph, whose recall@10 against exact search is
measured in benchmarks/bench_index.py.
"""

from __future__ import annotations

import numpy as np

from ideamap.errors import NotFoundError
from ideamap.model import Neighbor

APPROX_THRESHOLD = 200_000
HNSW_M = 32
HNSW_EF_SEARCH = 128
HNSW_EF_CONSTRUCTION = 80


class NeighborIndex:
    def __init__(self, ids: np.ndarray, vectors: np.ndarray, *, exact: bool | None = None):
        import faiss

        self.ids = np.asarray(ids, dtype=np.int64)
        self._row = {int(pid): row for row, pid in enumerate(self.ids)}
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = self.vectors.shape[1] if self.vectors.ndim == 2 and len(self.vectors) else 1
        use_exact = exact if exact is not None else len(self.ids) <= APPROX_THRESHOLD
        if use_exact:
            self.index = faiss.IndexFlatIP(dim)
        else:
            self.index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            self.index.hnsw.efSearch = HNSW_EF_SEARCH
        if len(self.ids):
            self.index.add(self.vectors)
        self.exact = use_exact

    @classmethod
    def from_store(cls, store) -> "NeighborIndex":
        ids, vectors = store.vectors()
        return cls(ids, vectors)

    def __len__(self) -> int:
        return len(self.ids)

    def search_vectors(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, paragraph ids), each (n_queries, k'); k' ≤ k when the map is small."""
        k = min(k, len(self.ids))
        if k == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        sims, rows = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return sims, np.where(rows >= 0, self.ids[np.maximum(rows, 0)], -1)

    def neighbors(self, paragraph_id: int, k: int = 10) -> list[Neighbor]:
        """The k paragraphs most similar to ``paragraph_id`` (itself excluded)."""
        row = self._row.get(int(paragraph_id))
        if row is None:
            raise NotFoundError(
                f"Paragraph {paragraph_id} has no vector (it is not on the map: a heading, a "
                "reference, or an unknown id)."
            )
        sims, ids = self.search_vectors(self.vectors[row : row + 1], k + 1)
        out = [Neighbor(int(i), float(s)) for s, i in zip(sims[0], ids[0]) if i >= 0 and i != paragraph_id]
        return out[:k]
