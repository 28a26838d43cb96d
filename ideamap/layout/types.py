"""The layout's result types: plain dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Level names, broadest first; level i of LayoutResult.levels uses LEVEL_NAMES[i].
LEVEL_NAMES = ("region", "island", "bay")
SEA = -1


@dataclass
class IslandSpec:
    """One island at one level of the hierarchy, with what is needed to label it on the map."""

    level: int  # 0 = broadest ("region"), 1 = "island", 2 = "bay" (finest)
    key: int  # unique within its level, 0..k-1; keys are ordered by size, largest first
    parent_key: int | None  # key of the containing island at level-1 (None at level 0)
    label: str  # short human label, e.g. "const generics · traits"
    terms: list[str]  # top distinctive terms (c-TF-IDF), best first
    exemplars: list[int]  # row indices of the most representative paragraphs
    size: int
    x: float  # label anchor in map coordinates: a member near the island's middle
    y: float


@dataclass
class LayoutResult:
    coords: np.ndarray  # (n, 2) float32 in [0, 1]^2, aspect preserved
    levels: np.ndarray  # (n_levels, n) int32: island key per level; -1 = sea
    islands: list[IslandSpec]
    sea_hint: np.ndarray  # (n,) int32: for sea rows, the finest-level key of the nearest island
    params: dict = field(default_factory=dict)  # how to reproduce the layout
