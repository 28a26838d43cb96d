"""A per-user cache of the approximate neighbour indexes that ideamap built itself.

Building an IVF index over a large map takes tens of seconds to minutes; it depends only on the
map's vectors, the encoder that made them, and the index parameters. So it is built once and kept
in the user's cache folder (``IDEAMAP_CACHE_DIR`` overrides it, for tests and portable installs),
under a name that is the sha256 of exactly those things, next to the paragraph ids of its rows. A map that changed has another key and
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

FORMAT = b"ideamap-index-v3\n"  # bumped if the file layout or the key recipe changes
KEEP_FILES = 8  # newest index files kept; older ones (maps since edited or deleted) are removed
HASH_THREADS = min(4, os.cpu_count() or 1)
HASH_PART_MIN = 64 * 2**20  # smaller files are hashed in one piece


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
    h.update(_parallel_sha256(memoryview(np.ascontiguousarray(vectors, dtype=np.float32)).cast("B")))
    return h.hexdigest()


def _parallel_sha256(data: memoryview) -> bytes:
    """The sha256 of each of a few equal parts of ``data``, hashed in threads, then of them."""
    parts = max(1, min(HASH_THREADS, len(data) // HASH_PART_MIN))
    bounds = [len(data) * i // parts for i in range(parts + 1)]
    with ThreadPoolExecutor(parts) as pool:
        digests = pool.map(lambda i: hashlib.sha256(data[bounds[i] : bounds[i + 1]]).digest(), range(parts))
        return hashlib.sha256(b"".join(digests)).digest()


def _path(key: str) -> Path:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("an index cache key is a sha256 hex digest")
    return cache_folder() / f"{key}.faiss"


def load(key: str, *, ntotal: int | None = None, dim: int | None = None):
    """``(index, ids)`` cached for ``key``, or None when there is none or it fails any check.
    ``ids`` are the paragraph ids of the index's rows (saved with it, so a reopen need not
    read them from the map)."""
    import faiss

    path = _path(key)
    try:
        expected = path.with_suffix(".sha256").read_text().split()
        actual = [_file_sha256(path), _file_sha256(_ids_path(path))]
        ids_bytes = _ids_path(path).read_bytes()
    except OSError:
        return _discard(path)
    if actual != expected or len(ids_bytes) % 8:
        return _discard(path)
    try:
        # Our own file, in our own folder, whose bytes were just checked against the sidecar
        # we wrote with it. (deserialize_index on the bytes would avoid the second read but is
        # ~20x slower: 3-6 s vs 0.25 s for 300 MB here.)
        index = faiss.read_index(str(path))
    except Exception:  # faiss raises RuntimeError on formats it does not know
        return _discard(path)
    ids = np.frombuffer(ids_bytes, dtype=np.int64)
    if index.ntotal != len(ids) or (ntotal is not None and index.ntotal != ntotal) or (dim is not None and index.d != dim):
        return _discard(path)
    os.utime(path)  # recently used: kept by the pruning below
    return index, ids


def save(key: str, index, ids: np.ndarray) -> Path:
    """Write atomically (temp files + rename), so a reader never sees half a file; the
    checksum sidecar goes last, so a crash in between leaves a mismatch, hence a rebuild."""
    import faiss

    path = _path(key)
    tag = f"{os.getpid()}.{threading.get_ident()}.tmp"
    tmp, tmp_ids = path.with_name(f".{path.name}.{tag}"), path.with_name(f".{key}.ids.{tag}")
    tmp_sum = path.with_name(f".{key}.sha256.{tag}")
    try:
        faiss.write_index(index, str(tmp))
        tmp_ids.write_bytes(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
        tmp_sum.write_text(f"{_file_sha256(tmp)} {_file_sha256(tmp_ids)}")
        for done in (tmp, tmp_ids, tmp_sum):
            _fsync(done)
        path.with_suffix(".sha256").unlink(missing_ok=True)
        os.replace(tmp, path)
        os.replace(tmp_ids, _ids_path(path))
        os.replace(tmp_sum, path.with_suffix(".sha256"))
    finally:
        for left in (tmp, tmp_ids, tmp_sum):
            left.unlink(missing_ok=True)
    _prune(path.parent)
    return path


def _ids_path(path: Path) -> Path:
    return path.with_suffix(".ids")


def _file_sha256(path: Path) -> str:
    """sha256 over the sha256 of each of a few equal parts of the file, hashed in threads
    (hashlib lets go of the GIL): a 1.5 GB index is checked in ~0.5 s on 2 cores, not ~1 s."""
    size = os.stat(path).st_size
    parts = max(1, min(HASH_THREADS, size // HASH_PART_MIN))
    bounds = [size * i // parts for i in range(parts + 1)]
    with open(path, "rb") as f, ThreadPoolExecutor(parts) as pool:
        digests = list(pool.map(lambda i: _range_sha256(f.fileno(), bounds[i], bounds[i + 1]), range(parts)))
    h = hashlib.sha256(FORMAT)
    for d in digests:
        h.update(d)
    return h.hexdigest()


def _range_sha256(fd: int, start: int, end: int) -> bytes:
    h = hashlib.sha256()
    while start < end:
        chunk = os.pread(fd, min(1 << 24, end - start), start)
        if not chunk:
            raise OSError("the file shrank while it was being checked")
        h.update(chunk)
        start += len(chunk)
    return h.digest()


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    _ids_path(path).unlink(missing_ok=True)
    path.with_suffix(".sha256").unlink(missing_ok=True)
    return None


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.faiss"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        _discard(old)
