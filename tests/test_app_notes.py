"""Tags, notes and map filters in the window: tag through the UI, the Notes panel lists it and
the map file stores it; remove and undo; a tag filter and a period veil exactly the paragraphs
they leave out. The real canvas (its tiles are what the veil changes) on a small real map."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtTest import QTest

from ideamap.app.canvas_kit import default_kit
from ideamap.app.panels.cards import SOURCE_ROLE
from ideamap.reading import annotations
from ideamap.store.mapfile import MapStore
from tests.test_app_fakes import TOPICS, make_small_map, private_home, shown_window  # noqa: F401 (fixture)


@pytest.fixture
def window(qtbot, tmp_path):
    w = shown_window(qtbot, tmp_path, kit=default_kit(), size=(1100, 700))  # the real canvas
    yield w
    w.close()


@pytest.fixture
def opened(window, tmp_path):
    # Three documents dated 2024-01-15 (rivers), 2024-02-15 (stars), 2024-03-15 (bread).
    path = make_small_map(tmp_path / "small.ideamap")
    assert window.open_map(path)
    window.canvas.animation_ms = 0
    return window


def _ids_of(w, topic) -> list[int]:
    texts = set(TOPICS[topic])
    return [pid for pid, text in w.session.store.db.execute("SELECT id, text FROM paragraphs") if text in texts]


def _answer(w, *answers):
    queue = list(answers)
    w.notes.ask_text = lambda title, prompt, multiline: queue.pop(0)


def test_tag_with_T_is_listed_stored_and_goes_to_its_paragraph(opened, qtbot):
    w = opened
    pid = _ids_of(w, "bread")[1]
    w.nav.show_paragraph(pid, fly=False)
    _answer(w, "baking")
    QTest.keyClick(w.canvas, "t")  # the T shortcut, with the map focused
    stored = annotations.list_annotations(w.session.store)
    assert [(a.tag, a.paragraph_ids, a.scope) for a in stored] == [("baking", [pid], "paragraph")]
    with MapStore.open(w.session.path, readonly=True) as other:  # on disk, not only in memory
        assert annotations.paragraph_ids_with_tag(other, "baking") == {pid}
    panel = w.notes.panel
    assert panel.annotation_ids() == [stored[0].id]
    head = panel.list.item(0).data(SOURCE_ROLE)
    assert head.startswith("#baking") and "bread.pdf" in head and "p. 2" in head
    assert panel.tag_combo.findData("baking") > 0
    assert panel.current.text() == "Selected paragraph: #baking." and panel.list.currentRow() == 0
    # A note through the panel's button, then clicking the tag's row selects its paragraph.
    _answer(w, "Check the proofing time.")
    panel.noteParagraphRequested.emit()
    assert [a.note for a in annotations.list_annotations(w.session.store)] == [None, "Check the proofing time."]
    w.nav.clear_selection()
    panel.list.itemClicked.emit(panel.list.item(0))
    assert w.nav.current_pid == pid and w.canvas.selected() == pid
    assert panel.current.text() == "Selected paragraph: #baking · 1 note."
    panel.list.setCurrentRow(1)
    panel.list.itemClicked.emit(panel.list.item(1))  # the note's row stays chosen (for Remove)
    assert panel.list.currentRow() == 1


def test_tag_island_marks_every_paragraph_of_the_island(opened):
    w = opened
    w.nav.show_island(1, 0)  # "Rivers"
    _answer(w, "water")
    w.notes.actions["tag_island"].trigger()
    (a,) = annotations.list_annotations(w.session.store)
    assert a.scope == "island" and set(a.paragraph_ids) == set(_ids_of(w, "rivers"))
    assert "Rivers" in a.label
    _answer(w, "picked")  # what a lasso selection hands over
    w.notes.tag_selection(_ids_of(w, "stars")[:3])
    assert annotations.paragraph_ids_with_tag(w.session.store, "picked") == set(_ids_of(w, "stars")[:3])
    assert "3 paragraphs" in w.notes.panel.list.item(1).data(SOURCE_ROLE)


def test_remove_then_undo_and_redo(opened):
    w = opened
    pid = _ids_of(w, "stars")[0]
    w.nav.show_paragraph(pid, fly=False)
    _answer(w, "Supernova figures are from 2019.")
    w.notes.note_paragraph()
    (before,) = annotations.list_annotations(w.session.store)
    panel = w.notes.panel
    panel.list.setCurrentRow(0)
    panel.remove_button.click()
    assert annotations.list_annotations(w.session.store) == [] and panel.annotation_ids() == []
    w.notes.actions["undo"].trigger()  # Ctrl+Z
    (after,) = annotations.list_annotations(w.session.store)
    assert (after.id, after.note, after.paragraph_ids, after.created_at) == (
        before.id, before.note, before.paragraph_ids, before.created_at)
    assert panel.annotation_ids() == [before.id]
    w.notes.actions["redo"].trigger()
    assert annotations.list_annotations(w.session.store) == []
    assert w.notes.actions["undo"].shortcut().toString() == "Ctrl+Z"


def test_tag_filter_veils_exactly_the_untagged_paragraphs(opened):
    w = opened
    tagged = _ids_of(w, "rivers")[:2] + _ids_of(w, "bread")[:1]
    annotations.tag(w.session.store, tagged, "key")
    w.notes.refresh()
    on_map = set(int(i) for i in w.session.scene.ids)
    before = w.canvas.render_offscreen(300, 200).copy()
    w.notes.panel.choose_tag("key")
    assert set(w.canvas.veiled_ids().tolist()) == on_map - set(tagged)
    assert "3 of 12" in w.notes.panel.filter_note.text()
    after = w.canvas.render_offscreen(300, 200)
    assert after != before  # the tiles show it
    w.notes.panel.choose_tag(None)
    assert len(w.canvas.veiled_ids()) == 0


def test_period_veils_the_paragraphs_of_documents_outside_it(opened, qtbot):
    w = opened
    panel = w.notes.panel
    assert not panel.period_box.isHidden() and panel.no_dates.isHidden()
    assert panel.since_edit.date().toString("yyyy-MM-dd") == "2024-01-15"
    assert panel.until_edit.date().toString("yyyy-MM-dd") == "2024-03-15"
    panel.set_period("2024-02-01", "2024-03-31")  # stars and bread, not rivers
    assert set(w.canvas.veiled_ids().tolist()) == set(_ids_of(w, "rivers"))
    # A tag and a period combine: only tagged paragraphs of the period stay clear.
    annotations.tag(w.session.store, _ids_of(w, "rivers") + _ids_of(w, "stars")[:1], "astro-hydro")
    w.notes.refresh()
    panel.choose_tag("astro-hydro")
    on_map = set(int(i) for i in w.session.scene.ids)
    assert set(w.canvas.veiled_ids().tolist()) == on_map - set(_ids_of(w, "stars")[:1])
    w.set_colour_mode("date")  # changing the colours keeps the veil
    assert set(w.canvas.veiled_ids().tolist()) == on_map - set(_ids_of(w, "stars")[:1])
    panel.show_all_button.click()
    assert len(w.canvas.veiled_ids()) == 0 and panel.tag_filter() is None and panel.period() == (None, None)
    assert not panel.show_all_button.isEnabled()
    # Stepping the dates (as the arrow keys do) veils once the dates settle.
    panel.period_box.setChecked(True)  # 2024-02-01 to 2024-03-15 again: rivers veiled at once
    assert set(w.canvas.veiled_ids().tolist()) == set(_ids_of(w, "rivers"))
    panel.since_edit.setDate(panel.since_edit.date().addDays(20))  # 2024-02-21: stars leave too
    later = set(_ids_of(w, "rivers") + _ids_of(w, "stars"))
    qtbot.waitUntil(lambda: set(w.canvas.veiled_ids().tolist()) == later, timeout=3000)


def test_an_undated_map_hides_the_period(window, tmp_path):
    assert window.open_map(make_small_map(tmp_path / "undated.ideamap", dated=False))
    panel = window.notes.panel
    assert panel.period_box.isHidden() and not panel.no_dates.isHidden()
    assert panel.period() == (None, None)


def test_veil_fades_the_tiles_of_left_out_paragraphs_only():
    from ideamap.app.canvas.scene import MapScene
    from ideamap.app.canvas.tiles import TileStyle, render_tile

    scene = MapScene.synthetic(1500, seed=3)
    keep = np.asarray(scene.xy[:, 0] < 0.5)
    style = TileStyle().with_keep(keep)
    plain = render_tile(scene, 0, 0, 0)[..., :3].astype(float)
    veiled = render_tile(scene, 0, 0, 0, style=style)[..., :3].astype(float)
    veil = np.asarray(style.palette.veil[:3], float)

    land = np.abs(plain - np.asarray(style.palette.sea, float)).sum(axis=-1) > 40

    def to_veil(img, cols):  # how far the land pixels are from the veil's colour
        return np.abs(img[:, cols] - veil).sum(axis=-1)[land[:, cols]].mean()

    right, left = slice(150, 256), slice(0, 100)
    assert to_veil(veiled, right) < 0.8 * to_veil(plain, right)  # left-out land fades towards the veil
    assert to_veil(veiled, left) >= 0.98 * to_veil(plain, left)  # kept land does not (its dots stand out)
