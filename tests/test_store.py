"""The map file: round trips, per-document transactions, FTS, refusing what is not a map."""

import sqlite3

import numpy as np
import pytest

from ideamap.errors import MapFileError, NotFoundError
from ideamap.model import FileStatus, ParagraphDraft, ParagraphKind, ReadResult
from ideamap.search import keyword_search
from ideamap.store.mapfile import MapStore
from ideamap.store.schema import SCHEMA_VERSION


def _doc(path, texts, kinds=None):
    kinds = kinds or [ParagraphKind.BODY] * len(texts)
    paras = [ParagraphDraft(text=t, order=i, kind=k, page=1) for i, (t, k) in enumerate(zip(texts, kinds))]
    return ReadResult(path=path, doc_type="text", status=FileStatus.DONE, title="T", paragraphs=paras)


def _vecs(n, dim=8, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path):
    s = MapStore.create(tmp_path / "m.ideamap")
    yield s
    s.close()


def test_write_and_read_back_a_document(store):
    run = store.start_run("build", {"seed": 1})
    vecs = _vecs(2)
    result = _doc("/a.txt", ["alpha paragraph about rivers", "Heading", "beta paragraph about mountains"],
                  [ParagraphKind.BODY, ParagraphKind.HEADING, ParagraphKind.BODY])
    doc_id = store.write_document(result, "h1", vecs, model_id="m", run_id=run)
    ids, stored = store.vectors()
    assert len(ids) == 2  # the heading is stored but not embedded
    np.testing.assert_array_equal(stored, vecs)
    paras = store.paragraphs(store.document_paragraph_ids(doc_id))
    assert [p.kind for p in paras] == [ParagraphKind.BODY, ParagraphKind.HEADING, ParagraphKind.BODY]
    assert store.document(doc_id).status == FileStatus.DONE
    assert store.document_hashes()["/a.txt"][1] == "h1"


def test_rewriting_a_document_replaces_its_rows_and_keyword_index(store):
    run = store.start_run("build", {})
    store.write_document(_doc("/a.txt", ["rivers and lakes"]), "h1", _vecs(1), model_id="m", run_id=run)
    assert keyword_search(store, "rivers")
    store.write_document(_doc("/a.txt", ["mountains and valleys"]), "h2", _vecs(1), model_id="m", run_id=run)
    assert keyword_search(store, "rivers") == []
    assert keyword_search(store, "valley")  # porter stemming
    assert store.count_paragraphs() == 1 and len(store.vectors()[0]) == 1


def test_a_failed_write_leaves_nothing_half_written(store):
    run = store.start_run("build", {})
    with pytest.raises(ValueError):
        # two mapped paragraphs, one vector: refused before anything is written
        store.write_document(_doc("/a.txt", ["one", "two"]), "h", _vecs(1), model_id="m", run_id=run)
    bad = _vecs(2)
    bad_doc = _doc("/b.txt", ["one", "two"])
    original = store._insert_vectors

    def explode(*a, **k):
        raise sqlite3.OperationalError("disk on fire")

    store._insert_vectors = explode
    with pytest.raises(sqlite3.OperationalError):
        store.write_document(bad_doc, "h", bad, model_id="m", run_id=run)
    store._insert_vectors = original
    assert store.documents() == [] and store.count_paragraphs() == 0
    assert keyword_search(store, "one") == []


def test_layout_round_trip(store):
    from types import SimpleNamespace as IslandSpec  # the store reads only these attributes

    run = store.start_run("build", {})
    store.write_document(_doc("/a.txt", ["a one", "a two", "a three"]), "h", _vecs(3), model_id="m", run_id=run)
    ids, _ = store.vectors()
    levels = np.array([[0, 0, -1], [0, 1, -1], [0, 1, -1]])
    islands = [IslandSpec(level=l, key=k, parent_key=None if l == 0 else 0, label=f"L{l}K{k}", terms=["t"],
                          exemplars=[0], size=1, x=0.5, y=0.5) for l, k in [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)]]
    store.save_layout(ids, np.array([[0, 0], [1, 1], [0.5, 0.5]]), levels, islands, [-1, -1, 1], replace=True)
    got_ids, got_levels = store.memberships()
    np.testing.assert_array_equal(got_ids, ids)
    np.testing.assert_array_equal(got_levels, levels)
    assert [i.label for i in store.island_path(int(ids[1]))] == ["L0K0", "L1K1", "L2K1"]
    assert store.islands(0)[0].exemplar_ids == [int(ids[0])]


def test_unknown_paragraph_is_a_clear_error(store):
    with pytest.raises(NotFoundError, match="No paragraph 99"):
        store.paragraph(99)


@pytest.mark.parametrize("content,match", [
    (b"", "not an ideamap map"),
    (b"%PDF-1.4 hello", "not an ideamap map"),
    (b"SQLite format 3\x00" + b"\x00" * 100, "damaged|not an ideamap"),
])
def test_files_that_are_not_maps_are_refused(tmp_path, content, match):
    path = tmp_path / "x.ideamap"
    path.write_bytes(content)
    with pytest.raises(MapFileError, match=match):
        MapStore.open(path)
    assert path.read_bytes() == content  # never changed


def test_plain_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(MapFileError, match="not an ideamap map"):
        MapStore.open(path)


def test_map_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "m.ideamap"
    MapStore.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    conn.commit()
    conn.close()
    with pytest.raises(MapFileError, match="newer ideamap"):
        MapStore.open(path)


def test_create_refuses_to_overwrite(tmp_path):
    path = tmp_path / "m.ideamap"
    MapStore.create(path).close()
    with pytest.raises(MapFileError, match="already exists"):
        MapStore.create(path)


def test_runs_record_parameters_and_parent(store):
    first = store.start_run("build", {"seed": 7}, model_id="m")
    store.finish_run(first, extra={"stage_seconds": {"read": 1.0}})
    second = store.start_run("add", {"seed": 7})
    runs = store.runs()
    assert runs[0]["params"]["seed"] == 7 and runs[0]["params"]["stage_seconds"] == {"read": 1.0}
    assert runs[1]["parent_id"] == first and runs[1]["status"] == "running"
    assert second == runs[1]["id"]


def test_vectors_read_in_chunks_are_whole_and_damage_in_a_later_chunk_is_caught(store, monkeypatch):
    import ideamap.store.mapfile as mapfile

    monkeypatch.setattr(mapfile, "VECTOR_READ_ROWS", 3)  # 10 rows: chunks of 3, 3, 3, 1
    run = store.start_run("build", {})
    v = _vecs(10)
    store.write_document(_doc("/a.txt", [f"p{i}" for i in range(10)]), "h", v, model_id="m", run_id=run)
    ids, matrix = store.vectors()
    assert list(ids) == sorted(ids) and len(ids) == 10 and np.array_equal(matrix, v)
    store.db.execute("UPDATE vectors SET vector = zeroblob(12) WHERE paragraph_id = ?", [int(ids[-1])])
    with pytest.raises(MapFileError, match="damaged vectors"):
        store.vectors()
