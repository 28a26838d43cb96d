"""MapCanvas in an offscreen window: clicks, wheel, keys, animation, exports, minimap."""

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from ideamap.app.canvas.scene import MapScene, color_values
from ideamap.app.canvas.widget import MapCanvas
from tests.test_canvas import make_map

W, H = 640, 480


@pytest.fixture
def store(tmp_path):
    s = make_map(tmp_path / "m.ideamap")
    yield s
    s.close()


@pytest.fixture
def canvas(qtbot, store):
    c = MapCanvas()
    qtbot.addWidget(c)
    c.resize(W, H)
    c.show()
    qtbot.waitExposed(c)
    c.set_scene(MapScene.from_store(store))
    yield c
    c.close()


def _screen_of(canvas, row) -> QPoint:
    x, y = canvas.camera.world_to_screen(canvas.scene.xy[row].astype(float))
    return QPoint(round(x), round(y))


def _wait_still(qtbot, canvas):
    qtbot.waitUntil(lambda: not canvas.is_animating(), timeout=3000)


def test_click_on_a_point_selects_it(qtbot, canvas):
    sea_rows = np.nonzero(~canvas.scene.land)[0]
    row = int(sea_rows[0])  # lone points are drawn as dots even at the overview
    with qtbot.waitSignal(canvas.paragraphClicked, timeout=1000) as got:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=_screen_of(canvas, row))
    assert got.args == [int(canvas.scene.ids[row])]
    assert canvas.selected() == canvas.scene.ids[row]


def test_click_on_nothing_clears_the_selection(qtbot, canvas):
    canvas.select(int(canvas.scene.ids[0]))
    with qtbot.waitSignal(canvas.backgroundClicked, timeout=1000):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert canvas.selected() is None


def test_clicking_a_neighbour_flies_to_it(qtbot, canvas):
    canvas.select(int(canvas.scene.ids[0]))
    row = int(np.nonzero(~canvas.scene.land)[0][1])
    canvas.set_neighbors([int(canvas.scene.ids[row])])
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=_screen_of(canvas, row))
    _wait_still(qtbot, canvas)
    np.testing.assert_allclose((canvas.camera.cx, canvas.camera.cy), canvas.scene.xy[row], atol=1e-6)


def test_wheel_zooms_and_keeps_the_point_under_the_cursor(qtbot, canvas):
    pos = QPointF(150.0, 120.0)
    before_zoom = canvas.camera.zoom
    anchor = canvas.camera.screen_to_world((pos.x(), pos.y()))
    event = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, event)
    _wait_still(qtbot, canvas)
    assert canvas.camera.zoom > before_zoom * 2
    np.testing.assert_allclose(canvas.camera.screen_to_world((pos.x(), pos.y())), anchor, atol=1e-9)


def test_fly_to_ends_at_the_target(qtbot, canvas):
    with qtbot.waitSignal(canvas.cameraChanged, timeout=1000):
        canvas.fly_to(0.7, 0.3, 12.0)
    assert canvas.is_animating()
    _wait_still(qtbot, canvas)
    assert (canvas.camera.cx, canvas.camera.cy, canvas.camera.zoom) == pytest.approx((0.7, 0.3, 12.0))


def test_keys_zoom_and_fit(qtbot, canvas):
    start = canvas.camera.zoom
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    _wait_still(qtbot, canvas)
    assert canvas.camera.zoom == pytest.approx(start * 2)
    cx = canvas.camera.cx
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    _wait_still(qtbot, canvas)
    assert canvas.camera.cx > cx
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    _wait_still(qtbot, canvas)
    assert canvas.camera.zoom == pytest.approx(start)


def test_drag_pans(qtbot, canvas):
    before = canvas.camera.screen_to_world((300, 200))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    for x in (310, 330, 360):
        qtbot.mouseMove(canvas, QPoint(x, 200), delay=5)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(360, 200))
    np.testing.assert_allclose(canvas.camera.screen_to_world((360, 200)), before, atol=1e-9)


def test_double_click_zooms_in(qtbot, canvas):
    start = canvas.camera.zoom
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    _wait_still(qtbot, canvas)
    assert canvas.camera.zoom == pytest.approx(start * 2)


def test_clicking_a_label_emits_island(qtbot, canvas):
    canvas.repaint()
    assert canvas._labels, "the overview shows region labels"
    label = canvas._labels[0]
    centre = QPoint(round(label.x_px + label.w / 2), round(label.y_px + label.h / 2))
    with qtbot.waitSignal(canvas.islandClicked, timeout=1000) as got:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=centre)
    assert got.args == [label.level, label.key]


def test_tooltip_asks_the_provider(qtbot, canvas):
    row = int(np.nonzero(~canvas.scene.land)[0][0])
    asked = []
    canvas.tooltip_provider = lambda pid: asked.append(pid) or f"paragraph {pid}"
    pos = _screen_of(canvas, row)
    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, pos, canvas.mapToGlobal(pos)))
    assert asked == [int(canvas.scene.ids[row])]


def test_hover_signal(qtbot, canvas):
    row = int(np.nonzero(~canvas.scene.land)[0][0])
    with qtbot.waitSignal(canvas.hovered, timeout=1000) as got:
        qtbot.mouseMove(canvas, _screen_of(canvas, row))
    assert got.args == [int(canvas.scene.ids[row])]


def test_export_png_and_svg(tmp_path, canvas, store):
    canvas.set_pins(canvas.scene.ids[:3])
    canvas.set_highlight(canvas.scene.ids[:20])
    png = tmp_path / "view.png"
    canvas.export_png(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(png))
    assert image.width() >= W and image.height() >= H
    canvas.export_png(tmp_path / "big.png", size=(320, 200))
    assert QImage(str(tmp_path / "big.png")).size().width() == 320
    svg = tmp_path / "view.svg"
    canvas.export_svg(svg)
    text = svg.read_text()
    assert "<svg" in text and "<image" in text and canvas._labels[0].text.split()[0] in text


def test_render_offscreen_draws_land_and_sea(canvas):
    image = canvas.render_offscreen(400, 300)
    assert image.width() == 400
    colours = {image.pixel(x, y) for x in range(0, 400, 7) for y in range(0, 300, 7)}
    assert len(colours) > 20  # more than a blank sea


def test_tiles_arrive_from_workers(qtbot, canvas):
    canvas.fly_to(0.3, 0.3, 5.0)
    _wait_still(qtbot, canvas)
    canvas.repaint()
    qtbot.waitUntil(lambda: not canvas._loader.busy(), timeout=5000)
    canvas.repaint()
    level = canvas.camera.tile_level(canvas.devicePixelRatioF())
    keys = [canvas._loader.key(*t, canvas.devicePixelRatioF()) for t in canvas.camera.visible_tiles(canvas.devicePixelRatioF())]
    assert all(k in canvas._loader.cache for k in keys) and level >= 3


def test_colour_modes_and_overlays_paint(canvas, store):
    values = color_values(store, canvas.scene.ids, "date")
    canvas.set_color_mode("date", values)
    assert canvas.color_mode == "date"
    canvas.set_neighbors(canvas.scene.ids[5:9])
    canvas.select(int(canvas.scene.ids[4]))
    assert canvas.render_offscreen(200, 150).width() == 200
    with pytest.raises(ValueError):
        canvas.set_color_mode("document", [1, 2])


def test_the_map_follows_a_dark_window_palette(qtbot, canvas):
    from PySide6.QtGui import QColor

    from ideamap.app.canvas import colors
    from ideamap.app.shell.theme import dark_palette

    app = QApplication.instance()
    before = app.palette()
    try:
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: canvas.theme == "dark", timeout=2000)
        corner = QColor(canvas.render_offscreen(200, 150).pixel(1, 1))
        assert (corner.red(), corner.green(), corner.blue()) == colors.DARK.sea
    finally:
        app.setPalette(before)
    qtbot.waitUntil(lambda: canvas.theme == "light", timeout=2000)


def test_fly_to_island_frames_it(qtbot, canvas):
    canvas.fly_to_island(0, 2)
    _wait_still(qtbot, canvas)
    x0, y0, x1, y1 = canvas.camera.visible_world_rect()
    bx0, by0, bx1, by1 = canvas.scene.island_bounds(0, 2)
    assert x0 <= bx0 and bx1 <= x1 and y0 <= by0 and by1 <= y1
    assert (x1 - x0) < 0.5  # zoomed in, not the whole map


def test_fly_to_fit_frames_scattered_paragraphs(qtbot, canvas):
    rows = [0, len(canvas.scene) // 2, len(canvas.scene) - 1]
    canvas.fly_to(0.1, 0.1, 40.0)
    _wait_still(qtbot, canvas)
    canvas.fly_to_fit(canvas.scene.ids[rows])
    _wait_still(qtbot, canvas)
    x0, y0, x1, y1 = canvas.camera.visible_world_rect()
    for x, y in canvas.scene.xy[rows]:
        assert x0 <= x <= x1 and y0 <= y <= y1


def test_minimap_moves_the_camera(qtbot, canvas):
    mini = canvas.show_minimap()
    assert mini.isVisible()
    mini.repaint()
    qtbot.waitUntil(mini.has_overview, timeout=5000)  # rendered off the UI thread
    qtbot.mouseClick(mini, Qt.MouseButton.LeftButton, pos=QPoint(mini.width() // 4, mini.height() // 4))
    _wait_still(qtbot, canvas)
    assert (canvas.camera.cx, canvas.camera.cy) == pytest.approx((0.25, 0.25), abs=0.01)


def test_empty_canvas_paints(qtbot):
    c = MapCanvas()
    qtbot.addWidget(c)
    c.resize(200, 100)
    assert c.render_offscreen(200, 100).width() == 200
    c.set_scene(MapScene([], np.zeros((0, 2)), np.zeros((1, 0))))
    assert c.render_offscreen(200, 100).width() == 200


def test_long_sessions_survive_the_pyside_refcount_bug():
    """PySide6 6.12.0 on Python 3.11 drops None's refcount on every void call and aborts the
    interpreter after some 40k calls (a few seconds of painting); pyproject.toml keeps that
    release out. This fails if a PySide6 with the bug is installed again."""
    code = (
        "from ideamap.app.canvas import widget\n"
        "from PySide6.QtGui import QPen\n"
        "p = QPen()\n"
        "for _ in range(200_000):\n"
        "    p.setWidthF(2.0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
