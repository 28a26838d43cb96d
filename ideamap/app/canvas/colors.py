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
