"""The reader pane: a document's headings and paragraphs in reading order, with page numbers.

Moving through it (a click, the arrow keys, Page Up/Down) makes that paragraph the current one;
the pane only says so (``paragraphCurrent``), the window decides what follows (map, neighbours)."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QListView, QSplitter, QVBoxLayout, QWidget,
)

from ideamap.app.panels.common import heading, muted
from ideamap.app.reader.delegate import WrappingDelegate
from ideamap.app.reader.model import ID_ROLE, PAGE_ROLE, ReadingModel
from ideamap.app.reader.page_view import make_page_view
from ideamap.app.text import count_words, file_name, source_label
from ideamap.reading import DocumentText


SCROLL_SETTLE_MS = 180
READING_POINT = 1 / 3  # of the view's height, from the top: where the eye reads


class ReaderPane(QWidget):
    paragraphCurrent = Signal(int)  # paragraph id, when the reader moves to it
    otherDocumentsToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = ReadingModel(self)
        self.title = heading()
        self.title.setWordWrap(True)
        self.info = muted()
        self.other_documents = QCheckBox("Neighbours from other documents only")
        self.other_documents.setToolTip("While reading, list only the nearest paragraphs of other documents")
        self.other_documents.setChecked(True)
        self.other_documents.toggled.connect(self.otherDocumentsToggled)
        self.view = _reading_view(self.model)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self._quiet = False  # set while the window moves the reader, so it does not echo back
        # Scrolling moves the reading point: once the scroll settles, the paragraph at a third of
        # the view's height becomes current (a timer, so a fling does not pan the map 30 times).
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SCROLL_SETTLE_MS)
        self._settle.timeout.connect(self._follow_scroll)
        # Only the user's scrolling (wheel, drag, page clicks): not the view's own re-layouts or
        # resizes, nor the scroll that brings a paragraph chosen on the map into view.
        self.view.verticalScrollBar().actionTriggered.connect(self._scrolled)
        row = QHBoxLayout()
        row.addWidget(self.other_documents)
        row.addStretch(1)
        # A PDF's real page under its text, following the reading point (when QtPdf is installed).
        self.page_view = make_page_view()
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.view)
        if self.page_view is not None:
            self.splitter.addWidget(self.page_view)
            self.splitter.setStretchFactor(0, 1)
            self.splitter.setStretchFactor(1, 1)
            self.page_view.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.info)
        layout.addLayout(row)
        layout.addWidget(self.splitter, 1)

    @property
    def document(self) -> DocumentText | None:
        return self.model.doc

    def show_document(self, doc: DocumentText) -> None:
        self.model.set_document(doc)
        d = doc.document
        self.title.setText(d.title or source_label(d))
        pages = f" · {count_words(doc.pages, 'page')}" if doc.pages else ""
        on_map = len(doc.paragraph_ids_on_map)
        self.info.setText(f"{file_name(d) if d.title else source_label(d)}{pages} · {count_words(len(doc.items), 'paragraph')}, {on_map} on the map")
        self.info.setToolTip(d.path)
        self._show_pages(doc)
        self._quiet = True
        try:
            self.view.scrollToTop()
        finally:
            self._quiet = False

    def current_id(self) -> int | None:
        index = self.view.currentIndex()
        return int(index.data(ID_ROLE)) if index.isValid() else None

    def go_to(self, paragraph_id: int, *, announce: bool = False) -> bool:
        """Make ``paragraph_id`` the reader's current row and scroll it into view; False if it is
        not in the shown document. Without ``announce`` the move is not signalled."""
        row = self.model.row_of(paragraph_id)
        if row is None:
            return False
        index = self.model.index(row)
        self._quiet = not announce
        try:
            self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.ClearAndSelect)
            self._quiet = True  # the scroll below is ours, not the reader's
            self.view.scrollTo(index, QAbstractItemView.EnsureVisible)
        finally:
            self._quiet = False
        self._settle.stop()
        return True

    def reading_point_row(self) -> int | None:
        """The row under the reading point, or None in an empty view."""
        viewport = self.view.viewport()
        index = self.view.indexAt(QPoint(viewport.width() // 2, int(viewport.height() * READING_POINT)))
        return index.row() if index.isValid() else None

    def _scrolled(self, _action: int) -> None:
        if not self._quiet and self.model.doc is not None:
            self._settle.start()

    def _follow_scroll(self) -> None:
        row = self.reading_point_row()
        if row is None or row == self.view.currentIndex().row():
            return
        index = self.model.index(row)
        # Current without scrolling to it: the user put it where it is.
        self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.ClearAndSelect)

    def _show_pages(self, doc: DocumentText) -> None:
        if self.page_view is None:
            return
        is_pdf = doc.document.doc_type == "pdf"
        self.page_view.setVisible(is_pdf)
        if is_pdf:
            self.page_view.show_file(doc.document.path)
        else:
            self.page_view.clear()

    def _current_changed(self, current, _previous) -> None:
        if current.isValid() and self.page_view is not None and self.page_view.isVisibleTo(self):
            self.page_view.go_to_page(current.data(PAGE_ROLE))
        if current.isValid() and not self._quiet:
            self.paragraphCurrent.emit(int(current.data(ID_ROLE)))


def _reading_view(model: ReadingModel) -> QListView:
    view = QListView()
    view.setModel(model)
    view.setWordWrap(True)
    view.setSpacing(4)
    view.setAlternatingRowColors(False)
    view.setSelectionMode(QAbstractItemView.SingleSelection)
    view.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    # Rows are laid out in batches as they come into view: a long document opens at once.
    view.setLayoutMode(QListView.Batched)
    view.setBatchSize(50)
    view.setResizeMode(QListView.Adjust)  # re-wrap the text when the pane is resized
    view.setTextElideMode(Qt.ElideNone)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # rows wrap to the width instead
    view.setItemDelegate(WrappingDelegate(view))
    return view
