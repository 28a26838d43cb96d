"""Drawing one frame with QPainter: tiles, vector overlays and labels. Qt.

Kept apart from the widget so exports (PNG, SVG) and benchmarks paint exactly what the
screen shows. Labels are pre-rendered with their halo into small cached images, because
stroking text paths every frame costs more than the whole tile layer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from ideamap.app.canvas import colors
from ideamap.app.canvas.camera import Camera
from ideamap.app.canvas.labels import PlacedLabel, font_style


SELECT_INK = QColor(33, 37, 41)
NEIGHBOR_INK = QColor(25, 113, 194)
PIN_INK = QColor(224, 49, 49)
HIGHLIGHT_INK = QColor(232, 89, 12)


@dataclass
class Overlays:
    """Rows (indices into the scene) that the vector layer marks."""

    selected: int | None = None
    hovered: int | None = None
    neighbors: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pins: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    highlight: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def rows(self) -> np.ndarray:
        extra = [r for r in (self.selected,) if r is not None]
        return np.concatenate([self.neighbors, self.pins, self.highlight, np.array(extra, np.int64)])


# -- tiles --------------------------------------------------------------------------------------
def tile_rect(camera: Camera, level: int, tx: int, ty: int, dpr: float) -> QRectF:
    """Screen rectangle of a tile, its edges snapped to device pixels so neighbours meet
    without hairline gaps."""
    n = 2**level
    (x0, y0), (x1, y1) = camera.world_to_screen([[tx / n, ty / n], [(tx + 1) / n, (ty + 1) / n]])
    sx0, sy0, sx1, sy1 = (round(v * dpr) / dpr for v in (x0, y0, x1, y1))
    return QRectF(sx0, sy0, sx1 - sx0, sy1 - sy0)


def draw_tiles(painter: QPainter, camera: Camera, loader, dpr: float, *, sync: bool,
               track: bool = True, smooth: bool = True) -> int:
    """Draw the visible tiles; returns how many were missing (queued unless ``sync``).

    ``smooth=False`` scales tiles by nearest neighbour: 4-5x cheaper on the CPU raster
    engine (about 2 ms instead of 11-27 ms at full HD), used while the camera moves; the
    widget repaints smoothly once it stops."""
    tiles = camera.visible_tiles(dpr)
    keys = [loader.key(lv, tx, ty, dpr) for lv, tx, ty in tiles]
    if track:
        loader.wanted = frozenset(keys)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
    missing = []
    for (lv, tx, ty), key in zip(tiles, keys):
        image = loader.render_now(key) if sync else loader.get(key)
        rect = tile_rect(camera, lv, tx, ty, dpr)
        if image is not None:
            painter.drawImage(rect, image)
        else:
            missing.append(key)
            _draw_placeholder(painter, loader, key, rect)
    if missing:
        loader.request(missing)
    return len(missing)


def _draw_placeholder(painter: QPainter, loader, key, rect: QRectF) -> None:
    """Stretch the nearest cached ancestor's part of the tile until the tile arrives."""
    gen, dpr, level, tx, ty = key
    for up in range(1, level + 1):
        parent = loader.cache.peek((gen, dpr, level - up, tx >> up, ty >> up))
        if parent is None:
            continue
        part = parent.width() / 2**up
        src = QRectF((tx - ((tx >> up) << up)) * part, (ty - ((ty >> up) << up)) * part, part, part)
        painter.drawImage(rect, parent, src)
        return


# -- overlays -------------------------------------------------------------------------------------
def draw_overlays(painter: QPainter, camera: Camera, scene, ov: Overlays,
                  pal: colors.MapPalette = colors.LIGHT) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if len(ov.highlight):
        _draw_highlight(painter, camera, scene, ov, QColor(*pal.veil))
    sel = _screen(camera, scene, [ov.selected]) if ov.selected is not None else None
    if len(ov.neighbors):
        _draw_neighbors(painter, _screen(camera, scene, ov.neighbors), sel)
    if len(ov.pins):
        _draw_pins(painter, camera, _screen(camera, scene, ov.pins))
    if ov.hovered is not None and ov.hovered != ov.selected:
        (x, y), = _screen(camera, scene, [ov.hovered])
        _ring(painter, x, y, 7.5, QColor(255, 255, 255, 230), 3.5)
        _ring(painter, x, y, 7.5, QColor(33, 37, 41, 170), 1.5)
    if sel is not None:
        (x, y), = sel
        _ring(painter, x, y, 10, QColor(255, 255, 255), 5)
        _ring(painter, x, y, 10, SELECT_INK, 2.5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(SELECT_INK)
        painter.drawEllipse(QPointF(x, y), 3.2, 3.2)


def _screen(camera: Camera, scene, rows) -> np.ndarray:
    return camera.world_to_screen(scene.xy[np.asarray(rows, dtype=np.int64)].astype(np.float64))


def _ring(painter: QPainter, x: float, y: float, r: float, color: QColor, width: float) -> None:
    painter.setPen(QPen(color, width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(QPointF(x, y), r, r)


def _draw_highlight(painter: QPainter, camera: Camera, scene, ov: Overlays, veil: QColor) -> None:
    painter.fillRect(QRectF(0, 0, camera.width, camera.height), veil)  # dims all but the document
    pts = _screen(camera, scene, ov.highlight)
    inside = (pts[:, 0] > -8) & (pts[:, 0] < camera.width + 8) & (pts[:, 1] > -8) & (pts[:, 1] < camera.height + 8)
    poly = points_polygon(pts[inside])
    for color, width in ((QColor(255, 255, 255), 8.0), (HIGHLIGHT_INK, 5.5)):
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawPoints(poly)


def _draw_neighbors(painter: QPainter, pts: np.ndarray, sel) -> None:
    if sel is not None:
        (sx, sy), = sel
        pen = QPen(QColor(25, 113, 194, 120), 1.3)
        painter.setPen(pen)
        for x, y in pts:
            painter.drawLine(QPointF(sx, sy), QPointF(x, y))
    painter.setPen(QPen(QColor(255, 255, 255), 2))
    painter.setBrush(NEIGHBOR_INK)
    for x, y in pts:
        painter.drawEllipse(QPointF(x, y), 5, 5)


def _pin_path() -> QPainterPath:
    """A map pin whose tip is at (0, 0)."""
    path = QPainterPath()
    path.moveTo(0, 0)
    path.cubicTo(-3, -7, -8, -11, -8, -17)
    path.arcTo(QRectF(-8, -25, 16, 16), 180, -180)
    path.cubicTo(8, -11, 3, -7, 0, 0)
    path.closeSubpath()
    return path


_PIN = _pin_path()


def _draw_pins(painter: QPainter, camera: Camera, pts: np.ndarray) -> None:
    inside = (pts[:, 0] > -20) & (pts[:, 0] < camera.width + 20) & (pts[:, 1] > -5) & (pts[:, 1] < camera.height + 30)
    font = QFont()
    font.setPixelSize(10)
    font.setBold(True)
    painter.setFont(font)
    # Best results last, so they sit on top.
    for rank in reversed(np.nonzero(inside)[0]):
        x, y = pts[rank]
        painter.save()
        painter.translate(x, y)
        painter.setPen(QPen(QColor(140, 20, 20), 1.2))
        painter.setBrush(PIN_INK)
        painter.drawPath(_PIN)
        painter.setPen(QColor(255, 255, 255))
        if rank < 9:
            painter.drawText(QRectF(-8, -25, 16, 16), Qt.AlignmentFlag.AlignCenter, str(rank + 1))
        else:
            painter.setBrush(QColor(255, 255, 255))
            painter.drawEllipse(QPointF(0, -17), 3, 3)
        painter.restore()


# -- labels ---------------------------------------------------------------------------------------
_WEIGHTS = {"bold": QFont.Weight.DemiBold, "medium": QFont.Weight.Medium}


def label_font(font_px: int) -> QFont:
    weight, spacing = font_style(font_px)
    font = QFont()
    font.setPixelSize(font_px)
    font.setWeight(_WEIGHTS[weight])
    if spacing:
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, spacing)
    return font


class TextMeasure:
    """``measure(text, font_px) -> (w, h)`` for labels.place_labels, cached."""

    def __init__(self):
        self._cache: dict = {}

    def __call__(self, text: str, font_px: int) -> tuple[float, float]:
        key = (text, font_px)
        if key not in self._cache:
            fm = QFontMetricsF(label_font(font_px))
            self._cache[key] = (fm.horizontalAdvance(text) + 4, fm.height() + 2)
        return self._cache[key]


class LabelImages:
    """Cached label images (text with a halo) per text, style, theme and pixel ratio."""

    def __init__(self, capacity: int = 1024):
        self._items: OrderedDict = OrderedDict()
        self.capacity = capacity

    def get(self, label: PlacedLabel, dpr: float, pal: colors.MapPalette = colors.LIGHT) -> QImage:
        key = (label.text, label.font_px, label.level, label.context, round(dpr, 3), label.w, label.h, pal.name)
        image = self._items.get(key)
        if image is None:
            image = _render_label(label, dpr, pal)
            self._items[key] = image
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return image


def _label_path(label: PlacedLabel, x: float, y: float) -> tuple[QPainterPath, QFont]:
    font = label_font(label.font_px)
    fm = QFontMetricsF(font)
    path = QPainterPath()
    path.addText(QPointF(x + 2, y + 1 + fm.ascent()), font, label.text)
    return path, font


def _label_ink(label: PlacedLabel, pal: colors.MapPalette) -> QColor:
    return QColor(*pal.context_ink) if label.context else QColor(*pal.label_ink)


def _halo(pal: colors.MapPalette) -> QPen:
    halo = QPen(QColor(*pal.halo), 3.6)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return halo


def _render_label(label: PlacedLabel, dpr: float, pal: colors.MapPalette) -> QImage:
    pad = 3
    image = QImage(int((label.w + 2 * pad) * dpr) + 1, int((label.h + 2 * pad) * dpr) + 1,
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    path, _ = _label_path(label, pad, pad)
    p.strokePath(path, _halo(pal))
    p.fillPath(path, _label_ink(label, pal))
    p.end()
    return image


def draw_labels(painter: QPainter, labels: list[PlacedLabel], images: LabelImages | None,
                dpr: float, pal: colors.MapPalette = colors.LIGHT) -> None:
    """Cached images on screen; with ``images=None`` (SVG) a stroked halo plus real text,
    so the text stays selectable in the exported file."""
    for label in labels:
        if images is not None:
            painter.drawImage(QPointF(label.x_px - 3, label.y_px - 3), images.get(label, dpr, pal))
            continue
        path, font = _label_path(label, label.x_px, label.y_px)
        painter.strokePath(path, _halo(pal))
        painter.setFont(font)
        painter.setPen(_label_ink(label, pal))
        fm = QFontMetricsF(font)
        painter.drawText(QPointF(label.x_px + 2, label.y_px + 1 + fm.ascent()), label.text)


def fill_sea(painter: QPainter, width: float, height: float, pal: colors.MapPalette = colors.LIGHT) -> None:
    painter.fillRect(QRectF(0, 0, width, height), QColor(*pal.sea))


def points_polygon(xy: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in xy])

