"""Island label placement. No Qt: text is measured through a callback.

Labels come from the island level that fits the zoom (the same level the land is coloured
by), bigger islands first, each kept only if its box overlaps no box already placed. Before
that, every broad region that holds a fair share of the map gets one name (its own, or its
largest island's when zoomed in), moved to other spots inside it or set smaller when its
centre is taken, so no big part of the map is left unnamed at the overview. The parent
level's names are added afterwards, larger and lighter, where room is left, so the user keeps
the context of where they are when zoomed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ideamap.app.canvas.camera import Camera
from ideamap.app.canvas.tiles import tile_scale

Measure = Callable[[str, int], tuple[float, float]]

FONT_PX = {0: 15, 1: 13, 2: 12}  # by level; deeper levels reuse the last
CONTEXT_FONT_PX = 16
PADDING_PX = 6  # empty space kept around every label
MAX_CHARS = 34
EDGE_PX = 4  # labels stay this far inside the viewport
MAX_CANDIDATES = 400  # per level and frame; the rest are smaller islands that rarely fit
REGION_SHARE = 0.02  # regions holding this share of the map's paragraphs always get a name in view
FALLBACK_FONT_STEPS = (0, 2, 4)  # px smaller tried in turn when a region's name fits nowhere
MIN_FONT_PX = 10
SPOTS_PER_AXIS = 3  # a region's other label spots: member points near a 3 x 3 grid of quantiles
SPOT_SAMPLE = 4096  # members looked at for them (an evenly spaced sample of a bigger island)
# Where a region's name may sit on each spot: centred, else with the spot near one end or
# above or below it (the spot stays under the name, so the name still reads as the region's).
CENTRED = (0.5, 0.5)
ANCHOR_SHARES = (CENTRED, (0.15, 0.5), (0.85, 0.5), (0.5, 0.05), (0.5, 0.95),
                 (0.15, 0.05), (0.85, 0.05), (0.15, 0.95), (0.85, 0.95))
MEMBERS_TRIED = 3  # when zoomed in: a region's largest islands on screen tried for its name


@dataclass(frozen=True)
class PlacedLabel:
    """A label to draw: ``(x_px, y_px)`` is the top-left corner of its ``w`` x ``h`` box in
    logical screen pixels. ``context`` marks a parent-level name shown for orientation."""

    text: str
    x_px: float
    y_px: float
    w: float
    h: float
    level: int
    key: int
    font_px: int = 13
    context: bool = False

    def contains(self, x: float, y: float) -> bool:
        return self.x_px <= x <= self.x_px + self.w and self.y_px <= y <= self.y_px + self.h


def font_style(font_px: int) -> tuple[str, float]:
    """(weight, letter spacing in px) for a label font size: region names bold, parent
    names spaced out like the names of seas and countries on printed maps."""
    if font_px == CONTEXT_FONT_PX:
        return "medium", 1.6
    return ("bold", 0.0) if font_px >= FONT_PX[1] else ("medium", 0.0)


def label_level(scene, camera: Camera, dpr: float = 1.0) -> int:
    """The island level to label: the one the visible tiles are coloured by."""
    level = camera.tile_level(dpr)
    return scene.level_for_scale(tile_scale(level) / dpr)


def place_labels(scene, camera: Camera, measure: Measure, *, dpr: float = 1.0,
                 context: bool = True, avoid=()) -> list[PlacedLabel]:
    """Non-overlapping labels inside the viewport, most important first. ``avoid``: screen
    rectangles (x, y, w, h) covered by something else (the minimap) where no label goes."""
    if not scene.islands:
        return []
    level = label_level(scene, camera, dpr)
    placed = _Placed()
    for x, y, w, h in avoid:
        placed.block(PlacedLabel("", x, y, w, h, -1, -1))
    named = _name_regions(scene, camera, measure, level, placed)
    _place_level(scene, camera, measure, level, placed, is_context=False, skip=named)
    if context and level > 0:
        _place_level(scene, camera, measure, level - 1, placed, is_context=True)
    return placed.labels


class _Placed:
    """Placed labels with a coarse grid of the cells they cover, so a new candidate is
    checked only against labels near it (frames place labels every time they paint)."""

    CELL = 128

    def __init__(self):
        self.labels: list[PlacedLabel] = []
        self._grid: dict[tuple[int, int], list[PlacedLabel]] = {}

    def _cells(self, lab: PlacedLabel):
        c, pad = self.CELL, PADDING_PX
        for gx in range(int((lab.x_px - pad) // c), int((lab.x_px + lab.w + pad) // c) + 1):
            for gy in range(int((lab.y_px - pad) // c), int((lab.y_px + lab.h + pad) // c) + 1):
                yield gx, gy

    def fits(self, lab: PlacedLabel, cells=None) -> bool:
        """Whether ``lab`` overlaps no placed or blocked box."""
        cells = cells if cells is not None else self._cells(lab)
        return not any(_overlap(lab, other) for cell in cells for other in self._grid.get(cell, ()))

    def try_add(self, lab: PlacedLabel) -> bool:
        cells = list(self._cells(lab))
        if not self.fits(lab, cells):
            return False
        self.labels.append(lab)
        self.block(lab, cells)
        return True

    def block(self, lab: PlacedLabel, cells=None) -> None:
        """Occupy ``lab``'s box without drawing it (placed labels, and areas to keep clear)."""
        for cell in cells if cells is not None else self._cells(lab):
            self._grid.setdefault(cell, []).append(lab)


def _place_level(scene, camera, measure, level, placed: _Placed, *, is_context, skip=frozenset()) -> None:
    islands = scene.islands.get(level, ())
    if not islands:
        return
    font = CONTEXT_FONT_PX if is_context else FONT_PX.get(level, FONT_PX[max(FONT_PX)])
    xy = scene.memo(("island_xy", level), lambda: np.array([(i.x, i.y) for i in islands], np.float64))
    screen = camera.world_to_screen(xy)
    visible = np.nonzero((screen[:, 0] >= 0) & (screen[:, 0] <= camera.width)
                         & (screen[:, 1] >= 0) & (screen[:, 1] <= camera.height))[0]
    for k in visible[:MAX_CANDIDATES]:  # islands are ordered by size, largest first
        island = islands[k]
        if island.key in skip:
            continue
        text = shorten(island.label or f"Island {island.key}")
        if is_context:
            text = text.upper()
        label = _box_at(text, measure(text, font), screen[k], CENTRED, island, font, camera, is_context)
        if label is not None:
            placed.try_add(label)


def _name_regions(scene, camera, measure, level, placed: _Placed) -> set[int]:
    """Give every region that holds ``REGION_SHARE`` of the map one name, biggest first: at
    the regions' level their own names, deeper in their largest islands' names. A name that
    does not fit at its anchor tries other spots inside its island, then smaller fonts.
    Returns the keys (at ``level``) placed."""
    placed_keys: set[int] = set()
    font = FONT_PX.get(level, FONT_PX[max(FONT_PX)])
    least = REGION_SHARE * len(scene)
    for region in scene.islands.get(0, ()):  # ordered by size, largest first
        if region.size < least:
            break
        for island in _region_members(scene, camera, level, region)[:MEMBERS_TRIED]:
            label = _first_fit(scene, camera, measure, island, font, placed)
            if label is not None:
                placed.try_add(label)
                placed_keys.add(island.key)
                break
    return placed_keys


def _region_members(scene, camera, level, region) -> list:
    """The islands at ``level`` that may carry a region's name: the region itself at level 0,
    else its islands with their anchor on screen, largest first."""
    if level == 0:
        return [region]
    owner = _region_of_islands(scene, level)
    xy = scene.memo(("island_xy", level), lambda: np.array(
        [(i.x, i.y) for i in scene.islands.get(level, ())], np.float64).reshape(-1, 2))
    screen = camera.world_to_screen(xy)
    on_screen = ((screen[:, 0] >= 0) & (screen[:, 0] <= camera.width)
                 & (screen[:, 1] >= 0) & (screen[:, 1] <= camera.height))
    islands = scene.islands.get(level, ())
    return [islands[k] for k in np.nonzero(on_screen & (owner == region.key))[0]]


def _region_of_islands(scene, level) -> np.ndarray:
    """Per island at ``level`` (in ``scene.islands`` order), the region most of its
    paragraphs lie in (-1 if none)."""
    def build():
        islands = scene.islands.get(level, ())
        keys, regions = scene.levels[level], scene.levels[0]
        both = (keys >= 0) & (regions >= 0)
        out = np.full(len(islands), -1, np.int64)
        if not both.any():
            return out
        k, r = keys[both].astype(np.int64), regions[both].astype(np.int64)
        n_regions = int(r.max()) + 1
        # One pass over the paragraphs: (island, region) pair counts, then each island's top.
        pairs = np.bincount(k * n_regions + r).astype(np.int64)
        pairs = np.pad(pairs, (0, (-len(pairs)) % n_regions)).reshape(-1, n_regions)
        best = np.where(pairs.max(axis=1) > 0, pairs.argmax(axis=1), -1)
        for i, island in enumerate(islands):
            if 0 <= island.key < len(best):
                out[i] = best[island.key]
        return out

    return scene.memo(("region_of_islands", level), build)


def _first_fit(scene, camera, measure, island, font: int, placed: _Placed) -> PlacedLabel | None:
    """The island's label at the first spot and font where it overlaps nothing placed."""
    text = shorten(island.label or f"Island {island.key}")
    spots = camera.world_to_screen(_label_spots(scene, island))
    spots = spots[(spots[:, 0] >= 0) & (spots[:, 0] <= camera.width)
                  & (spots[:, 1] >= 0) & (spots[:, 1] <= camera.height)]  # a name sits on its spot
    for step in FALLBACK_FONT_STEPS:
        size = max(MIN_FONT_PX, font - step)
        box = measure(text, size)
        for spot in spots:
            for share in ANCHOR_SHARES:
                label = _box_at(text, box, spot, share, island, size, camera)
                if label is not None and placed.fits(label):
                    return label
    return None


def _label_spots(scene, island) -> np.ndarray:
    """(k, 2) world points where an island's name may go, best first: its anchor, then its
    own paragraphs nearest a 3 x 3 grid of its quantiles (so each spot is on its land, even
    for a long or bent island), nearest the anchor first."""
    def build():
        anchor = np.array([[island.x, island.y]], np.float64)
        members = np.flatnonzero(scene.levels[island.level] == island.key)
        # Quantiles and nearest points of an evenly spaced sample: a region of a 1M map holds
        # ~100k points, and ten of them cost the first frame half a second in full.
        xy = scene.xy[members[:: max(1, len(members) // SPOT_SAMPLE)]].astype(np.float64)
        if len(xy) == 0:
            return anchor
        q = (np.arange(SPOTS_PER_AXIS) + 0.5) / SPOTS_PER_AXIS
        qx, qy = np.quantile(xy[:, 0], q), np.quantile(xy[:, 1], q)
        nearest = [int(((xy - (x, y)) ** 2).sum(axis=1).argmin()) for y in qy for x in qx]
        spots = np.unique(xy[nearest], axis=0)
        spots = spots[np.argsort(((spots - anchor) ** 2).sum(axis=1), kind="stable")]
        return np.vstack([anchor, spots])

    return scene.memo(("label_spots", island.level, island.key), build)


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _box_at(text, size, anchor, share, island, font, camera, context=False) -> PlacedLabel | None:
    """The label box of ``size`` with ``anchor`` (screen px) at ``share`` (fx, fy) of its width
    and height, moved just inside the viewport when it sticks out a little (a region at the
    map's edge whose name would hang past the window); None when that move would take the box
    off its anchor."""
    (w, h), (sx, sy), (fx, fy) = size, anchor, share
    x, y = float(sx - w * fx), float(sy - h * fy)
    dx, dy = _shift_into(x, w, camera.width), _shift_into(y, h, camera.height)
    if dx is None or dy is None or not (x + dx + 2 <= sx <= x + dx + w - 2 and y + dy <= sy <= y + dy + h):
        return None
    return PlacedLabel(text, x + dx, y + dy, float(w), float(h), island.level, island.key, font, context)


def _shift_into(start: float, length: float, limit: float) -> float | None:
    """How far to move [start, start + length] to lie within [EDGE_PX, limit - EDGE_PX]."""
    if length > limit - 2 * EDGE_PX:
        return None
    if start < EDGE_PX:
        return EDGE_PX - start
    end = start + length
    return (limit - EDGE_PX) - end if end > limit - EDGE_PX else 0.0


def _overlap(a: PlacedLabel, b: PlacedLabel, pad: float = PADDING_PX) -> bool:
    return not (a.x_px + a.w + pad <= b.x_px or b.x_px + b.w + pad <= a.x_px
                or a.y_px + a.h + pad <= b.y_px or b.y_px + b.h + pad <= a.y_px)


def label_at(labels: list[PlacedLabel], x: float, y: float) -> PlacedLabel | None:
    """The label under a screen point (context names included), or None."""
    for label in labels:
        if label.contains(x, y):
            return label
    return None
