"""Details of the selected paragraph: text, source, island path, actions and neighbours."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ideamap.app.panels.cards import card, card_list
from ideamap.app.panels.common import ID_ROLE, heading, muted, section
from ideamap.app.text import count_words, island_path_text, page_suffix, source_label
from ideamap.model import Document, Paragraph

FINDING = "Finding neighbours…"
MAX_TEXT_PX = 280


class ParagraphPanel(QWidget):
    neighborActivated = Signal(int)  # paragraph id
    openAtPage = Signal()
    copyCitation = Signal()
    showDocument = Signal(int)  # document id
    boilerplateToggled = Signal(bool)  # "Show repeated text" changed: the neighbours are asked again

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.paragraph: Paragraph | None = None
        self.document: Document | None = None
        self._build()

    def _build(self) -> None:
        self.path_label = muted()
        self.title_label = heading()
        self.source_label = muted()
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setFrameShape(QFrame.NoFrame)
        self.neighbors = card_list()
        self.neighbors.itemActivated.connect(self._activated)
        self.neighbors.itemClicked.connect(self._activated)
        self.neighbor_status = muted()
        self.also_label = muted()  # where else the shown paragraph's own text appears
        self.also_label.setVisible(False)
        # Licence lines, agenda templates, bot messages: ranked after every other neighbour, or
        # left out with this off (the count left out is said in the status line).
        self.show_boilerplate = QCheckBox("Show repeated text (licences, templates)")
        self.show_boilerplate.setToolTip("Text repeated across many documents is listed last; "
                                         "untick to leave it out of the neighbours")
        self.show_boilerplate.setChecked(True)
        self.show_boilerplate.toggled.connect(self.boilerplateToggled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        for widget in (self.path_label, self.title_label, self.source_label, self.text, self.also_label):
            layout.addWidget(widget)
        layout.addLayout(self._buttons())
        layout.addWidget(section("Nearest in meaning"))
        layout.addWidget(self.show_boilerplate)
        layout.addWidget(self.neighbor_status)
        layout.addWidget(self.neighbors, 1)

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.open_button = QPushButton("Open at page")
        self.open_button.setToolTip("Open the document at this paragraph's page")
        self.open_button.clicked.connect(self.openAtPage)
        self.copy_button = QPushButton("Copy with citation")
        self.copy_button.setToolTip("Copy the text followed by its file and page")
        self.copy_button.clicked.connect(self.copyCitation)
        self.doc_button = QPushButton("Show document")
        self.doc_button.setToolTip("Read this document in order (Enter), its paragraphs highlighted on the map")
        self.doc_button.clicked.connect(lambda: self.document and self.showDocument.emit(self.document.id))
        for button in (self.open_button, self.copy_button, self.doc_button):
            row.addWidget(button)
        row.addStretch(1)
        return row

    def show_paragraph(self, paragraph: Paragraph, document: Document, island_labels: list[str]) -> None:
        self.paragraph, self.document = paragraph, document
        self.path_label.setText(island_path_text(island_labels))
        self.title_label.setText(document.title or source_label(document))
        # The file name and date identify a source; the full path is in the tooltip.
        when = f"{document.date} · " if document.date else ""
        self.source_label.setText(f"{when}{Path(document.path).name}{page_suffix(paragraph.page)}")
        self.source_label.setToolTip(document.path)
        self.text.setPlainText(paragraph.text)
        if paragraph.context:
            self.text.setHtml(_with_context(paragraph))
        self.open_button.setText("Open at page" if paragraph.page else "Open document")
        self.neighbors.clear()
        self.also_label.setVisible(False)
        self._set_status(FINDING)
        self._fit_text()
        QTimer.singleShot(0, self._fit_text)  # again once the panel is laid out at its real width

    def show_finding(self) -> None:
        """A new list is on its way (say so unless a list is shown)."""
        if not self.neighbors.count():
            self._set_status(FINDING)

    def show_neighbors(self, rows, copies_of_current=(), hidden_boilerplate: int = 0, document_of=None) -> None:
        """``rows``: reading.NeighborRow (near-copies already collapsed into each row's ``copies``);
        ``copies_of_current``: the shown paragraph's own copies elsewhere; ``document_of``: a
        document id → Document lookup for the source lines."""
        self.neighbors.clear()
        status = "" if rows else "No other paragraph is close in meaning."
        if hidden_boilerplate:
            status = (status + " " if status else "") + (
                f"{count_words(hidden_boilerplate, 'repeated text')} (licence, template…) left out.")
        self._set_status(status)
        for r in rows:
            where = source_label(document_of(r.document_id), r.page) if document_of else Path(r.document).name
            repeated = "Repeated text · " if r.boilerplate else ""
            source = f"{repeated}{r.similarity:.0%} similar · {where}"
            copies = r.copies_line()
            tip = f"{r.text[:600]}\n\n{copies}" if copies else ""  # the footer line is cut to the width
            self.neighbors.addItem(card(source, r.text, r.id, tip, footer=copies))
        self._show_also(copies_of_current)

    def _show_also(self, copies) -> None:
        if not copies:
            self.also_label.setVisible(False)
            return
        where = ", ".join(Path(c.document).name + (f" p.{c.page}" if c.page else "") for c in copies[:4])
        more = ", …" if len(copies) > 4 else ""
        self.also_label.setText(f"The same text is also in: {where}{more}")
        self.also_label.setVisible(True)

    def show_neighbors_unavailable(self, reason: str) -> None:
        self.neighbors.clear()
        self._set_status(reason)

    def _set_status(self, text: str) -> None:
        self.neighbor_status.setText(text)
        self.neighbor_status.setVisible(bool(text))

    def _fit_text(self) -> None:
        """As tall as the paragraph needs, within limits: short paragraphs leave room for the
        neighbours, long ones scroll."""
        doc = self.text.document()
        doc.setTextWidth(max(100, self.text.viewport().width()))
        height = int(doc.size().height()) + 2 * self.text.frameWidth() + 8
        self.text.setFixedHeight(max(48, min(height, MAX_TEXT_PX)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_text()

    def neighbor_ids(self) -> list[int]:
        return [self.neighbors.item(i).data(ID_ROLE) for i in range(self.neighbors.count())]

    def _activated(self, item) -> None:
        self.neighborActivated.emit(int(item.data(ID_ROLE)))


def _with_context(paragraph: Paragraph) -> str:
    from html import escape

    body = escape(paragraph.text).replace("\n", "<br>")
    return f"<p style='color:gray'><i>{escape(paragraph.context)}</i></p><p>{body}</p>"
