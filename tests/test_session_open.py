"""What the window does when a map opens stays cheap on a large map: no scan of the vectors for
the "not placed yet" banner once a build or add has finished, positions by binary search."""

from __future__ import annotations

import numpy as np

from ideamap.app.canvas.scene import MapScene
from ideamap.app.session import MapSession
from ideamap.model import FileStatus, ParagraphDraft, ParagraphKind, ReadResult
from ideamap.store.mapfile import MapStore


def _doc(path: str, n: int) -> ReadResult:
    paras = [ParagraphDraft(text=f"{path} paragraph {i}", order=i, kind=ParagraphKind.BODY, page=1) for i in range(n)]
    return ReadResult(path=path, doc_type="text", status=FileStatus.DONE, title="T", paragraphs=paras)


def _map(tmp_path, add_status: str | None):
    store = MapStore.create(tmp_path / "m.ideamap")
    run = store.start_run("build", {})
    store.write_document(_doc("/a.txt", 30), "a", np.eye(30, 8, dtype=np.float32), model_id="m", run_id=run)
    ids = store.vector_ids()
    store.save_layout(ids, np.random.default_rng(0).random((30, 2)), np.zeros((1, 30), np.int32), [], None,
                      replace=True)
    store.finish_run(run)
    if add_status:
        run = store.start_run("add", {})
        store.write_document(_doc("/b.txt", 5), "b", np.eye(5, 8, dtype=np.float32), model_id="m", run_id=run)
        if add_status != "running":
            store.finish_run(run, status=add_status)
    return store


def _session(store):
    return MapSession(store, MapScene.from_store(store))


def test_a_stopped_add_counts_its_unplaced_paragraphs(tmp_path):
    for status in ("running", "cancelled"):
        store = _map(tmp_path / status, status)
        assert _session(store).unplaced_count() == 5
        store.close()


def test_after_a_finished_build_nothing_is_counted(tmp_path):
    store = _map(tmp_path, None)
    calls = []
    store.db.conn.set_trace_callback(calls.append)
    assert _session(store).unplaced_count() == 0
    assert not any("count(*) FROM vectors" in sql for sql in calls)
    store.close()


def test_positions_of_map_and_off_map_paragraphs(tmp_path):
    store = _map(tmp_path, "cancelled")
    session = _session(store)
    placed = session.scene.ids
    x, y = session.position(int(placed[3]))
    assert np.allclose((x, y), session.scene.xy[3])
    off_map = int(store.vector_ids()[-1])  # written by the stopped add, never placed
    assert session.position(off_map) is None and session.position(10**9) is None
    store.close()
