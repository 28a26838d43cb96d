"""Lasso and rectangle selections: the canvas draws them, the Selection panel lists them, and
this object does what the panel asks (export, tag, digest) against the opened map.

The "Select area" action (toolbar and View menu, Ctrl+Shift+R) switches the canvas into a
mode where a plain drag draws a rectangle. Writing the files is ideamap.reading.selection_export
(no Qt); tags go through ideamap.reading.annotations, keyed by content so they last.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog

from ideamap.app.shell import window_layout as layout
from ideamap.app.panels.selection_panel import MAX_ROWS, SelectionPanel
from ideamap.app.text import clip, count_words, source_label
from ideamap.errors import IdeamapError

EXPORT_FILTERS = {"jsonl": "JSON Lines (*.jsonl)", "csv": "CSV table (*.csv)", "md": "Markdown (*.md)"}
SHORTCUT = "Ctrl+Shift+R"


class SelectionFlow(QObject):
    """Owns the Selection panel and the "Select area" action. ``tagged(tag, n)`` tells other
    panels (notes) that annotations changed."""

    tagged = Signal(str, int)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.canvas = None
        self.panel = SelectionPanel()
        self.mode_action = QAction("Select &Area", window)
        self.mode_action.setCheckable(True)
        self.mode_action.setShortcut(QKeySequence(SHORTCUT))
        self.mode_action.setStatusTip("Drag a rectangle to select paragraphs (Shift+drag: a lasso; Esc clears)")
        self.mode_action.setToolTip(f"Select area ({SHORTCUT}): drag a rectangle; Shift+drag draws a lasso")
        self.mode_action.toggled.connect(self._mode_toggled)
        layout.add_selection_tools(window, self.panel, self.mode_action)
        p = self.panel
        p.paragraphActivated.connect(lambda pid: window.nav.show_paragraph(pid, fly=True))
        p.exportRequested.connect(lambda: self.export_selection())
        p.tagRequested.connect(lambda: self.tag_selection())
        p.clearRequested.connect(self.clear)
        if hasattr(window, "show_digest"):  # the Digest panel, where this version has one
            p.digestRequested.connect(window.show_digest)

    def attach(self, canvas) -> None:
        """Follow a canvas's area selection (a stand-in canvas without one is ignored)."""
        self.canvas = canvas
        if not hasattr(canvas, "areaSelected"):
            return
        canvas.areaSelected.connect(self.show)
        canvas.areaModeChanged.connect(self.mode_action.setChecked)

    # -- what the panel shows ------------------------------------------------------------------
    def ids(self) -> list[int]:
        return list(self.panel.ids)

    def show(self, ids: list) -> None:
        session = self.w.session
        if session is None or not ids:
            self.panel.show_selection([], [], 0)
            return
        listed = session.store.paragraphs(ids[:MAX_ROWS])
        rows = [(p.id, source_label(session.document(p.document_id), p.page), p.text) for p in listed]
        self.panel.show_selection(ids, rows, _count_documents(session.store, ids))
        self.w.left_tabs.setCurrentWidget(self.panel)
        self.w.left_dock.show()

    def clear(self) -> None:
        if self.canvas is not None and hasattr(self.canvas, "clear_area"):
            self.canvas.clear_area()
        else:
            self.show([])

    def _mode_toggled(self, on: bool) -> None:
        if self.canvas is not None and hasattr(self.canvas, "set_area_mode"):
            self.canvas.set_area_mode(on)

    # -- what the panel asks for ---------------------------------------------------------------
    def export_selection(self, path=None, fmt: str | None = None) -> Path | None:
        """Write the selection to ``path`` (asked for when None); the format follows ``fmt`` or
        the file's suffix. Returns the path written, or None."""
        from ideamap.reading.selection_export import selection_records, write_selection

        ids, session = self.ids(), self.w.session
        if not ids or session is None:
            return None
        if path is None:
            path = self._ask_export_path(session.path.with_name(f"{session.path.stem}-selection.jsonl"))
            if path is None:
                return None
        try:
            written = write_selection(path, selection_records(session.store, ids), fmt, title=self.panel.title)
        except (OSError, ValueError) as exc:
            self.w.ask.error("Export failed", f"Could not write {path}: {getattr(exc, 'strerror', None) or exc}")
            return None
        self.w.statusBar().showMessage(f"Saved {count_words(len(ids), 'paragraph')} to {written}", 8000)
        return written

    def tag_selection(self, name: str | None = None):
        """Tag every selected paragraph ``name`` (asked for when None); returns the annotation."""
        from ideamap.reading.annotations import tag

        ids, session = self.ids(), self.w.session
        if not ids or session is None:
            return None
        if name is None:
            name = self._ask_tag(len(ids))
            if not name:
                return None
        try:
            made = tag(session.store, ids, name, scope="selection", label=self.panel.title)
        except IdeamapError as exc:
            self.w.ask.error("Cannot tag the selection", str(exc))
            return None
        self.w.statusBar().showMessage(f"Tagged {count_words(len(made.paragraph_ids), 'paragraph')} "
                                       f"'{clip(made.tag, 40)}'.", 8000)
        self.tagged.emit(made.tag, len(made.paragraph_ids))
        return made

    def _ask_export_path(self, default: Path) -> Path | None:
        filters = ";;".join(EXPORT_FILTERS.values())
        path, chosen = QFileDialog.getSaveFileName(self.w, "Export selection", str(default), filters)
        if not path:
            return None
        path = Path(path)
        fmt = next((k for k, v in EXPORT_FILTERS.items() if v == chosen), "jsonl")
        return path if path.suffix.lower().lstrip(".") in EXPORT_FILTERS else path.with_name(f"{path.name}.{fmt}")

    def _ask_tag(self, n: int) -> str | None:
        text, ok = QInputDialog.getText(self.w, "Tag selection", f"Tag for the {count_words(n, 'selected paragraph')}:")
        return text.strip() if ok and text.strip() else None


def _count_documents(store, ids: list) -> int:
    """How many documents the selection spans (one query per 500 ids)."""
    docs: set[int] = set()
    ids = [int(i) for i in ids]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        docs.update(r[0] for r in store.db.execute(
            f"SELECT DISTINCT document_id FROM paragraphs WHERE id IN ({marks})", chunk))
    return len(docs)
