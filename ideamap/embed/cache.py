"""A per-user vector cache keyed by (model id, text hash), so no text is embedded twice:
re-adding a changed file re-embeds only the paragraphs whose text changed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Sequence

import numpy as np


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorCache:
    """SQLite-backed; losing it costs only time, so it may be deleted at any moment."""

    def __init__(self, path: Path):
        self.path = path
        self.conn = sqlite3.connect(str(path), timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model_id TEXT, text_hash TEXT, vector BLOB, "
            "PRIMARY KEY (model_id, text_hash))"
        )

    def get_many(self, model_id: str, hashes: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT text_hash, vector FROM vectors WHERE model_id = ? AND text_hash IN ({marks})",
                [model_id, *chunk],
            ).fetchall()
            for h, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (dim,) and np.isfinite(vec).all():
                    found[h] = vec
        return found

    def put_many(self, model_id: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
                [(model_id, h, v.tobytes()) for h, v in zip(hashes, vectors)],
            )

    def close(self) -> None:
        self.conn.close()
