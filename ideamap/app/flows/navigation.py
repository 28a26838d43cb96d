"""What is selected and how the user moves between things: paragraph and island details,
neighbours, Back/Forward, "Open at page", "Copy with citation"."""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication

from ideamap.app.history import History
from ideamap.app.jobs.reading_tasks import WAIT_FOR_BOILERPLATE_UP_TO
from ideamap.app.text import citation, source_label
from ideamap.errors import IdeamapError

N_NEIGHBORS = 10
PARAGRAPH, ISLAND = "paragraph", "island"


class Navigator(QObject):
    """Shows paragraphs and islands in the details panel and keeps the history.

    History entries are ("paragraph", id) or ("island", level, key)."""

    historyChanged = Signal()
    message = Signal(str)
    paragraphShown = Signal(int)  # the reader follows it
    neighboursShown = Signal(int)  # the neighbour list of this paragraph is filled

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.history = History()
        self.current_pid: int | None = None
        self.other_documents_only = False  # the reader turns it on while a document is read

    # -- entry points -------------------------------------------------------------------------
    def paragraph_clicked(self, pid: int) -> None:
        if pid is None or pid < 0:
            self.clear_selection()
        else:
            self.show_paragraph(pid, fly=False)

    def island_clicked(self, level: int, key: int) -> None:
        self.show_island(level, key)

    def show_paragraph(self, pid: int, *, fly: bool = True, record: bool = True) -> None:
        session = self.w.session
        try:
            paragraph = session.paragraph(pid)
        except IdeamapError as exc:
            self.message.emit(str(exc))
            return
        document = session.document(paragraph.document_id)
        self.current_pid = pid
        if record:
            self._visit((PARAGRAPH, pid))
        self.w.paragraph_panel.show_paragraph(paragraph, document, session.island_labels(pid))
        self.w.show_details(self.w.paragraph_panel)
        self._move_camera(pid, fly)
        self.refresh_neighbors()
        self.paragraphShown.emit(pid)

    def show_island(self, level: int, key: int, *, record: bool = True) -> None:
        session = self.w.session
        island = session.island(level, key)
        if island is None:
            return
        if record:
            self._visit((ISLAND, level, key))
        parents = self._parent_labels(island)
        exemplars = [(p, source_label(session.document(p.document_id), p.page))
                     for p in session.store.paragraphs(island.exemplar_ids)]
        self.w.island_panel.show_island(island, parents, exemplars, session.sub_islands(level, key))
        self.w.show_details(self.w.island_panel)

    def go_to_island(self, level: int, key: int) -> None:
        """Show an island's details and fly the map to it (a sub-island chosen in the panel)."""
        self.show_island(level, key)
        self.zoom_to_island(level, key)

    def zoom_to_island(self, level: int, key: int) -> None:
        if self.w.canvas is not None:
            self.w.canvas.fly_to_island(level, key)

    def back(self) -> None:
        self._go(self.history.back())

    def forward(self) -> None:
        self._go(self.history.forward())

    def clear_selection(self) -> None:
        self.current_pid = None
        if self.w.canvas is not None:
            self.w.canvas.select(None)
            self.w.canvas.set_neighbors([])
        self.w.show_details(None)

    def reset(self) -> None:
        self.history.clear()
        self.current_pid = None
        self.historyChanged.emit()

    # -- neighbours -------------------------------------------------------------------------
    def refresh_neighbors(self) -> None:
        """Ask for the neighbour list of the shown paragraph (again, once the index is ready).

        Computed off the UI thread (reading_tasks.py): copies collapse into one row, and
        boilerplate comes last or, with "Show repeated text" off, is left out."""
        session, pid = self.w.session, self.current_pid
        if session is None or pid is None:
            return
        panel = self.w.paragraph_panel
        if session.index is None:
            return  # the panel says "Finding neighbours…"; index_ready() calls back here
        if session.position(pid) is None:
            panel.show_neighbors_unavailable("This paragraph is not on the map (a heading or a reference).")
            return
        panel.show_finding()
        rank = "last" if panel.show_boilerplate.isChecked() else "hide"
        self.w.reading.neighbours(
            session, pid, N_NEIGHBORS, other_documents_only=self.other_documents_only, boilerplate_rank=rank,
            on_done=lambda hood: self._neighbours_found(session, pid, hood),
            on_failed=lambda exc: self._neighbours_failed(session, pid, exc))

    def boilerplate_ready(self) -> None:
        """A large map's boilerplate pass is done: the shown list, made without it, is made
        again with repeated text marked (small maps' lists waited for it)."""
        session = self.w.session
        if session is not None and session.index is not None and len(session.index) > WAIT_FOR_BOILERPLATE_UP_TO:
            self.refresh_neighbors()

    def _neighbours_found(self, session, pid: int, hood) -> None:
        if session is not self.w.session or pid != self.current_pid:
            return  # the user moved on while this was computed
        # Below zero similarity a "neighbour" is unrelated (it happens on small maps): left out.
        rows = [r for r in hood.rows if r.similarity > 0]
        panel = self.w.paragraph_panel
        panel.show_neighbors(rows, hood.copies_of_current, hood.hidden_boilerplate,
                             lambda doc_id: session.document(doc_id))
        if not rows and self.other_documents_only:
            panel.show_neighbors_unavailable("No paragraph of another document is close in meaning "
                                             "(the reader's “other documents only” is on).")
        self.w.canvas.set_neighbors([r.id for r in rows])
        self.neighboursShown.emit(pid)

    def _neighbours_failed(self, session, pid: int, exc: BaseException) -> None:
        if session is self.w.session and pid == self.current_pid:
            reason = str(exc) if isinstance(exc, IdeamapError) else f"Neighbours could not be found ({exc})."
            self.w.paragraph_panel.show_neighbors_unavailable(reason)

    # -- actions on the shown paragraph -----------------------------------------------------
    def open_at_page(self) -> None:
        panel = self.w.paragraph_panel
        if panel.document is None:
            return
        url = QUrl.fromLocalFile(panel.document.path)
        if panel.paragraph.page and panel.document.doc_type == "pdf":
            url.setFragment(f"page={panel.paragraph.page}")  # honoured by most PDF viewers and browsers
        if not QDesktopServices.openUrl(url):
            self.message.emit(f"No application could open {panel.document.path}.")

    def copy_citation(self) -> str:
        panel = self.w.paragraph_panel
        if panel.paragraph is None:
            return ""
        text = citation(panel.paragraph, panel.document)
        QGuiApplication.clipboard().setText(text)
        self.message.emit("Copied the paragraph with its citation.")
        return text

    # -- internals ------------------------------------------------------------------------------
    def _visit(self, item) -> None:
        self.history.visit(item)
        self.historyChanged.emit()

    def _go(self, item) -> None:
        if item is None:
            return
        if item[0] == PARAGRAPH:
            self.show_paragraph(item[1], fly=True, record=False)
        else:
            self.show_island(item[1], item[2], record=False)
        self.historyChanged.emit()

    def _move_camera(self, pid: int, fly: bool) -> None:
        canvas, position = self.w.canvas, self.w.session.position(pid)
        if canvas is None:
            return
        if fly and position is not None:
            canvas.fly_to(*position)
        canvas.select(pid if position is not None else None)

    def _parent_labels(self, island) -> list[str]:
        labels, key, level = [], island.parent_key, island.level - 1
        while key is not None and level >= 0:
            parent = self.w.session.island(level, key)
            if parent is None:
                break
            labels.insert(0, parent.label)
            key, level = parent.parent_key, level - 1
        return labels
