"""The reader: a document in reading order beside the map; moving through it moves the map's
selection and the neighbours. Stand-in canvas (tests/test_app_fakes.py), small map, no model."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ideamap.app import launch as launch_module
from ideamap.app.reader.model import ID_ROLE, PAGE_ROLE
from tests.test_app_fakes import TOPICS, make_small_map, private_home, window  # noqa: F401 (fixtures)


@pytest.fixture
def small_map(tmp_path):
    return make_small_map(tmp_path / "small.ideamap")


@pytest.fixture
def opened(window, small_map, qtbot):
    assert window.open_map(small_map)
    qtbot.waitUntil(lambda: window.session.index is not None, timeout=10000)
    return window


def _doc_id(w, name):
    return next(d.id for d in w.session.documents() if d.path.endswith(f"{name}.pdf"))


def _tree_item(w, doc_id):
    tree = w.documents_panel.tree
    return next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).data(0, Qt.UserRole) == doc_id or tree.topLevelItem(i).toolTip(0).endswith(
                    next(d.path for d in w.session.documents() if d.id == doc_id)))


def _rows(pane):
    model = pane.model
    return [(model.index(r).data(ID_ROLE), model.index(r).data(PAGE_ROLE), model.index(r).data())
            for r in range(model.rowCount())]


def test_double_click_in_documents_opens_the_reader_in_order_with_pages(opened, qtbot):
    w = opened
    doc_id = _doc_id(w, "rivers")
    tree = w.documents_panel.tree
    item = _tree_item(w, doc_id)
    rect = tree.visualItemRect(item)
    # A real double-click is a press, release and a double-click event: QTest sends only the last.
    QTest.mouseClick(tree.viewport(), Qt.LeftButton, pos=rect.center())
    QTest.mouseDClick(tree.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.reader.dock.isVisible(), timeout=2000)
    rows = _rows(w.reader.pane)
    assert [text.split("\n")[-1] for _, _, text in rows] == TOPICS["rivers"] + ["Rivers heading"]
    assert [page for _, page, _ in rows][:4] == [1, 2, 3, 4]
    assert rows[0][2].startswith("— p. 1 —")
    assert "4 on the map" in w.reader.pane.info.text() and "All about rivers" in w.reader.pane.title.text()
    assert set(w.canvas.highlight) == {pid for pid, _, _ in rows[:4]}  # the footprint


def test_arrow_down_moves_the_current_paragraph_and_the_map_follows(opened, qtbot):
    w = opened
    assert w.reader.open_document(_doc_id(w, "stars"))
    view = w.reader.pane.view
    ids = [pid for pid, _, _ in _rows(w.reader.pane)]
    assert w.reader.pane.current_id() == ids[0]  # the reading point starts at the top...
    assert w.canvas.selected is None  # ...quietly: the map shows the whole footprint
    view.setFocus()
    QTest.keyClick(view, Qt.Key_Down)
    assert w.reader.pane.current_id() == ids[1]
    QTest.keyClick(view, Qt.Key_Up)
    assert w.canvas.selected == ids[0] and w.nav.current_pid == ids[0]
    QTest.keyClick(view, Qt.Key_Down)
    assert w.reader.pane.current_id() == ids[1]
    assert w.canvas.selected == ids[1]
    assert w.paragraph_panel.text.toPlainText() == TOPICS["stars"][1]
    assert w.canvas.camera[:2] == pytest.approx(w.session.position(ids[1]))  # panned to it
    # Neighbours follow, from other documents only (the reader's default).
    qtbot.waitUntil(lambda: not w.reading.busy(), timeout=10000)
    neighbours = w.paragraph_panel.neighbor_ids()
    assert neighbours and not set(neighbours) & set(ids)
    assert set(w.canvas.highlight) == set(ids[:4])  # the footprint stays while reading


def test_a_heading_under_the_reading_point_shows_its_nearest_paragraph(opened, qtbot):
    """Headings have no point on the map: the map and Details show the closest mapped
    paragraph, while the reader stays on the heading and can step back over it."""
    w = opened
    assert w.reader.open_document(_doc_id(w, "rivers"))
    view = w.reader.pane.view
    ids = [pid for pid, _, _ in _rows(w.reader.pane)]
    heading, last_mapped = ids[-1], ids[-2]  # "Rivers heading" ends the document
    view.setFocus()
    for _ in ids[1:]:
        QTest.keyClick(view, Qt.Key_Down)
    assert w.reader.pane.current_id() == heading
    assert w.canvas.selected == last_mapped and w.nav.current_pid == last_mapped
    assert w.paragraph_panel.text.toPlainText() == TOPICS["rivers"][-1]
    QTest.keyClick(view, Qt.Key_Up)
    assert w.reader.pane.current_id() == last_mapped


def test_other_documents_toggle_lets_the_own_document_back(opened, qtbot):
    w = opened
    w.reader.open_document(_doc_id(w, "bread"))
    ids = [pid for pid, _, _ in _rows(w.reader.pane)]
    w.reader.pane.go_to(ids[0], announce=True)
    qtbot.waitUntil(lambda: not w.reading.busy(), timeout=10000)  # found in the background
    assert not set(w.paragraph_panel.neighbor_ids()) & set(ids)
    w.reader.pane.other_documents.setChecked(False)
    qtbot.waitUntil(lambda: not w.reading.busy(), timeout=10000)
    assert set(w.paragraph_panel.neighbor_ids()[:3]) <= set(ids)


def test_map_click_moves_the_reader_and_enter_opens_the_document(opened, qtbot):
    w = opened
    w.reader.open_document(_doc_id(w, "rivers"))
    ids = [pid for pid, _, _ in _rows(w.reader.pane)]
    w.canvas.paragraphClicked.emit(ids[2])
    assert w.reader.pane.current_id() == ids[2]
    # Enter on a paragraph of another document (selected on the map) reads that one, at it.
    star = w.session.store.document_paragraph_ids(_doc_id(w, "stars"))[1]
    w.canvas.paragraphClicked.emit(star)
    w.reader.dock.hide()
    w.activateWindow()
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, Qt.Key_Return)
    qtbot.waitUntil(lambda: w.reader.dock.isVisible(), timeout=2000)
    assert w.reader.pane.document.document.id == _doc_id(w, "stars")
    assert w.reader.pane.current_id() == star


def test_show_document_button_opens_the_reader_at_the_paragraph(opened):
    w = opened
    pid = w.session.store.document_paragraph_ids(_doc_id(w, "bread"))[3]
    w.nav.show_paragraph(pid)
    w.paragraph_panel.doc_button.click()
    assert w.reader.dock.isVisible() and w.reader.pane.current_id() == pid


def test_unknown_document_says_so(opened):
    assert not opened.reader.open_path("nowhere.pdf")
    assert opened.ask.errors and "nowhere.pdf" in opened.ask.errors[-1][1]


def test_launch_with_a_document_opens_the_reader(window, small_map, qtbot, monkeypatch):
    class App:  # stands in for the QApplication: its event loop runs until the reader is open
        def exec(self):
            qtbot.waitUntil(lambda: window.reader.dock.isVisible(), timeout=5000)
            return 0

    monkeypatch.setattr(launch_module, "_window_possible", lambda: True)
    monkeypatch.setattr(launch_module, "make_app", lambda: App())
    monkeypatch.setattr(launch_module, "_window", lambda: window)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # install_error_hook replaces it
    assert launch_module.launch(small_map, document="bread.pdf") == 0
    assert window.reader.pane.document.document.id == _doc_id(window, "bread")
    assert window.session.path == small_map.resolve() or window.session.path.name == small_map.name


def test_scrolling_moves_the_reading_point(opened, qtbot):
    w = opened
    w.reader.open_document(_doc_id(w, "rivers"))
    pane = w.reader.pane
    pane.view.setFixedHeight(60)  # so a few short paragraphs overflow and the view can scroll
    qtbot.waitUntil(lambda: pane.view.verticalScrollBar().maximum() > 0, timeout=2000)
    bar = pane.view.verticalScrollBar()
    wheel_down(pane.view.viewport())
    qtbot.waitUntil(lambda: pane.current_id() != pane.model.item(0).id, timeout=2000)
    assert pane.current_id() == pane.model.item(pane.reading_point_row()).id
    assert w.nav.current_pid == pane.current_id()


def wheel_down(widget):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(0, 0), QPoint(0, -360), Qt.NoButton,
                        Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_cli_open_with_a_document_reaches_the_app(small_map, monkeypatch):
    from click.testing import CliRunner

    from ideamap.cli import main

    calls = []

    def fake_launch(map_path=None, document=None):
        calls.append((map_path, document))
        return 0

    monkeypatch.setattr(launch_module, "launch", fake_launch)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    result = CliRunner().invoke(main, ["open", str(small_map), "--document", "stars.pdf"])
    assert result.exit_code == 0, result.output
    assert calls == [(small_map, "stars.pdf")]
    missing = CliRunner().invoke(main, ["open", str(small_map), "--document", "nowhere.pdf"])
    assert missing.exit_code != 0 and "nowhere.pdf" in missing.output and len(calls) == 1


def _write_pdf(path, pages):
    """A real PDF of ``pages`` pages, written with Qt (no PDF library needed)."""
    from PySide6.QtGui import QPainter, QPdfWriter

    writer = QPdfWriter(str(path))
    painter = QPainter(writer)
    for n in range(pages):
        if n:
            writer.newPage()
        painter.drawText(200, 200, f"Page {n + 1}")
    painter.end()


def test_a_pdf_shows_its_real_page_at_the_reading_point(opened, small_map, qtbot):
    from ideamap.app.reader.page_view import qtpdf_available

    if not qtpdf_available():
        pytest.skip("QtPdf (PySide6-Addons, the 'pdf-view' extra) is not installed")
    w = opened
    _write_pdf(small_map.parent / "rivers.pdf", 4)  # the path the small map's document has
    w.reader.open_document(_doc_id(w, "rivers"))
    page_view = w.reader.pane.page_view
    assert page_view.isVisibleTo(w.reader.pane) and page_view.pdf.pageCount() == 4
    assert page_view.current_page() == 1
    view = w.reader.pane.view
    view.setFocus()
    QTest.keyClick(view, Qt.Key_Down)
    QTest.keyClick(view, Qt.Key_Down)
    qtbot.waitUntil(lambda: page_view.current_page() == 3, timeout=2000)  # the third paragraph's page
    # A PDF that is not on disk any more: the text only, and a line saying so.
    w.reader.open_document(_doc_id(w, "stars"))
    assert page_view.stack.currentWidget() is page_view.note and "not at" in page_view.note.text()
