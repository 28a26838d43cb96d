"""A per-user cache of the approximate neighbour indexes that ideamap built itself.

Building an IVF index over a large map takes tens of seconds to minutes; it depends only on the
map's vectors, the encoder that made them, and the index parameters. So it is built once and kept
in the user's cache folder (``IDEAMAP_CACHE_DIR`` overrides it, for tests and portable installs),
under a name that is the sha256 of exactly those things. A map that changed has another key and
gets a fresh build; the stale file is never consulted.

Safety: a map file may come from a stranger, so no index is ever read from a map. Only files in
our own cache folder, named by a key we computed, are read, and each carries a sha256 of its
bytes that is checked *before* FAISS parses them, so a truncated or damaged file (a crash mid
write on another tool, a full disk) is rebuilt instead of being handed to C++ code.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

FORMAT = b"ideamap-index-v1\n"  # bumped if the file layout or the key recipe changes
KEEP_FILES = 8  # newest index files kept; older ones (maps since edited or deleted) are removed


def cache_folder() -> Path:
    override = os.environ.get("IDEAMAP_CACHE_DIR")
    if override:
        path = Path(override) / "indexes"
    else:
        from ideamap.paths import cache_dir

        path = cache_dir() / "indexes"
    path.mkdir(parents=True, exist_ok=True)
    return path


def index_key(ids: np.ndarray, vectors: np.ndarray, encoder: str, kind: str, params: dict) -> str:
    """sha256 of everything the index depends on (ids, vectors, encoder, kind, parameters, faiss)."""
    import faiss

    h = hashlib.sha256(FORMAT)
    recipe = f"{encoder}|{kind}|{sorted(params.items())}|faiss {faiss.__version__}|{vectors.shape}"
    h.update(recipe.encode())
    h.update(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
    h.update(memoryview(np.ascontiguousarray(vectors, dtype=np.float32)).cast("B"))
    return h.hexdigest()


def _path(key: str) -> Path:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("an index cache key is a sha256 hex digest")
    return cache_folder() / f"{key}.faiss"


def load(key: str, *, ntotal: int, dim: int):
    """The cached index for ``key``, or None when there is none or it fails any check."""
    import faiss

    path = _path(key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(FORMAT) + 32
    if len(data) < head or data[: len(FORMAT)] != FORMAT:
        return _discard(path)
    body = memoryview(data)[head:]
    if hashlib.sha256(body).digest() != data[len(FORMAT) : head]:
        return _discard(path)
    try:
        index = faiss.deserialize_index(np.frombuffer(body, dtype=np.uint8))
    except Exception:  # faiss raises RuntimeError on formats it does not know
        return _discard(path)
    if index.ntotal != ntotal or index.d != dim:
        return _discard(path)
    os.utime(path)  # recently used: kept by the pruning below
    return index


def save(key: str, index) -> Path:
    """Write atomically (temp file + rename), so a reader never sees half a file."""
    import faiss

    path = _path(key)
    body = faiss.serialize_index(index).tobytes()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(FORMAT)
            f.write(hashlib.sha256(body).digest())
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _prune(path.parent)
    return path


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    return None


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.faiss"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        old.unlink(missing_ok=True)
