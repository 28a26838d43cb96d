"""What the window shows when no map is open: the three ways in, recent maps, and a drop hint."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from ideamap.app.shell.icon import app_icon
from ideamap.app.panels.common import heading, muted, section

PATH_ROLE = Qt.UserRole


class StartScreen(QWidget):
    newFromFolder = Signal()
    openMap = Signal()
    openDemo = Signal()
    openRecent = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.recent = QListWidget()
        self.recent.setFrameShape(QFrame.NoFrame)
        self.recent.itemActivated.connect(self._recent_chosen)
        self.recent.itemClicked.connect(self._recent_chosen)
        self.no_recent = muted("No maps yet. Start from a folder of PDFs, notes or articles.")
        column = QVBoxLayout()
        column.addLayout(self._header())
        column.addSpacing(16)
        column.addLayout(self._actions())
        column.addSpacing(8)
        column.addWidget(muted("…or drag a folder or files onto this window."))
        column.addWidget(section("Recent maps"))
        column.addWidget(self.no_recent)
        column.addWidget(self.recent, 1)
        self.filler = QWidget()  # takes the spare height while there are no recent maps
        column.addWidget(self.filler, 1)
        box = QWidget()
        box.setLayout(column)
        box.setMaximumWidth(640)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 4)
        outer.addStretch(1)
        outer.setContentsMargins(24, 48, 24, 24)

    def _header(self) -> QHBoxLayout:
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(QSize(72, 72)))
        text = QVBoxLayout()
        text.addWidget(heading("ideamap", size_delta=12))
        text.addWidget(muted("Turn a folder of documents into a map of ideas: related paragraphs "
                             "gather into islands you can zoom into, search and explore."))
        row = QHBoxLayout()
        row.addWidget(logo, 0, Qt.AlignTop)
        row.addLayout(text, 1)
        return row

    def _actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        buttons = (
            ("New map from folder…", self.newFromFolder, "Read every document in a folder and map it"),
            ("Open map…", self.openMap, "Open a .ideamap file"),
            ("Open demo map", self.openDemo, "A map of Python's own documentation, built on first use"),
        )
        for text, signal, tip in buttons:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setMinimumHeight(40)
            button.clicked.connect(signal)
            row.addWidget(button)
        row.itemAt(0).widget().setDefault(True)
        return row

    def set_recent(self, paths: list[Path]) -> None:
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{path.stem}\n{path.parent}")
            item.setData(PATH_ROLE, str(path))
            item.setToolTip(str(path))
            self.recent.addItem(item)
        self.no_recent.setVisible(not paths)
        self.recent.setVisible(bool(paths))
        self.filler.setVisible(not paths)

    def _recent_chosen(self, item: QListWidgetItem) -> None:
        self.openRecent.emit(Path(item.data(PATH_ROLE)))
