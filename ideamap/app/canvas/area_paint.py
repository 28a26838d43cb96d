"""Drawing an area selection: its outline, a light tint inside, and its paragraphs as dots. Qt.

The outline is kept in world coordinates and mapped each frame, so it moves with the map.
Dots are drawn only for selected points inside the view, at most MAX_DOTS of them, and not while
the camera moves: a selection of 100k paragraphs stays a cheap frame, the tint shows the rest.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF

from ideamap.app.canvas.camera import Camera

AREA_INK = QColor(112, 72, 232)  # violet: apart from the selection (ink), neighbours, pins, footprint
AREA_INK_DARK = QColor(151, 117, 250)  # lighter, to stand out on a dark sea
MAX_DOTS = 2000
EDGE_PX = 8  # dots this far outside the view are still drawn (their halo reaches in)


def _qpoly(pts: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in pts])


def draw_area(painter: QPainter, camera: Camera, scene, area, gesture=None, *, moving: bool = False,
              dark: bool = False) -> None:
    """The finished selection ``area`` (an AreaSelection) and the one being drawn, if any;
    ``moving`` (frames of a pan or zoom) leaves the dots out, the tint still shows the area."""
    ink = AREA_INK_DARK if dark else AREA_INK
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if area is not None and len(area.polygon) >= 3:
        poly = _qpoly(camera.world_to_screen(area.polygon))
        tint = QColor(ink)
        tint.setAlpha(40 if dark else 28)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawPolygon(poly, Qt.FillRule.OddEvenFill)
        _outline(painter, poly, ink, closed=True)
        if not moving:
            _dots(painter, camera, scene, area.rows, ink)
    if gesture is not None:
        pts = gesture.polygon()
        if len(pts) >= 2:
            _outline(painter, _qpoly(camera.world_to_screen(pts)), ink, closed=gesture.kind == "rect", dashed=True)


def _outline(painter: QPainter, poly: QPolygonF, ink_color: QColor, *, closed: bool, dashed: bool = False) -> None:
    painter.setBrush(Qt.BrushStyle.NoBrush)
    halo = QPen(QColor(255, 255, 255, 220), 4.5)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    ink = QPen(ink_color, 2.0)
    ink.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if dashed:
        ink.setStyle(Qt.PenStyle.DashLine)
    for pen in (halo, ink):
        painter.setPen(pen)
        painter.drawPolygon(poly) if closed else painter.drawPolyline(poly)
    if not closed and poly.size() >= 3:  # where the lasso will close when the button is released
        faint = QPen(ink_color, 1.0, Qt.PenStyle.DotLine)
        painter.setPen(faint)
        painter.drawLine(poly.last(), poly.first())


def _dots(painter: QPainter, camera: Camera, scene, rows, ink: QColor) -> None:
    if len(rows) == 0:
        return
    pts = camera.world_to_screen(scene.xy[np.asarray(rows, dtype=np.int64)].astype(np.float64))
    w, h = camera.width, camera.height
    seen = (pts[:, 0] > -EDGE_PX) & (pts[:, 0] < w + EDGE_PX) & (pts[:, 1] > -EDGE_PX) & (pts[:, 1] < h + EDGE_PX)
    pts = pts[seen]
    if len(pts) > MAX_DOTS:  # an even sample: the density still reads, the frame stays cheap
        pts = pts[np.linspace(0, len(pts) - 1, MAX_DOTS).astype(np.int64)]
    # One pre-rendered dot stamped per point: several times cheaper than drawPoints with a
    # wide antialiased pen (measured 11 vs 30-50 us a point on the raster engine).
    sprite = _sprite(painter.device().devicePixelRatioF(), ink)
    half = SPRITE_PX / 2
    for x, y in pts:
        painter.drawImage(QPointF(x - half, y - half), sprite)


SPRITE_PX = 10
_SPRITES: dict[tuple, QImage] = {}


def _sprite(dpr: float, ink: QColor) -> QImage:
    """A dot of ``ink`` with a white rim, rendered once per pixel ratio and colour."""
    dpr = round(float(dpr) or 1.0, 3)
    key = (dpr, ink.rgba())
    if key not in _SPRITES:
        image = QImage(int(np.ceil(SPRITE_PX * dpr)), int(np.ceil(SPRITE_PX * dpr)),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        image.fill(Qt.GlobalColor.transparent)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(255, 255, 255), 1.4))
        p.setBrush(ink)
        p.drawEllipse(QPointF(SPRITE_PX / 2, SPRITE_PX / 2), 3.5, 3.5)
        p.end()
        _SPRITES[key] = image
    return _SPRITES[key]
