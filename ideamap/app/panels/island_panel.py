"""Details of an island whose label was clicked: what it is about and typical paragraphs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ideamap.app.panels.cards import card, card_list
from ideamap.app.panels.common import ID_ROLE, heading, muted, section
from ideamap.app.text import count_words
from ideamap.model import Island, Paragraph
from ideamap.summary import level_name


class IslandPanel(QWidget):
    paragraphActivated = Signal(int)
    zoomRequested = Signal(float, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.island: Island | None = None
        self.kind_label = muted()
        self.title_label = heading(size_delta=4)
        self.terms_label = muted()
        self.exemplars = card_list()
        self.exemplars.itemClicked.connect(lambda item: self.paragraphActivated.emit(int(item.data(ID_ROLE))))
        zoom = QPushButton("Zoom to island")
        zoom.clicked.connect(lambda: self.island and self.zoomRequested.emit(self.island.x, self.island.y))
        row = QHBoxLayout()
        row.addWidget(zoom)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.kind_label)
        layout.addWidget(self.title_label)
        layout.addWidget(section("Key terms"))
        layout.addWidget(self.terms_label)
        layout.addLayout(row)
        layout.addWidget(section("Typical paragraphs"))
        layout.addWidget(self.exemplars, 1)

    def show_island(self, island: Island, parents: list[str], exemplars: list[tuple[Paragraph, str]]) -> None:
        """``exemplars``: (paragraph, source label) pairs; ``parents``: labels of the islands above."""
        self.island = island
        where = " › ".join(parents)
        kind = f"{level_name(island.level).capitalize()} · {count_words(island.size, 'paragraph')}"
        self.kind_label.setText(f"{where} › {kind}" if where else kind)
        self.title_label.setText(island.label)
        self.terms_label.setText(", ".join(island.terms[:12]) or "—")
        self.exemplars.clear()
        for paragraph, source in exemplars:
            self.exemplars.addItem(card(source, paragraph.text, paragraph.id))
