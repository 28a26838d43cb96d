"""The paragraphs of a lasso or rectangle selection: how many, the first ones as cards (click
one to read it, as a click on the map would), and what to do with them: export, tag, digest."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ideamap.app.panels.cards import card, card_list
from ideamap.app.panels.common import ID_ROLE, heading, muted
from ideamap.app.text import count_words

MAX_ROWS = 200  # cards listed; the count, export, tag and digest cover the whole selection

HINT = ("Shift+drag on the map to draw a lasso around paragraphs; Shift+Ctrl+drag, or “Select Area” "
        "(Ctrl+Shift+R) and a drag, for a rectangle. Esc clears the selection.")


class SelectionPanel(QWidget):
    """Signals: ``paragraphActivated(id)``, ``exportRequested()``, ``tagRequested()``,
    ``clearRequested()`` and ``digestRequested(ids, title)``. The Digest button is enabled only
    while something listens to ``digestRequested``."""

    paragraphActivated = Signal(int)
    exportRequested = Signal()
    tagRequested = Signal()
    clearRequested = Signal()
    digestRequested = Signal(list, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ids: list[int] = []
        self.title = ""
        self.title_label = heading("No selection", size_delta=3)
        self.count_label = muted(HINT)
        self.cards = card_list()
        self.cards.itemClicked.connect(lambda item: self.paragraphActivated.emit(int(item.data(ID_ROLE))))
        self.cards.itemActivated.connect(lambda item: self.paragraphActivated.emit(int(item.data(ID_ROLE))))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the selected paragraphs as JSON Lines, CSV or Markdown.")
        self.export_button.clicked.connect(self.exportRequested)
        self.tag_button = QPushButton("Tag…")
        self.tag_button.setToolTip("Add a tag to every selected paragraph (kept through rebuilds).")
        self.tag_button.clicked.connect(self.tagRequested)
        self.digest_button = QPushButton("Digest")
        self.digest_button.setToolTip("A brief of the distinct ideas in the selection.")
        self.digest_button.clicked.connect(lambda: self.digestRequested.emit(list(self.ids), self.title))
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the selection (Esc on the map).")
        self.clear_button.clicked.connect(self.clearRequested)
        row = QHBoxLayout()
        for button in (self.export_button, self.tag_button, self.digest_button, self.clear_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.count_label)
        layout.addLayout(row)
        layout.addWidget(self.cards, 1)
        escape = QShortcut(QKeySequence(Qt.Key_Escape), self, context=Qt.WidgetWithChildrenShortcut)
        escape.activated.connect(self.clearRequested)  # Esc clears here as on the map
        self.show_selection([], [], 0)

    def show_selection(self, ids: list[int], rows: list[tuple[int, str, str]], n_documents: int | None,
                       title: str = "") -> None:
        """``ids``: the whole selection; ``rows``: (id, source label, text) of the first ones."""
        self.ids = [int(i) for i in ids]
        self.title = title or f"Selection of {count_words(len(self.ids), 'paragraph')}"
        self.cards.clear()
        for pid, source, text in rows[:MAX_ROWS]:
            self.cards.addItem(card(source, text, pid))
        if not self.ids:
            self.title_label.setText("No selection")
            self.count_label.setText(HINT)
        else:
            self.title_label.setText(count_words(len(self.ids), "paragraph") + " selected")
            where = f" in {count_words(n_documents, 'document')}" if n_documents else ""
            shown = f"; the first {len(rows[:MAX_ROWS])} are listed" if len(self.ids) > len(rows[:MAX_ROWS]) else ""
            self.count_label.setText(f"{count_words(len(self.ids), 'paragraph')}{where}{shown}. Esc on the map clears.")
        self._update_buttons()

    def listed_ids(self) -> list[int]:
        return [int(self.cards.item(i).data(ID_ROLE)) for i in range(self.cards.count())]

    def _update_buttons(self) -> None:
        some = bool(self.ids)
        for button in (self.export_button, self.tag_button, self.clear_button):
            button.setEnabled(some)
        listening = self.isSignalConnected(self.metaObject().method(self._digest_index()))
        self.digest_button.setEnabled(some and listening)
        self.digest_button.setToolTip("A brief of the distinct ideas in the selection." if listening
                                      else "Digests are not available in this version.")

    def _digest_index(self) -> int:
        return self.metaObject().indexOfSignal("digestRequested(QVariantList,QString)")

    # Qt calls these while it holds the connection lock (asking isSignalConnected there hangs
    # in disconnect), so the buttons are updated once the event loop runs again.
    def connectNotify(self, signal) -> None:
        super().connectNotify(signal)
        if signal.name() == b"digestRequested":
            QTimer.singleShot(0, self._update_buttons)

    def disconnectNotify(self, signal) -> None:
        super().disconnectNotify(signal)
        if signal.name() == b"digestRequested":
            QTimer.singleShot(0, self._update_buttons)

