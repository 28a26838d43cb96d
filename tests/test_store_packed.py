"""The packed copy of the layout: written with every complete layout, dropped by every other
change to it, and ignored (the tables read instead) when it is not a sound copy."""

from __future__ import annotations

import numpy as np
import pytest

from ideamap.model import FileStatus, ParagraphDraft, ParagraphKind, ReadResult
from ideamap.store.mapfile import MapStore


def _doc(path: str, n: int) -> ReadResult:
    paras = [ParagraphDraft(text=f"{path} paragraph {i}", order=i, kind=ParagraphKind.BODY, page=1) for i in range(n)]
    return ReadResult(path=path, doc_type="text", status=FileStatus.DONE, title="T", paragraphs=paras)


@pytest.fixture
def store(tmp_path):
    s = MapStore.create(tmp_path / "m.ideamap")
    run = s.start_run("build", {})
    rng = np.random.default_rng(0)
    for name in ("/a.txt", "/b.txt"):
        s.write_document(_doc(name, 40), "h" + name, rng.normal(size=(40, 4)).astype(np.float32),
                         model_id="m", run_id=run)
    yield s
    s.close()


def _lay_out(store):
    ids = store.vector_ids()
    rng = np.random.default_rng(1)
    xy = rng.random((len(ids), 2)).astype(np.float32)
    levels = np.stack([rng.integers(-1, 3, len(ids)), rng.integers(-1, 6, len(ids))]).astype(np.int32)
    store.save_layout(ids, xy, levels, [], None, replace=True)
    return ids, xy, levels


def _from_tables(store):
    ids, xy = store.coords()
    member_ids, levels = store.memberships()
    assert np.array_equal(ids, member_ids)
    return ids, xy, levels


def test_a_full_layout_is_packed_as_the_tables_hold_it(store):
    ids, xy, levels = _lay_out(store)
    packed = store.layout_arrays()
    assert packed is not None
    for a, b, c in zip(packed, _from_tables(store), (ids, xy, levels)):
        assert np.array_equal(a, b) and np.array_equal(a, c)


def test_an_add_without_the_whole_layout_drops_the_copy(store):
    ids, xy, levels = _lay_out(store)
    store.place_keeping_names(ids[:1], xy[:1] + 0.01, levels[:, :1])
    assert store.layout_arrays() is None
    whole = store.whole_layout()  # the tables, then
    assert np.allclose(whole[1][0], xy[0] + 0.01)


def test_removing_a_document_drops_the_copy(store):
    _lay_out(store)
    run = store.start_run("add", {})
    store.write_document(_doc("/a.txt", 3), "changed", np.ones((3, 4), np.float32), model_id="m", run_id=run)
    assert store.layout_arrays() is None
    ids, _, levels = store.whole_layout()
    assert len(ids) == 40 and levels.shape == (2, 40)  # b.txt's points; a.txt's new ones are unplaced


@pytest.mark.parametrize("damage", ["short xy", "unsorted ids", "nan", "missing levels", "text"])
def test_an_unsound_copy_is_ignored_and_the_tables_read(store, damage):
    ids, xy, levels = _lay_out(store)
    db = store.db
    if damage == "short xy":
        db.execute("UPDATE layout_arrays SET data = substr(data, 1, 16) WHERE name = 'xy'")
    elif damage == "unsorted ids":
        db.execute("UPDATE layout_arrays SET data = ? WHERE name = 'ids'", [ids[::-1].astype("<i8").tobytes()])
    elif damage == "nan":
        bad = xy.copy()
        bad[3, 0] = np.nan
        db.execute("UPDATE layout_arrays SET data = ? WHERE name = 'xy'", [bad.astype("<f4").tobytes()])
    elif damage == "missing levels":
        db.execute("DELETE FROM layout_arrays WHERE name = 'levels'")
    else:
        db.execute("UPDATE layout_arrays SET data = 'hello' WHERE name = 'ids'")
    db.conn.commit()
    assert store.layout_arrays() is None
    for a, b in zip(store.whole_layout(), (ids, xy, levels)):
        assert np.array_equal(a, b)


def test_a_map_of_the_previous_schema_opened_read_only_reads_its_tables(tmp_path):
    from ideamap.store import schema
    from ideamap.store.mapfile import _connect

    path = tmp_path / "old.ideamap"
    db = _connect(path)
    schema.migrate_to(db, 2)
    db.close()
    with MapStore.open(path, readonly=True) as store:
        assert store.layout_arrays() is None
        ids, xy, levels = store.whole_layout()
        assert len(ids) == 0 and xy.shape == (0, 2)
