"""A small overview of the whole map with the main view's rectangle on it. Qt.

Click or drag on it to move the main camera there. It draws one overview tile rendered for
its own size, redrawn only when the map or colour mode changes.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ideamap.app.canvas.tile_loader import rgba_to_qimage
from ideamap.app.canvas.tiles import render_tile


SIDE_PX = 168
MARGIN_PX = 12


class Minimap(QWidget):
    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self._image: QImage | None = None
        self.setFixedSize(SIDE_PX, SIDE_PX)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the map")
        canvas.cameraChanged.connect(self.update)

    def refresh(self) -> None:
        """Forget the overview image (new map or colour mode)."""
        self._image = None
        self.update()

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
        scene = self.canvas.scene
        if scene is None:
            return None
        if self._image is None:
            size = int(SIDE_PX * self.devicePixelRatioF())
            style = self.canvas.tile_style.with_dpr(1.0)
            self._image = rgba_to_qimage(render_tile(scene, 0, 0, 0, size=size, style=style))
        return self._image

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
