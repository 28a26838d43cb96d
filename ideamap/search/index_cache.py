"""A per-user cache of the approximate neighbour indexes that ideamap built itself.

Building an IVF index over a large map takes tens of seconds to minutes; it depends only on the
map's vectors, the encoder that made them, and the index parameters. So it is built once and kept
in the user's cache folder (``IDEAMAP_CACHE_DIR`` overrides it, for tests and portable installs),
under a name that is the sha256 of exactly those things. A map that changed has another key and
gets a fresh build; the stale file is never consulted.

Safety: a map file may come from a stranger, so no index is ever read from a map. Only files in
our own cache folder, named by a key we computed, are read, and each has a sidecar with the
sha256 of its bytes that is checked *before* FAISS parses them, so a truncated or damaged file
(a full disk, another tool) is rebuilt instead of being handed to C++ code.
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
        expected = path.with_suffix(".sha256").read_text().strip()
        actual = _file_sha256(path)
    except OSError:
        return _discard(path)
    if actual != expected:
        return _discard(path)
    try:
        # Our own file, in our own folder, whose bytes were just checked against the sidecar
        # we wrote with it. (deserialize_index on the bytes would avoid the second read but is
        # ~20x slower: 3-6 s vs 0.25 s for 300 MB here.)
        index = faiss.read_index(str(path))
    except Exception:  # faiss raises RuntimeError on formats it does not know
        return _discard(path)
    if index.ntotal != ntotal or index.d != dim:
        return _discard(path)
    os.utime(path)  # recently used: kept by the pruning below
    return index


def save(key: str, index) -> Path:
    """Write atomically (temp file + rename), so a reader never sees half a file; the checksum
    sidecar goes last, so a crash in between leaves a mismatch, hence a rebuild."""
    import faiss

    path = _path(key)
    tag = f"{os.getpid()}.{threading.get_ident()}.tmp"
    tmp, tmp_sum = path.with_name(f".{path.name}.{tag}"), path.with_name(f".{key}.sha256.{tag}")
    try:
        faiss.write_index(index, str(tmp))
        tmp_sum.write_text(_file_sha256(tmp))
        _fsync(tmp), _fsync(tmp_sum)
        path.with_suffix(".sha256").unlink(missing_ok=True)
        os.replace(tmp, path)
        os.replace(tmp_sum, path.with_suffix(".sha256"))
    finally:
        tmp.unlink(missing_ok=True)
        tmp_sum.unlink(missing_ok=True)
    _prune(path.parent)
    return path


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256(FORMAT)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            h.update(chunk)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".sha256").unlink(missing_ok=True)
    return None


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.faiss"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        _discard(old)
