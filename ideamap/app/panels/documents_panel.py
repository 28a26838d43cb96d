"""The documents of the map, with how reading each one went. Choosing one highlights its
paragraphs on the map (its footprint)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QStyle, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ideamap.app.panels.common import ID_ROLE, muted
from ideamap.app.text import count_words, file_name, status_words
from ideamap.model import READABLE_STATUSES, Document, FileStatus


class DocumentsPanel(QWidget):
    documentChosen = Signal(int)
    documentOpened = Signal(int)  # double-click or Enter: read it
    highlightCleared = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._icons: dict = {}  # status -> its icon
        self.summary = muted()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter documents")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Document", "¶", "Status"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.Stretch)  # titles get the room; counts fit
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.tree.itemSelectionChanged.connect(self._selected)
        self.tree.itemActivated.connect(self._opened)  # double-click, or Enter on a row
        clear = QPushButton("Clear highlight")
        clear.clicked.connect(self._clear)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)

    def set_documents(self, documents: list[Document]) -> None:
        # All items in one call, each status icon looked up once: a library's 10,000
        # documents otherwise cost the first frame of its map about half a second.
        self.tree.clear()
        self._icons = {}
        failed = sum(doc.status not in READABLE_STATUSES for doc in documents)
        self.tree.addTopLevelItems([self._item(doc) for doc in documents])
        text = count_words(len(documents), "document")
        self.summary.setText(text + (f" · {failed} not read" if failed else ""))

    def _item(self, doc: Document) -> QTreeWidgetItem:
        # Only problems get words in the status column, so they stand out in a long list.
        status = "" if doc.status == FileStatus.DONE else status_words(doc.status)
        item = QTreeWidgetItem([doc.title or file_name(doc), str(doc.n_paragraphs), status])
        item.setData(0, ID_ROLE, doc.id)
        icon = self._icons.get(doc.status)
        if icon is None:
            icon = self._icons[doc.status] = self.style().standardIcon(_status_icon(doc.status))
        item.setIcon(0, icon)
        item.setTextAlignment(1, Qt.AlignRight | Qt.AlignVCenter)
        reason = f"\n{status_words(doc.status)}: {doc.reason}" if doc.reason else ""
        item.setToolTip(0, f"{doc.path}{reason}")
        item.setToolTip(2, doc.reason or status_words(doc.status))
        if doc.status not in READABLE_STATUSES:
            item.setFlags(item.flags() & ~Qt.ItemIsSelectable)  # nothing of it is on the map
        return item

    def select_document(self, doc_id: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, ID_ROLE) == doc_id:
                self.tree.setCurrentItem(item)
                return

    def _selected(self) -> None:
        items = self.tree.selectedItems()
        if items:
            self.documentChosen.emit(int(items[0].data(0, ID_ROLE)))

    def _opened(self, item: QTreeWidgetItem) -> None:
        if item.flags() & Qt.ItemIsSelectable:  # a file that was not read has nothing to show
            self.documentOpened.emit(int(item.data(0, ID_ROLE)))

    def _clear(self) -> None:
        self.tree.clearSelection()
        self.highlightCleared.emit()

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            hay = f"{item.text(0)} {item.toolTip(0)}".lower()
            item.setHidden(bool(needle) and needle not in hay)


def _status_icon(status: FileStatus) -> QStyle.StandardPixmap:
    if status == FileStatus.DONE:
        return QStyle.SP_DialogApplyButton
    if status == FileStatus.PARTIAL:
        return QStyle.SP_MessageBoxWarning
    return QStyle.SP_MessageBoxCritical
