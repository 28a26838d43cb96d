"""A map version that passed the content checks is not scanned again, and its neighbour index
is found from the record without reading the vectors; any change to the file undoes both."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ideamap.model import FileStatus, ParagraphDraft, ParagraphKind, ReadResult
from ideamap.search import NeighborIndex
from ideamap.store import mapfile, safety, verified
from ideamap.store.mapfile import MapStore


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("IDEAMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("IDEAMAP_CACHE_DIR", str(tmp_path / "cache"))
    # Files made a moment ago are "racy" (see verified.py); the tests would otherwise sleep.
    monkeypatch.setattr(verified, "RACY_S", 0.0)


class _Counting:
    def __init__(self, real):
        self.real, self.calls = real, []

    def __call__(self, conn, name):
        self.calls.append(name)
        return self.real(conn, name)


@pytest.fixture
def scans(monkeypatch):
    counting = _Counting(safety.check_contents)
    monkeypatch.setattr(safety, "check_contents", counting)
    return counting.calls


def _doc(path: str, n: int) -> ReadResult:
    paras = [ParagraphDraft(text=f"paragraph {i} of {path} about topic {i % 7}", order=i,
                            kind=ParagraphKind.BODY, page=1) for i in range(n)]
    return ReadResult(path=path, doc_type="text", status=FileStatus.DONE, title="T", paragraphs=paras)


def _vectors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(12, 16))
    v = centres[rng.integers(0, 12, n)] + 0.3 * rng.normal(size=(n, 16))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _map(tmp_path, n: int = 600):
    path = tmp_path / "m.ideamap"
    with MapStore.create(path) as store:
        run = store.start_run("build", {})
        store.write_document(_doc("/a.txt", n), "h", _vectors(n, 0), model_id="enc", run_id=run)
    if isinstance(safety.check_contents, _Counting):
        safety.check_contents.calls.clear()  # the scan of the new, empty file does not count
    return path


def test_a_version_that_passed_is_not_scanned_again(tmp_path, scans):
    path = _map(tmp_path)
    MapStore.open(path, readonly=True).close()
    MapStore.open(path, readonly=True).close()
    MapStore.open(path).close()
    assert scans == ["m.ideamap"], "only the first open scans the file"


def test_a_write_means_a_new_scan(tmp_path, scans):
    path = _map(tmp_path)
    with MapStore.open(path) as store:
        store.set_meta("note", "changed")
    MapStore.open(path, readonly=True).close()
    assert len(scans) == 2


def test_bytes_rewritten_with_the_old_mtime_are_scanned(tmp_path, scans):
    """ctime cannot be set back: a file put back byte for byte, mtime restored, is checked."""
    path = _map(tmp_path)
    MapStore.open(path, readonly=True).close()
    stat = os.stat(path)
    data = path.read_bytes()
    path.write_bytes(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    MapStore.open(path, readonly=True).close()
    assert len(scans) == 2


def test_a_damaged_page_after_a_pass_is_still_refused(tmp_path):
    from ideamap.errors import MapFileError

    path = _map(tmp_path, n=2000)
    MapStore.open(path, readonly=True).close()
    stat = os.stat(path)
    with open(path, "r+b") as f:  # scribble over a page in the middle of the file
        f.seek(stat.st_size // 2)
        f.write(b"\xff" * 4096)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(MapFileError):
        with MapStore.open(path, readonly=True) as store:
            store.vectors()


def test_racy_versions_are_not_recorded(tmp_path, scans, monkeypatch):
    monkeypatch.setattr(verified, "RACY_S", 3600.0)  # every file is "just changed"
    path = _map(tmp_path)
    MapStore.open(path, readonly=True).close()
    MapStore.open(path, readonly=True).close()
    assert len(scans) == 2


def test_a_damaged_record_costs_a_scan_and_nothing_else(tmp_path, scans):
    path = _map(tmp_path)
    MapStore.open(path, readonly=True).close()
    verified._record_path().write_text("{not json")
    MapStore.open(path, readonly=True).close()
    MapStore.open(path, readonly=True).close()
    assert len(scans) == 2


def test_reopen_loads_the_index_without_reading_vectors(tmp_path, monkeypatch):
    path = _map(tmp_path)
    with MapStore.open(path, readonly=True) as store:
        first = NeighborIndex.from_store(store, threshold=100)
    assert not first.from_cache and first.key

    def no_vectors(self):
        raise AssertionError("the vectors were read although the index key was recorded")

    monkeypatch.setattr(mapfile.MapStore, "vectors", no_vectors)
    with MapStore.open(path, readonly=True) as store:
        again = NeighborIndex.from_store(store, threshold=100)
    assert again.from_cache and again.key == first.key
    for pid in (int(first.ids[0]), int(first.ids[300])):
        assert [n.paragraph_id for n in again.neighbors(pid)] == [n.paragraph_id for n in first.neighbors(pid)]
        assert np.allclose(again.vector_of(pid), first.vector_of(pid))


def test_a_changed_map_does_not_get_the_old_index(tmp_path):
    path = _map(tmp_path)
    with MapStore.open(path, readonly=True) as store:
        old = NeighborIndex.from_store(store, threshold=100)
    with MapStore.open(path) as store:
        run = store.start_run("add", {})
        store.write_document(_doc("/b.txt", 50), "h2", _vectors(50, 1), model_id="enc", run_id=run)
    with MapStore.open(path, readonly=True) as store:
        new = NeighborIndex.from_store(store, threshold=100)
    assert len(new) == len(old) + 50 and new.key != old.key and not new.from_cache


def test_an_add_appends_to_the_recorded_index_without_writing_one(tmp_path, monkeypatch):
    from ideamap.search import index_cache
    from ideamap.search.index import INDEX_KEY_FACT, grow_index

    path = _map(tmp_path)
    with MapStore.open(path, readonly=True) as store:
        before = NeighborIndex.from_store(store, threshold=100)
        prior = verified.facts(path)[INDEX_KEY_FACT]
    files = sorted(p.name for p in index_cache.cache_folder().iterdir())
    with MapStore.open(path) as store:
        run = store.start_run("add", {})
        store.write_document(_doc("/b.txt", 50), "h2", _vectors(50, 1), model_id="enc", run_id=run)
        ids, vectors = store.vectors()
    fact = grow_index(prior, ids, vectors, "enc")
    assert fact == {**prior, "appended": 50}
    assert verified.remember_written(path, {INDEX_KEY_FACT: fact})
    assert sorted(p.name for p in index_cache.cache_folder().iterdir()) == files  # nothing written

    real_vectors = mapfile.MapStore.vectors

    def only_the_appended(self, *, after=None):
        assert after is not None, "all vectors were read although the index key was recorded"
        return real_vectors(self, after=after)

    monkeypatch.setattr(mapfile.MapStore, "vectors", only_the_appended)
    with MapStore.open(path, readonly=True) as store:
        grown = NeighborIndex.from_store(store, threshold=100)
    assert grown.from_record and len(grown) == len(before) + 50
    exact = NeighborIndex(ids, vectors, exact=True)
    for pid in (int(ids[-1]), int(ids[-25]), int(ids[0])):
        assert np.allclose(grown.vector_of(pid), exact.vector_of(pid))
        found = {n.paragraph_id for n in grown.neighbors(pid)}
        assert len(found & {n.paragraph_id for n in exact.neighbors(pid)}) >= 8


def test_an_index_is_not_grown_over_changed_or_removed_rows(tmp_path):
    from ideamap.search.index import INDEX_KEY_FACT, grow_index

    path = _map(tmp_path)
    with MapStore.open(path, readonly=True) as store:
        NeighborIndex.from_store(store, threshold=100)
        ids, vectors = store.vectors()
    prior = verified.facts(path)[INDEX_KEY_FACT]
    changed = vectors.copy()
    changed[10] = -changed[10]
    assert grow_index(prior, ids, changed, "enc") is None  # a base row is not what the index holds
    assert grow_index(prior, ids[:-5], vectors[:-5], "enc") is None  # rows removed
    assert grow_index(prior, ids, vectors, "other encoder") is None
    too_many = np.concatenate([ids, ids.max() + 1 + np.arange(len(ids))])
    assert grow_index(prior, too_many, np.concatenate([vectors, vectors]), "enc") is None  # grown 100%
