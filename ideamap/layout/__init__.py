"""Layout: UMAP projection to a 2-D map, nested HDBSCAN islands, c-TF-IDF labels, placing adds.

Qt-free and torch-free. umap, hdbscan and numba are imported inside the functions that need
them, so importing this package (e.g. to open a saved map) stays cheap.
"""

from ideamap.layout.build import compute_layout
from ideamap.layout.place import place_new_points
from ideamap.layout.specs import relabel_islands
from ideamap.layout.types import LEVEL_NAMES, SEA, IslandSpec, LayoutResult

__all__ = [
    "IslandSpec",
    "LayoutResult",
    "LEVEL_NAMES",
    "SEA",
    "compute_layout",
    "place_new_points",
    "relabel_islands",
]
