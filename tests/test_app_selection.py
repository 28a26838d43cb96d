"""Lasso and rectangle selections in the real window with the real canvas: drawn with the mouse,
listed in the Selection panel, cleared with Esc, exported, tagged, sent to a digest."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPolygonF
from PySide6.QtTest import QTest

from ideamap.app.canvas.area import points_in_polygon, rows_in_polygon
from ideamap.app.canvas.scene import MapScene, inset
from ideamap.app.canvas_kit import default_kit
from ideamap.reading import list_annotations
from ideamap.reading.selection_export import selection_records, write_selection
from tests.test_app_fakes import TOPICS, make_small_map, private_home, shown_window  # noqa: F401 (fixture)

ANCHORS = {"rivers": (0.2, 0.3), "stars": (0.7, 0.25), "bread": (0.5, 0.8)}  # as make_small_map lays them out


@pytest.fixture
def window(qtbot, tmp_path):
    w = shown_window(qtbot, tmp_path, kit=default_kit(), size=(1100, 700))  # the real canvas
    assert w.open_map(make_small_map(tmp_path / "small.ideamap"))
    w.canvas.animation_ms = 0
    qtbot.waitUntil(lambda: not w.canvas.is_animating(), timeout=3000)
    yield w
    w.close()


def _stored(window):
    """Paragraph ids and their stored 2-D coordinates, straight from the map file."""
    ids, xy = window.session.store.coords()
    return np.asarray(ids), np.asarray(xy, dtype=np.float64)


def _screen(window, stored_xy) -> np.ndarray:
    return window.canvas.camera.world_to_screen(inset(np.asarray(stored_xy, dtype=np.float64)))


def _ids_of(window, topic):
    texts = set(TOPICS[topic])
    return sorted(pid for pid, text in window.session.store.db.execute("SELECT id, text FROM paragraphs") if text in texts)


def _drag(canvas, points, modifiers):
    """Press at the first point, move through the rest, release at the last (QTest events)."""
    pts = [QPoint(round(x), round(y)) for x, y in points]
    QTest.mousePress(canvas, Qt.LeftButton, modifiers, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.LeftButton, modifiers, pts[-1])


def _lasso_around(window, topic, radius=0.12, n=40):
    """Screen points of a wobbly (non-convex) loop around a topic's island."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = radius * (1 + 0.15 * np.sin(5 * t))
    cx, cy = ANCHORS[topic]
    return _screen(window, np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1))


def _inside_screen_polygon(window, screen_pts) -> list[int]:
    """The reference: stored coordinates mapped to the screen, tested by Qt's own polygon."""
    ids, xy = _stored(window)
    poly = QPolygonF([QPointF(round(x), round(y)) for x, y in screen_pts])
    on_screen = _screen(window, xy)
    return sorted(int(i) for i, (x, y) in zip(ids, on_screen) if poly.containsPoint(QPointF(x, y), Qt.OddEvenFill))


def test_shift_drag_lasso_lists_the_paragraphs_inside(window, qtbot):
    loop = _lasso_around(window, "bread")
    camera = (window.canvas.camera.cx, window.canvas.camera.cy, window.canvas.camera.zoom)
    with qtbot.waitSignal(window.canvas.areaSelected, timeout=2000) as got:
        _drag(window.canvas, list(loop) + [loop[0]], Qt.ShiftModifier)
    expected = _inside_screen_polygon(window, loop)
    assert expected == _ids_of(window, "bread")  # the island, and nothing else
    assert sorted(got.args[0]) == expected
    panel = window.selection.panel
    assert sorted(panel.ids) == expected and sorted(panel.listed_ids()) == expected
    assert window.left_tabs.currentWidget() is panel
    assert "4 paragraphs selected" in panel.title_label.text()
    assert "1 document" in panel.count_label.text()
    assert len(window.canvas.area_polygon()) >= 20  # the freehand outline is kept to draw
    assert (window.canvas.camera.cx, window.canvas.camera.cy, window.canvas.camera.zoom) == camera  # no pan


def test_shift_ctrl_drag_draws_a_rectangle_and_esc_clears(window, qtbot):
    (x0, y0), (x1, y1) = _screen(window, [[0.58, 0.13], [0.82, 0.37]])  # around the stars
    _drag(window.canvas, [(x0, y0), ((x0 + x1) / 2, y0 + 5), (x1, y1)], Qt.ShiftModifier | Qt.ControlModifier)
    ids, xy = _stored(window)
    s = _screen(window, xy)
    inside = (s[:, 0] >= min(x0, x1)) & (s[:, 0] <= max(x0, x1)) & (s[:, 1] >= min(y0, y1)) & (s[:, 1] <= max(y0, y1))
    assert sorted(window.selection.ids()) == sorted(ids[inside].tolist()) == _ids_of(window, "stars")
    assert len(window.canvas.area_polygon()) == 4
    QTest.keyClick(window.canvas, Qt.Key_Escape)
    assert window.canvas.area_ids() == [] and window.selection.ids() == []
    assert window.selection.panel.title_label.text() == "No selection"
    assert not window.selection.panel.export_button.isEnabled()


def test_select_area_mode_turns_a_plain_drag_into_a_rectangle(window, qtbot):
    action = window.selection.mode_action
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+R"
    action.trigger()
    assert window.canvas.area_mode()
    camera = (window.canvas.camera.cx, window.canvas.camera.cy)
    (x0, y0), (x1, y1) = _screen(window, [[0.08, 0.18], [0.32, 0.42]])  # around the rivers
    _drag(window.canvas, [(x0, y0), (x1, y0), (x1, y1)], Qt.NoModifier)
    assert (window.canvas.camera.cx, window.canvas.camera.cy) == camera  # it did not pan
    assert sorted(window.selection.ids()) == _ids_of(window, "rivers")
    QTest.keyClick(window.canvas, Qt.Key_Escape)  # clears the selection first
    assert window.canvas.area_mode()
    QTest.keyClick(window.canvas, Qt.Key_Escape)  # then leaves the mode
    assert not window.canvas.area_mode() and not action.isChecked()


def test_clicking_a_listed_paragraph_reads_it(window, qtbot):
    window.canvas.select_area(inset(np.array([[0.3, 0.6], [0.7, 0.6], [0.7, 1.0], [0.3, 1.0]])))
    cards = window.selection.panel.cards
    item = cards.item(2)
    pid = window.selection.panel.listed_ids()[2]
    QTest.mouseClick(cards.viewport(), Qt.LeftButton, pos=cards.visualItemRect(item).center())
    assert window.nav.current_pid == pid
    assert window.canvas.selected() == pid
    assert window.details.currentWidget() is window.paragraph_panel
    cards.setFocus()
    QTest.keyClick(cards, Qt.Key_Escape)  # Esc in the panel clears too
    assert window.selection.ids() == [] and window.canvas.area_ids() == []


def test_export_writes_jsonl_csv_and_markdown(window, tmp_path):
    bread = _ids_of(window, "bread")
    window.canvas.select_area(_world_box(0.3, 0.6, 0.7, 1.0))
    out = window.selection.export_selection(tmp_path / "sel.jsonl")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == bread
    assert {r["document"].rsplit("/", 1)[-1] for r in rows} == {"bread.pdf"}
    assert [r["page"] for r in rows] == [1, 2, 3, 4]  # reading order
    assert {r["text"] for r in rows} == set(TOPICS["bread"])
    with (window.selection.export_selection(tmp_path / "sel.csv")).open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert sorted(int(r["id"]) for r in table) == bread and table[0]["text"] == TOPICS["bread"][0]
    md = window.selection.export_selection(tmp_path / "sel.md").read_text(encoding="utf-8")
    assert md.startswith("# Selection of 4 paragraphs") and "## All about bread (bread.pdf)" in md
    assert all(f"> {t}" in md for t in TOPICS["bread"]) and "— bread.pdf, p. 2" in md
    assert window.selection.export_selection(tmp_path / "sel.txt") is None  # no format: an error shown
    assert window.ask.errors and "jsonl" in window.ask.errors[-1][1]


def test_export_through_the_button_asks_for_a_file(window, tmp_path, monkeypatch):
    window.canvas.select_area(_world_box(0.3, 0.6, 0.7, 1.0))
    monkeypatch.setattr(window.selection, "_ask_export_path", lambda default: tmp_path / "asked.md")
    window.selection.panel.export_button.click()
    assert (tmp_path / "asked.md").read_text(encoding="utf-8").count("> ") == 4


def test_tag_marks_every_selected_paragraph(window, monkeypatch):
    window.canvas.select_area(_world_box(0.3, 0.6, 0.7, 1.0))
    monkeypatch.setattr(window.selection, "_ask_tag", lambda n: "baking")
    window.selection.panel.tag_button.click()
    found = list_annotations(window.session.store, tag="baking")
    assert len(found) == 1 and found[0].scope == "selection"
    assert found[0].paragraph_ids == _ids_of(window, "bread")


def test_digest_button_emits_ids_and_title_only_with_a_listener(window, qtbot):
    panel = window.selection.panel
    window.canvas.select_area(_world_box(0.3, 0.6, 0.7, 1.0))
    if not hasattr(window, "show_digest"):
        assert not panel.digest_button.isEnabled()  # nothing would show the digest
    got = []
    panel.digestRequested.connect(lambda ids, title: got.append((ids, title)))
    qtbot.waitUntil(panel.digest_button.isEnabled, timeout=1000)
    panel.digest_button.click()
    assert got[-1] == (_ids_of(window, "bread"), "Selection of 4 paragraphs")


def test_digest_of_a_selection_shows_in_the_digest_panel(window, qtbot):
    """Across flows: the Selection panel's Digest button fills the window's Digest panel."""
    window.canvas.select_area(_world_box(0.3, 0.6, 0.7, 1.0))
    panel = window.selection.panel
    qtbot.waitUntil(panel.digest_button.isEnabled, timeout=1000)
    panel.digest_button.click()
    digest = window.digest_panel
    qtbot.waitUntil(lambda: bool(digest.picks), timeout=20000)
    assert {p.id for p in digest.picks} <= set(_ids_of(window, "bread"))
    assert digest.title_label.text() == "Selection of 4 paragraphs"


def test_a_new_map_clears_the_selection(window, tmp_path):
    window.canvas.select_area(_world_box(0.3, 0.6, 0.7, 1.0))
    assert window.selection.ids()
    assert window.open_map(make_small_map(tmp_path / "other.ideamap"))
    assert window.selection.ids() == [] and window.canvas.area_ids() == []


def _world_box(x0, y0, x1, y1):
    return inset(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64))


# -- the geometry, without a window ------------------------------------------------------------
def test_points_in_polygon_matches_qt_on_a_concave_shape():
    rng = np.random.default_rng(1)
    pts = rng.uniform(0, 1, size=(3000, 2))
    star = [(0.5 + (0.45 if k % 2 == 0 else 0.18) * np.cos(k * np.pi / 5),
             0.5 + (0.45 if k % 2 == 0 else 0.18) * np.sin(k * np.pi / 5)) for k in range(10)]
    mask = points_in_polygon(pts, star)
    qpoly = QPolygonF([QPointF(x, y) for x, y in star])
    expected = np.array([qpoly.containsPoint(QPointF(x, y), Qt.OddEvenFill) for x, y in pts])
    assert 200 < mask.sum() < 2000
    assert (mask == expected).mean() > 0.999  # only points on an edge may differ
    assert not points_in_polygon(pts, star[:2]).any()


def test_points_in_polygon_in_small_chunks_gives_the_same_answer(monkeypatch):
    import ideamap.app.canvas.area as area

    rng = np.random.default_rng(2)
    pts = rng.uniform(0, 1, size=(5000, 2))
    zigzag = [(i / 40, 0.02 if i % 2 else 0.98) for i in range(41)] + [(1.0, 1.0), (0.0, 1.0)]
    whole = points_in_polygon(pts, zigzag)
    monkeypatch.setattr(area, "PAIRS_PER_CHUNK", 1000)  # each edge's band holds ~4,800 points
    assert np.array_equal(points_in_polygon(pts, zigzag), whole) and 0.2 < whole.mean() < 0.8


def test_rows_in_polygon_on_a_big_map_equals_the_full_test():
    scene = MapScene.synthetic(120_000, seed=3)
    t = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    loop = np.stack([0.45 + 0.2 * np.cos(t) * (1 + 0.3 * np.sin(3 * t)), 0.5 + 0.15 * np.sin(t)], axis=1)
    rows = rows_in_polygon(scene, loop)
    full = np.flatnonzero(points_in_polygon(scene.xy, loop))
    assert len(rows) > 1000 and np.array_equal(rows, full)


def test_write_selection_is_a_plain_function(tmp_path):
    from ideamap.store.mapfile import MapStore

    path = make_small_map(tmp_path / "plain.ideamap")
    with MapStore.open(path, readonly=True) as store:
        ids, _ = store.coords()
        records = selection_records(store, ids[:5])
    out = write_selection(tmp_path / "out.JSONL", records)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [r["id"] for r in records]
    assert write_selection(tmp_path / "x", records, "csv").read_text().startswith("id,document,title,page")


def test_geometry_and_export_import_no_qt():
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "import ideamap.app.canvas.area as a, ideamap.reading.selection_export\n"
            "assert a.points_in_polygon(np.array([[0.3, 0.6]]), [[0, 0], [1, 0], [1, 1]]).tolist() == [False]\n"
            "assert a.points_in_polygon(np.array([[0.6, 0.3]]), [[0, 0], [1, 0], [1, 1]]).tolist() == [True]\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'torch', 'umap')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)
