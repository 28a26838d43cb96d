"""The encoder: loading, batching, long-paragraph windows, a vector cache, adaptation."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ideamap.embed.cache import VectorCache, text_hash

__all__ = ["embed_texts", "VectorCache", "text_hash"]


def embed_texts(encoder, texts: Sequence[str], *, cache: VectorCache | None = None,
                progress=None, cancel=None) -> np.ndarray:
    """Vectors for ``texts``, taking what the cache already holds and embedding only the rest
    (each distinct text once)."""
    hashes = [text_hash(t) for t in texts]
    # cache_key: the model id, plus precision and device where those change the vectors (GPU)
    key = getattr(encoder, "cache_key", encoder.model_id)
    known = cache.get_many(key, hashes, encoder.dim) if cache else {}
    todo = list(dict.fromkeys(h for h in hashes if h not in known))
    if todo:
        first_text = {h: t for h, t in zip(hashes, texts)}
        fresh = encoder.encode([first_text[h] for h in todo], progress=progress, cancel=cancel)
        if cache is not None:
            cache.put_many(key, todo, fresh)
        known.update(zip(todo, fresh))
    elif progress is not None:
        progress(1, 1)
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.stack([known[h] for h in hashes]).astype(np.float32)
