"""Nearest neighbours (FAISS), semantic query, keyword search (FTS5) and their fusion."""

from __future__ import annotations

from ideamap.model import SearchHit
from ideamap.search.index import NeighborIndex
from ideamap.search.keyword import keyword_search

__all__ = ["NeighborIndex", "keyword_search", "hybrid_search"]

# Reciprocal-rank-fusion constant: 60 is the usual choice; it keeps one list's top hit from
# drowning the other list entirely.
RRF_K = 60


def hybrid_search(store, index: NeighborIndex, query: str, *, encoder=None, limit: int = 10) -> list[SearchHit]:
    """Semantic matches (when an encoder is given) fused with keyword matches by reciprocal rank.
    Without an encoder, keyword matches only."""
    semantic: dict[int, tuple[int, float]] = {}
    if encoder is not None and len(index):
        qvec = encoder.encode([query])
        sims, ids = index.search_vectors(qvec, limit * 3)
        semantic = {int(i): (rank, float(s)) for rank, (s, i) in enumerate(zip(sims[0], ids[0])) if i >= 0}
    keyword = {pid: rank for rank, (pid, _) in enumerate(keyword_search(store, query, limit=limit * 3))}
    scores: dict[int, float] = {}
    for pid, (rank, _) in semantic.items():
        scores[pid] = scores.get(pid, 0.0) + 1.0 / (RRF_K + rank)
    for pid, rank in keyword.items():
        scores[pid] = scores.get(pid, 0.0) + 1.0 / (RRF_K + rank)
    best = sorted(scores, key=lambda p: -scores[p])[:limit]
    return [
        SearchHit(pid, scores[pid], semantic[pid][1] if pid in semantic else None, pid in keyword)
        for pid in best
    ]
