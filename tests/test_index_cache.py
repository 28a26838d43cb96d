"""The approximate neighbour index is built once per map content and reloaded from our own cache."""

from __future__ import annotations

import numpy as np
import pytest

from ideamap.search import index as index_mod
from ideamap.search import index_cache
from ideamap.search.index import NeighborIndex

N, DIM = 2_000, 32


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IDEAMAP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "indexes"


@pytest.fixture
def builds(monkeypatch):
    """Counts real IVF builds."""
    calls = []
    real = index_mod.build_ivf

    def counting(vectors, nlist):
        calls.append(len(vectors))
        return real(vectors, nlist)

    monkeypatch.setattr(index_mod, "build_ivf", counting)
    return calls


def _vectors(seed=0, n=N):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, DIM))
    v = centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, DIM))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _approx(vectors, **kw):
    return NeighborIndex(np.arange(len(vectors)), vectors, threshold=100, encoder="enc-a", **kw)


def test_reopen_uses_the_cached_index(builds, own_cache):
    v = _vectors()
    first = _approx(v)
    files = list(own_cache.glob("*.faiss"))
    assert len(files) == 1 and not first.from_cache and builds == [N]
    mtime = files[0].stat().st_mtime_ns

    again = _approx(v.copy())
    assert again.from_cache and builds == [N], "a second open must not rebuild"
    assert files[0].stat().st_mtime_ns >= mtime and list(own_cache.glob("*.faiss")) == files
    assert [n.paragraph_id for n in again.neighbors(5)] == [n.paragraph_id for n in first.neighbors(5)]


def test_changed_vectors_or_encoder_are_refused_and_rebuilt(builds, own_cache):
    v = _vectors()
    _approx(v)
    changed = v.copy()
    changed[7] = -changed[7]
    assert not _approx(changed).from_cache
    assert not NeighborIndex(np.arange(N), v, threshold=100, encoder="enc-b").from_cache
    assert len(builds) == 3 and len(list(own_cache.glob("*.faiss"))) == 3


def test_small_maps_stay_exact_and_write_nothing(own_cache):
    v = _vectors()
    index = NeighborIndex(np.arange(N), v)
    assert index.exact and not index.from_cache
    assert not own_cache.exists() or not list(own_cache.iterdir())
    sims = v @ v[3]
    truth = [int(i) for i in np.argsort(-sims)[1:11]]
    assert [n.paragraph_id for n in index.neighbors(3, 10)] == truth


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip_byte", "empty"])
def test_a_damaged_cache_file_is_rebuilt_without_a_crash(builds, own_cache, damage):
    v = _vectors()
    _approx(v)
    (path,) = own_cache.glob("*.faiss")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = bytearray(np.random.default_rng(1).integers(0, 256, len(data), dtype=np.uint8).tobytes())
    elif damage == "flip_byte":
        data[-100] ^= 0xFF
    else:
        data = bytearray()
    path.write_bytes(bytes(data))

    index = _approx(v)
    assert not index.from_cache and len(builds) == 2
    assert len(index.neighbors(0, 10)) == 10
    assert _approx(v).from_cache, "the rebuilt index was written back"


def test_approximate_recall_on_clustered_vectors():
    v = _vectors(n=4_000)
    index = NeighborIndex(np.arange(len(v)), v, threshold=100, cache=False)
    queries = np.arange(0, len(v), 40)
    truth = np.argsort(-(v[queries] @ v.T), axis=1)[:, :10]
    _, found = index.search_vectors(v[queries], 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)])
    assert recall >= 0.95


def test_keys_only_name_files_in_our_folder(own_cache):
    with pytest.raises(ValueError):
        index_cache.load("../../etc/passwd", ntotal=1, dim=1)
    assert index_cache.load("0" * 64, ntotal=1, dim=1) is None


def test_only_the_cache_module_deserializes_faiss_indexes():
    """Parsing index bytes is allowed in one place, whose files are ours and checksummed."""
    import ast
    from pathlib import Path

    import ideamap

    package = Path(ideamap.__file__).parent
    found = []
    for source in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            name = getattr(node, "attr", None) or getattr(node, "name", None)
            if name in ("deserialize_index", "read_index", "read_index_binary"):
                found.append(source.relative_to(package).as_posix())
    assert set(found) == {"search/index_cache.py"}, found


def test_a_build_searches_as_many_lists_as_its_own_recall_needs(own_cache, monkeypatch):
    """Unclustered vectors need many lists; a floor of 1 list would give a poor recall."""
    monkeypatch.setattr(index_mod, "NPROBE", 1)
    v = np.random.default_rng(5).normal(size=(6_000, DIM)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    built = NeighborIndex(np.arange(len(v)), v, threshold=100, encoder="enc-c")
    assert built.calibration["nprobe"] > 1
    assert built.calibration["recall_at_10"] >= index_mod.RECALL_TARGET
    assert built.index.nprobe == built.calibration["nprobe"]
    again = NeighborIndex(np.arange(len(v)), v, threshold=100, encoder="enc-c")
    assert again.from_cache and again.index.nprobe == built.index.nprobe  # saved with the index
    queries = np.arange(0, len(v), 60)
    truth = np.argsort(-(v[queries] @ v.T), axis=1)[:, :10]
    _, found = again.search_vectors(v[queries], 10)
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)]) >= 0.9
