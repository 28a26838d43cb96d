"""A small overview of the whole map with the main view's rectangle on it. Qt.

Click or drag on it to move the main camera there. It draws one overview tile rendered for
its own size, redrawn only when the map, colour mode or theme changes. The tile is rendered in
a worker thread: the first one of a map also builds its density and colour fields (0.2 s for
8k paragraphs, more at 100k), which must not hold up the window.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ideamap.app.canvas.tile_loader import rgba_to_qimage
from ideamap.app.canvas.tiles import render_tile


SIDE_PX = 168
MARGIN_PX = 12
log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(int, object)  # generation, QImage or None


class _OverviewJob(QRunnable):
    def __init__(self, scene, style, size: int, generation: int, signals: _Signals):
        super().__init__()
        self.scene, self.style, self.size = scene, style, size
        self.generation, self.signals = generation, signals

    def run(self) -> None:
        image = None
        try:
            image = rgba_to_qimage(render_tile(self.scene, 0, 0, 0, size=self.size, style=self.style))
        except Exception:  # logged; the minimap stays plain sea rather than crash a worker
            log.exception("overview tile failed")
        try:
            self.signals.done.emit(self.generation, image)
        except RuntimeError:  # the minimap was destroyed meanwhile
            pass


class Minimap(QWidget):
    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self._image: QImage | None = None
        self._generation = 0  # bumped by refresh(), so a late overview of an old map is dropped
        self._requested = False
        self._signals = _Signals(self)
        self._signals.done.connect(self._rendered)
        self.setFixedSize(SIDE_PX, SIDE_PX)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the map")
        canvas.cameraChanged.connect(self.update)

    def refresh(self) -> None:
        """Forget the overview image (new map, colour mode or theme)."""
        self._image = None
        self._generation += 1
        self._requested = False
        self.update()

    def has_overview(self) -> bool:
        return self._image is not None

    def place(self) -> None:
        """Sit in the bottom-right corner of the canvas."""
        if self.parent() is self.canvas:
            self.move(self.canvas.width() - SIDE_PX - MARGIN_PX, self.canvas.height() - SIDE_PX - MARGIN_PX)
            self.raise_()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = self.canvas.tile_style.palette
        p.fillRect(self.rect(), QColor(*pal.sea))
        image = self._overview()
        if image is not None:
            p.drawImage(QRectF(0, 0, SIDE_PX, SIDE_PX), image)
        x0, y0, x1, y1 = self.canvas.camera.visible_world_rect()
        view = QRectF(x0 * SIDE_PX, y0 * SIDE_PX, (x1 - x0) * SIDE_PX, (y1 - y0) * SIDE_PX)
        view = view.intersected(QRectF(0, 0, SIDE_PX, SIDE_PX))
        if view.width() < 6 or view.height() < 6:  # too small to see: mark it with a cross
            c = view.center()
            view = QRectF(c.x() - 4, c.y() - 4, 8, 8)
        p.setPen(QPen(QColor(*pal.frame), 1.5))
        p.setBrush(QColor(255, 255, 255, 22 if pal.dark else 60))  # a faint wash inside the view
        p.drawRect(view)
        p.setPen(QPen(QColor(80, 90, 100, 160), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(QRectF(0.5, 0.5, SIDE_PX - 1, SIDE_PX - 1))
        p.end()

    def _overview(self) -> QImage | None:
        """The overview if ready; otherwise asks a worker for it (once per generation)."""
        scene = self.canvas.scene
        if scene is not None and self._image is None and not self._requested:
            self._requested = True
            size = int(SIDE_PX * self.devicePixelRatioF())
            style = self.canvas.tile_style.with_dpr(1.0)
            QThreadPool.globalInstance().start(_OverviewJob(scene, style, size, self._generation, self._signals))
        return self._image

    def _rendered(self, generation: int, image) -> None:
        if generation == self._generation and image is not None:
            self._image = image
            self.update()

    def mousePressEvent(self, event) -> None:
        self._jump(event.position(), animate=True)

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._jump(event.position(), animate=False)

    def _jump(self, pos: QPointF, animate: bool) -> None:
        x = min(1.0, max(0.0, pos.x() / SIDE_PX))
        y = min(1.0, max(0.0, pos.y() / SIDE_PX))
        if animate:
            self.canvas.fly_to(x, y)
        else:
            self.canvas.center_on(x, y)
