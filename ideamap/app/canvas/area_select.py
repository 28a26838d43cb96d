"""Area selection on MapCanvas: Shift+drag draws a lasso, Shift+Ctrl+drag a rectangle, and in
"Select area" mode a plain drag draws a rectangle (Shift+drag still a lasso). Esc clears. Qt.

A mixin like CanvasEvents: the handlers call public methods (select_area, select_rect,
clear_area, set_area_mode), so what the mouse does a caller can do in code. The geometry is
in area.py (no Qt).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from ideamap.app.canvas.area import AreaGesture, AreaSelection, rect_polygon, rows_in_polygon

CLICK_PX = 4  # a Shift+press released nearer than this is a click, not a selection


class AreaSelect:
    """Mixed into MapCanvas (before QWidget). Needs ``areaSelected`` (list of ids) and
    ``areaModeChanged`` (bool) signals on the widget."""

    def _init_area(self) -> None:
        self._area = AreaSelection.empty()
        self._gesture: AreaGesture | None = None
        self._area_mode = False

    # -- public -----------------------------------------------------------------------------
    def set_area_mode(self, on: bool) -> None:
        """In "Select area" mode a plain drag draws a rectangle instead of panning."""
        on = bool(on)
        if on == self._area_mode:
            return
        self._area_mode = on
        if on:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.unsetCursor()
        self.areaModeChanged.emit(on)

    def area_mode(self) -> bool:
        return self._area_mode

    def select_area(self, polygon, kind: str = "lasso") -> list[int]:
        """Select the paragraphs inside ``polygon`` (world coordinates, (M, 2)); returns their
        ids, ascending, and emits ``areaSelected``."""
        poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
        if self.scene is None or len(poly) < 3:
            self.clear_area()
            return []
        rows = rows_in_polygon(self.scene, poly)
        self._area = AreaSelection(kind, poly, rows)
        self.update()
        ids = self.area_ids()
        self.areaSelected.emit(ids)
        return ids

    def select_rect(self, rect) -> list[int]:
        """Select the paragraphs inside the world rectangle (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = rect
        return self.select_area(rect_polygon((x0, y0), (x1, y1)), "rect")

    def clear_area(self) -> None:
        had = len(self._area.polygon) > 0
        self._area = AreaSelection.empty()
        self._gesture = None
        self.update()
        if had:
            self.areaSelected.emit([])

    def area_ids(self) -> list[int]:
        """Ids of the paragraphs in the area selection, ascending."""
        if self.scene is None or len(self._area.rows) == 0:
            return []
        return [int(i) for i in self.scene.ids[self._area.rows]]

    def area_polygon(self) -> np.ndarray:
        """The selection's outline in world coordinates ((0, 2) when there is none)."""
        return self._area.polygon.copy()

    # -- used by the event handlers ------------------------------------------------------------
    def _area_kind(self, modifiers) -> str | None:
        """Which gesture a left press with these modifiers starts (None: pan or click)."""
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier))
        if shift and ctrl:
            return "rect"
        if shift:
            return "lasso"
        return "rect" if self._area_mode else None

    def _begin_area(self, kind: str, pos: QPointF) -> None:
        self._anim.stop()
        self._gesture = AreaGesture(kind)
        self._gesture.add(self.camera.screen_to_world((pos.x(), pos.y())), self.camera.scale)

    def _extend_area(self, pos: QPointF) -> None:
        self._gesture.add(self.camera.screen_to_world((pos.x(), pos.y())), self.camera.scale)
        self.update()

    def _finish_area(self, pos: QPointF) -> bool:
        """End the gesture; False when it was only a click (the caller handles the click)."""
        gesture = self._gesture
        self._gesture = None
        if gesture is None:
            return False
        gesture.add(self.camera.screen_to_world((pos.x(), pos.y())), self.camera.scale)
        # How far the pointer went (a lasso may end where it started): a click if it barely moved.
        extent = np.ptp(np.asarray(gesture.points), axis=0).max() * self.camera.scale
        if extent <= CLICK_PX:
            self.update()
            return False
        self.select_area(gesture.polygon(), gesture.kind)
        return True

    def _escape_area(self) -> bool:
        """Esc: drop the gesture being drawn, else the selection, else leave the mode."""
        if self._gesture is not None:
            self._gesture = None
            self.update()
        elif len(self._area.polygon):
            self.clear_area()
        elif self._area_mode:
            self.set_area_mode(False)
        else:
            return False
        return True
