"""The main window with a stand-in canvas: start screen, opening a map, details and neighbours,
history, search, footprint, colour modes, export, errors. Fast: no model, no UMAP."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from ideamap.app.canvas.scene import inset
from ideamap.app.shell.main_window import MainWindow
from ideamap.app.settings import AppSettings
from ideamap.store.mapfile import MapStore
from tests.test_app_fakes import TOPICS, ScriptedAsker, fake_kit, make_small_map


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("IDEAMAP_HOME", str(tmp_path / "home"))


@pytest.fixture
def settings(tmp_path):
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))


@pytest.fixture
def window(qtbot, settings):
    w = MainWindow(settings, kit=fake_kit())
    w.ask = ScriptedAsker()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


@pytest.fixture
def small_map(tmp_path):
    return make_small_map(tmp_path / "small.ideamap")


@pytest.fixture
def opened(window, small_map, qtbot):
    assert window.open_map(small_map)
    qtbot.waitUntil(lambda: window.session.index is not None, timeout=10000)
    return window


def _ids_of(window, topic):
    texts = set(TOPICS[topic])
    rows = window.session.store.db.execute("SELECT id, text FROM paragraphs").fetchall()
    return [pid for pid, text in rows if text in texts]


def test_start_screen_shows_the_ways_in(window):
    assert window.stack.currentWidget() is window.start
    labels = {b.text() for b in window.start.findChildren(type(window.paragraph_panel.open_button))}
    assert {"New map from folder…", "Open map…", "Open demo map"} <= labels
    assert window.start.no_recent.isVisibleTo(window)
    assert not window.left_dock.isVisibleTo(window)
    assert not window.actions.export_png.isEnabled()


def test_opening_a_map_shows_canvas_documents_and_counts(window, small_map, settings):
    assert window.open_map(small_map)
    assert window.stack.currentWidget() is window.map_page
    assert window.canvas.scene is window.session.scene
    tree = window.documents_panel.tree
    assert tree.topLevelItemCount() == 4
    locked = [tree.topLevelItem(i) for i in range(4) if "locked" in tree.topLevelItem(i).toolTip(0)][0]
    assert "password" in locked.toolTip(0) and locked.text(2) == "Needs a password"
    assert "4 documents" in window.counts_label.text() and "1 not fully read" in window.counts_label.text()
    assert settings.recent_maps()[0] == small_map.resolve()
    pid = _ids_of(window, "bread")[1]
    assert window.canvas.tooltip_provider(pid) == f"{TOPICS['bread'][1]}\n— All about bread (bread.pdf), p. 2"
    assert window.windowTitle().startswith("small")


def test_selecting_a_paragraph_fills_the_panel_with_neighbours(opened, qtbot):
    w = opened
    pid = _ids_of(w, "rivers")[0]
    w.canvas.paragraphClicked.emit(pid)
    qtbot.waitUntil(lambda: not w.reading.busy(), timeout=10000)  # found in the background
    panel = w.paragraph_panel
    assert w.details.currentWidget() is panel
    assert panel.text.toPlainText() == TOPICS["rivers"][0]
    assert panel.path_label.text() == "Nature › Rivers"
    assert panel.source_label.text() == "2024-01-15 · rivers.pdf, p. 1"
    neighbours = panel.neighbor_ids()
    assert len(neighbours) >= 3 and pid not in neighbours
    assert set(neighbours[:3]) <= set(_ids_of(w, "rivers"))  # the same topic comes first
    assert w.canvas.neighbors == neighbours and w.canvas.selected == pid


def test_neighbours_arrive_when_the_index_is_built_after_the_click(window, small_map, qtbot):
    window.open_map(small_map)
    window.session.index = None  # as if the background build had not finished
    pid = _ids_of(window, "stars")[0]
    window.nav.paragraph_clicked(pid)
    qtbot.waitUntil(lambda: len(window.paragraph_panel.neighbor_ids()) > 0, timeout=10000)


def test_clicking_a_neighbour_flies_there_and_back_returns(opened, qtbot):
    w = opened
    first = _ids_of(w, "stars")[0]
    w.canvas.paragraphClicked.emit(first)
    qtbot.waitUntil(lambda: not w.reading.busy(), timeout=10000)
    target = w.paragraph_panel.neighbor_ids()[0]
    item = w.paragraph_panel.neighbors.item(0)
    with qtbot.waitSignal(w.canvas.cameraChanged, timeout=2000):
        w.paragraph_panel.neighbors.itemClicked.emit(item)
    assert w.canvas.selected == target
    assert w.canvas.camera[:2] == pytest.approx(w.session.position(target))
    assert w.actions.back.isEnabled()
    w.actions.back.trigger()
    assert w.canvas.selected == first and w.nav.current_pid == first
    assert w.canvas.camera[:2] == pytest.approx(w.session.position(first))
    w.actions.forward.trigger()
    assert w.canvas.selected == target


def test_alt_left_goes_back(opened, qtbot):
    w = opened
    a, b = _ids_of(w, "bread")[:2]
    w.nav.show_paragraph(a)
    w.nav.show_paragraph(b)
    w.activateWindow()
    w.canvas.setFocus()
    QTest.keyClick(w, Qt.Key_Left, Qt.AltModifier)
    qtbot.waitUntil(lambda: w.nav.current_pid == a, timeout=2000)


def test_keyword_search_lists_pins_and_flies_to_the_best(opened, qtbot):
    w = opened
    w.search_box.setText("sourdough yeast")
    with qtbot.waitSignal(w.canvas.cameraChanged, timeout=2000):
        QTest.keyClick(w.search_box, Qt.Key_Return)
    bread = set(_ids_of(w, "bread"))
    results = w.search_panel.result_ids()
    assert results and set(results) <= bread
    assert w.canvas.pins == results
    assert w.nav.current_pid == results[0]
    assert w.left_tabs.currentWidget() is w.search_panel
    # this map's encoder does not exist here: the semantic part says so and keywords stay
    qtbot.waitUntil(lambda: "unavailable" in w.search_panel.status.text(), timeout=20000)
    assert w.search_panel.result_ids() == results


def test_ctrl_f_focuses_the_search_box(opened, qtbot):
    w = opened
    w.activateWindow()
    w.actions.search.trigger()
    assert w.search_box.hasFocus() or QGuiApplication.focusObject() is w.search_box


def test_choosing_a_document_highlights_its_footprint(opened):
    w = opened
    tree = w.documents_panel.tree
    item = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == "All about stars"][0]
    tree.setCurrentItem(item)
    assert sorted(w.canvas.highlight) == sorted(_ids_of(w, "stars"))  # the heading is not on the map
    assert w.canvas.fitted == w.canvas.highlight  # the camera frames the whole footprint
    w.documents_panel.findChildren(type(w.paragraph_panel.open_button))[0].click()  # Clear highlight
    assert w.canvas.highlight == []


def test_show_document_from_a_selected_paragraph(opened):
    w = opened
    w.nav.show_paragraph(_ids_of(w, "rivers")[2])
    w.paragraph_panel.doc_button.click()
    assert sorted(w.canvas.highlight) == sorted(_ids_of(w, "rivers"))


@pytest.mark.parametrize("mode", ["document", "folder", "date", "island"])
def test_colour_by_switches_the_canvas_mode(opened, mode):
    w = opened
    w.colour_combo.setCurrentIndex(w.colour_combo.findData(mode))
    w.colour_combo.activated.emit(w.colour_combo.currentIndex())
    got_mode, values = w.canvas.color_mode
    assert got_mode == mode and w.actions.colour[mode].isChecked()
    if mode == "island":
        assert values is None
    else:
        assert len(values) == len(w.session.scene.ids)
    if mode == "document":
        assert len(np.unique(values)) == 3
    if mode == "date":
        assert not np.isnan(values).any() and len(np.unique(values)) == 3
        assert w.legend.text() == "2024-01-15 2024-03-15"  # oldest and newest beside the ramp
    if mode == "folder":
        assert w.legend.text() == "one colour per folder (1)"


def test_island_label_click_shows_terms_and_exemplars(opened):
    w = opened
    w.canvas.islandClicked.emit(1, 2)
    panel = w.island_panel
    assert w.details.currentWidget() is panel
    assert panel.title_label.text() == "Bread"
    assert panel.kind_label.text().startswith("Kitchen › Island · 4 paragraphs")
    assert "bread" in panel.terms_label.text()
    assert panel.exemplars.count() == 2
    assert not panel.children.isVisibleTo(panel)  # an island of the finest level has no parts
    panel.exemplars.itemClicked.emit(panel.exemplars.item(0))
    assert w.details.currentWidget() is w.paragraph_panel
    w.actions.back.trigger()
    assert w.details.currentWidget() is panel


def test_a_region_lists_its_islands_and_a_click_flies_there(opened, qtbot):
    w = opened
    w.canvas.islandClicked.emit(0, 0)  # the region "Nature"
    panel = w.island_panel
    assert panel.title_label.text() == "Nature"
    assert panel.children.isVisibleTo(panel) and panel.child_keys() == [(1, 0), (1, 1)]
    assert panel.children_title.text() == "ISLANDS IN THIS REGION (2)"
    assert [panel.children.item(i).text() for i in range(2)] == ["Rivers  ·  4", "Stars  ·  4"]
    with qtbot.waitSignal(w.canvas.cameraChanged, timeout=2000):
        panel.children.itemClicked.emit(panel.children.item(1))
    stars = w.session.island(1, 1)
    assert panel.title_label.text() == "Stars"
    # The camera flies to the island's world position: stored coordinates inset by the edge margin.
    assert w.canvas.camera[:2] == pytest.approx((inset(stars.x), inset(stars.y)))
    w.actions.back.trigger()
    assert panel.title_label.text() == "Nature"


def test_export_png_and_svg_write_files(opened, tmp_path):
    w = opened
    w.ask.export_to = tmp_path / "view.png"
    assert w.export_view("png") == tmp_path / "view.png"
    assert (tmp_path / "view.png").stat().st_size > 0
    w.ask.export_to = tmp_path / "view.svg"
    w.export_view("svg")
    assert (tmp_path / "view.svg").read_text().startswith("<svg")


def test_copy_with_citation(opened):
    w = opened
    pid = _ids_of(w, "stars")[1]
    w.nav.show_paragraph(pid)
    w.paragraph_panel.copy_button.click()
    assert QGuiApplication.clipboard().text() == f"{TOPICS['stars'][1]}\n— stars.pdf, p. 2"


def test_a_file_that_is_not_a_map_gives_a_readable_error(window, tmp_path):
    bad = tmp_path / "notes.ideamap"
    bad.write_text("hello")
    assert not window.open_map(bad)
    title, text = window.ask.errors[-1]
    assert "not an ideamap map" in text and "Traceback" not in text
    assert window.stack.currentWidget() is window.start


def test_close_map_returns_to_start_screen_with_recent(opened, small_map):
    w = opened
    w.actions.close.trigger()
    assert w.stack.currentWidget() is w.start and w.session is None
    assert w.start.recent.count() == 1
    w.start.recent.itemClicked.emit(w.start.recent.item(0))
    assert w.session is not None and w.session.path == small_map


def test_interrupted_build_shows_resume_banner(window, tmp_path, qtbot):
    path = tmp_path / "half.ideamap"
    store = MapStore.create(path)
    store.start_run("build", {})
    store.close()
    window.open_map(path)
    qtbot.waitUntil(lambda: window.banner.isVisibleTo(window), timeout=2000)
    assert "interrupted" in window.banner_text.text()
    assert window.actions.resume.isEnabled()


def test_theme_menu_offers_system_light_and_dark(window, settings):
    from PySide6.QtWidgets import QApplication

    from ideamap.app.shell.theme import is_dark

    palette = QApplication.instance().palette
    assert window.actions.theme["system"].isChecked()  # the default: follow the system
    window.actions.theme["dark"].trigger()
    assert settings.theme() == "dark" and palette().window().color().lightness() < 80
    window.actions.flip_theme.trigger()  # Ctrl+Shift+D
    assert settings.theme() == "light" and window.actions.theme["light"].isChecked()
    assert palette().window().color().lightness() > 180
    window.actions.theme["system"].trigger()
    assert settings.theme() == "system" and window.actions.theme["system"].isChecked()
    assert (palette().window().color().lightness() < 128) == is_dark("system")


def test_the_theme_choice_is_restored(qtbot, settings):
    settings.set_theme("dark")
    w = MainWindow(settings, kit=fake_kit())
    qtbot.addWidget(w)
    assert w.actions.theme["dark"].isChecked() and not w.actions.theme["system"].isChecked()


def test_with_the_real_canvas_a_neighbour_click_moves_camera_and_selection(qtbot, settings, small_map, tmp_path):
    pytest.importorskip("ideamap.app.canvas.widget")
    w = MainWindow(settings)  # the real canvas
    w.ask = ScriptedAsker()
    qtbot.addWidget(w)
    w.show()
    assert w.open_map(small_map)
    qtbot.waitUntil(lambda: w.session.index is not None, timeout=10000)
    first = _ids_of(w, "rivers")[0]
    w.canvas.paragraphClicked.emit(first)
    assert w.canvas.selected() == first
    qtbot.waitUntil(lambda: not w.reading.busy(), timeout=10000)
    target = w.paragraph_panel.neighbor_ids()[0]
    with qtbot.waitSignal(w.canvas.cameraChanged, timeout=3000):
        w.paragraph_panel.neighbors.itemClicked.emit(w.paragraph_panel.neighbors.item(0))
    assert w.canvas.selected() == target
    w.actions.back.trigger()
    assert w.canvas.selected() == first
    w.set_colour_mode("date")
    assert w.canvas.color_mode == "date"
    w.ask.export_to = tmp_path / "real.png"
    w.export_view("png")
    assert (tmp_path / "real.png").stat().st_size > 1000
    w.close()


def test_dropping_files_on_an_open_map_asks_and_adds(opened, tmp_path, qtbot):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    from tests.test_app_fakes import polite_job

    w = opened
    w.builds.job_target = polite_job
    w.ask.new_or_add_answer = "add"
    note = tmp_path / "extra.md"
    note.write_text("# Extra\n\nMore about rivers.\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(note))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    w.dropEvent(event)
    runner = w.builds.runner
    assert runner.spec.kind == "add" and runner.spec.map_path == str(w.session.path)
    assert runner.spec.paths == (str(note),)
    w.builds.cancel()
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)


def test_demo_opens_when_built_and_builds_in_the_worker_otherwise(window, small_map, tmp_path, monkeypatch, qtbot):
    import ideamap.demo
    from tests.test_app_fakes import polite_job

    monkeypatch.setattr(ideamap.demo, "demo_map_path", lambda: small_map)
    window.open_demo()
    assert window.session is not None and window.session.path == small_map
    window.close_map()
    missing = tmp_path / "demo.ideamap"
    monkeypatch.setattr(ideamap.demo, "demo_map_path", lambda: missing)
    window.builds.job_target = polite_job
    window.open_demo()
    runner = window.builds.runner
    assert runner.spec.kind == "demo" and runner.spec.map_path == str(missing)
    assert window.builds.dialog.isVisible() and window.stack.currentWidget() is window.start
    window.builds.cancel()
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)


def test_ocr_setting_reaches_the_build_worker(opened, tmp_path, qtbot, monkeypatch):
    """Map ▸ Read Scanned Pages by OCR: remembered, carried by the job, and the worker then
    builds as `ideamap build --no-ocr` would (IDEAMAP_OCR=0 for its reader processes)."""
    from ideamap.app.jobs import build_job
    from ideamap.errors import IdeamapError
    from tests.test_app_fakes import polite_job

    w = opened
    assert w.actions.ocr.isChecked() and w.settings.ocr_enabled()  # on by default
    w.actions.ocr.setChecked(False)
    assert not w.settings.ocr_enabled()
    w.builds.job_target = polite_job
    w.builds.add_to_open_map([tmp_path])
    runner = w.builds.runner
    assert runner.spec.kind == "add" and runner.spec.ocr is False
    w.builds.cancel()
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)

    # setenv, not delenv: monkeypatch undoes only what it recorded, and _run sets the variable
    # for the rest of this process (in the app that process is the worker, which then ends).
    monkeypatch.setenv("IDEAMAP_OCR", "1")
    empty = tmp_path / "empty"
    empty.mkdir()
    spec = build_job.JobSpec("build", str(tmp_path / "x.ideamap"), (str(empty),), ocr=False)
    with pytest.raises(IdeamapError):  # nothing to read; the environment is set before
        build_job._run(spec, lambda *a: None, lambda: False)
    assert os.environ["IDEAMAP_OCR"] == "0"
