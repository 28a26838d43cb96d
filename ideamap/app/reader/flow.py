"""Wires the reader pane into the main window: opening a document (documents list, "Show
document", Enter on the current paragraph, launch(document=...)), and keeping the reader, the
map and the neighbours panel on the same paragraph.

The reader reuses the window's one path for "this paragraph is now current"
(Navigator.show_paragraph), so the map's mark, the pan and the neighbours behave exactly as for a
click on the map. Moves inside the reader are not recorded in Back/Forward: arrowing through a
document would otherwise bury the places one came from."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget

from ideamap.app.reader.pane import ReaderPane
from ideamap.errors import IdeamapError


READER_WIDTH = 440


class ReaderFlow(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.pane = ReaderPane()
        self.dock = self._dock()
        self.pane.paragraphCurrent.connect(self._reader_moved)
        self.pane.otherDocumentsToggled.connect(self._other_documents_toggled)
        window.nav.paragraphShown.connect(self._paragraph_shown)
        self.dock.visibilityChanged.connect(lambda _visible: self._apply_neighbour_filter())

    def _dock(self) -> QDockWidget:
        w = self.w
        dock = QDockWidget("Reader", w)
        dock.setObjectName("reader_dock")  # for saveState/restoreState
        dock.setWidget(self.pane)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable)
        w.addDockWidget(Qt.LeftDockWidgetArea, dock)
        # A tab beside the documents list: reader | map | neighbours, the footprint in view.
        w.tabifyDockWidget(w.left_dock, dock)
        w.actions.panels_menu.addAction(dock.toggleViewAction())
        dock.hide()
        return dock

    def install_shortcuts(self) -> None:
        """Enter on the map or in the details panel reads the current paragraph's document."""
        for widget in (self.w.canvas, self.w.paragraph_panel):
            if widget is None or widget.property("reader_shortcut"):
                continue
            for key in (Qt.Key_Return, Qt.Key_Enter):
                shortcut = QShortcut(QKeySequence(key), widget, context=Qt.WidgetWithChildrenShortcut)
                shortcut.activated.connect(self.read_current)
            widget.setProperty("reader_shortcut", True)

    # -- opening --------------------------------------------------------------------------------
    def open_document(self, doc_id: int, at_paragraph: int | None = None) -> bool:
        from ideamap.reading import read_document

        session = self.w.session
        if session is None:
            return False
        try:
            doc = read_document(session.store, doc_id)
        except IdeamapError as exc:
            self.w.statusBar().showMessage(str(exc), 8000)
            return False
        self.pane.show_document(doc)
        self.w.show_document_footprint(doc_id)  # highlights it on the map: stays while reading
        first_time = not self.dock.isVisible()
        self.dock.show()
        self.dock.raise_()
        if first_time:  # room to read: wider than the documents list it shares a place with
            self.w.resizeDocks([self.dock], [READER_WIDTH], Qt.Horizontal)
        # The reading point starts at the given paragraph, or quietly at the top: the map keeps
        # showing the whole footprint until the reader moves.
        start = at_paragraph if at_paragraph is not None else (doc.items[0].id if doc.items else None)
        if start is not None:
            self.pane.go_to(start)
        self._apply_neighbour_filter()
        self.pane.view.setFocus(Qt.OtherFocusReason)
        return True

    def open_path(self, path: str | Path) -> bool:
        """The map's document for a path or file name (as ``ideamap open --document`` gives it)."""
        from ideamap.reading import find_document

        if self.w.session is None:
            return False
        try:
            doc = find_document(self.w.session.store, path)
        except IdeamapError as exc:
            self.w.ask.error("Cannot open the document", str(exc))
            return False
        return self.open_document(doc.id)

    def read_current(self) -> None:
        """The current paragraph's document, in the reader, at that paragraph."""
        panel = self.w.paragraph_panel
        if panel.document is not None and panel.paragraph is not None:
            self.open_document(panel.document.id, at_paragraph=panel.paragraph.id)

    def show_document(self, doc_id: int) -> None:
        """"Show document" in the details panel: at the shown paragraph when it is of that document."""
        panel = self.w.paragraph_panel
        here = panel.paragraph.id if panel.paragraph is not None and panel.paragraph.document_id == doc_id else None
        self.open_document(doc_id, at_paragraph=here)

    def reset(self) -> None:
        self.pane.model.set_document(None)
        self.dock.hide()

    # -- keeping reader, map and neighbours together --------------------------------------------
    def _reader_moved(self, pid: int) -> None:
        # A heading or reference has no point and no neighbours: show the paragraph it leads
        # to, so that reading through a section never leaves the map and Details blank.
        target = _mapped_near(self.pane.document, pid)
        self._from_reader = True
        try:
            self.w.nav.show_paragraph(target, fly=self._off_screen(target), record=False)
        finally:
            self._from_reader = False
        self.w.canvas.set_highlight(self.pane.document.paragraph_ids_on_map)  # footprint stays

    def _paragraph_shown(self, pid: int) -> None:
        """Something else (the map, a neighbour, Back) showed a paragraph: the reader follows
        when it is in the open document. A move the reader made itself stays where it is (on
        a heading, say), or the arrow keys could never step back over a heading."""
        if getattr(self, "_from_reader", False):
            return
        if self.dock.isVisible() and self.pane.current_id() != pid:
            self.pane.go_to(pid)

    def _off_screen(self, pid: int) -> bool:
        """Pan only when the paragraph's point is out of view: reading a paragraph of the same
        island should not shake the map at each step."""
        position = self.w.session.position(pid)
        if position is None:
            return False
        rect = getattr(getattr(self.w.canvas, "camera", None), "visible_world_rect", None)
        animating = getattr(self.w.canvas, "is_animating", lambda: False)()
        if rect is None or animating:  # mid-flight the view is not where it is going: fly anew
            return True
        x0, y0, x1, y1 = rect()
        mx, my = 0.15 * (x1 - x0), 0.15 * (y1 - y0)  # a point at the very edge is as good as hidden
        x, y = position
        return not (x0 + mx <= x <= x1 - mx and y0 + my <= y <= y1 - my)

    def _other_documents_toggled(self, _on: bool) -> None:
        self._apply_neighbour_filter()
        self.w.nav.refresh_neighbors()

    def _apply_neighbour_filter(self) -> None:
        reading = self.dock.isVisible() and self.pane.document is not None
        self.w.nav.other_documents_only = reading and self.pane.other_documents.isChecked()


def _mapped_near(doc, pid: int) -> int:
    """``pid`` when it is on the map, else the next paragraph on the map in reading order
    (else the one before it); ``pid`` itself when the document has none on the map."""
    if doc is None:
        return pid
    at = doc.position_of(pid)
    if doc.items[at].on_map:
        return pid
    after = [item.id for item in doc.items[at + 1:] if item.on_map]
    before = [item.id for item in doc.items[:at] if item.on_map]
    return after[0] if after else (before[-1] if before else pid)
