"""Colours of the map. No Qt.

Island colours come from a stable hash (CRC-32) of the island's label, never from the order
islands happen to be listed in, so a map looks the same every time it is opened and after
a rebuild that keeps its labels. Python's ``hash()`` is salted per process, so it is not
used. A child island takes its parent's colour with a small shift, so bays read as parts
of their island and islands as parts of their region.
"""

from __future__ import annotations

import colorsys
import zlib
from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]

SEA: RGB = (170, 211, 236)  # a calm map-water blue
SEA_SHALLOW: RGB = (198, 228, 246)  # the light rim of water along coasts
SEA_DOT: RGB = (84, 118, 150)  # unclustered paragraphs drawn on the sea
NEUTRAL_LAND: RGB = (226, 222, 206)  # land when nothing better is known
MISSING: RGB = (190, 190, 190)  # a paragraph without a value (e.g. no date)
LABEL_INK: RGB = (40, 44, 50)
CONTEXT_INK: RGB = (104, 100, 92)  # parent names: present but quieter

# Soft greens, ochres and pastels; no blues, which would read as water.
LAND_PALETTE: tuple[RGB, ...] = (
    (196, 224, 178),  # sage
    (228, 216, 166),  # wheat
    (238, 204, 170),  # peach sand
    (190, 216, 196),  # mint grey
    (216, 200, 226),  # lavender
    (236, 196, 188),  # rose clay
    (208, 224, 160),  # light olive
    (244, 228, 178),  # pale ochre
    (178, 210, 168),  # moss
    (230, 210, 198),  # beige rose
    (218, 198, 166),  # tan
    (214, 230, 196),  # pale fern
    (232, 222, 150),  # straw
    (206, 196, 212),  # heather
)

# A sequential ramp for dates: old = pale straw, recent = deep violet.
DATE_STOPS: tuple[RGB, ...] = ((246, 232, 160), (150, 206, 140), (72, 160, 170), (86, 90, 160))


def stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def island_color(label: str, key: int, level: int, parent: RGB | None = None) -> RGB:
    """The colour of one island, stable across sessions.

    Hashes the label (or "level:key" for an unlabelled island). Regions pick from the land
    palette; children shift their parent's hue and lightness a little."""
    h = stable_hash(label.strip().lower() if label.strip() else f"{level}:{key}")
    if parent is None:
        return LAND_PALETTE[h % len(LAND_PALETTE)]
    return _variant(parent, h)


def _variant(rgb: RGB, h: int) -> RGB:
    hue, light, sat = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    hue = (hue + ((h & 0xFF) / 255 - 0.5) * 0.045) % 1.0  # within about +-8 degrees
    light = min(0.9, max(0.72, light + (((h >> 8) & 0xFF) / 255 - 0.5) * 0.14))
    sat = min(0.55, max(0.2, sat + (((h >> 16) & 0xFF) / 255 - 0.5) * 0.2))
    r, g, b = colorsys.hls_to_rgb(hue, light, sat)
    return (round(r * 255), round(g * 255), round(b * 255))


def category_color(value: int) -> RGB:
    """A distinct, fairly vivid colour for a category (document id, folder hash...).

    Hue steps by the golden angle from a hash of the value, so nearby ids differ clearly."""
    h = zlib.crc32(int(value).to_bytes(8, "little", signed=True))
    hue = (h * 0.6180339887) % 1.0
    light = 0.50 + ((h >> 12) & 0x7) / 7 * 0.12
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.58)
    return (round(r * 255), round(g * 255), round(b * 255))


def category_colors(values: np.ndarray) -> np.ndarray:
    """(n, 3) uint8 colours for integer categories; negative values are 'missing'."""
    values = np.asarray(values, dtype=np.int64)
    uniq, inverse = np.unique(values, return_inverse=True)
    table = np.array([MISSING if v < 0 else category_color(int(v)) for v in uniq], np.uint8)
    return table[inverse].reshape(-1, 3)


def ramp_colors(values: np.ndarray) -> np.ndarray:
    """(n, 3) uint8 colours on the date ramp, from the oldest to the newest value; NaN grey."""
    values = np.asarray(values, dtype=np.float64)
    out = np.tile(np.array(MISSING, np.uint8), (len(values), 1))
    ok = np.isfinite(values)
    if not ok.any():
        return out
    lo, hi = values[ok].min(), values[ok].max()
    t = (values[ok] - lo) / (hi - lo) if hi > lo else np.full(ok.sum(), 0.5)
    stops = np.array(DATE_STOPS, np.float64)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i)[:, None]
    out[ok] = np.round(stops[i] * (1 - f) + stops[i + 1] * f).astype(np.uint8)
    return out


def lighten(rgb: np.ndarray, amount: float) -> np.ndarray:
    """Mix towards white; works on (3,) or (n, 3)."""
    rgb = np.asarray(rgb, dtype=np.float32)
    return (rgb + (255 - rgb) * amount).round().astype(np.uint8)


def darken(rgb: np.ndarray, factor: float) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.float32)
    return (rgb * factor).round().astype(np.uint8)


def dot_colors_for(land_rgb: np.ndarray) -> np.ndarray:
    """Dots of a paragraph: a deeper, more saturated tone of its land colour, so dots read
    against their own island's land."""
    rgb = np.asarray(land_rgb, dtype=np.float32) / 255
    mean = rgb.mean(axis=-1, keepdims=True)
    saturated = np.clip(mean + (rgb - mean) * 1.9, 0, 1)
    return (saturated * 0.5 * 255).round().astype(np.uint8)


# -- themes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapPalette:
    """Everything on the map that is not an island's own colour, for one UI theme.

    Island colours are always chosen in the light palette (from label hashes, above) and the
    dark theme derives its land from them with a fixed per-channel map, so an island keeps its
    hue, and its colour in each theme, across sessions. A per-channel affine map commutes with
    the bilinear sampling of the colour fields, so tiles apply it after sampling and the fields
    are shared by both themes."""

    name: str
    sea: RGB
    sea_shallow: RGB
    sea_dot: RGB
    dot_ring: RGB  # the thin ring that lifts dots off their land
    label_ink: RGB
    context_ink: RGB
    halo: tuple[int, int, int, int]  # behind label text (RGBA)
    veil: tuple[int, int, int, int]  # dims the map around a highlighted document (RGBA)
    frame: tuple[int, int, int, int]  # the minimap's view rectangle (RGBA)
    land_gain: float = 1.0  # land = light land * gain + offset
    land_offset: float = 0.0
    coast_gain: float = 0.68  # the coastline: land colour times this
    dots_light: bool = False  # dots lighter than their land (dark theme) or deeper (light)

    @property
    def dark(self) -> bool:
        return self.name == "dark"


LIGHT = MapPalette(
    "light", sea=SEA, sea_shallow=SEA_SHALLOW, sea_dot=SEA_DOT, dot_ring=(255, 255, 255),
    label_ink=LABEL_INK, context_ink=CONTEXT_INK, halo=(255, 255, 255, 215),
    veil=(248, 247, 242, 165), frame=(33, 37, 41, 220),
)
# Night-mode map: deep blue-grey water, land in muted earthy tones of the same hues, light text
# on a dark halo. Land stays clearly lighter than water (luminance ~75 vs ~32).
DARK = MapPalette(
    "dark", sea=(24, 35, 49), sea_shallow=(36, 54, 74), sea_dot=(132, 160, 190), dot_ring=(18, 22, 28),
    label_ink=(236, 238, 234), context_ink=(168, 176, 186), halo=(14, 18, 24, 205),
    veil=(16, 18, 22, 170), frame=(236, 238, 240, 220),
    land_gain=0.58, land_offset=-44.0, coast_gain=1.35, dots_light=True,
)
THEMES = {"light": LIGHT, "dark": DARK}


def map_palette(theme: str) -> MapPalette:
    try:
        return THEMES[theme]
    except KeyError:
        raise ValueError(f"theme must be one of {tuple(THEMES)}, not {theme!r}") from None


def themed_land(pal: MapPalette, rgb: np.ndarray) -> np.ndarray:
    """Light-theme land colours (float, any shape (..., 3)) as this palette shows them."""
    if pal.land_gain == 1.0 and pal.land_offset == 0.0:
        return rgb
    return np.maximum(rgb * pal.land_gain + pal.land_offset, 0)


def themed_dots(pal: MapPalette, land_rgb: np.ndarray) -> np.ndarray:
    """Dot colours for light-theme land colours: deeper tones on light land, pale tones of
    the same hue on dark land."""
    return lighten(land_rgb, 0.3) if pal.dots_light else dot_colors_for(land_rgb)
