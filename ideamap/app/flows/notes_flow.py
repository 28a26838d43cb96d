"""Tags, notes and map filters in the window: the Notes panel, its menu and shortcuts, undo.

Writes go through ideamap.reading.annotations (keyed by content, so they survive add, rebuild
and adapt). Adding and removing are undoable (Ctrl+Z), because removing a note destroys its
text. The filters (a tag, a period) veil the rest of the map through MapCanvas.set_veil.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QInputDialog

from ideamap.app.shell import window_layout as layout
from ideamap.app.map_filter import MapFilter, describe, kept_ids
from ideamap.app.panels.notes_panel import NotesPanel
from ideamap.app.text import clip, count_words, source_label
from ideamap.errors import IdeamapError


class NotesFlow(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.panel = NotesPanel()
        self.dock = layout.build_notes_dock(window, self.panel)
        self.undo_stack = QUndoStack(self)
        self.filter = MapFilter()
        self._by_paragraph: dict[int, list] = {}  # paragraph id → its annotations, from refresh()
        self._clicked: int | None = None  # the row clicked last stays the chosen one
        self.ask_text = self._ask_text  # tests replace it: (title, prompt, multiline) -> str | None
        self._connect()
        self._build_menu()
        self.dock.hide()

    # -- wiring -----------------------------------------------------------------------------------
    def _connect(self) -> None:
        p = self.panel
        p.annotationActivated.connect(self.go_to)
        p.removeRequested.connect(self.remove)
        p.filterChanged.connect(self.apply_filter)
        p.tagParagraphRequested.connect(self.tag_paragraph)
        p.noteParagraphRequested.connect(self.note_paragraph)
        p.tagIslandRequested.connect(self.tag_island)
        self.w.nav.paragraphShown.connect(self.paragraph_shown)

    def _build_menu(self) -> None:
        w = self.w
        menu = w.menuBar().addMenu("&Notes")
        help_menu = next((a for a in w.menuBar().actions() if a.text() == "&Help"), None)
        if help_menu is not None:  # Notes before Help, as menus usually end with Help
            w.menuBar().insertMenu(help_menu, menu)
        self.actions = {}
        specs = (("tag", "&Tag Paragraph…", self.tag_paragraph, "T"),
                 ("note", "&Note on Paragraph…", self.note_paragraph, "N"),
                 ("tag_island", "Tag &Island…", self.tag_island, "Shift+T"),
                 ("panel", "Notes and &Filters", self.show_panel, "Ctrl+Shift+N"),
                 ("clear", "Show the &Whole Map", self.clear_filter, None))
        for name, text, slot, key in specs:
            action = QAction(text, w)
            if key:
                action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _checked=False, s=slot: s())
            menu.addAction(action)
            self.actions[name] = action
        menu.addSeparator()
        self.actions["undo"] = self.undo_stack.createUndoAction(w, "&Undo")
        self.actions["undo"].setShortcut(QKeySequence.Undo)
        self.actions["redo"] = self.undo_stack.createRedoAction(w, "&Redo")
        self.actions["redo"].setShortcut(QKeySequence.Redo)
        menu.addAction(self.actions["undo"])
        menu.addAction(self.actions["redo"])
        self.actions["panel"].setToolTip("Tags, notes, and filters that veil the map by tag or by period (Ctrl+Shift+N)")
        w.toolbar.addAction(self.actions["panel"])
        for name in ("tag", "note", "tag_island", "panel", "clear"):
            w.actions.map_only.append(self.actions[name])

    # -- the map --------------------------------------------------------------------------------------
    def set_session(self, session) -> None:
        """A map was opened (or closed: None). Undo does not reach into another map."""
        self.undo_stack.clear()
        self.filter = MapFilter()
        if session is None:
            self.dock.hide()
            return
        self.panel.set_tags({})
        self.panel.set_date_range(_timeline().date_range(session.store))
        self.refresh()

    def show_panel(self) -> None:
        """Show the panel as a tab beside documents and search, in front."""
        if not self.dock.isVisible() and not self.dock.isFloating():
            self.w.tabifyDockWidget(self.w.left_dock, self.dock)
        self.dock.show()
        self.dock.raise_()
        self.panel.list.setFocus(Qt.ShortcutFocusReason)

    def refresh(self) -> None:
        """List the map's tags and notes again and re-apply the filter (a tag may have moved)."""
        session = self.w.session
        if session is None:
            return
        store = session.store
        found = _annotations().list_annotations(store)
        firsts = {p.id: p for p in store.paragraphs([a.paragraph_ids[0] for a in found if a.paragraph_ids])}
        self.panel.show_annotations([self._row(a, firsts) for a in found])
        self._by_paragraph = {}
        for a in found:
            for pid in a.paragraph_ids:
                self._by_paragraph.setdefault(pid, []).append(a)
        if self.w.nav.current_pid is not None:
            self.paragraph_shown(self.w.nav.current_pid)
        self.panel.set_tags(_paragraphs_per_tag(found))
        self.apply_filter()

    def _row(self, a, firsts) -> tuple[int, str, str]:
        first = firsts.get(a.paragraph_ids[0]) if a.paragraph_ids else None
        where = a.label
        if a.scope == "paragraph" and first is not None:
            where = source_label(self.w.session.document(first.document_id), first.page)
        parts = [f"#{a.tag}" if a.tag else "Note"]
        if len(a.paragraph_ids) > 1:  # before the source, which the panel's edge may cut
            parts.append(count_words(len(a.paragraph_ids), "paragraph"))
        parts.append(clip(where, 60))
        if a.missing:
            parts.append(f"{a.missing} no longer in the map")
        body = a.note or (first.text if first is not None else "(its paragraphs are no longer in the map)")
        return a.id, " · ".join(parts), body

    def paragraph_shown(self, pid: int) -> None:
        """Say which tags and notes the selected paragraph has, and pick its first row."""
        found = self._by_paragraph.get(int(pid), [])
        tags = sorted({a.tag for a in found if a.tag}, key=str.casefold)
        notes = sum(1 for a in found if a.note)
        if not found:
            text = "Selected paragraph: no tags or notes (T tags it, N writes a note)."
        else:
            bits = [", ".join(f"#{t}" for t in tags)] if tags else []
            bits += [count_words(notes, "note")] if notes else []
            text = f"Selected paragraph: {' · '.join(bits)}."
        chosen = [a.id for a in found if a.id == self._clicked] or [a.id for a in found[:1]]
        self.panel.set_current(text, chosen[0] if chosen else None)

    # -- annotating -------------------------------------------------------------------------------
    def tag_paragraph(self) -> None:
        pid = self._current_paragraph()
        if pid is not None:
            name = self.ask_text("Tag paragraph", "Tag for this paragraph (e.g. decision, todo, method):", False)
            if name:
                self._add([pid], tag=name, scope="paragraph", label=self._paragraph_label(pid))

    def note_paragraph(self) -> None:
        pid = self._current_paragraph()
        if pid is not None:
            text = self.ask_text("Note on paragraph", "Your note on this paragraph:", True)
            if text:
                self._add([pid], note=text, scope="paragraph", label=self._paragraph_label(pid))

    def tag_island(self) -> None:
        island = self._current_island()
        if island is None:
            self._say("Select a paragraph or an island first; its island is tagged.")
            return
        ids = self.island_paragraph_ids(island.level, island.key)
        name = self.ask_text("Tag island", f"Tag for the {len(ids):,} paragraphs of “{clip(island.label, 50)}”:", False)
        if name and ids:
            self._add(ids, tag=name, scope="island", label=f"island “{island.label}”")

    def tag_selection(self, ids, label: str = "selection") -> None:
        """Tag a set of paragraphs (a lasso or rectangle selection): one annotation, undoable."""
        ids = [int(i) for i in ids]
        if not ids:
            self._say("The selection is empty: nothing to tag.")
            return
        name = self.ask_text("Tag selection", f"Tag for the {len(ids):,} selected paragraphs:", False)
        if name:
            self._add(ids, tag=name, scope="selection", label=label)

    def island_paragraph_ids(self, level: int, key: int) -> list[int]:
        scene = self.w.session.scene
        levels = np.asarray(scene.levels)
        if level >= len(levels):
            return []
        return [int(i) for i in np.asarray(scene.ids)[levels[level] == key]]

    def remove(self, annotation_id: int) -> None:
        """Remove one tag or note; Ctrl+Z puts it back exactly as it was."""
        try:
            removed = _annotations().remove(self.w.session.store, annotation_id)
        except IdeamapError as exc:
            self.w.ask.error("Cannot remove", str(exc))
            return
        what = f"“{removed.row['tag']}”" if removed.row["tag"] else "note"
        self.undo_stack.push(_Removal(self, removed, f"Remove {what}"))
        self.refresh()
        self._say(f"Removed the {'tag ' if removed.row['tag'] else ''}{what}. Ctrl+Z puts it back.")

    def _add(self, ids: list[int], **fields) -> None:
        try:
            made = _annotations().annotate(self.w.session.store, ids, **fields)
        except IdeamapError as exc:
            self.w.ask.error("Cannot save the tag or note", str(exc))
            return
        what = f"tag “{made.tag}”" if made.tag else "note"
        self.undo_stack.push(_Addition(self, made.id, f"Add {what}"))
        self.refresh()
        self._say(f"Saved the {what} on {count_words(len(ids), 'paragraph')} (Notes panel: Ctrl+Shift+N).")

    # -- going to one, filtering ------------------------------------------------------------------
    def go_to(self, annotation_id: int) -> None:
        """Select the annotation's paragraph on the map; a tagged island is framed and shown."""
        session = self.w.session
        try:
            a = _annotations().get(session.store, annotation_id)
        except IdeamapError as exc:
            self._say(str(exc))
            return
        if not a.paragraph_ids:
            self._say("This tag's paragraphs are no longer in the map (they were rewritten or removed).")
            return
        self._clicked = a.id
        self.w.nav.show_paragraph(a.paragraph_ids[0], fly=True)
        if len(a.paragraph_ids) > 1 and self.w.canvas is not None:
            placed = [pid for pid in a.paragraph_ids if session.position(pid)]
            self.w.canvas.set_highlight(placed)
            self.w.canvas.fly_to_fit(placed)

    def apply_filter(self) -> None:
        session, canvas = self.w.session, self.w.canvas
        if session is None or canvas is None:
            return
        since, until = self.panel.period()
        self.filter = MapFilter(self.panel.tag_filter(), since, until)
        keep = kept_ids(session.store, self.filter)
        if hasattr(canvas, "set_veil"):  # a stand-in canvas in tests may lack it
            canvas.set_veil(None if keep is None else sorted(keep))
        n_total = len(session.scene.ids)
        n_kept = len(keep) if keep is not None else n_total
        self.panel.set_filter_note(describe(self.filter, n_kept, n_total), self.filter.active)

    def clear_filter(self) -> None:
        self.panel.clear_filters()

    # -- helpers ------------------------------------------------------------------------------------
    def _current_paragraph(self) -> int | None:
        pid = self.w.nav.current_pid if self.w.session is not None else None
        if pid is None:
            self._say("Select a paragraph first (click a dot on the map).")
        return pid

    def _current_island(self):
        w = self.w
        if w.session is None:
            return None
        if w.details.currentWidget() is w.island_panel and w.island_panel.island is not None:
            return w.island_panel.island
        pid = w.nav.current_pid
        path = w.session.store.island_path(pid) if pid is not None else []
        return path[-1] if path else None  # the finest island holding the paragraph

    def _paragraph_label(self, pid: int) -> str:
        p = self.w.session.paragraph(pid)
        return source_label(self.w.session.document(p.document_id), p.page)

    def _say(self, text: str) -> None:
        self.w.statusBar().showMessage(text, 6000)

    def _ask_text(self, title: str, prompt: str, multiline: bool) -> str | None:
        if multiline:
            text, ok = QInputDialog.getMultiLineText(self.w, title, prompt)
        else:
            text, ok = QInputDialog.getText(self.w, title, prompt)
        return text.strip() if ok and text.strip() else None


def _annotations():
    # ideamap.reading (digests, neighbours) costs ~0.15 s to import: not before a map opens.
    from ideamap.reading import annotations

    return annotations


def _timeline():
    from ideamap.reading import timeline

    return timeline


def _paragraphs_per_tag(found) -> dict[str, int]:
    """Tag → paragraphs it marks now; spellings that differ only in case are one tag (as the
    filter matches them), shown as first written."""
    spelling: dict[str, str] = {}
    marked: dict[str, set[int]] = {}
    for a in found:
        if a.tag:
            key = a.tag.casefold()
            spelling.setdefault(key, a.tag)
            marked.setdefault(key, set()).update(a.paragraph_ids)
    return {spelling[k]: len(v) for k, v in marked.items()}


class _Addition(QUndoCommand):
    """Undo removes the new annotation; redo puts the very same one back."""

    def __init__(self, flow: NotesFlow, annotation_id: int, text: str):
        super().__init__(text)
        self.flow, self.annotation_id, self.removed, self._first = flow, annotation_id, None, True

    def redo(self) -> None:
        if self._first:  # already written when pushed
            self._first = False
            return
        _annotations().restore(self.flow.w.session.store, self.removed)
        self.flow.refresh()

    def undo(self) -> None:
        self.removed = _annotations().remove(self.flow.w.session.store, self.annotation_id)
        self.flow.refresh()


class _Removal(QUndoCommand):
    def __init__(self, flow: NotesFlow, removed, text: str):
        super().__init__(text)
        self.flow, self.removed, self._first = flow, removed, True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self.removed = _annotations().remove(self.flow.w.session.store, self.removed.row["id"])
        self.flow.refresh()

    def undo(self) -> None:
        _annotations().restore(self.flow.w.session.store, self.removed)
        self.flow.refresh()
