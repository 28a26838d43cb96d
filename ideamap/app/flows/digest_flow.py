"""Wires the Digest panel into the window: its dock (a tab beside Details), the island panel's
"Digest" button, and the background computation (reading_tasks.py).

Other parts of the app (a lasso selection, a search) digest a set through
``window.digest.show_digest(ids, title)`` or ``window.digest_panel.show_digest(ids, title)``:
both raise the dock and compute off the UI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget

from ideamap.app.panels.digest_panel import DigestPanel
from ideamap.errors import IdeamapError


class DigestFlow(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.panel = DigestPanel()
        self.dock = self._dock()
        self.panel.requested.connect(self._compute)
        self.panel.paragraphActivated.connect(self._pick_chosen)
        self.panel.message.connect(lambda text: self.w.statusBar().showMessage(text, 6000))
        window.island_panel.digestRequested.connect(self.digest_island)

    def _dock(self) -> QDockWidget:
        w = self.w
        dock = QDockWidget("Digest", w)
        dock.setObjectName("digest_dock")  # for saveState/restoreState
        dock.setWidget(self.panel)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable)
        w.addDockWidget(Qt.RightDockWidgetArea, dock)
        w.tabifyDockWidget(w.right_dock, dock)  # a tab beside Details: the island stays a click away
        w.actions.panels_menu.addAction(dock.toggleViewAction())
        dock.hide()
        return dock

    def show_digest(self, paragraph_ids: list[int], title: str, level: int | None = None) -> None:
        self.panel.show_digest(paragraph_ids, title, level)

    def digest_island(self, level: int, key: int) -> None:
        from ideamap.reading import island_members

        session = self.w.session
        island = session.island(level, key) if session is not None else None
        if island is None:
            return
        members, level = island_members(session.store, island.id)
        self.show_digest(members, f"Digest of “{island.label}”", level)

    def _pick_chosen(self, pid: int) -> None:
        """A pick's source: select it on the map; it is read whole in Details (the next tab)."""
        self.w.nav.show_paragraph(pid, fly=True)
        self.w.statusBar().showMessage("Selected on the map; the whole paragraph and its neighbours are in Details.", 6000)

    def reset(self) -> None:
        self.panel.clear()
        self.dock.hide()

    def _compute(self, ids: list[int], title: str, level) -> None:
        session = self.w.session
        if session is None:
            self.panel.show_failed("no map is open.")
            return
        self.dock.show()
        self.dock.raise_()
        self.w.reading.digest(session, ids, self.panel.k, level,
                              on_done=lambda picks: self._done(session, picks),
                              on_failed=lambda exc: self._failed(session, exc))

    def _done(self, session, picks) -> None:
        if session is self.w.session:
            self.panel.show_picks(picks, session.document)

    def _failed(self, session, exc: BaseException) -> None:
        if session is self.w.session:
            self.panel.show_failed(str(exc) if isinstance(exc, IdeamapError) else f"{type(exc).__name__}: {exc}")
