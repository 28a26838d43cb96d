"""A list model over a document's paragraphs in reading order (ideamap.reading.DocumentText).

A model + QListView, not one long rich-text widget: the view lays out and paints only the rows
in sight (batched layout), so a 2,000-paragraph book opens as fast as a two-page note."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import QFont

from ideamap.model import ParagraphKind
from ideamap.reading import DocumentText, ReadingItem

ID_ROLE = Qt.UserRole + 1
PAGE_ROLE = Qt.UserRole + 2
ON_MAP_ROLE = Qt.UserRole + 3


class ReadingModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc: DocumentText | None = None

    def set_document(self, doc: DocumentText | None) -> None:
        self.beginResetModel()
        self.doc = doc
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() or self.doc is None else len(self.doc.items)

    def item(self, row: int) -> ReadingItem:
        return self.doc.items[row]

    def row_of(self, paragraph_id: int) -> int | None:
        if self.doc is None:
            return None
        try:
            return self.doc.position_of(paragraph_id)
        except Exception:  # noqa: BLE001 - NotFoundError: not a paragraph of this document
            return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid() or self.doc is None:
            return None
        item = self.doc.items[index.row()]
        if role == Qt.DisplayRole:
            return row_text(item, self._page_changes(index.row()))
        if role == Qt.FontRole and item.kind == ParagraphKind.HEADING:
            font = QFont()
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 1.15)
            return font
        if role == Qt.ToolTipRole:
            where = f"p. {item.page}" if item.page else "no page"
            return f"{where}" + ("" if item.on_map else " · not on the map (headings and references are not)")
        if role == ID_ROLE:
            return item.id
        if role == PAGE_ROLE:
            return item.page
        if role == ON_MAP_ROLE:
            return item.on_map
        return None

    def _page_changes(self, row: int) -> bool:
        """True where this row starts a new page: the page number is shown there only, as in print."""
        items = self.doc.items
        page = items[row].page
        return page is not None and (row == 0 or items[row - 1].page != page)


def row_text(item: ReadingItem, new_page: bool) -> str:
    marker = f"— p. {item.page} —\n" if new_page else ""
    return marker + item.text
