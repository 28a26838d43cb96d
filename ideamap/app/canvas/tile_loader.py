"""Tiles for the widget: an LRU of QImages filled by a thread pool. Qt.

Painting never waits for a tile: a missing tile is queued (nearest the centre first) and the
widget repaints when ``tileReady`` fires. A generation number is part of every key, so tiles
of a previous map or colour mode that finish late are dropped.
"""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from ideamap.app.canvas.tiles import DEFAULT_STYLE, TileCache, TileStyle, render_tile


log = logging.getLogger(__name__)
CACHE_TILES = 512  # 512 x 256 KiB = 128 MiB at most


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """An owned ARGB32_Premultiplied QImage (the raster engine's fastest format) from an
    opaque RGBA array."""
    h, w, _ = rgba.shape
    order = [2, 1, 0, 3] if sys.byteorder == "little" else [3, 0, 1, 2]
    data = np.ascontiguousarray(rgba[..., order])
    image = QImage(data.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
    return image.copy()  # detach from the numpy buffer


class _Signals(QObject):
    done = Signal(object, object)  # key, QImage or None


class _TileJob(QRunnable):
    def __init__(self, loader: "TileLoader", key: tuple, scene, style: TileStyle):
        super().__init__()
        self.loader, self.key, self.scene, self.style = loader, key, scene, style

    def run(self) -> None:
        image = None
        # Skip tiles the view moved away from while they waited in the queue.
        if self.key in self.loader.wanted:
            try:
                _, _, level, tx, ty = self.key
                image = rgba_to_qimage(render_tile(self.scene, level, tx, ty, style=self.style))
            except Exception:  # a bad tile must not kill the worker; it is logged and retried
                log.exception("tile %s failed", self.key)
        try:
            self.loader.signals.done.emit(self.key, image)
        except RuntimeError:  # the widget was destroyed meanwhile
            pass


class TileLoader(QObject):
    tileReady = Signal()

    def __init__(self, parent=None, threads: int | None = None):
        super().__init__(parent)
        self.cache = TileCache(CACHE_TILES)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads or max(1, min(4, (os.cpu_count() or 2) - 1)))
        self.signals = _Signals(self)
        self.signals.done.connect(self._on_done)
        self.scene = None
        self.style: TileStyle = DEFAULT_STYLE
        self.generation = 0
        self.wanted: frozenset = frozenset()
        self._pending: set = set()
        self._styles: dict[float, TileStyle] = {}

    def set_source(self, scene, style: TileStyle = DEFAULT_STYLE) -> None:
        """A new map or colour mode: forget every tile."""
        self.pool.clear()  # drop queued jobs; running ones finish and are ignored
        self.scene, self.style = scene, style
        self.generation += 1
        self._styles.clear()
        self.cache.clear()
        self._pending.clear()

    def style_for(self, dpr: float) -> TileStyle:
        dpr = round(float(dpr), 3)
        if dpr not in self._styles:
            self._styles[dpr] = self.style.with_dpr(dpr)
        return self._styles[dpr]

    def key(self, level: int, tx: int, ty: int, dpr: float) -> tuple:
        return (self.generation, round(float(dpr), 3), level, tx, ty)

    def get(self, key) -> QImage | None:
        return self.cache.get(key)

    def render_now(self, key) -> QImage | None:
        """Render on the calling thread (exports, screenshots, the first overview tile)."""
        if self.scene is None:
            return None
        image = self.cache.get(key)
        if image is None:
            _, dpr, level, tx, ty = key
            image = rgba_to_qimage(render_tile(self.scene, level, tx, ty, style=self.style_for(dpr)))
            self.cache.put(key, image)
        return image

    def request(self, keys) -> None:
        """Queue the missing tiles; the first key gets the highest priority."""
        if self.scene is None:
            return
        keys = [k for k in keys if k not in self._pending and k not in self.cache]
        for rank, key in enumerate(keys):
            self._pending.add(key)
            job = _TileJob(self, key, self.scene, self.style_for(key[1]))
            self.pool.start(job, len(keys) - rank)

    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self) -> None:
        self.pool.clear()
        self.pool.waitForDone(2000)

    def _on_done(self, key, image) -> None:
        self._pending.discard(key)
        if image is not None and key[0] == self.generation:
            self.cache.put(key, image)
            self.tileReady.emit()
