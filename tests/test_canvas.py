"""The canvas logic without a window: camera, scene, colours, tiles, labels."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from ideamap.app.canvas import colors
from ideamap.app.canvas.camera import MAX_ZOOM, MIN_ZOOM, AnchoredZoom, Camera, Flight
from ideamap.app.canvas.island_fields import island_color_tables
from ideamap.app.canvas.labels import place_labels, label_level
from ideamap.app.canvas.scene import MapScene, color_values, inset
from ideamap.app.canvas.tiles import TileCache, TileStyle, render_tile
from ideamap.model import FileStatus, ParagraphDraft, ReadResult
from ideamap.store.mapfile import MapStore

CENTRES = [(0.25, 0.3), (0.72, 0.35), (0.45, 0.75)]
LABELS = ["rivers and lakes", "neural networks", "budget planning"]


def make_map(path, n_per=60, seed=0, sea=12):
    """A small real map file: three documents, one island each (two bays per island) and a
    few unclustered paragraphs, written through MapStore like the pipeline does."""
    rng = np.random.default_rng(seed)
    store = MapStore.create(path)
    run = store.start_run("build", {})
    ids, xy, lv0, lv1 = [], [], [], []
    folders = ["/notes/a", "/notes/a", "/papers"]
    for d, (cx, cy) in enumerate(CENTRES):
        n = n_per + (sea if d == 0 else 0)
        paras = [ParagraphDraft(text=f"doc {d} paragraph {i} about {LABELS[d]}", order=i, page=1) for i in range(n)]
        result = ReadResult(path=f"{folders[d]}/doc{d}.txt", doc_type="text", status=FileStatus.DONE,
                            title=f"Doc {d}", date=f"202{d}-01-15", paragraphs=paras)
        doc_id = store.write_document(result, f"h{d}", None, model_id="m", run_id=run)
        pids = store.document_paragraph_ids(doc_id)
        for i, pid in enumerate(pids):
            ids.append(pid)
            if i >= n_per:  # sea
                xy.append(rng.uniform(0.05, 0.95, 2))
                lv0.append(-1)
                lv1.append(-1)
                continue
            bay = i % 2
            xy.append(np.array([cx + 0.05 * bay, cy]) + rng.normal(0, 0.025, 2))
            lv0.append(d)
            lv1.append(2 * d + bay)
    xy = np.clip(np.array(xy), 0.01, 0.99)
    islands = [SimpleNamespace(level=0, key=d, parent_key=None, label=LABELS[d], terms=[], exemplars=[0],
                               size=n_per, x=cx, y=cy) for d, (cx, cy) in enumerate(CENTRES)]
    islands += [SimpleNamespace(level=1, key=2 * d + b, parent_key=d, label=f"{LABELS[d]} part {b}", terms=[],
                                exemplars=[0], size=n_per // 2, x=cx + 0.05 * b, y=cy)
                for d, (cx, cy) in enumerate(CENTRES) for b in (0, 1)]
    store.save_layout(ids, xy, np.array([lv0, lv1]), islands, None, replace=True)
    return store


@pytest.fixture
def store(tmp_path):
    s = make_map(tmp_path / "m.ideamap")
    yield s
    s.close()


@pytest.fixture
def scene(store):
    return MapScene.from_store(store)


# -- layering ------------------------------------------------------------------------------
def test_canvas_logic_imports_no_qt_and_no_ml_stack():
    code = (
        "import sys\n"
        "import ideamap.app.canvas.camera, ideamap.app.canvas.scene, ideamap.app.canvas.tiles\n"
        "import ideamap.app.canvas.labels, ideamap.app.canvas.colors, ideamap.app.canvas.fields\n"
        "import ideamap.app.canvas.island_fields, ideamap.app.canvas.synthetic\n"
        "from ideamap.app.canvas.scene import MapScene\n"
        "from ideamap.app.canvas.tiles import render_tile\n"
        "render_tile(MapScene.synthetic(2000), 0, 0, 0)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'torch', 'umap', 'shiboken6')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- camera ------------------------------------------------------------------------------------
@pytest.mark.parametrize("zoom", [0.5, 1.0, 3.7, 250.0])
def test_camera_round_trip(zoom):
    cam = Camera(cx=0.4, cy=0.6, zoom=zoom, width=1280, height=720)
    pts = np.random.default_rng(1).uniform(-0.2, 1.2, size=(50, 2))
    np.testing.assert_allclose(cam.screen_to_world(cam.world_to_screen(pts)), pts, atol=1e-12)
    np.testing.assert_allclose(cam.world_to_screen((0.4, 0.6)), (640, 360))


def test_world_fits_the_viewport_at_zoom_one():
    cam = Camera(cx=0.5, cy=0.5, zoom=1.0, width=800, height=600)
    np.testing.assert_allclose(cam.world_to_screen([(0, 0), (1, 1)]), [(100, 0), (700, 600)])


def test_zoom_at_keeps_the_point_under_the_cursor():
    cam = Camera(cx=0.5, cy=0.5, zoom=2.0, width=1000, height=800)
    cursor = (130.0, 655.0)
    before = cam.screen_to_world(cursor)
    cam.zoom_at(cursor, 3.0)
    assert cam.zoom == pytest.approx(6.0)
    np.testing.assert_allclose(cam.screen_to_world(cursor), before, atol=1e-12)


def test_zoom_is_clamped():
    cam = Camera(width=400, height=400)
    cam.zoom_at((10, 10), 1e9)
    assert cam.zoom == MAX_ZOOM
    cam.zoom_at((10, 10), 1e-12)
    assert cam.zoom == MIN_ZOOM


def test_pan_moves_the_content_with_the_drag():
    cam = Camera(width=400, height=400)
    before = cam.world_to_screen((0.3, 0.3))
    cam.pan(25, -10)
    np.testing.assert_allclose(cam.world_to_screen((0.3, 0.3)), before + (25, -10))


def test_fit_shows_the_bounds():
    cam = Camera(width=1200, height=500)
    cam.fit((0.2, 0.1, 0.4, 0.9))
    corners = cam.world_to_screen([(0.2, 0.1), (0.4, 0.9)])
    assert (corners >= 0).all() and (corners[:, 0] <= 1200).all() and (corners[:, 1] <= 500).all()
    assert corners[1, 1] - corners[0, 1] > 400  # fills the limiting side


def test_tile_level_and_visible_tiles():
    cam = Camera(width=1024, height=1024, zoom=1.0)
    assert cam.tile_level() == 2  # 1024 px across the world = 4 tiles of 256
    cam.zoom = 2.0
    assert cam.tile_level() == 3
    assert cam.tile_level(dpr=2.0) == 4
    cam = Camera(cx=0.5, cy=0.5, zoom=1.0, width=1024, height=1024)
    assert sorted(cam.visible_tiles()) == [(2, x, y) for x in range(4) for y in range(4)]
    assert cam.visible_tiles()[0][1:] in [(1, 1), (1, 2), (2, 1), (2, 2)]  # centre first


def test_animations_end_where_they_should():
    cam = Camera(width=800, height=600)
    move = AnchoredZoom((0.3, 0.2), (100.0, 50.0), 1.0, 8.0)
    for t in (0.0, 0.3, 1.0):
        cx, cy, z = move.at(cam, t)
        np.testing.assert_allclose(cam.copy(cx=cx, cy=cy, zoom=z).screen_to_world((100, 50)), (0.3, 0.2))
    flight = Flight((0.1, 0.1, 40.0), (0.9, 0.8, 40.0))
    assert flight.at(0.0) == pytest.approx((0.1, 0.1, 40.0))
    assert flight.at(1.0) == pytest.approx((0.9, 0.8, 40.0))
    assert flight.at(0.5)[2] < 5  # a long flight zooms out on the way


# -- scene -----------------------------------------------------------------------------------------
def test_scene_from_store_is_aligned(store, scene):
    ids, xy = store.coords()
    np.testing.assert_array_equal(scene.ids, ids)
    np.testing.assert_allclose(scene.xy, inset(xy), rtol=1e-6)  # inset off the world edge
    assert scene.n_levels == 2 and len(scene.islands[0]) == 3 and len(scene.islands[1]) == 6
    m_ids, levels = store.memberships()
    np.testing.assert_array_equal(scene.levels[:, scene.rows_of(m_ids)], levels)
    assert (scene.land == (levels[0] >= 0)).all()


def test_hit_test_finds_the_nearest_point(scene):
    row = 17
    target = scene.xy[row].astype(float)
    assert scene.hit_test(target + 1e-5, 0.01) == scene.ids[row]
    assert scene.hit_test((-5.0, -5.0), 0.01) is None
    assert scene.hit_test(target, 0.01, accept=lambda rows: rows != row) != scene.ids[row]


def test_ids_in_rect_matches_a_scan(scene):
    rect = (0.2, 0.25, 0.5, 0.8)
    x, y = scene.xy[:, 0], scene.xy[:, 1]
    expected = scene.ids[(x >= 0.2) & (x <= 0.5) & (y >= 0.25) & (y <= 0.8)]
    assert sorted(scene.ids_in_rect(rect)) == sorted(expected)


def test_rows_of_marks_unknown_ids(scene):
    rows = scene.rows_of([scene.ids[3], 10**9])
    assert rows[0] == 3 and rows[1] == -1


def test_detail_level_grows_with_zoom(scene):
    assert scene.level_for_scale(100) == 0
    assert scene.level_for_scale(1e6) == 1


def test_color_values_from_the_map_file(store, scene):
    docs = color_values(store, scene.ids, "document")
    assert len(np.unique(docs)) == 3
    folders = color_values(store, scene.ids, "folder")
    assert len(np.unique(folders)) == 2
    dates = color_values(store, scene.ids, "date")
    assert np.isfinite(dates).all() and len(np.unique(dates)) == 3


# -- colours ---------------------------------------------------------------------------------------
def test_island_colours_follow_labels_not_order(scene):
    other = MapScene(
        scene.ids, scene.xy, scene.levels,
        [*reversed(scene.islands[0]), *scene.islands[1]],
    )
    for a, b in zip(island_color_tables(scene), island_color_tables(other)):
        np.testing.assert_array_equal(a, b)
    assert colors.island_color("Rivers", 0, 0) == colors.island_color("rivers", 7, 0)
    assert colors.island_color("rivers", 0, 0) == colors.island_color("rivers", 0, 0)


def test_same_label_same_colour_across_builds(tmp_path):
    a = MapScene.from_store(make_map(tmp_path / "a.ideamap", seed=1))
    b = MapScene.from_store(make_map(tmp_path / "b.ideamap", seed=1))
    np.testing.assert_array_equal(island_color_tables(a)[0], island_color_tables(b)[0])


def test_category_and_date_colours():
    assert colors.category_color(42) == colors.category_color(42)
    assert colors.category_color(1) != colors.category_color(2)
    ramp = colors.ramp_colors(np.array([0.0, 5.0, 10.0, np.nan]))
    assert tuple(ramp[0]) == colors.DATE_STOPS[0] and tuple(ramp[2]) == colors.DATE_STOPS[-1]
    assert tuple(ramp[3]) == colors.MISSING


# -- tiles -------------------------------------------------------------------------------------------
def test_tile_shape_and_determinism(scene, store):
    tile = render_tile(scene, 1, 0, 0)
    assert tile.shape == (256, 256, 4) and tile.dtype == np.uint8
    np.testing.assert_array_equal(tile, render_tile(scene, 1, 0, 0))
    fresh = MapScene.from_store(store)  # a second session opening the same map
    np.testing.assert_array_equal(tile, render_tile(fresh, 1, 0, 0))


def test_tiles_show_land_on_islands_and_sea_elsewhere(scene):
    tile = render_tile(scene, 0, 0, 0, size=256)
    sea = np.array(colors.SEA)
    corner = tile[2, 250, :3].astype(int)  # far from every island
    assert np.abs(corner - sea).max() <= 2
    cx, cy = CENTRES[1]
    island = tile[int(cy * 256), int((cx + 0.025) * 256), :3].astype(int)
    assert np.abs(island - sea).sum() > 60  # land, not water
    assert (tile[..., 3] == 255).all()


def test_dots_appear_when_zoomed_in(scene):
    row = int(np.nonzero(~scene.land)[0][0])  # a lone sea paragraph
    x, y = scene.xy[row]
    level = 6
    tx, ty = int(x * 2**level), int(y * 2**level)
    tile = render_tile(scene, level, tx, ty)
    px = int((x * 2**level - tx) * 256), int((y * 2**level - ty) * 256)
    dot = tile[px[1], px[0], :3].astype(int)
    assert np.abs(dot - np.array(colors.SEA_DOT)).max() < 40


def test_dark_tiles_keep_each_island_s_hue_and_are_stable(scene, store):
    dark = TileStyle(theme="dark")
    tile = render_tile(scene, 0, 0, 0, style=dark)
    assert np.abs(tile[2, 250, :3].astype(int) - colors.DARK.sea).max() <= 2  # open water
    cx, cy = CENTRES[1]
    px = int(cy * 256), int((cx + 0.025) * 256)
    light_land = render_tile(scene, 0, 0, 0)[px][:3].astype(float)
    dark_land = tile[px][:3].astype(float)
    assert dark_land.mean() < light_land.mean() - 60  # a dark map for a dark window
    assert dark_land.mean() > np.mean(colors.DARK.sea) + 25  # land still stands out from water
    # The same hue family: the channels keep their order.
    assert list(np.argsort(dark_land)) == list(np.argsort(light_land)) or np.ptp(light_land) < 12
    fresh = MapScene.from_store(store)  # another session: the same pixels
    np.testing.assert_array_equal(tile, render_tile(fresh, 0, 0, 0, style=TileStyle(theme="dark")))
    with pytest.raises(ValueError):
        TileStyle(theme="sepia")


def test_island_bounds_ignore_strays(scene):
    x0, y0, x1, y1 = scene.island_bounds(0, 1)
    cx, cy = CENTRES[1]
    assert x0 < cx < x1 and y0 < cy < y1 and x1 - x0 < 0.25
    assert scene.island_bounds(0, 99) is None and scene.island_bounds(5, 0) is None


def test_colour_modes_change_the_tiles(scene, store):
    values = color_values(store, scene.ids, "document")
    by_doc = render_tile(scene, 0, 0, 0, style=TileStyle(mode="document", values=values))
    assert not np.array_equal(by_doc, render_tile(scene, 0, 0, 0))
    with pytest.raises(ValueError):
        TileStyle(mode="document")


def test_tile_cache_evicts_least_recently_used():
    cache = TileCache(capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert "a" in cache and "c" in cache and "b" not in cache and len(cache) == 2


# -- labels ------------------------------------------------------------------------------------------
def _measure(text, font_px):
    return len(text) * font_px * 0.6, font_px * 1.3


def _overlaps(a, b):
    return not (a.x_px + a.w <= b.x_px or b.x_px + b.w <= a.x_px or a.y_px + a.h <= b.y_px or b.y_px + b.h <= a.y_px)


def test_labels_never_overlap_and_stay_inside():
    big = MapScene.synthetic(20_000, seed=3)
    rng = np.random.default_rng(0)
    for _ in range(25):
        cam = Camera(cx=rng.uniform(0.2, 0.8), cy=rng.uniform(0.2, 0.8), zoom=float(2 ** rng.uniform(0, 6)),
                     width=900, height=600)
        labels = place_labels(big, cam, _measure)
        for i, a in enumerate(labels):
            assert a.x_px >= 0 and a.y_px >= 0 and a.x_px + a.w <= 900 and a.y_px + a.h <= 600
            assert not any(_overlaps(a, b) for b in labels[i + 1:])


def test_labels_switch_level_with_zoom():
    big = MapScene.synthetic(20_000, seed=3)
    cam = Camera(width=1200, height=800)
    cam.fit(big.bounds())
    far = place_labels(big, cam, _measure)
    assert far and {lab.level for lab in far} == {0}
    region = big.islands[1][0]
    near_cam = cam.copy(cx=region.x, cy=region.y, zoom=cam.zoom * 8)
    near = [lab for lab in place_labels(big, near_cam, _measure) if not lab.context]
    assert label_level(big, near_cam) > 0 and {lab.level for lab in near} == {label_level(big, near_cam)}
    assert len(near) > 0


def test_no_label_goes_under_the_minimap():
    big = MapScene.synthetic(20_000, seed=3)
    cam = Camera(width=1200, height=800)
    cam.fit(big.bounds())
    free = place_labels(big, cam, _measure)
    first = free[0]
    covered = (first.x_px + 2, first.y_px + 2, 30, 10)
    moved = place_labels(big, cam, _measure, avoid=[covered])
    box = SimpleNamespace(x_px=covered[0], y_px=covered[1], w=covered[2], h=covered[3])
    assert moved and not any(_overlaps(lab, box) for lab in moved)
    assert place_labels(big, cam, _measure, avoid=[(0, 0, 1200, 800)]) == []
