"""Small widget helpers shared by the panels."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QLabel

ID_ROLE = Qt.UserRole


def heading(text: str = "", size_delta: int = 2) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSize(font.pointSize() + size_delta)
    font.setWeight(QFont.DemiBold)
    label.setFont(font)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


class MutedLabel(QLabel):
    """A secondary line (paths, counts): text colour halfway to the background, recomputed when
    the palette changes so it stays readable in the light and the dark theme."""

    def __init__(self, text: str = ""):
        super().__init__(text)
        self._adjusting = False
        self._apply()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange and not self._adjusting:
            self._apply()

    def _apply(self) -> None:
        self._adjusting = True
        base = QApplication.palette()
        palette = self.palette()
        palette.setColor(QPalette.WindowText, blend(base.color(QPalette.WindowText), base.color(QPalette.Window), 0.38))
        self.setPalette(palette)
        self._adjusting = False


def blend(a: QColor, b: QColor, t: float) -> QColor:
    return QColor.fromRgbF(*(x + (y - x) * t for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3])))


def muted(text: str = "") -> QLabel:
    label = MutedLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


def section(text: str) -> QLabel:
    label = MutedLabel(text.upper())
    font = label.font()
    font.setPointSize(max(7, font.pointSize() - 1))
    font.setWeight(QFont.Bold)
    font.setLetterSpacing(QFont.PercentageSpacing, 108)
    label.setFont(font)
    label.setContentsMargins(0, 8, 0, 0)
    return label
