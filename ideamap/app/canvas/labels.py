"""Island label placement. No Qt: text is measured through a callback.

Labels come from the island level that fits the zoom (the same level the land is coloured
by), bigger islands first, each kept only if its box overlaps no box already placed. The
parent level's names are added afterwards, larger and lighter, where room is left, so the
user keeps the context of where they are when zoomed in.
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
    _place_level(scene, camera, measure, level, placed, is_context=False)
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

    def try_add(self, lab: PlacedLabel) -> bool:
        cells = list(self._cells(lab))
        if any(_overlap(lab, other) for cell in cells for other in self._grid.get(cell, ())):
            return False
        self.labels.append(lab)
        self.block(lab, cells)
        return True

    def block(self, lab: PlacedLabel, cells=None) -> None:
        """Occupy ``lab``'s box without drawing it (placed labels, and areas to keep clear)."""
        for cell in cells if cells is not None else self._cells(lab):
            self._grid.setdefault(cell, []).append(lab)


def _place_level(scene, camera, measure, level, placed: _Placed, *, is_context) -> None:
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
        text = shorten(island.label or f"Island {island.key}")
        if is_context:
            text = text.upper()
        w, h = measure(text, font)
        sx, sy = screen[k]
        label = PlacedLabel(text, float(sx - w / 2), float(sy - h / 2), float(w), float(h),
                            island.level, island.key, font, is_context)
        if _inside(label, camera):
            placed.try_add(label)


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _inside(label: PlacedLabel, camera: Camera) -> bool:
    return (label.x_px >= EDGE_PX and label.y_px >= EDGE_PX
            and label.x_px + label.w <= camera.width - EDGE_PX
            and label.y_px + label.h <= camera.height - EDGE_PX)


def _overlap(a: PlacedLabel, b: PlacedLabel, pad: float = PADDING_PX) -> bool:
    return not (a.x_px + a.w + pad <= b.x_px or b.x_px + b.w + pad <= a.x_px
                or a.y_px + a.h + pad <= b.y_px or b.y_px + b.h + pad <= a.y_px)


def label_at(labels: list[PlacedLabel], x: float, y: float) -> PlacedLabel | None:
    """The label under a screen point (context names included), or None."""
    for label in labels:
        if label.contains(x, y):
            return label
    return None
