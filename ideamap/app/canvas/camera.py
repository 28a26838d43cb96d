"""The camera: which part of the world square [0,1]^2 the canvas shows.

Plain Python so the geometry is tested without a window. World y grows downwards like screen
y (the layout's orientation is arbitrary, and sharing the direction keeps tiles simple).
At zoom 1 the world square exactly fits the shorter side of the viewport.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

MIN_ZOOM = 0.5
MAX_ZOOM = 4096.0
TILE_SIZE = 256  # device pixels per tile side
MAX_TILE_LEVEL = 24


CLEAR_FIT_MIN_SCALE = 0.8  # fit all keeps the map clear of the minimap if it stays this large


def _overlaps(a, b) -> bool:
    """Whether two (x, y, w, h) rectangles overlap."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def clamp_zoom(zoom: float) -> float:
    return min(MAX_ZOOM, max(MIN_ZOOM, float(zoom)))


@dataclass
class Camera:
    cx: float = 0.5  # world point at the viewport centre
    cy: float = 0.5
    zoom: float = 1.0
    width: int = 800  # viewport size in logical pixels
    height: int = 600

    # -- the maps ------------------------------------------------------------------------
    @property
    def scale(self) -> float:
        """Logical pixels per world unit."""
        return max(1, min(self.width, self.height)) * self.zoom

    def world_to_screen(self, xy) -> np.ndarray:
        """World (..., 2) to logical screen pixels (..., 2)."""
        xy = np.asarray(xy, dtype=np.float64)
        centre = np.array([self.cx, self.cy])
        half = np.array([self.width / 2, self.height / 2])
        return (xy - centre) * self.scale + half

    def screen_to_world(self, pts) -> np.ndarray:
        pts = np.asarray(pts, dtype=np.float64)
        centre = np.array([self.cx, self.cy])
        half = np.array([self.width / 2, self.height / 2])
        return (pts - half) / self.scale + centre

    def visible_world_rect(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the world shown, which may reach outside [0,1]."""
        hw = self.width / 2 / self.scale
        hh = self.height / 2 / self.scale
        return self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh

    # -- moves ---------------------------------------------------------------------------
    def set_viewport(self, width: int, height: int) -> None:
        self.width, self.height = max(1, int(width)), max(1, int(height))

    def zoom_at(self, screen_point, factor: float) -> None:
        """Multiply the zoom, keeping the world point under ``screen_point`` where it is."""
        anchor = self.screen_to_world(screen_point)
        self.zoom = clamp_zoom(self.zoom * factor)
        self.cx, self.cy = centre_keeping(anchor, screen_point, self.zoom, self)

    def pan(self, dx_px: float, dy_px: float) -> None:
        """Move the content by (dx, dy) pixels, as a drag does."""
        self.cx -= dx_px / self.scale
        self.cy -= dy_px / self.scale

    def fit(self, bounds, margin: float = 0.06) -> None:
        """Show the world rectangle ``bounds`` (x0, y0, x1, y1) whole, with a margin."""
        x0, y0, x1, y1 = bounds
        bw, bh = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        base = max(1, min(self.width, self.height))
        fit_zoom = min(self.width / bw, self.height / bh) / base * (1 - 2 * margin)
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.zoom = clamp_zoom(fit_zoom)

    def fit_clear_of(self, bounds, margin: float, corner) -> None:
        """Like :meth:`fit`, but with the bounds' frame clear of ``corner`` (x, y, w, h in
        logical px: a box in the bottom-right, the minimap), by fitting into the area left of
        it or above it, whichever shows the map larger, when that costs at most
        1 - CLEAR_FIT_MIN_SCALE of the plain fit's scale; otherwise the plain fit."""
        self.fit(bounds, margin)
        if corner is None or not _overlaps(self.frame_of(bounds), corner):
            return
        x, y = corner[0], corner[1]
        beside = []
        for vw, vh in ((x, self.height), (self.width, y)):  # left of the box, above it
            if vw >= 1 and vh >= 1:
                sub = Camera(width=int(vw), height=int(vh))
                sub.fit(bounds, margin)
                beside.append((sub.scale, vw, vh))
        if not beside:
            return
        scale, vw, vh = max(beside)
        if scale < CLEAR_FIT_MIN_SCALE * self.scale:
            return
        self.zoom = clamp_zoom(scale / max(1, min(self.width, self.height)))
        # The bounds' centre goes to the centre of that area (at the canvas's top left).
        self.cx = (bounds[0] + bounds[2]) / 2 + (self.width - vw) / 2 / self.scale
        self.cy = (bounds[1] + bounds[3]) / 2 + (self.height - vh) / 2 / self.scale

    def frame_of(self, bounds) -> tuple[float, float, float, float]:
        """The world rectangle ``bounds`` on screen as (x, y, w, h) in logical px."""
        (sx0, sy0), (sx1, sy1) = self.world_to_screen([bounds[:2], bounds[2:]])
        return float(sx0), float(sy0), float(sx1 - sx0), float(sy1 - sy0)

    def copy(self, **changes) -> "Camera":
        return replace(self, **changes)

    # -- tiles ---------------------------------------------------------------------------
    def tile_level(self, dpr: float = 1.0) -> int:
        """The pyramid level whose tiles are closest to one texel per device pixel.

        Rounding (not ceiling) keeps tiles drawn between 0.71x and 1.41x, so a frame needs
        about half as many tiles as always-downscaling would, at a small cost in sharpness."""
        ratio = self.scale * dpr / TILE_SIZE
        level = int(math.floor(math.log2(max(ratio, 1e-9)) + 0.5))
        return max(0, min(MAX_TILE_LEVEL, level))

    def visible_tiles(self, dpr: float = 1.0) -> list[tuple[int, int, int]]:
        """(level, tx, ty) of the tiles covering the view, nearest the centre first."""
        level = self.tile_level(dpr)
        n = 2**level
        x0, y0, x1, y1 = self.visible_world_rect()
        tx0, tx1 = max(0, int(math.floor(x0 * n))), min(n - 1, int(math.floor(x1 * n)))
        ty0, ty1 = max(0, int(math.floor(y0 * n))), min(n - 1, int(math.floor(y1 * n)))
        tiles = [(level, tx, ty) for ty in range(ty0, ty1 + 1) for tx in range(tx0, tx1 + 1)]
        cx, cy = self.cx * n, self.cy * n
        tiles.sort(key=lambda t: (t[1] + 0.5 - cx) ** 2 + (t[2] + 0.5 - cy) ** 2)
        return tiles


def centre_keeping(anchor_world, screen_point, zoom: float, camera: Camera) -> tuple[float, float]:
    """The centre that puts ``anchor_world`` at ``screen_point`` at ``zoom``."""
    scale = max(1, min(camera.width, camera.height)) * zoom
    sx, sy = screen_point
    return (
        float(anchor_world[0] - (sx - camera.width / 2) / scale),
        float(anchor_world[1] - (sy - camera.height / 2) / scale),
    )


@dataclass(frozen=True)
class AnchoredZoom:
    """A zoom animation that keeps one world point under one screen point throughout
    (the wheel and double-click feel of Google Maps)."""

    anchor_world: tuple[float, float]
    anchor_screen: tuple[float, float]
    zoom0: float
    zoom1: float

    def at(self, camera: Camera, t: float) -> tuple[float, float, float]:
        """(cx, cy, zoom) at progress ``t`` in [0, 1]; zoom moves geometrically."""
        zoom = self.zoom0 * (self.zoom1 / self.zoom0) ** t
        cx, cy = centre_keeping(self.anchor_world, self.anchor_screen, zoom, camera)
        return cx, cy, zoom


@dataclass(frozen=True)
class Flight:
    """A camera move between two views. Long moves zoom out on the way so the user sees
    where the camera goes (a cheap version of van Wijk & Nuij's smooth zoom and pan)."""

    start: tuple[float, float, float]  # (cx, cy, zoom)
    end: tuple[float, float, float]

    def at(self, t: float) -> tuple[float, float, float]:
        (x0, y0, z0), (x1, y1, z1) = self.start, self.end
        cx, cy = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
        log_zoom = math.log(z0) + (math.log(z1) - math.log(z0)) * t
        dip = self._dip()
        # A parabola in log-zoom: 0 at both ends, -dip in the middle.
        log_zoom -= 4 * dip * t * (1 - t)
        return cx, cy, clamp_zoom(math.exp(log_zoom))

    def _dip(self) -> float:
        (x0, y0, z0), (x1, y1, z1) = self.start, self.end
        distance = math.hypot(x1 - x0, y1 - y0)
        if distance == 0:
            return 0.0
        # The zoom at which both ends fit in the view, with some room around them.
        fit = 0.6 / distance
        low = min(z0, z1)
        mid = math.exp((math.log(z0) + math.log(z1)) / 2)
        return max(0.0, math.log(mid) - math.log(min(low, fit))) if fit < low else 0.0
