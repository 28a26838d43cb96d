"""Details of an island whose label was clicked: what it is about, the smaller islands it holds
(click one to fly there) and typical paragraphs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ideamap.app.panels.cards import card, card_list
from ideamap.app.panels.common import ID_ROLE, heading, muted, section
from ideamap.app.text import count_words
from ideamap.model import Island, Paragraph
from ideamap.summary import level_name

MAX_CHILD_ROWS = 6  # the list scrolls beyond this, leaving room for the typical paragraphs


class IslandPanel(QWidget):
    paragraphActivated = Signal(int)
    zoomRequested = Signal(int, int)  # (level, key): frame this island on the map
    islandActivated = Signal(int, int)  # (level, key) of a smaller island chosen from the list
    digestRequested = Signal(int, int)  # (level, key): the island's distinct ideas, in the Digest panel

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.island: Island | None = None
        self.kind_label = muted()
        self.title_label = heading(size_delta=4)
        self.terms_label = muted()
        self.exemplars = card_list()
        self.exemplars.itemClicked.connect(lambda item: self.paragraphActivated.emit(int(item.data(ID_ROLE))))
        self.children_title = section("Smaller islands")
        self.children = QListWidget()
        self.children.setAlternatingRowColors(True)
        self.children.itemClicked.connect(self._child_chosen)
        self.children.itemActivated.connect(self._child_chosen)
        zoom = QPushButton("Zoom to island")
        zoom.clicked.connect(lambda: self.island and self.zoomRequested.emit(self.island.level, self.island.key))
        self.zoom_button = zoom
        self.digest_button = QPushButton("Digest")
        self.digest_button.setToolTip("The few paragraphs that best stand for this island, no two alike, with citations")
        self.digest_button.clicked.connect(
            lambda: self.island and self.digestRequested.emit(self.island.level, self.island.key))
        row = QHBoxLayout()
        row.addWidget(zoom)
        row.addWidget(self.digest_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        for widget in (self.kind_label, self.title_label, section("Key terms"), self.terms_label):
            layout.addWidget(widget)
        layout.addLayout(row)
        layout.addWidget(self.children_title)
        layout.addWidget(self.children)
        layout.addWidget(section("Typical paragraphs"))
        layout.addWidget(self.exemplars, 1)

    def show_island(self, island: Island, parents: list[str], exemplars: list[tuple[Paragraph, str]],
                    children: list[Island] = ()) -> None:
        """``exemplars``: (paragraph, source label) pairs; ``parents``: labels of the islands
        above; ``children``: the islands one level finer inside this one."""
        self.island = island
        where = " › ".join(parents)
        kind = f"{level_name(island.level).capitalize()} · {count_words(island.size, 'paragraph')}"
        self.kind_label.setText(f"{where} › {kind}" if where else kind)
        self.title_label.setText(island.label)
        self.terms_label.setText(", ".join(island.terms[:12]) or "—")
        self.zoom_button.setText(f"Zoom to {level_name(island.level)}")
        self.digest_button.setText(f"Digest this {level_name(island.level)}")
        self._show_children(island, children)
        self.exemplars.clear()
        for paragraph, source in exemplars:
            self.exemplars.addItem(card(source, paragraph.text, paragraph.id))

    def _show_children(self, island: Island, children: list[Island]) -> None:
        self.children.clear()
        for child in sorted(children, key=lambda c: (-c.size, c.label)):
            item = QListWidgetItem(f"{child.label}  ·  {child.size:,}")
            item.setData(ID_ROLE, (child.level, child.key))
            item.setToolTip(f"{', '.join(child.terms[:8])}\nClick to fly there.")
            self.children.addItem(item)
        kind = _plural(level_name(island.level + 1))
        self.children_title.setText(f"{kind} in this {level_name(island.level)} ({len(children)})".upper())
        self.children_title.setVisible(bool(children))
        self.children.setVisible(bool(children))
        if children:  # as tall as its rows, up to a limit
            rows = min(len(children), MAX_CHILD_ROWS)
            self.children.setFixedHeight(rows * self.children.sizeHintForRow(0) + 2 * self.children.frameWidth() + 2)

    def child_keys(self) -> list[tuple[int, int]]:
        return [tuple(self.children.item(i).data(ID_ROLE)) for i in range(self.children.count())]

    def _child_chosen(self, item: QListWidgetItem) -> None:
        level, key = item.data(ID_ROLE)
        self.islandActivated.emit(int(level), int(key))


def _plural(word: str) -> str:
    return f"{word}s".capitalize()  # regions, islands, bays
