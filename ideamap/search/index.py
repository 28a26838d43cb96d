"""Nearest neighbours over the full embeddings with FAISS.

Exact inner-product search up to APPROX_THRESHOLD paragraphs: nothing to build beyond a copy of
the vectors, so nothing is cached and small maps behave exactly as before. Above it an IVF index
(nlist ≈ 4·√n inverted lists, at least NPROBE of them searched per query, more when the
build measures its recall too low on the map's own vectors: calibrate_nprobe), chosen over HNSW because it
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
NPROBE = 48  # the fewest lists searched; a build raises it until its own recall is measured good
RECALL_TARGET = 0.97  # recall@10 against exact search on the map's own vectors, at the build
CALIBRATION_QUERIES = 200


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


# The fact under which a map version's index key is kept in the record of verified maps.
INDEX_KEY_FACT = "neighbour_index"
# An index grown by adds beyond this share of the size it was trained at is built afresh: its
# lists were cut for the old map, and they fill unevenly as it grows.
GROW_LIMIT = 0.2
COMPARE_ROWS = 65_536  # old vectors compared with the index's own, a slice at a time


def grow_index(prior: dict, ids: np.ndarray, vectors: np.ndarray, encoder: str) -> dict | None:
    """After an add to a large map: the fact to record for the map as it is now, naming the
    cached index of the map as it was (``prior``: key and rows of that file, and the rows
    appended since) plus the rows now appended after it; None when it cannot serve (paragraphs
    removed or changed, grown too far since the index was trained), so the next open builds
    one. No index file is written or read: the base's first rows must hash to its key (so the
    file holds these very vectors), and the next open appends the new rows' vectors, read from
    the map, to the file it loads. (Saving a grown 1.5 GB index took 5 s of a 1M map's add.)"""
    from ideamap.search import index_cache

    try:
        base_key, n_base = str(prior["key"]), int(prior["n"])
        nlist = int(prior.get("nlist") or ivf_lists(n_base))
    except (KeyError, TypeError, ValueError):
        return None
    if not 0 < n_base <= len(ids) or len(ids) > (1 + GROW_LIMIT) * n_base:
        return None
    if index_cache.index_key(ids[:n_base], vectors[:n_base], encoder, "ivfflat", {"nlist": nlist}) != base_key:
        return None
    return {"key": base_key, "n": n_base, "nlist": nlist, "appended": len(ids) - n_base}


def calibrate_nprobe(index, vectors: np.ndarray, seed: int = 0) -> dict:
    """Set ``index.nprobe`` to the fewest lists (NPROBE, doubled) that reach RECALL_TARGET on
    CALIBRATION_QUERIES of the map's own vectors, against exact search. A fixed NPROBE was
    measured good on noisy copies of real vectors (recall 1.0 at 1M), but on the shared corpora's
    real vectors, scanning the share of lists 48 of 4,000 is, it reached only 0.73: how many lists
    a map needs depends on its text, so each build measures it (~2 s at 1M). The value is saved
    in the index file. Returns what was measured."""
    import faiss

    n = len(vectors)
    rows = np.sort(np.random.default_rng(seed).choice(n, min(CALIBRATION_QUERIES, n), replace=False))
    queries = np.ascontiguousarray(vectors[rows], dtype=np.float32)
    _, truth = faiss.knn(queries, np.ascontiguousarray(vectors, dtype=np.float32), 11,
                         metric=faiss.METRIC_INNER_PRODUCT)
    nprobe, recall = min(NPROBE, index.nlist), 0.0
    while True:
        index.nprobe = nprobe
        _, found = index.search(queries, 11)
        recall = _recall_at_10(truth, found, rows)
        if recall >= RECALL_TARGET or nprobe >= index.nlist:
            return {"nprobe": nprobe, "recall_at_10": round(recall, 4), "queries": len(rows)}
        nprobe = min(index.nlist, nprobe * 2)


def _recall_at_10(truth: np.ndarray, found: np.ndarray, own_rows: np.ndarray) -> float:
    hits = []
    for own, t_row, f_row in zip(own_rows, truth, found):
        t = [r for r in t_row if r != own][:10]
        hits.append(len(set(t).intersection(r for r in f_row if r != own and r >= 0)) / max(len(t), 1))
    return float(np.mean(hits))


class NeighborIndex:
    def __init__(self, ids: np.ndarray, vectors: np.ndarray, *, exact: bool | None = None,
                 encoder: str = "", cache: bool = True, threshold: int | None = None):
        import faiss

        self.ids = np.asarray(ids, dtype=np.int64)
        self._set_rows()
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = self._vectors.shape[1] if self._vectors.ndim == 2 and len(self._vectors) else 1
        limit = APPROX_THRESHOLD if threshold is None else threshold
        use_exact = exact if exact is not None else len(self.ids) <= limit
        self.from_cache = False
        self.from_record = False  # found by the key recorded for this map version (no vector read)
        self.calibration: dict = {}  # nprobe and the recall it measured, when built here
        self.key = ""  # the cache key of an approximate index
        if use_exact or not len(self.ids):
            self.index = faiss.IndexFlatIP(dim)
            if len(self.ids):
                self.index.add(self._vectors)
        else:
            self.index = self._approximate(encoder, cache)
            self._approximate_ready()
        self.exact = use_exact

    def _set_rows(self) -> None:
        # Row of a paragraph id by binary search (ids come sorted from the map); a dict of 1M
        # ids would cost ~0.5 s and ~100 MB at every open.
        self._order = None if np.all(self.ids[1:] > self.ids[:-1]) else np.argsort(self.ids, kind="stable")
        self._sorted_ids = self.ids if self._order is None else self.ids[self._order]

    def _approximate_ready(self) -> None:
        """An IVF index holds every vector itself: keep no second copy (1.5 GB at 1M), and
        reconstruct a paragraph's vector from the index when a click needs it."""
        self.index.nprobe = max(self.index.nprobe, min(NPROBE, self.index.nlist))  # as calibrated
        self.index.make_direct_map()
        self._vectors = None

    def _approximate(self, encoder: str, cache: bool):
        from ideamap.search import index_cache

        nlist = ivf_lists(len(self.ids))
        self.key = index_cache.index_key(self.ids, self._vectors, encoder, "ivfflat", {"nlist": nlist})
        if cache:
            found = index_cache.load(self.key, ntotal=len(self.ids), dim=self._vectors.shape[1])
            if found is not None and np.array_equal(found[1], self.ids):
                self.from_cache = True
                return found[0]
        index = build_ivf(self._vectors, nlist)
        self.calibration = calibrate_nprobe(index, self._vectors)
        if cache:
            try:
                index_cache.save(self.key, index, self.ids)
            except OSError:
                pass  # a read-only or full cache folder costs a rebuild next time, nothing else
        return index

    @classmethod
    def _from_cached(cls, index, ids: np.ndarray, key: str) -> "NeighborIndex":
        self = cls.__new__(cls)
        self.ids, self.index, self.key = np.asarray(ids, dtype=np.int64), index, key
        self.from_cache, self.from_record, self.exact, self.calibration = True, True, False, {}
        self._set_rows()
        self._approximate_ready()
        return self

    @classmethod
    def from_store(cls, store, **kwargs) -> "NeighborIndex":
        """The index of a map. A map version that passed the checks before and whose index
        key was recorded then (see store/verified.py) loads its cached index without reading
        or hashing a single vector; otherwise the vectors are read, and the key recorded."""
        from ideamap.store import verified

        recorded = cls._from_recorded_key(store, kwargs)
        if recorded is not None:
            return recorded
        stamp = verified.version(store.path)
        ids, vectors = store.vectors()
        encoder = ",".join(sorted(store.vector_model_ids()))
        index = cls(ids, vectors, encoder=encoder, **kwargs)
        if index.key and verified.version(store.path) == stamp:
            verified.add_fact(store.path, stamp, INDEX_KEY_FACT,
                              {"key": index.key, "n": len(index), "nlist": int(index.index.nlist)})
        return index

    @classmethod
    def _from_recorded_key(cls, store, kwargs) -> "NeighborIndex | None":
        from ideamap.search import index_cache
        from ideamap.store import verified

        if not kwargs.get("cache", True) or kwargs.get("exact"):
            return None
        stamp = verified.version(store.path)
        fact = (verified.facts(store.path, stamp) or {}).get(INDEX_KEY_FACT)
        limit = kwargs.get("threshold")
        limit = APPROX_THRESHOLD if limit is None else limit
        if not isinstance(fact, dict) or not isinstance(fact.get("n"), int):
            return None
        appended = fact.get("appended", 0)
        if not isinstance(appended, int) or appended < 0 or fact["n"] + appended <= limit:
            return None
        try:
            found = index_cache.load(str(fact.get("key")), ntotal=fact["n"])
        except ValueError:  # not a key we would write: ignore the record
            return None
        if found is None:
            return None
        index, ids = found
        if appended:  # rows an add placed after the index was built: their vectors, from the map
            new_ids, new_vectors = store.vectors(after=int(ids[-1]))
            if len(new_ids) != appended or new_vectors.shape[1:] != (index.d,):
                return None
            index.add(new_vectors)
            ids = np.concatenate([ids, new_ids])
        if verified.version(store.path) != stamp:
            return None
        return cls._from_cached(index, ids, str(fact["key"]))

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, paragraph_id: int) -> int | None:
        pos = int(np.searchsorted(self._sorted_ids, paragraph_id))
        if pos >= len(self._sorted_ids) or self._sorted_ids[pos] != paragraph_id:
            return None
        return pos if self._order is None else int(self._order[pos])

    def vector_of(self, paragraph_id: int) -> np.ndarray:
        row = self.row_of(paragraph_id)
        if row is None:
            raise NotFoundError(
                f"Paragraph {paragraph_id} has no vector (it is not on the map: a heading, a "
                "reference, or an unknown id)."
            )
        if self._vectors is not None:
            return self._vectors[row]
        return self.index.reconstruct(row)

    @property
    def vectors(self) -> np.ndarray:
        """Every vector, in the order of ``ids`` (rebuilt from an approximate index on demand)."""
        if self._vectors is None:
            return self.index.reconstruct_n(0, self.index.ntotal)
        return self._vectors

    def search_vectors(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, paragraph ids), each (n_queries, k'); k' ≤ k when the map is small."""
        k = min(k, len(self.ids))
        if k == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        sims, rows = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return sims, np.where(rows >= 0, self.ids[np.maximum(rows, 0)], -1)

    def neighbors(self, paragraph_id: int, k: int = 10) -> list[Neighbor]:
        """The k paragraphs most similar to ``paragraph_id`` (itself excluded)."""
        own = self.vector_of(int(paragraph_id))
        sims, ids = self.search_vectors(own[None, :], k + 1)
        out = [Neighbor(int(i), float(s)) for s, i in zip(sims[0], ids[0]) if i >= 0 and i != paragraph_id]
        return out[:k]
