"""MapCanvas: the zoomable map widget. Qt.

The camera, tiles, labels and hit-testing are plain Python (camera.py, tiles.py, labels.py,
scene.py); this class wires them to Qt events and paints. Painting never blocks on tiles:
missing ones are drawn from a coarser cached tile and arrive from worker threads.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QEasingCurve, QEvent, QPointF, QRect, QSize, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QWidget

from ideamap.app.canvas import area_paint, painting
from ideamap.app.canvas.area_select import AreaSelect
from ideamap.app.canvas.camera import AnchoredZoom, Camera, Flight, clamp_zoom
from ideamap.app.canvas.events import CanvasEvents
from ideamap.app.canvas.fields import map_extent
from ideamap.app.canvas.labels import PlacedLabel, label_at, place_labels
from ideamap.app.canvas.tile_loader import TileLoader
from ideamap.app.canvas.tiles import TileStyle, dots_visible, tile_scale


FLY_MS = 250
FIT_MARGIN = 0.04  # share of the view left around the whole map (its coast included) by fit all
HIT_PX = 7  # how near (logical px) a click must be to a dot


class MapCanvas(CanvasEvents, AreaSelect, QWidget):
    """The map. Signals: ``paragraphClicked(id)``, ``islandClicked(level, key)``,
    ``hovered(id or -1)``, ``cameraChanged()``, ``backgroundClicked()`` (a click on nothing;
    the selection is cleared), ``areaSelected(ids)`` (a lasso or rectangle was drawn, or
    cleared: an empty list), ``areaModeChanged(on)`` ("Select area" mode, see AreaSelect)."""

    paragraphClicked = Signal(int)
    islandClicked = Signal(int, int)
    hovered = Signal(int)
    cameraChanged = Signal()
    backgroundClicked = Signal()
    areaSelected = Signal(list)
    areaModeChanged = Signal(bool)
    viewReady = Signal()  # once per map: the first view's tiles are all in

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scene = None
        self.camera = Camera(width=max(1, self.width()), height=max(1, self.height()))
        self.tooltip_provider: Callable[[int], str] | None = None
        self.animation_ms = FLY_MS  # 0 makes every camera move instant
        self._theme = palette_theme(self.palette())
        self._loader = TileLoader(self)
        self._loader.tileReady.connect(self.update)
        self._loader.tileReady.connect(self._warm_up_when_idle)
        self._warm_pending = None  # a scene whose hover lookups wait for its first tiles
        self._overlays = painting.Overlays()
        self._labels: list[PlacedLabel] = []
        self._label_key: tuple | None = None  # what the cached label placement was made for
        self._label_cache: list[PlacedLabel] = []
        self._label_images = painting.LabelImages()
        self._measure = painting.TextMeasure()
        self._anim = QVariantAnimation(self)
        self._anim.setStartValue(0.0)
        self._anim.setEndValue(1.0)
        self._anim.valueChanged.connect(self._on_anim)
        self._anim.finished.connect(self.update)  # one smooth frame once the camera stops
        self._path: Callable[[float], tuple[float, float, float]] | None = None
        self._zoom_target: float | None = None
        self._fitted = False  # the view is fit all's, untouched by the user since
        self._press: QPointF | None = None
        self._last: QPointF | None = None
        self._dragging = False
        self._minimap = None
        self._init_area()
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(120, 90)

    # -- the map --------------------------------------------------------------------------------
    def set_scene(self, scene) -> None:
        """Show a map (a MapScene, or None for an empty canvas), fitted to the view."""
        self._anim.stop()
        self.clear_area()  # its rows belong to the previous map
        self.scene = scene
        self._overlays = painting.Overlays()
        self._loader.set_source(scene, TileStyle(theme=self._theme))
        self.fit_all(animate=False)
        if self._minimap is not None:
            self._minimap.refresh()
        self._warm_pending = scene
        if scene is not None:
            # Queue the fitted view's tiles now: the tile thread builds the map's fields while
            # the window fills its panels, instead of after the first paint.
            dpr = self.devicePixelRatioF()
            keys = [self._loader.key(lv, tx, ty, dpr) for lv, tx, ty in self.camera.visible_tiles(dpr)]
            self._loader.wanted = frozenset(keys)  # a job skips tiles no view wants
            self._loader.request(keys)

    def _warm_up_when_idle(self) -> None:
        """Once the first view's tiles are in, build the hover lookups in the background (so
        the first hover does not stall), not before: on two cores they would slow the
        first frame."""
        scene = self._warm_pending
        if scene is not None and scene is self.scene and not self._loader.busy():
            self._warm_pending = None
            threading.Thread(target=scene.warm_up, daemon=True).start()
            self.viewReady.emit()

    def set_color_mode(self, mode: str, values=None) -> None:
        """Colour by "island" (default), "document", "folder" (integer category per paragraph)
        or "date" (a number per paragraph, NaN = unknown). ``values`` follow ``scene.ids``;
        ``ideamap.app.canvas.scene.color_values(store, scene.ids, mode)`` reads them from a map."""
        if self.scene is None:
            return
        if values is not None:
            values = np.asarray(values)
            if len(values) != len(self.scene):
                raise ValueError(f"need {len(self.scene)} values (one per paragraph), got {len(values)}")
        old = self._loader.style  # a filter's veil (and its cached field) stays through colour changes
        style = TileStyle(mode=mode, values=values, theme=self._theme, keep=old.keep, keep_token=old.keep_token)
        self._loader.set_source(self.scene, style)
        self.update()
        if self._minimap is not None:
            self._minimap.refresh()

    @property
    def theme(self) -> str:
        return self._theme

    def set_theme(self, theme: str) -> None:
        """Draw the map for a "light" or "dark" window. The canvas follows the application's
        palette by itself (see changeEvent); this is for exports and tests."""
        if theme == self._theme:
            return
        self._theme = theme
        self._loader.set_source(self.scene, self._loader.style.with_theme(theme))
        self.update()
        if self._minimap is not None:
            self._minimap.refresh()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.set_theme(palette_theme(self.palette()))

    @property
    def color_mode(self) -> str:
        return self._loader.style.mode

    @property
    def tile_style(self) -> TileStyle:
        return self._loader.style

    # -- overlays -------------------------------------------------------------------------------
    def select(self, paragraph_id: int | None, *, center: bool = False) -> None:
        """Mark one paragraph (None clears); ``center`` flies the camera to it."""
        row = self._row(paragraph_id)
        self._overlays.selected = row
        if center and row is not None:
            x, y = self.scene.xy[row]
            self.fly_to(float(x), float(y))
        self.update()

    def selected(self) -> int | None:
        row = self._overlays.selected
        return None if row is None else int(self.scene.ids[row])

    def set_neighbors(self, ids) -> None:
        """Neighbours of the selection: markers linked to it. Clicking one flies to it."""
        self._overlays.neighbors = self._rows(ids)
        self.update()

    def set_pins(self, ids) -> None:
        """Search results, best first: numbered pins."""
        self._overlays.pins = self._rows(ids)
        self.update()

    def set_highlight(self, ids) -> None:
        """A document's footprint: these paragraphs stand out, the rest of the map dims.
        An empty list or None clears it."""
        rows = self._rows([] if ids is None else ids)
        self._overlays.highlight = rows
        self.update()

    def set_veil(self, keep_ids) -> None:
        """Veil every paragraph but ``keep_ids`` (a tag filter, a time range): their land fades
        and their dots go faint, in the tiles and the minimap. None lifts the veil."""
        if self.scene is None:
            return
        keep = None
        if keep_ids is not None:
            keep = np.zeros(len(self.scene), dtype=bool)
            keep[self._rows(keep_ids)] = True
        self._loader.set_source(self.scene, self._loader.style.with_keep(keep))
        self.update()
        if self._minimap is not None:
            self._minimap.refresh()

    def veiled_ids(self) -> np.ndarray:
        """Ids of the paragraphs the veil covers now (empty without a veil)."""
        keep = self._loader.style.keep
        if self.scene is None or keep is None:
            return np.zeros(0, np.int64)
        return np.asarray(self.scene.ids)[~keep]

    def _row(self, paragraph_id) -> int | None:
        if self.scene is None or paragraph_id is None or paragraph_id < 0:
            return None
        row = int(self.scene.rows_of([paragraph_id])[0])
        return None if row < 0 else row

    def _rows(self, ids) -> np.ndarray:
        if self.scene is None:
            return np.zeros(0, np.int64)
        rows = self.scene.rows_of(np.asarray(list(ids), dtype=np.int64))
        return rows[rows >= 0]

    # -- camera ---------------------------------------------------------------------------------
    def fit_all(self, animate: bool = True) -> None:
        """Show the whole map, coasts included. The view stays fitted (refitted when the canvas
        is resized, e.g. once the window lays it out, or a panel opens) until the user moves."""
        target = self.camera.copy()
        covered = self._covered()  # the minimap, if shown: the map is framed clear of it
        target.fit_clear_of(map_extent(self.scene) if self.scene is not None and len(self.scene) else (0, 0, 1, 1),
                            FIT_MARGIN, covered[0] if covered else None)
        if animate:
            self.fly_to(target.cx, target.cy, target.zoom)
        else:
            self._anim.stop()
            self._set_camera(target.cx, target.cy, target.zoom)
        self._fitted = True

    def zoom_in(self) -> None:
        self.zoom_at(QPointF(self.width() / 2, self.height() / 2), 2.0)

    def zoom_out(self) -> None:
        self.zoom_at(QPointF(self.width() / 2, self.height() / 2), 0.5)

    def zoom_at(self, pos: QPointF, factor: float, duration: int | None = None) -> None:
        """Zoom by ``factor`` keeping the map point under ``pos`` fixed, animated."""
        base = self._zoom_target if self._anim.state() == QVariantAnimation.State.Running and self._zoom_target else self.camera.zoom
        target = clamp_zoom(base * factor)
        anchor = self.camera.screen_to_world((pos.x(), pos.y()))
        move = AnchoredZoom(tuple(anchor), (pos.x(), pos.y()), self.camera.zoom, target)
        self._animate(lambda t: move.at(self.camera, t), duration if duration is not None else self.animation_ms,
                      QEasingCurve.Type.OutCubic)
        self._zoom_target = target

    def fly_to(self, x: float, y: float, zoom: float | None = None) -> None:
        """Move the camera smoothly to centre on world point (x, y), at ``zoom`` if given."""
        c = self.camera
        flight = Flight((c.cx, c.cy, c.zoom), (float(x), float(y), clamp_zoom(zoom or c.zoom)))
        self._zoom_target = None
        self._animate(flight.at, self.animation_ms, QEasingCurve.Type.InOutCubic)

    def fly_to_island(self, level: int, key: int) -> None:
        """Frame an island: its area fills the view (its own and finer labels then show)."""
        bounds = self.scene.island_bounds(level, key) if self.scene is not None else None
        if bounds is None:
            return
        # A tiny island (a few paragraphs) is shown at least as big as a typical one of its
        # level, not at the deepest zoom.
        typical = 2 * self.scene.island_radius[level]
        target = self.camera.copy()
        target.fit(_at_least(bounds, typical), margin=0.12)
        self.fly_to(target.cx, target.cy, target.zoom)

    def fly_to_fit(self, paragraph_ids) -> None:
        """Frame these paragraphs (a document's footprint), however spread out they are."""
        rows = self._rows(paragraph_ids)
        if len(rows) == 0:
            return
        xy = self.scene.xy[rows]
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        target = self.camera.copy()
        target.fit(_at_least((x0, y0, x1, y1), 2 * self.scene.island_radius[-1]), margin=0.1)
        self.fly_to(target.cx, target.cy, target.zoom)

    def center_on(self, x: float, y: float, zoom: float | None = None) -> None:
        """Move the camera at once (no animation), e.g. while dragging on the minimap."""
        self._anim.stop()
        self._fitted = False
        self._set_camera(float(x), float(y), zoom or self.camera.zoom)

    def fly_to_paragraph(self, paragraph_id: int, zoom: float | None = None) -> None:
        row = self._row(paragraph_id)
        if row is not None:
            x, y = self.scene.xy[row]
            self.fly_to(float(x), float(y), zoom)

    def is_animating(self) -> bool:
        return self._anim.state() == QVariantAnimation.State.Running

    def _animate(self, path, duration: int, easing) -> None:
        self._anim.stop()
        self._fitted = False  # every move but fit all's own leaves the fitted overview
        if duration <= 0:
            self._set_camera(*path(1.0))
            return
        self._path = path
        self._anim.setDuration(int(duration))
        self._anim.setEasingCurve(easing)
        self._anim.start()

    def _on_anim(self, t) -> None:
        if self._path is not None:
            self._set_camera(*self._path(float(t)))

    def _set_camera(self, cx: float, cy: float, zoom: float) -> None:
        self.camera.cx, self.camera.cy, self.camera.zoom = float(cx), float(cy), clamp_zoom(zoom)
        self.update()
        self.cameraChanged.emit()

    # -- export -----------------------------------------------------------------------------------
    def render_offscreen(self, w: int, h: int, dpr: float = 1.0, *, overlays: bool = True) -> QImage:
        """The current view rendered at ``w`` x ``h`` logical px, every tile complete."""
        camera = self.camera.copy()
        camera.set_viewport(w, h)
        image = QImage(QSize(int(w * dpr), int(h * dpr)), QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        painter = QPainter(image)
        self.paint_view(painter, camera, dpr, sync=True, overlays=overlays)
        painter.end()
        return image

    def export_png(self, path, size: tuple[int, int] | None = None) -> None:
        """Save the view as PNG: at the widget's size and pixel ratio, or at ``size``."""
        if size is None:
            image = self.render_offscreen(self.width(), self.height(), self.devicePixelRatioF())
        else:
            image = self.render_offscreen(int(size[0]), int(size[1]), 1.0)
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")

    def export_svg(self, path) -> None:
        """Save the view as SVG: the land as one embedded image, overlays and labels as vectors
        (label text stays real, selectable text)."""
        from PySide6.QtSvg import QSvgGenerator

        w, h = self.width(), self.height()
        land = self.render_offscreen(w, h, 1.0, overlays=False)
        gen = QSvgGenerator()
        gen.setFileName(str(Path(path)))
        gen.setSize(QSize(w, h))
        gen.setViewBox(QRect(0, 0, w, h))
        gen.setTitle("ideamap")
        painter = QPainter(gen)
        painter.drawImage(QPointF(0, 0), land)
        if self.scene is not None:
            pal = self.tile_style.palette
            area_paint.draw_area(painter, self.camera, self.scene, self._area, dark=pal.name == "dark")
            painting.draw_overlays(painter, self.camera, self.scene, self._overlays, pal)
            labels = place_labels(self.scene, self.camera, self._measure)
            painting.draw_labels(painter, labels, None, 1.0, pal)
        if not painter.end():
            raise OSError(f"could not write {path}")

    # -- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        moving = self.is_animating() or self._dragging
        self._labels = self.paint_view(painter, self.camera, self.devicePixelRatioF(), sync=False, moving=moving,
                                       avoid=self._covered())
        painter.end()

    def paint_view(self, painter: QPainter, camera: Camera, dpr: float = 1.0, *, sync: bool = True,
                   overlays: bool = True, moving: bool = False, avoid=()) -> list[PlacedLabel]:
        """Paint the map as seen by ``camera`` (its viewport in logical px) with any painter.
        ``sync`` renders missing tiles now instead of queueing them; ``moving`` trades tile
        smoothing for speed (frames during pans and zooms); no label goes under the ``avoid``
        rectangles. Returns the labels drawn."""
        pal = self.tile_style.palette
        painting.fill_sea(painter, camera.width, camera.height, pal)
        if self.scene is None:
            return []
        painting.draw_tiles(painter, camera, self._loader, dpr, sync=sync, track=not sync, smooth=not moving)
        if not overlays:
            return []
        area_paint.draw_area(painter, camera, self.scene, self._area, None if sync else self._gesture,
                             moving=moving, dark=pal.name == "dark")
        painting.draw_overlays(painter, camera, self.scene, self._overlays, pal)
        labels = self._placed_labels(camera, dpr, tuple(avoid))
        painting.draw_labels(painter, labels, self._label_images, dpr, pal)
        return labels

    def _placed_labels(self, camera: Camera, dpr: float, avoid: tuple) -> list[PlacedLabel]:
        """place_labels, reused while nothing it depends on changed: as a map opens, every
        tile that arrives repaints the same view, ~20 times, and placing a 1M map's labels
        costs ~20 ms each time."""
        key = (self.scene, camera.cx, camera.cy, camera.zoom, camera.width, camera.height, dpr, avoid)
        if self._label_key != key:
            self._label_cache = place_labels(self.scene, camera, self._measure, dpr=dpr, avoid=avoid)
            self._label_key = key
        return self._label_cache

    def _covered(self) -> list[tuple[float, float, float, float]]:
        """Where the minimap covers the map on screen: no label is placed under it."""
        mini = self._minimap
        if mini is None or not mini.isVisible():
            return []
        g = mini.geometry()
        return [(g.x(), g.y(), g.width(), g.height())]

    def resizeEvent(self, event) -> None:
        self.camera.set_viewport(self.width(), self.height())
        if self._minimap is not None:
            self._minimap.place()  # first: a fit keeps the map clear of it
        if self._fitted:
            # A fit made for the old size would cut a wide map off on a narrower canvas. A fit
            # still flying (the map just opened) flies on to the new target instead of jumping.
            self.fit_all(animate=self.is_animating())
        self.cameraChanged.emit()

    def closeEvent(self, event) -> None:
        self._loader.shutdown()
        super().closeEvent(event)

    # -- minimap ----------------------------------------------------------------------------------
    def show_minimap(self, visible: bool = True):
        """An overview in the bottom-right corner; returns it (a Minimap)."""
        from ideamap.app.canvas.minimap import Minimap

        if self._minimap is None:
            self._minimap = Minimap(self, parent=self)
        self._minimap.setVisible(visible)
        self._minimap.place()
        return self._minimap

    # -- hit testing ------------------------------------------------------------------------------
    def point_at(self, pos: QPointF) -> int | None:
        """The paragraph drawn under a screen point (dots shown at this zoom, or marked ones)."""
        if self.scene is None or len(self.scene) == 0:
            return None
        world = self.camera.screen_to_world((pos.x(), pos.y()))
        dpr = self.devicePixelRatioF()
        scale = tile_scale(self.camera.tile_level(dpr)) / dpr
        marked = self._overlays.rows()

        def accept(rows):
            return dots_visible(self.scene, rows, scale) | np.isin(rows, marked)

        return self.scene.hit_test(world, HIT_PX / self.camera.scale, accept)

    def label_at(self, pos: QPointF) -> PlacedLabel | None:
        return label_at(self._labels, pos.x(), pos.y())


def _at_least(bounds, span: float):
    """``bounds`` grown around its centre to at least ``span`` on each side."""
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw, hh = max(x1 - x0, span) / 2, max(y1 - y0, span) / 2
    return cx - hw, cy - hh, cx + hw, cy + hh


def palette_theme(palette: QPalette) -> str:
    """"dark" when the window background is dark (whatever chose it: the user, the system)."""
    return "dark" if palette.color(QPalette.ColorRole.Window).lightness() < 128 else "light"
