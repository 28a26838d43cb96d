"""The map as first seen: land at the edge is not cut, every sizeable region is named at the
overview of the default window, names never overlap, and the app opens with all of it in view."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from ideamap.app.canvas.camera import Camera
from ideamap.app.canvas.fields import land_fields, map_extent
from ideamap.app.canvas.labels import REGION_SHARE, place_labels
from ideamap.app.canvas.scene import MapScene
from ideamap.app.canvas.synthetic import synthetic_map
from ideamap.app.settings import AppSettings
from ideamap.model import Island
from ideamap.store.mapfile import MapStore
from tests.test_app_fakes import ScriptedAsker, make_small_map

LONG_NAMES = ("neutrino mass hierarchy", "social tagging of papers", "antenatal care trials",
              "spider nuptial gifts", "full text search engines", "adrenal insufficiency care",
              "citation graph embeddings", "long document evaluation", "village land reform",
              "cosmic microwave background", "students and learning data", "protein folding models",
              "coral reef sediment", "river delta formation", "glacier retreat records")


def _edge_scene() -> MapScene:
    """A dense island whose points reach the stored map's left edge (x = 0), as a layout
    normalised to [0, 1] has, and a looser one further right."""
    rng = np.random.default_rng(1)
    west = np.column_stack([np.abs(rng.normal(0, 0.02, 1500)), rng.normal(0.5, 0.06, 1500)])
    east = rng.normal((0.6, 0.5), 0.08, (600, 2))
    xy = np.clip(np.vstack([west, east]), 0, 1)
    levels = np.repeat([[0, 1]], [1500, 600], axis=1)
    islands = [Island(1, 0, 0, None, "west", [], [], 1500, 0.02, 0.5),
               Island(2, 0, 1, None, "east", [], [], 600, 0.6, 0.5)]
    return MapScene(np.arange(len(xy)), xy, levels, islands)


def test_land_at_the_edge_reaches_past_the_points_and_fades_inside_the_field():
    scene = _edge_scene()
    lf = land_fields(scene)
    field = lf.log_density[0]
    cells = field.shape[1]
    left_cell = int(scene.bounds()[0] * cells)  # the column of the leftmost point
    row = int(0.5 * cells)
    land = field > lf.coast
    # Land goes on beyond the outermost point, as a coast around it would ...
    assert land[row, : left_cell].any()
    # ... and is sea again a few columns before the field (and the tiles) end: not cut.
    first = int(np.nonzero(land.any(axis=0))[0].min())
    assert first >= 3
    assert not land[:, :3].any() and not land[:, -3:].any() and not land[:3].any() and not land[-3:].any()


@pytest.mark.parametrize("make", [_edge_scene, lambda: MapScene.synthetic(5000, seed=1, sea_share=0.0)])
def test_fit_all_frames_the_coast_not_only_the_points(make):
    scene = make()
    x0, y0, x1, y1 = map_extent(scene)
    px0, py0, px1, py1 = scene.bounds()
    assert x0 < px0 and x1 > px1 and y0 <= py0 and y1 >= py1
    lf = land_fields(scene)
    land = lf.log_density[0] > lf.coast
    cells = land.shape[0]
    cols, rows = np.nonzero(land.any(axis=0))[0], np.nonzero(land.any(axis=1))[0]
    # Every land cell of the full field lies inside the extent (estimated on a coarse grid).
    assert x0 <= cols.min() / cells and x1 >= (cols.max() + 1) / cells
    assert y0 <= rows.min() / cells and y1 >= (rows.max() + 1) / cells
    # ... and the extent is not padded wildly beyond it (at most a few coarse cells).
    assert cols.min() / cells - x0 < 0.03 and x1 - (cols.max() + 1) / cells < 0.03


def _measure(text, font_px):
    return len(text) * font_px * 0.6, font_px * 1.3


def _named_scene(seed: int, regions: int) -> MapScene:
    """A synthetic map whose regions carry names as long as real ones."""
    ids, xy, levels, islands = synthetic_map(12_000, seed, regions=regions)
    islands = [replace(i, label=LONG_NAMES[i.key % len(LONG_NAMES)]) if i.level == 0 else i for i in islands]
    return MapScene(ids, xy, levels, islands)


def _region_of(scene, label) -> int:
    regions = scene.levels[0][scene.levels[label.level] == label.key]
    regions = regions[regions >= 0]
    return int(np.bincount(regions).argmax())


def _overlap(a, b) -> bool:
    return not (a.x_px + a.w <= b.x_px or b.x_px + b.w <= a.x_px or a.y_px + a.h <= b.y_px or b.y_px + b.h <= a.y_px)


@pytest.mark.parametrize("seed,regions", [(0, 15), (2, 12), (3, 14), (5, 10)])
@pytest.mark.parametrize("size", [(1280, 800), (530, 720)])  # the window, and its canvas beside the panels
def test_every_sizeable_region_is_named_at_the_overview_and_names_never_overlap(seed, regions, size):
    scene = _named_scene(seed, regions)
    camera = Camera(width=size[0], height=size[1])
    camera.fit(map_extent(scene), margin=0.04)
    labels = place_labels(scene, camera, _measure)
    sizes = np.bincount(scene.levels[0][scene.levels[0] >= 0]) / len(scene)
    big = {int(k) for k in np.nonzero(sizes >= REGION_SHARE)[0]}
    assert len(big) >= 8
    named = {_region_of(scene, lab) for lab in labels}
    assert big <= named, f"regions without a name: {sorted(big - named)}"
    for i, a in enumerate(labels):
        assert a.x_px >= 0 and a.y_px >= 0 and a.x_px + a.w <= size[0] and a.y_px + a.h <= size[1]
        assert not any(_overlap(a, b) for b in labels[i + 1:])


# -- the app ------------------------------------------------------------------------------------
def _wide_map(path):
    """The small test map re-laid out wide and flat, with land on the left and right edges,
    so a fit made for the wrong canvas size would cut it off."""
    make_small_map(path)
    store = MapStore.open(path)
    ids, _ = store.coords()
    rng = np.random.default_rng(4)
    topic = np.arange(len(ids)) % 3
    coords = np.column_stack([np.array([0.0, 0.5, 1.0])[topic], np.full(len(ids), 0.5)])
    coords = np.clip(coords + rng.normal(0, 0.02, coords.shape) * (0.3, 1), 0, 1)
    coords[:, 1] = 0.35 + coords[:, 1] * 0.3  # a flat band, as wide layouts of two topics are
    levels = np.vstack([np.where(topic == 2, 1, 0), topic])
    islands = [_island(0, 0, None, "Nature"), _island(0, 1, None, "Kitchen"),
               _island(1, 0, 0, "Rivers"), _island(1, 1, 0, "Stars"), _island(1, 2, 1, "Bread")]
    for spec in islands:
        rows = np.flatnonzero(levels[spec.level] == spec.key)
        spec.size = len(rows)
        spec.x, spec.y = coords[rows].mean(axis=0)
    store.save_layout(ids, coords, levels, islands, [-1] * len(ids), replace=True)
    store.close()
    return path


def _island(level, key, parent, label):
    return SimpleNamespace(level=level, key=key, parent_key=parent, label=label, terms=[label.lower()],
                           exemplars=[], size=0, x=0.0, y=0.0)


def test_the_app_opens_with_the_whole_map_in_view(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("ideamap.app.canvas.widget")
    from ideamap.app.shell.main_window import MainWindow

    monkeypatch.setenv("IDEAMAP_HOME", str(tmp_path / "home"))
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    w = MainWindow(settings)  # the real canvas
    w.ask = ScriptedAsker()
    qtbot.addWidget(w)
    w.show()
    assert w.open_map(_wide_map(tmp_path / "wide.ideamap"))
    canvas = w.canvas
    qtbot.waitUntil(lambda: not canvas.is_animating(), timeout=5000)
    qtbot.waitUntil(lambda: canvas.camera.width == canvas.width(), timeout=5000)
    _assert_all_in_view(canvas)
    # Panels opening or the window resizing keep the untouched overview whole.
    w.resize(900, 700)
    qtbot.waitUntil(lambda: canvas.camera.width == canvas.width(), timeout=5000)
    qtbot.waitUntil(lambda: not canvas.is_animating(), timeout=5000)
    _assert_all_in_view(canvas)
    w.close()


def _assert_all_in_view(canvas):
    """Every point inside the canvas as it is laid out in the window, and the map not lost in
    a corner: it spans most of the canvas's width or height."""
    screen = canvas.camera.world_to_screen(canvas.scene.xy)
    lo, hi = screen.min(axis=0), screen.max(axis=0)
    assert lo.min() >= 0 and hi[0] <= canvas.width() and hi[1] <= canvas.height(), (lo, hi, canvas.size())
    assert max((hi[0] - lo[0]) / canvas.width(), (hi[1] - lo[1]) / canvas.height()) > 0.7


@pytest.mark.parametrize("seed,regions,size,zoom", [
    (2, 12, (1280, 800), 2.5), (0, 15, (530, 720), 2.0), (3, 14, (530, 720), 2.0),
    (0, 15, (530, 720), 3.5),  # deep enough for the islands' level, region names as context
])
def test_zoomed_in_each_sizeable_region_on_screen_keeps_a_name(seed, regions, size, zoom):
    scene = _named_scene(seed, regions)
    w, h = size
    camera = Camera(width=w, height=h)
    camera.fit(map_extent(scene), margin=0.04)
    camera.zoom *= zoom
    labels = place_labels(scene, camera, _measure)
    named = {_region_of(scene, lab) for lab in labels}
    share = np.bincount(scene.levels[0][scene.levels[0] >= 0]) / len(scene)
    for island in scene.islands[1]:
        (sx, sy), = camera.world_to_screen([[island.x, island.y]])
        region = _region_of(scene, SimpleNamespace(level=1, key=island.key))
        # An island well inside the view: its region is on screen, so it needs a name.
        if share[region] >= REGION_SHARE and 0.12 * w < sx < 0.88 * w and 60 < sy < h - 60:
            assert region in named, f"region {region} has an island on screen but no name"


def test_fit_all_keeps_a_tall_map_clear_of_the_minimap_corner():
    from ideamap.app.canvas.camera import CLEAR_FIT_MIN_SCALE, Camera

    corner = (530 - 176, 720 - 176, 170, 170)  # the minimap's box in a 530 x 720 canvas
    bounds = (0.1, 0.05, 0.9, 0.95)  # a map a little taller than wide
    plain, clear = Camera(width=530, height=720), Camera(width=530, height=720)
    plain.fit(bounds, 0.04)
    clear.fit_clear_of(bounds, 0.04, corner)
    x, y, w, h = clear.frame_of(bounds)
    assert x >= 0 and y >= 0 and x + w <= 530 and y + h <= 720  # whole map in view
    assert y + h <= corner[1] or x + w <= corner[0]  # and none of it under the minimap
    assert CLEAR_FIT_MIN_SCALE * plain.scale <= clear.scale < plain.scale
    square = Camera(width=400, height=400)
    square.fit_clear_of((0, 0, 1, 1), 0.04, (224, 224, 170, 170))  # would cost too much: plain fit
    ref = Camera(width=400, height=400)
    ref.fit((0, 0, 1, 1), 0.04)
    assert (square.cx, square.cy, square.zoom) == (ref.cx, ref.cy, ref.zoom)
