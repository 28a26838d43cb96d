"""Land at the map's edge fades into sea instead of being cut by the world square."""

import numpy as np

from ideamap.app.canvas.fields import land_fields
from ideamap.app.canvas.scene import WORLD_MARGIN, MapScene
from ideamap.app.canvas.tiles import render_tile
from ideamap.model import Island


def _edge_scene() -> MapScene:
    # A dense island whose points reach the stored map's left edge (x = 0), as UMAP output
    # normalised to [0, 1] always does, and one on the right edge.
    rng = np.random.default_rng(0)
    left = np.column_stack([np.abs(rng.normal(0, 0.03, 400)), rng.normal(0.5, 0.05, 400)])
    right = np.column_stack([1 - np.abs(rng.normal(0, 0.03, 400)), rng.normal(0.5, 0.05, 400)])
    xy = np.clip(np.vstack([left, right]), 0, 1)
    levels = np.repeat([[0, 1]], 400, axis=1)
    islands = [Island(i + 1, 0, k, None, name, [name], [], 400, float(x), 0.5)
               for i, (k, name, x) in enumerate([(0, "west", 0.0), (1, "east", 1.0)])]
    return MapScene(np.arange(800), xy, levels, islands)


def test_points_and_anchors_are_inset_from_the_world_edge():
    scene = _edge_scene()
    assert scene.xy.min() >= WORLD_MARGIN - 1e-6 and scene.xy.max() <= 1 - WORLD_MARGIN + 1e-6
    west = scene.island(0, 0)
    assert abs(west.x - WORLD_MARGIN) < 1e-6


def test_density_falls_below_the_coast_before_the_world_edge():
    scene = _edge_scene()
    lf = land_fields(scene)
    field = lf.log_density[0]
    # The land reaches the coastline inside the world ...
    assert field[:, : field.shape[1] // 4].max() > lf.coast
    # ... and the outermost columns are sea, so no straight cut shows.
    assert field[:, 0].max() < lf.coast and field[:, -1].max() < lf.coast


def test_edge_tile_shows_sea_at_the_border():
    scene = _edge_scene()
    tile = render_tile(scene, 0, 0, 0, size=128).astype(int)
    sea = tile[64, 0, :3]
    # The leftmost pixel in the island's row is the same colour as open sea at the top corner.
    assert np.abs(sea - tile[0, 0, :3]).max() <= 2
    # Land is drawn somewhat inside: the row is not all sea.
    assert np.abs(tile[64, :20, :3] - sea).max() > 10
