"""Mouse, wheel, keyboard and tooltip handling for MapCanvas. Qt.

A mixin so widget.py stays about state and painting. Every handler turns the event into a
call on the canvas's public methods (zoom_at, fly_to, select ...), so what a user can do
with the mouse a caller can do in code.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QToolTip

WHEEL_STEP = 1.6  # zoom factor per wheel notch (120 units)
WHEEL_MS = 200
DRAG_PX = 4  # movement that turns a press into a drag rather than a click
KEY_PAN = 0.25  # arrow keys move by this share of the view


class CanvasEvents:
    """Event handlers; mixed into MapCanvas before QWidget."""

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta == 0:  # some touchpads send only pixel deltas
            delta = event.pixelDelta().y() * 2
        if delta:
            self.zoom_at(event.position(), WHEEL_STEP ** (delta / 120), WHEEL_MS)
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            kind = self._area_kind(event.modifiers())
            if kind is not None:
                self._begin_area(kind, event.position())
                self.setFocus()
                return
            self._anim.stop()
            self._press = self._last = event.position()
            self._dragging = False
        self.setFocus()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._gesture is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._extend_area(pos)
            return
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            if not self._dragging and (pos - self._press).manhattanLength() > DRAG_PX:
                self._dragging = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
            if self._dragging:
                d = pos - self._last
                self.camera.pan(d.x(), d.y())
                self._fitted = False
                self._set_camera(self.camera.cx, self.camera.cy, self.camera.zoom)
            self._last = pos
            return
        self._update_hover(pos)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._gesture is not None:
            if not self._finish_area(event.position()):
                self._click(event.position())  # a Shift+click: the same as a click
            return
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        if not self._dragging:
            self._click(event.position())
        elif self._dragging:
            self.update()  # repaint smoothly now the drag is over
        self._press = None
        self._dragging = False
        self._update_hover(event.position())

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            self.zoom_at(event.position(), 0.5 if shift else 2.0)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        w, h = self.camera.width, self.camera.height
        moves = {Qt.Key.Key_Left: (-w, 0), Qt.Key.Key_Right: (w, 0),
                 Qt.Key.Key_Up: (0, -h), Qt.Key.Key_Down: (0, h)}
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key in (Qt.Key.Key_0, Qt.Key.Key_Home):
            self.fit_all()
        elif key == Qt.Key.Key_Escape and self._escape_area():
            pass
        elif key in moves:
            dx, dy = moves[key]
            s = self.camera.scale
            self.fly_to(self.camera.cx + dx * KEY_PAN / s, self.camera.cy + dy * KEY_PAN / s)
        else:
            super().keyPressEvent(event)

    def leaveEvent(self, event) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self._tooltip_text(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    # -- helpers -------------------------------------------------------------------------------
    def _click(self, pos: QPointF) -> None:
        label = self.label_at(pos)
        if label is not None:
            self.islandClicked.emit(label.level, label.key)
            return
        pid = self.point_at(pos)
        if pid is None:
            self.select(None)
            self.backgroundClicked.emit()
            return
        row = self._row(pid)
        was_neighbor = row is not None and bool((self._overlays.neighbors == row).any())
        self.select(pid, center=was_neighbor)
        self.paragraphClicked.emit(pid)

    def _update_hover(self, pos: QPointF) -> None:
        pid = self.point_at(pos)
        self._set_hover(pid)
        over_something = pid is not None or self.label_at(pos) is not None
        if over_something:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        elif self._area_mode:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.unsetCursor()

    def _set_hover(self, pid) -> None:
        row = self._row(pid)
        if row != self._overlays.hovered:
            self._overlays.hovered = row
            self.hovered.emit(-1 if pid is None else int(pid))
            self.update()

    def _tooltip_text(self, pos: QPointF) -> str:
        label = self.label_at(pos)
        if label is not None:
            island = self.scene.island(label.level, label.key)
            size = f" — {island.size} paragraphs" if island is not None else ""
            return f"<b>{label.text}</b>{size}<br><i>click for details</i>"
        pid = self.point_at(pos)
        if pid is None:
            return ""
        if self.tooltip_provider is not None:
            return self.tooltip_provider(pid)
        return f"Paragraph {pid}"
