"""Nearest neighbours over the full embeddings with FAISS.

Exact inner-product search up to APPROX_THRESHOLD paragraphs: nothing to build beyond a copy of
the vectors, so nothing is cached and small maps behave exactly as before. Above it an IVF index
(nlist ≈ 4·√n inverted lists, NPROBE of them searched per query), chosen over HNSW because it
builds several times faster at the same recall (benchmarks/bench_index_cache.py). It is built
once per map content and kept in the user's cache folder (see index_cache.py), keyed by a hash
of the vectors, the encoder and the parameters; it is never loaded from a map file, so a map
from a stranger cannot smuggle in a crafted index.
"""

from __future__ import annotations

import numpy as np

from ideamap.errors import NotFoundError
from ideamap.model import Neighbor

# Exact search costs one pass over all vectors per click: 164 ms p50 / 219 ms p95 at 100k on
# this busy 2-core machine (benchmarks/results/index_cache.json), so approximate from 50k up.
APPROX_THRESHOLD = 50_000
IVF_LISTS_PER_SQRT_N = 4
IVF_TRAIN_PER_LIST = 40  # k-means on at most 40 points per list: faiss's own lower advice is 39
NPROBE = 48


def ivf_lists(n: int) -> int:
    return max(1, min(n // IVF_TRAIN_PER_LIST, int(round(IVF_LISTS_PER_SQRT_N * np.sqrt(n)))))


def build_ivf(vectors: np.ndarray, nlist: int):
    """An IVF-Flat inner-product index over ``vectors`` (deterministic: fixed sample and seed)."""
    import faiss

    dim = vectors.shape[1]
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = 1234
    sample = min(len(vectors), nlist * IVF_TRAIN_PER_LIST)
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), sample, replace=False))
    index.train(vectors[rows])
    index.add(vectors)
    return index


class NeighborIndex:
    def __init__(self, ids: np.ndarray, vectors: np.ndarray, *, exact: bool | None = None,
                 encoder: str = "", cache: bool = True, threshold: int | None = None):
        import faiss

        self.ids = np.asarray(ids, dtype=np.int64)
        self._row = {int(pid): row for row, pid in enumerate(self.ids)}
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = self.vectors.shape[1] if self.vectors.ndim == 2 and len(self.vectors) else 1
        limit = APPROX_THRESHOLD if threshold is None else threshold
        use_exact = exact if exact is not None else len(self.ids) <= limit
        self.from_cache = False
        if use_exact or not len(self.ids):
            self.index = faiss.IndexFlatIP(dim)
            if len(self.ids):
                self.index.add(self.vectors)
        else:
            self.index = self._approximate(encoder, cache)
            self.index.nprobe = NPROBE
        self.exact = use_exact

    def _approximate(self, encoder: str, cache: bool):
        from ideamap.search import index_cache

        nlist = ivf_lists(len(self.ids))
        key = index_cache.index_key(self.ids, self.vectors, encoder, "ivfflat", {"nlist": nlist})
        if cache:
            index = index_cache.load(key, ntotal=len(self.ids), dim=self.vectors.shape[1])
            if index is not None:
                self.from_cache = True
                return index
        index = build_ivf(self.vectors, nlist)
        if cache:
            try:
                index_cache.save(key, index)
            except OSError:
                pass  # a read-only or full cache folder costs a rebuild next time, nothing else
        return index

    @classmethod
    def from_store(cls, store, **kwargs) -> "NeighborIndex":
        ids, vectors = store.vectors()
        encoder = ",".join(sorted(store.vector_model_ids()))
        return cls(ids, vectors, encoder=encoder, **kwargs)

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
