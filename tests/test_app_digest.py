"""The neighbours panel without repetition and the Digest panel, in the real window (stand-in
canvas) on a small real map file: meeting notes where one paragraph is copied into two other
meetings (once verbatim, once reworded) and a licence line closes four documents.

Vectors are written, not encoded (no model: fast), so the copies are known exactly."""

from __future__ import annotations

from itertools import combinations
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication

from ideamap.layout.boilerplate import NEAR_COPY_SIMILARITY, normalise_for_repeats
from ideamap.model import FileStatus, ParagraphDraft, ReadResult
from ideamap.store.mapfile import MapStore
from tests.test_app_fakes import private_home, shown_window  # noqa: F401 (fixture)

BRIDGE = "The council agreed to postpone the vote on the harbour bridge until the engineers report."
BRIDGE_LIKE = "Whether the harbour bridge is built waits on the engineers' report, the council said."
LICENCE = "This document is licensed under CC BY 4.0: share and adapt it with credit."
HARBOUR = ["Ferries carry most commuters across the harbour while the tunnel is repaired.",
           "Dredging the harbour mouth lets container ships reach the eastern quay.",
           "Fishing boats moor along the western pier, where the fish market opens at dawn.",
           "A new sea wall protects the harbour district from winter storm surges.",
           "Parking near the ferry terminal will be charged from next spring."]
GARDEN = ["Tomatoes need full sun and steady watering once their first flowers appear.",
          "Compost made from kitchen scraps feeds the soil and keeps it loose for roots.",
          "Prune the roses in late winter, cutting just above an outward-facing bud.",
          "Mulch around the beds keeps weeds down and holds moisture through dry summers."]
# document → (topic, paragraph) pairs; the "bridge" ones share one vector (near-copies, in two
# documents: not boilerplate), the licence closes four documents (boilerplate)
DOCUMENTS = {
    "meeting_jan.md": [("bridge", BRIDGE), ("harbour", HARBOUR[0]), ("harbour", HARBOUR[1]), ("licence", LICENCE)],
    "meeting_feb.md": [("bridge", BRIDGE), ("harbour", HARBOUR[2]), ("bridge", BRIDGE_LIKE), ("licence", LICENCE)],
    "meeting_mar.md": [("harbour", HARBOUR[3]), ("harbour", HARBOUR[4]), ("licence", LICENCE)],
    "garden_may.md": [("garden", GARDEN[0]), ("garden", GARDEN[1]), ("licence", LICENCE)],
    "garden_jun.md": [("garden", GARDEN[2]), ("garden", GARDEN[3])],
}


def _unit(v):
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def make_copies_map(path):
    """The map file: paragraphs, vectors, coordinates, a region level and an island level."""
    rng = np.random.default_rng(3)
    harbour = _unit(rng.normal(size=32))
    centres = {"harbour": harbour, "bridge": _unit(harbour + 0.5 * _unit(rng.normal(size=32))),
               "licence": _unit(harbour + 1.2 * _unit(rng.normal(size=32))), "garden": _unit(rng.normal(size=32))}
    store = MapStore.create(path)
    run = store.start_run("build", {"seed": 0}, model_id="test-model")
    topics = []
    for name, items in DOCUMENTS.items():
        paras = [ParagraphDraft(text=t, order=j, page=j + 1) for j, (_, t) in enumerate(items)]
        spread = {"harbour": 0.12, "garden": 0.12, "bridge": 0.004, "licence": 0.002}
        vecs = _unit(np.stack([centres[k] + spread[k] * rng.normal(size=32) for k, _ in items]))
        result = ReadResult(path=str(path.parent / name), doc_type="md", status=FileStatus.DONE,
                            title=name[:-3].replace("_", " ").title(), paragraphs=paras)
        store.write_document(result, f"hash-{name}", vecs, model_id="test-model", run_id=run)
        topics += [k for k, _ in items]
    ids, _ = store.vectors()
    topic = np.array(topics)
    region = np.where(topic == "garden", 1, 0)
    island = np.select([topic == "garden", topic == "licence"], [1, -1], 0)
    anchors = {"harbour": (0.3, 0.3), "bridge": (0.35, 0.25), "licence": (0.6, 0.6), "garden": (0.7, 0.75)}
    coords = np.array([anchors[t] for t in topics]) + 0.03 * rng.normal(size=(len(ids), 2))
    specs = [_spec(0, 0, None, "Harbour meetings", region == 0), _spec(0, 1, None, "Gardening", region == 1),
             _spec(1, 0, 0, "Harbour works", island == 0), _spec(1, 1, 1, "Garden beds", island == 1)]
    for spec in specs:
        spec.x, spec.y = coords[spec.rows].mean(axis=0)
    store.save_layout(ids, coords, np.vstack([region, island]), specs, [-1] * len(ids), replace=True)
    store.finish_run(run)
    store.close()
    return path


def _spec(level, key, parent, label, mask):
    rows = np.flatnonzero(mask)
    return SimpleNamespace(level=level, key=key, parent_key=parent, label=label, terms=[label.lower()],
                           exemplars=list(rows[:2]), size=len(rows), rows=rows, x=0.0, y=0.0)


@pytest.fixture
def opened(qtbot, tmp_path):
    w = shown_window(qtbot, tmp_path)
    assert w.open_map(make_copies_map(tmp_path / "copies.ideamap"))
    qtbot.waitUntil(lambda: w.session.index is not None, timeout=10000)
    yield w
    w.close()


def settle(qtbot, w):
    """Wait until the background neighbour and digest work is done and shown."""
    qtbot.waitUntil(lambda: not w.reading.busy(), timeout=10000)


def pid_of(w, text, document=None):
    rows = w.session.store.db.execute("SELECT p.id, d.path FROM paragraphs p JOIN documents d ON d.id = p.document_id "
                                      "WHERE p.text = ? ORDER BY p.id", [text]).fetchall()
    return next(pid for pid, path in rows if document is None or path.endswith(document))


def vector(w, pid):
    index = w.session.index
    return index.vectors[np.searchsorted(index.ids, pid)]


def rows_shown(panel):
    from ideamap.app.panels.cards import FOOTER_ROLE, SOURCE_ROLE

    items = [panel.neighbors.item(i) for i in range(panel.neighbors.count())]
    return [(it.data(SOURCE_ROLE), it.text(), it.data(FOOTER_ROLE) or "") for it in items]


def test_neighbours_collapse_near_copies_and_rank_boilerplate_last(opened, qtbot):
    w, panel = opened, opened.paragraph_panel
    w.nav.show_paragraph(pid_of(w, HARBOUR[0]))
    assert panel.neighbor_status.text() == "Finding neighbours…"  # computed in the background
    settle(qtbot, w)
    shown, ids = rows_shown(panel), panel.neighbor_ids()
    assert len(shown) >= 4 and w.canvas.neighbors == ids
    keys = [normalise_for_repeats(text) for _, text, _ in shown]
    assert len(keys) == len(set(keys)), "two rows hold the same text"
    for a, b in combinations(ids, 2):
        assert float(vector(w, a) @ vector(w, b)) < NEAR_COPY_SIMILARITY, "two rows are near-copies"
    bridge = [row for row in shown if "harbour bridge" in row[1]]
    assert len(bridge) == 1 and bridge[0][2].startswith("and 2 near-copies in: meeting_")
    repeated = [source.startswith("Repeated text") for source, _, _ in shown]
    assert repeated[-1] and repeated == sorted(repeated), "boilerplate must come last"
    assert "and 3 near-copies in:" in shown[-1][2]  # the licence, once
    panel.show_boilerplate.setChecked(False)  # hide it
    settle(qtbot, w)
    assert not any(source.startswith("Repeated text") for source, _, _ in rows_shown(panel))
    assert "1 repeated text (licence, template…) left out." in panel.neighbor_status.text()


def test_copies_of_the_shown_paragraph_are_said_once_not_listed(opened, qtbot):
    w, panel = opened, opened.paragraph_panel
    w.nav.show_paragraph(pid_of(w, BRIDGE, "meeting_jan.md"))
    settle(qtbot, w)
    assert not any("harbour bridge" in text for _, text, _ in rows_shown(panel))
    assert panel.also_label.isVisible() and "meeting_feb.md" in panel.also_label.text()


def test_reader_other_documents_only_keeps_working(opened, qtbot):
    w, panel = opened, opened.paragraph_panel
    doc = next(d for d in w.session.documents() if d.path.endswith("meeting_jan.md"))
    own = set(w.session.store.document_paragraph_ids(doc.id))
    assert w.reader.open_document(doc.id, at_paragraph=pid_of(w, HARBOUR[0]))
    w.reader.pane.go_to(pid_of(w, HARBOUR[1]), announce=True)
    settle(qtbot, w)
    assert panel.neighbor_ids() and not set(panel.neighbor_ids()) & own
    assert not any("meeting_jan" in footer for _, _, footer in rows_shown(panel))
    w.reader.pane.other_documents.setChecked(False)
    settle(qtbot, w)
    assert set(panel.neighbor_ids()) & own


def test_digest_of_an_island_has_distinct_picks_with_citations(opened, qtbot, tmp_path):
    w = opened
    w.nav.show_island(0, 0)  # "Harbour meetings": the copies and the licence included
    w.island_panel.digest_button.click()
    panel = w.digest_panel
    assert panel.is_working() and panel.info_label.text().startswith("Working…")
    assert w.digest.dock.isVisible()
    settle(qtbot, w)
    picks = panel.picks
    assert 3 <= len(picks) <= 12 and not panel.is_working()
    members = w.session.store.db.execute("SELECT count(*) FROM memberships WHERE level = 0 AND island_key = 0").fetchone()[0]
    assert sum(p.covers for p in picks) == members
    for a, b in combinations(picks, 2):
        assert float(vector(w, a.id) @ vector(w, b.id)) < NEAR_COPY_SIMILARITY
    assert len({normalise_for_repeats(p.text) for p in picks}) == len(picks)
    assert sum("harbour bridge" in p.text for p in picks) == 1
    shown = panel.view.toPlainText()
    assert "Harbour works" in shown  # the group
    for p in picks:  # each pick's citation (title, page) and what it covers
        title = w.session.document(p.document_id).title
        assert f"— {title}, p. {p.page} · covers {p.covers}" in shown.replace("\xa0", " ")
    text = panel.copy_markdown()
    assert QGuiApplication.clipboard().text() == text
    assert text.startswith("# Digest of “Harbour meetings”") and "## Harbour works" in text
    for p in picks:
        assert f"— {p.document.rsplit('/', 1)[-1]}, p. {p.page}" in text
    saved = panel.save_markdown(tmp_path / "digest.md")
    assert saved.read_text(encoding="utf-8") == text


def test_show_digest_of_any_set_and_a_pick_opens_on_the_map(opened, qtbot):
    w = opened
    ids = [pid_of(w, GARDEN[0]), pid_of(w, GARDEN[3]), pid_of(w, LICENCE, "garden_may.md")]
    w.digest_panel.show_digest(ids, "Selection")
    settle(qtbot, w)
    picks = w.digest_panel.picks
    assert {p.id for p in picks} <= set(ids) and picks[-1].boilerplate  # the licence only last
    w.digest_panel.k_box.setValue(3)  # recomputed for the same set
    settle(qtbot, w)
    assert w.digest_panel.title_label.text() == "Selection"
    from PySide6.QtCore import QUrl

    w.digest_panel.view.anchorClicked.emit(QUrl(f"paragraph:{picks[0].id}"))
    assert w.nav.current_pid == picks[0].id and w.canvas.selected == picks[0].id


def test_preparing_the_flags_never_drops_a_digest_in_flight(qtbot):
    """The index becoming ready starts the boilerplate pass on the digest lane; a digest asked
    for just before must still arrive (a newer request on a lane drops the older's result)."""
    import time

    from ideamap.app.jobs.reading_tasks import ReadingTasks

    tasks = ReadingTasks()
    got = []

    def slow_digest(lane):
        time.sleep(0.3)
        return "digest"

    tasks.digest_lane.request(slow_digest, got.append, None)
    tasks.prepare(object())  # a session it must not touch while a digest runs
    qtbot.waitUntil(lambda: got == ["digest"], timeout=10_000)
    qtbot.waitUntil(lambda: not tasks.busy(), timeout=10_000)


def test_a_large_map_lists_neighbours_before_its_boilerplate_pass_then_marks_it(qtbot, tmp_path, monkeypatch):
    """Above WAIT_FOR_BOILERPLATE_UP_TO paragraphs a click does not wait for the pass over every
    text (tens of seconds at 1M): the list comes unmarked, and again, marked, once it is done."""
    import threading

    from ideamap.app.jobs import reading_tasks
    from ideamap.reading import boilerplate_ids

    monkeypatch.setattr(reading_tasks, "WAIT_FOR_BOILERPLATE_UP_TO", 0)  # this small map counts as large
    monkeypatch.setattr("ideamap.app.flows.navigation.WAIT_FOR_BOILERPLATE_UP_TO", 0)
    release = threading.Event()

    def slow_pass(store, index=None):
        release.wait(20)
        return boilerplate_ids(store, index)

    monkeypatch.setattr("ideamap.reading.boilerplate_ids", slow_pass)
    w = shown_window(qtbot, tmp_path)
    try:
        assert w.open_map(make_copies_map(tmp_path / "copies.ideamap"))
        qtbot.waitUntil(lambda: w.session.index is not None, timeout=10000)
        panel = w.paragraph_panel
        w.nav.show_paragraph(pid_of(w, HARBOUR[0]))
        qtbot.waitUntil(lambda: not w.reading.neighbours_lane.busy() and bool(panel.neighbor_ids()), timeout=10000)
        first = rows_shown(panel)
        assert any("licensed under CC BY" in text for _, text, _ in first)  # listed, the pass still running
        assert not any(source.startswith("Repeated text") for source, _, _ in first)
        release.set()
        qtbot.waitUntil(lambda: any(s.startswith("Repeated text") for s, _, _ in rows_shown(panel)), timeout=10000)
        repeated = [source.startswith("Repeated text") for source, _, _ in rows_shown(panel)]
        assert repeated[-1] and repeated == sorted(repeated)  # boilerplate last, as on a small map
    finally:
        release.set()
        settle(qtbot, w)
        w.close()
