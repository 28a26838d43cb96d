"""What the colours mean, shown beside the "Colour by" box: without it a date ramp or a
colour per folder is just decoration to a new user."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

RAMP_W, RAMP_H = 110, 12
EPOCH = date(1970, 1, 1)  # the canvas gives dates as days since this day


class Legend(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.before, self.ramp, self.after = QLabel(), QLabel(), QLabel()
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        for label in (self.before, self.ramp, self.after):
            row.addWidget(label)

    def text(self) -> str:
        return " ".join(t for t in (self.before.text(), self.after.text()) if t)

    def show_mode(self, mode: str, values) -> None:
        for label in (self.before, self.ramp, self.after):
            label.clear()
        self.setToolTip("")
        if mode == "island" or values is None or len(values) == 0:
            return
        values = np.asarray(values)
        if mode == "date":
            self._dates(values.astype(np.float64))
        else:
            n = len(np.unique(values[values >= 0]))
            self.before.setText(f"one colour per {mode} ({n:,})")

    def _dates(self, days: np.ndarray) -> None:
        ok = np.isfinite(days)
        if not ok.any():
            self.before.setText("no document states a date")
            return
        self.before.setText(_day(days[ok].min()))
        self.ramp.setPixmap(_ramp_pixmap())
        self.after.setText(_day(days[ok].max()))
        missing = int((~ok).sum())
        if missing:
            self.setToolTip(f"Grey: {missing:,} paragraphs whose document states no date")


def _ramp_pixmap() -> QPixmap:
    from ideamap.app.canvas.colors import ramp_colors

    image = QImage(RAMP_W, RAMP_H, QImage.Format_RGB32)
    for x, (r, g, b) in enumerate(ramp_colors(np.linspace(0.0, 1.0, RAMP_W))):
        colour = QColor(int(r), int(g), int(b))
        for y in range(RAMP_H):
            image.setPixelColor(x, y, colour)
    return QPixmap.fromImage(image)


def _day(value: float) -> str:
    return (EPOCH + timedelta(days=int(value))).isoformat()
