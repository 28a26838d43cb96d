"""The paths that make a large map's first frame fast give the same map as the plain ones:
a scene from id-ordered arrays (the packed layout) equals one from shuffled arrays, island
boxes found for all islands at once equal one island at a time, and the canvas queues the
fitted view's tiles as the map is set, then says once that the view is ready."""

import numpy as np
import pytest

from ideamap.app.canvas import island_fields
from ideamap.app.canvas.fields import GRID
from ideamap.app.canvas.scene import MapScene, stable_order
from ideamap.app.canvas.widget import MapCanvas


def test_scene_from_ordered_arrays_equals_scene_from_shuffled():
    ordered = MapScene.synthetic(3000, seed=3)
    perm = np.random.default_rng(0).permutation(len(ordered))
    # The synthetic arrays are stored inset: undo it to feed them back as stored coordinates.
    from ideamap.app.canvas.scene import WORLD_MARGIN

    stored = (ordered.xy.astype(np.float64) - WORLD_MARGIN) / (1 - 2 * WORLD_MARGIN)
    islands = [i for lv in ordered.islands.values() for i in lv]
    again = MapScene(ordered.ids, stored, ordered.levels, islands)
    shuffled = MapScene(ordered.ids[perm], stored[perm], ordered.levels[:, perm], islands)
    for scene in (again, shuffled):
        np.testing.assert_array_equal(scene.ids, ordered.ids)
        np.testing.assert_allclose(scene.xy, ordered.xy, atol=1e-6)
        np.testing.assert_array_equal(scene.levels, ordered.levels)
        assert scene.island_radius == pytest.approx(again.island_radius)
    rect = (0.3, 0.2, 0.7, 0.6)
    assert sorted(again.ids_in_rect(rect)) == sorted(shuffled.ids_in_rect(rect))


def _one_box(gx, gy, margin):
    """One island's box as the field builder made it island by island (np.quantile)."""
    full = (gx.min(), gx.max(), gy.min(), gy.max())
    box = full
    if len(gx) > 200:
        qx, qy = np.quantile(gx, [0.01, 0.99]), np.quantile(gy, [0.01, 0.99])
        trimmed = (qx[0], qx[1], qy[0], qy[1])
        area = lambda b: (b[1] - b[0] + 1) * (b[3] - b[2] + 1)  # noqa: E731
        if area(full) > 4 * area(trimmed):
            box = trimmed
    x0, x1, y0, y1 = (int(v) for v in box)
    return (max(0, x0 - margin), min(GRID - 1, x1 + margin), max(0, y0 - margin), min(GRID - 1, y1 + margin))


def test_island_boxes_all_at_once_hold_each_island_s_own_box():
    rng = np.random.default_rng(5)
    groups, gx, gy = [], [], []
    for g, n in enumerate([5, 150, 400, 3000]):
        cx, cy = rng.integers(60, 450, 2)
        x, y = rng.normal(cx, 8, n), rng.normal(cy, 8, n)
        if n > 200:  # a few strays far away: the trimmed box is used
            x[:3], y[:3] = 2, 508
        groups.append(np.full(n, g)), gx.append(np.clip(x, 0, GRID - 1).astype(np.int64))
        gy.append(np.clip(y, 0, GRID - 1).astype(np.int64))
    e, x, y = np.concatenate(groups), np.concatenate(gx), np.concatenate(gy)
    shuffle = rng.permutation(len(e))  # any order of points
    boxes = island_fields._boxes(e[shuffle], x[shuffle], y[shuffle], np.bincount(e), margin=10)
    starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]])
    ends = np.append(starts[1:], len(e))
    for k, (a, b) in enumerate(zip(starts, ends)):
        old = _one_box(x[a:b], y[a:b], 10)
        new = boxes[k]
        # Never smaller than the island-by-island box: its edges are the ranks that the
        # interpolated quantile starts from (below the 1% one, above the 99% one).
        assert new[0] <= old[0] and new[2] <= old[2] and new[1] >= old[1] and new[3] >= old[3]
        m = b - a
        if m > 200:
            sx, sy = np.sort(x[a:b]), np.sort(y[a:b])
            lo, hi = int((m - 1) * 0.01), int(np.ceil((m - 1) * 0.99))
            assert tuple(new) == (max(0, sx[lo] - 10), min(GRID - 1, sx[hi] + 10),
                                  max(0, sy[lo] - 10), min(GRID - 1, sy[hi] + 10))
        else:
            assert tuple(new) == old
    assert boxes[3][0] > 12 and boxes[3][3] < 500  # the strays did not stretch the big island's box


@pytest.mark.parametrize("top", [1, 300, 2**16 - 1, 2**16, 2**20, 2**33])
def test_stable_order_is_argsort_stable(top):
    keys = np.random.default_rng(top).integers(0, top, 5000) if top > 1 else np.zeros(5000, np.int64)
    np.testing.assert_array_equal(stable_order(keys), np.argsort(keys, kind="stable"))


def test_island_boxes_in_several_passes_equal_one_pass(monkeypatch):
    rng = np.random.default_rng(2)
    group = rng.integers(0, 50, 4000)
    gx, gy = rng.integers(0, GRID, 4000), rng.integers(0, GRID, 4000)
    sizes = np.bincount(group)
    one = island_fields._boxes(group, gx, gy, sizes, margin=3)
    monkeypatch.setattr(island_fields, "BOX_GROUPS_PER_PASS", 7)
    np.testing.assert_array_equal(island_fields._boxes(group, gx, gy, sizes, margin=3), one)


def test_island_field_of_an_empty_map_is_neutral():
    scene = MapScene(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((3, 0), np.int32))
    field = island_fields.island_color_field(scene, 0)
    assert field[0].shape == (GRID, GRID, 3)


def test_canvas_queues_the_fitted_view_and_says_once_it_is_ready(qtbot):
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(640, 480)
    ready = []
    canvas.viewReady.connect(lambda: ready.append(1))
    scene = MapScene.synthetic(5000, seed=1)
    canvas.set_scene(scene)  # not shown yet: no paint has asked for tiles
    assert canvas._loader.busy()  # the fitted view's tiles are queued by set_scene itself
    qtbot.waitUntil(lambda: bool(ready), timeout=20000)
    dpr = canvas.devicePixelRatioF()
    keys = [canvas._loader.key(lv, tx, ty, dpr) for lv, tx, ty in canvas.camera.visible_tiles(dpr)]
    assert all(canvas._loader.get(k) is not None for k in keys)
    canvas.show()
    qtbot.waitExposed(canvas)
    qtbot.wait(200)
    assert ready == [1]  # once per map, not once per tile
