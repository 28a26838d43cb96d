"""The tile pyramid: 256-px RGBA tiles of land, sea and dots, rasterised with numpy. No Qt.

Level L cuts the world square into 2^L x 2^L tiles. A tile samples the precomputed fields
(see fields.py) bilinearly, shades land by density, draws an antialiased coastline and a
light rim of shallow water, then stamps dots for the points that are sparse enough to show
at this zoom. Everything here is safe to run in worker threads.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from ideamap.app.canvas import colors
from ideamap.app.canvas.camera import TILE_SIZE
from ideamap.app.canvas.fields import GRID, kept_share_field, land_fields, mean_color_field
from ideamap.app.canvas.island_fields import island_color_field, island_point_colors

COLOR_MODES = ("island", "document", "folder", "date")
# Dots: where points are sparser on screen than one per 700 px^2 all are drawn; denser, a
# sample keeps the drawn density at that level (the same paragraphs each time); where
# denser than one per 30 px^2 none are drawn, as the shaded land already says "many here".
DOT_FULL_DENSITY = 1 / 700
DOT_CUT_DENSITY = 1 / 30
# No dots at all while a full-HD screen would show more points than this (e.g. a 100k map
# seen whole): they would be a sprinkle of noise over the overview.
DOTS_MAX_ON_SCREEN = 40_000
SCREEN_PX2 = 1920 * 1080
MATMUL_MAX_CELLS = 6
RING_PX = 0.9  # the light ring around each dot, logical px
SHALLOW_PX = 9.0  # width of the light water rim along coasts, logical px
VEILED_DOT_ALPHA = 0.18  # dots of paragraphs a filter leaves out: faint, still findable
KEPT_DOT_SCALE = 1.35  # kept dots are this much larger than plain ones
KEPT_DOTS_MAX = 5_000  # a filter keeping at most this many shows each of them as a dot at any zoom
_tokens = itertools.count(1)


@dataclass(frozen=True, eq=False)
class TileStyle:
    """How tiles look. ``values`` (for non-island modes) are aligned with ``scene.ids``:
    integer categories for "document"/"folder", floats for "date" (NaN = unknown).
    ``theme`` ("light" or "dark") picks the map palette to match the window's."""

    mode: str = "island"
    values: np.ndarray | None = None
    dpr: float = 1.0
    dot_radius: float = 2.6  # logical px
    theme: str = "light"
    token: int = field(default_factory=lambda: next(_tokens))
    # The veil (a tag filter, a time range): True for paragraphs that stay clear, aligned with
    # ``scene.ids``; None veils nothing. Its token keys the memoised share-of-kept field.
    keep: np.ndarray | None = None
    keep_token: int = 0

    def __post_init__(self):
        if self.mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {COLOR_MODES}, not {self.mode!r}")
        if self.mode != "island" and self.values is None:
            raise ValueError(f"colour mode {self.mode!r} needs one value per paragraph")
        colors.map_palette(self.theme)  # raises for an unknown theme

    @property
    def keep_count(self) -> int:
        return 0 if self.keep is None else int(np.count_nonzero(self.keep))

    @property
    def palette(self) -> colors.MapPalette:
        return colors.map_palette(self.theme)

    @property
    def color_key(self):
        """What the colour fields depend on (not the pixel ratio)."""
        return "island" if self.mode == "island" else (self.mode, self.token)

    @property
    def key(self) -> tuple:
        return (self.color_key, self.theme, round(self.dpr, 3), self.dot_radius)

    def with_dpr(self, dpr: float) -> "TileStyle":
        return replace(self, dpr=float(dpr))

    def with_theme(self, theme: str) -> "TileStyle":
        return replace(self, theme=theme)

    def with_keep(self, keep: np.ndarray | None) -> "TileStyle":
        """The same look with another veil (None: no veil)."""
        keep = None if keep is None else np.asarray(keep, dtype=bool)
        return replace(self, keep=keep, keep_token=0 if keep is None else next(_tokens))


DEFAULT_STYLE = TileStyle()


def tile_scale(level: int, style: TileStyle = DEFAULT_STYLE, size: int = TILE_SIZE) -> float:
    """Logical px per world unit at which a tile of ``level`` is drawn 1:1."""
    return size * 2**level / style.dpr


def color_level(scene, level: int, style: TileStyle = DEFAULT_STYLE) -> int:
    """The island level tiles of this pyramid level are coloured by (labels use the same)."""
    return scene.level_for_scale(tile_scale(level, style))


def point_colors(scene, style: TileStyle, level: int) -> tuple[np.ndarray, np.ndarray]:
    """(land rgb, dot rgb), each (n, 3) uint8, for the colour level ``level``. Land is in
    the light palette (tiles map it to the theme); dots are already themed."""
    pal = style.palette

    def build():
        if style.mode == "island":
            land = island_point_colors(scene, level)
            dots = colors.themed_dots(pal, land)
            dots[~scene.land] = pal.sea_dot
            return land, dots
        vivid = (colors.ramp_colors(style.values) if style.mode == "date"
                 else colors.category_colors(style.values))
        return colors.lighten(vivid, 0.55), vivid

    lv = level if style.mode == "island" else 0
    return scene.memo(("point_colors", style.color_key, lv, style.theme), build)


def land_color_field(scene, style: TileStyle, level: int) -> tuple[np.ndarray, ...]:
    if style.mode == "island":
        return island_color_field(scene, level)
    return mean_color_field(scene, style.color_key, lambda: point_colors(scene, style, 0)[0], 0)


# -- rendering ---------------------------------------------------------------------------------
def render_tile(scene, level: int, tx: int, ty: int, size: int = TILE_SIZE,
                style: TileStyle = DEFAULT_STYLE) -> np.ndarray:
    """The (size, size, 4) uint8 RGBA tile (level, tx, ty); opaque."""
    span = 1.0 / 2**level  # world units per tile side
    px = span / size  # world units per pixel
    clevel = color_level(scene, level, style) if style.mode == "island" else 0
    lf = land_fields(scene)
    # Sample one pixel beyond each edge so gradients (coast distance) match across tiles.
    wx = tx * span + (np.arange(-1, size + 1) + 0.5) * px
    wy = ty * span + (np.arange(-1, size + 1) + 0.5) * px
    k = _pyramid_index(px, len(lf.log_density))
    cells = GRID >> k
    logd = _bilinear(lf.log_density[k], wx * cells - 0.5, wy * cells - 0.5)
    cfield = land_color_field(scene, style, clevel)
    land_rgb = colors.themed_land(style.palette, _bilinear(cfield[k], wx * cells - 0.5, wy * cells - 0.5))
    if style.keep is not None:
        land_rgb = _veil_land(scene, style, land_rgb, k, wx * cells - 0.5, wy * cells - 0.5)
    rgb = np.ascontiguousarray(_shade(logd, land_rgb, lf.coast, style.dpr, style.palette)[1:-1, 1:-1])
    _draw_dots(rgb, scene, style, level, (tx * span, ty * span, px), clevel)
    out = np.empty((size, size, 4), dtype=np.uint8)
    np.clip(rgb, 0, 255, out=rgb)
    out[..., :3] = rgb + 0.5  # round while casting
    out[..., 3] = 255
    return out


def _veil_land(scene, style: TileStyle, land_rgb: np.ndarray, k: int, cx, cy) -> np.ndarray:
    """Land fades towards the veil colour where few of the paragraphs around are kept, so the
    islands a filter keeps stand out. Applied to the land colour (before shading) so the sea
    and the coastline stay as they are."""
    share = _bilinear(kept_share_field(scene, style.keep_token, style.keep)[k], cx, cy)
    *veil, alpha = style.palette.veil
    # sqrt: an island where a fifth of the paragraphs are kept still reads as clearly marked.
    amount = ((1.0 - np.sqrt(np.clip(share, 0, 1))) * (alpha / 255 * 1.15))[..., None]
    return land_rgb + (np.asarray(veil, np.float32) - land_rgb) * np.minimum(amount, 0.9)


def _pyramid_index(px_world: float, n_levels: int) -> int:
    """The field level with cells about one tile pixel wide, never finer than needed."""
    cells_per_px = px_world * GRID
    return int(min(n_levels - 1, max(0, math.floor(math.log2(max(cells_per_px, 1e-12)) + 0.5))))


def _bilinear(field: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Sample ``field`` (h, w[, c]) at the grid of cell coordinates cx x cy, separably.

    Deep zoom samples a patch of a few cells many times: two small matrix products are then
    about 5x faster than gathering; otherwise rows and columns are gathered."""
    x0, x1, fx = _axis(cx, field.shape[1])
    y0, y1, fy = _axis(cy, field.shape[0])
    lo, hi = int(x0.min()), int(x1.max()) + 1
    ylo, yhi = int(y0.min()), int(y1.max()) + 1
    if hi - lo <= MATMUL_MAX_CELLS and yhi - ylo <= MATMUL_MAX_CELLS:
        return _bilinear_matmul(field[ylo:yhi, lo:hi], (x0 - lo, x1 - lo, fx), (y0 - ylo, y1 - ylo, fy))
    sub = field[:, lo:hi]
    extra = (1,) * (field.ndim - 2)
    fy = fy.reshape(-1, 1, *extra)
    rows = sub[y0] * (1 - fy) + sub[y1] * fy
    fx = fx.reshape(1, -1, *extra)
    return rows[:, x0 - lo] * (1 - fx) + rows[:, x1 - lo] * fx


def _bilinear_matmul(patch: np.ndarray, xs, ys) -> np.ndarray:
    wx, wy = _weights(*xs, patch.shape[1]), _weights(*ys, patch.shape[0])
    h, w = patch.shape[:2]
    rows = wy @ patch.reshape(h, -1).astype(np.float32)  # (ny, w * channels)
    if patch.ndim == 2:
        return rows @ wx.T
    rows = rows.reshape(len(wy), w, -1).transpose(0, 2, 1)  # (ny, channels, w)
    return (rows @ wx.T).transpose(0, 2, 1)


def _weights(i0: np.ndarray, i1: np.ndarray, f: np.ndarray, n: int) -> np.ndarray:
    """The (samples, n) linear-interpolation matrix."""
    m = np.zeros((len(i0), n), np.float32)
    r = np.arange(len(i0))
    np.add.at(m, (r, i0), 1 - f)
    np.add.at(m, (r, i1), f)
    return m


def _axis(pos: np.ndarray, n: int):
    i0 = np.floor(pos)
    f = (pos - i0).astype(np.float32)
    i0 = i0.astype(np.int64)
    return np.clip(i0, 0, n - 1), np.clip(i0 + 1, 0, n - 1), f


def _shade(logd: np.ndarray, land_rgb: np.ndarray, coast: float, dpr: float,
           pal: colors.MapPalette = colors.LIGHT) -> np.ndarray:
    """Compose sea, shallow rim, land and coastline into float RGB (h, w, 3).

    Per-pixel factors are computed on 2-D arrays first, so the 3-channel work is a few
    multiply-adds; tiles that are all open sea or all inland skip the coast work."""
    gy, gx = np.gradient(logd)
    # Signed distance to the coast in device px, from a first-order expansion of log density.
    dist = (logd - coast) / np.maximum(np.hypot(gx, gy), 1e-4)
    sea = np.asarray(pal.sea, np.float32)
    if dist.max() < -SHALLOW_PX * dpr:
        return np.broadcast_to(sea, (*logd.shape, 3))
    # Denser ground is a little deeper in tone (elevation tints), lit softly from the upper
    # left as if density were terrain.
    height = np.clip((logd - coast) / 4.0, 0, 1)
    relief = np.clip(-(gx + gy) * 0.35, -0.06, 0.06)
    ground = land_rgb * (1.0 - 0.05 * height + relief)[..., None]
    if dist.min() > 1.5 * dpr:
        return ground
    land_a = np.clip(dist + 0.5, 0, 1)
    rim = np.clip(1 + dist / (SHALLOW_PX * dpr), 0, 1) ** 2
    edge = np.clip(1.0 - np.abs(dist) / (0.9 * dpr), 0, 1) * 0.55
    water = sea + (np.asarray(pal.sea_shallow, np.float32) - sea) * rim[..., None]
    rgb = water + (ground - water) * land_a[..., None]
    return rgb + (land_rgb * pal.coast_gain - rgb) * edge[..., None]


# -- dots ------------------------------------------------------------------------------------
def dots_visible(scene, rows: np.ndarray, scale: float) -> np.ndarray:
    """Which of these points show as dots at ``scale`` (logical px per world unit).

    Where points are sparse on screen all show; where denser, a share chosen by a fixed
    per-paragraph rank, so zooming in adds dots to those already shown instead of swapping
    them, and dense areas never turn into a haze. Hit-testing uses
    this too, so a click picks only what is drawn."""
    lf = land_fields(scene)
    on_screen = len(scene) * min(1.0, SCREEN_PX2 / (scale * scale) / lf.occupied_area)
    if on_screen > DOTS_MAX_ON_SCREEN:
        return np.zeros(len(rows), dtype=bool)
    per_px = lf.point_density[rows] / (scale * scale)
    share = np.where(per_px < DOT_CUT_DENSITY, DOT_FULL_DENSITY / np.maximum(per_px, 1e-12), 0.0)
    return lf.point_rank[rows] < share


def _draw_dots(rgb: np.ndarray, scene, style: TileStyle, level: int, origin, clevel: int) -> None:
    x0, y0, px = origin
    size = rgb.shape[0]
    radius = (style.dot_radius * KEPT_DOT_SCALE + RING_PX) * style.dpr  # device px, ring included
    margin = (radius + 1) * px
    rows = scene.rows_in_rect((x0 - margin, y0 - margin, x0 + size * px + margin, y0 + size * px + margin))
    if len(rows) == 0:
        return
    shown = dots_visible(scene, rows, tile_scale(level, style, size))
    if style.keep is None:
        _stamp_dots(rgb, scene, style, rows[shown], origin, clevel, 1.0, style.dot_radius)
        return
    kept = style.keep[rows]
    if style.keep_count <= KEPT_DOTS_MAX:
        shown |= kept  # a filter's few paragraphs show at every zoom, as pins would
    # Left-out dots faint, kept ones a little larger and on top.
    _stamp_dots(rgb, scene, style, rows[shown & ~kept], origin, clevel, VEILED_DOT_ALPHA, style.dot_radius)
    _stamp_dots(rgb, scene, style, rows[shown & kept], origin, clevel, 1.0, style.dot_radius * KEPT_DOT_SCALE)


def _stamp_dots(rgb, scene, style: TileStyle, rows, origin, clevel: int, opacity: float, radius: float) -> None:
    if len(rows) == 0:
        return
    x0, y0, px = origin
    alpha = np.full(len(rows), opacity, np.float32)
    pos = (scene.xy[rows].astype(np.float64) - (x0, y0)) / px  # tile px, continuous
    dot_rgb = point_colors(scene, style, clevel)[1][rows].astype(np.float32)
    fill, ring = _stamps(radius * style.dpr, style.dpr)
    ring_rgb = np.broadcast_to(np.asarray(style.palette.dot_ring, np.float32), (len(rows), 3))
    _splat(rgb, pos, alpha * 0.8, ring, ring_rgb)
    _splat(rgb, pos, alpha, fill, dot_rgb)


def _splat(rgb: np.ndarray, pos: np.ndarray, alpha: np.ndarray, stamps, color: np.ndarray) -> None:
    """Blend one coverage stamp per point into ``rgb`` (later points win where they overlap)."""
    table, offsets, sub = stamps
    size = rgb.shape[0]
    base = np.floor(pos).astype(np.int64)
    frac = np.minimum(((pos - base) * sub).astype(np.int64), sub - 1)
    cov = table[frac[:, 1], frac[:, 0]] * alpha[:, None]  # (m, k*k)
    yy = base[:, 1:2] + offsets[None, :, 0]
    xx = base[:, 0:1] + offsets[None, :, 1]
    ok = (cov > 0.004) & (xx >= 0) & (xx < size) & (yy >= 0) & (yy < size)
    pts = np.nonzero(ok)[0]
    flat = rgb.reshape(-1, 3)
    idx = yy[ok] * size + xx[ok]
    a = cov[ok][:, None]
    flat[idx] = flat[idx] * (1 - a) + color[pts] * a


_STAMP_CACHE: dict = {}
_STAMP_LOCK = threading.Lock()


def _stamps(radius: float, dpr: float, sub: int = 4):
    """(fill, ring) coverage stamps for a disc of ``radius`` device px at ``sub`` x ``sub``
    sub-pixel offsets; each is (table (sub, sub, k*k), offsets (k*k, 2), sub)."""
    key = (round(radius, 3), round(dpr, 3), sub)
    with _STAMP_LOCK:
        if key not in _STAMP_CACHE:
            ring_r = radius + RING_PX * dpr
            half = int(math.ceil(ring_r + 1))
            d = np.arange(-half, half + 1)
            oy, ox = np.meshgrid(d, d, indexing="ij")
            offsets = np.stack([oy.ravel(), ox.ravel()], axis=1)
            fr = (np.arange(sub) + 0.5) / sub
            cy = offsets[None, None, :, 0] + 0.5 - fr[:, None, None]
            cx = offsets[None, None, :, 1] + 0.5 - fr[None, :, None]
            dist = np.hypot(cx, cy)
            fill = np.clip(radius + 0.5 - dist, 0, 1).astype(np.float32)
            ring = np.clip(ring_r + 0.5 - dist, 0, 1).astype(np.float32)
            _STAMP_CACHE[key] = ((fill, offsets, sub), (ring, offsets, sub))
        return _STAMP_CACHE[key]


# -- cache -----------------------------------------------------------------------------------
class TileCache:
    """A thread-safe LRU of finished tiles (numpy arrays or QImages)."""

    def __init__(self, capacity: int = 512):
        self.capacity = capacity
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def peek(self, key):
        """Look without refreshing recency (for placeholder searches)."""
        with self._lock:
            return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
