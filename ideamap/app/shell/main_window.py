"""The main window: start screen or map, with search and documents on the left and details on
the right. Behaviour lives in small collaborators (Navigator, BuildFlow, SearchController);
this class wires them together and owns the opened map."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QStackedWidget, QWidget

from ideamap import __version__
from ideamap.app.shell import window_layout as layout
from ideamap.app.flows.adapt_flow import AdaptFlow
from ideamap.app.jobs.background import Background
from ideamap.app.flows.build_flow import BuildFlow, map_state
from ideamap.app.flows.idle_adapt import IdleAdaptFlow
from ideamap.app.canvas_kit import CanvasKit, default_kit, prefetch_canvas
from ideamap.app.crashlog import log_exception, unexpected_message
from ideamap.app.shell.dialogs import Asker
from ideamap.app.flows.navigation import Navigator
from ideamap.app.jobs.reading_tasks import ReadingTasks
from ideamap.app.flows.search_controller import SearchController
from ideamap.app.session import MapSession
from ideamap.app.settings import AppSettings
from ideamap.app.shell.start_screen import StartScreen
from ideamap.app.text import clip, count_words, source_label
from ideamap.app.shell.theme import apply_theme, is_dark
from ideamap.app.shell.window_menus import build_menus
from ideamap.errors import IdeamapError

INDEX_START_LATEST_MS = 1500  # the neighbour index waits for the first view at most this long


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, kit: CanvasKit | None = None):
        super().__init__()
        self.settings = settings or AppSettings()
        self._kit = kit
        self.ask = Asker(self)
        self.session: MapSession | None = None
        self.canvas = None
        self.minimap = None
        self._auto_selected: int | None = None  # the search hit the window selected by itself
        self.nav = Navigator(self)
        self.builds = BuildFlow(self)
        self.adapts = AdaptFlow(self)
        self.idle_adapt = IdleAdaptFlow(self)  # trains the encoder while the app is left alone
        self.search = SearchController(self)
        self.reader = None  # ReaderFlow, made with the docks in _build_ui
        self.index_tasks = Background(self)
        self._start_index = lambda: None  # set per opened map (_index_starter)
        self.reading = ReadingTasks(self)  # neighbours and digests, off the UI thread
        self._build_ui()
        self._connect()
        self._restore_settings()
        self._show_start()
        if kit is None:
            prefetch_canvas()

    # -- construction ---------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setWindowTitle("ideamap")
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.actions = build_menus(self)
        layout.build_toolbar(self)
        layout.build_left_dock(self)
        layout.build_right_dock(self)
        layout.build_status_bar(self)
        self.start = StartScreen()
        self.map_page = layout.build_map_page(self)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start)
        self.stack.addWidget(self.map_page)
        self.setCentralWidget(self.stack)
        from ideamap.app.reader.flow import ReaderFlow

        self.reader = ReaderFlow(self)
        from ideamap.app.flows.digest_flow import DigestFlow

        self.digest = DigestFlow(self)
        self.digest_panel = self.digest.panel
        from ideamap.app.flows.notes_flow import NotesFlow

        self.notes = NotesFlow(self)
        from ideamap.app.flows.selection_flow import SelectionFlow

        self.selection = SelectionFlow(self)  # lasso and rectangle selections, and their panel
        self.selection.tagged.connect(lambda *_: self.notes.refresh())  # the Notes panel lists it

    def _connect(self) -> None:
        self.start.newFromFolder.connect(self.builds.new_from_folder)
        self.start.openMap.connect(self.choose_and_open)
        self.start.openDemo.connect(self.open_demo)
        self.start.openRecent.connect(self.open_map)
        p = self.paragraph_panel
        p.neighborActivated.connect(lambda pid: self.nav.show_paragraph(pid, fly=True))
        p.openAtPage.connect(self.nav.open_at_page)
        p.copyCitation.connect(self.nav.copy_citation)
        p.showDocument.connect(self.reader.show_document)
        p.boilerplateToggled.connect(lambda _on: self.nav.refresh_neighbors())
        self.reading.boilerplateReady.connect(self.nav.boilerplate_ready)
        self.island_panel.paragraphActivated.connect(lambda pid: self.nav.show_paragraph(pid, fly=True))
        self.island_panel.zoomRequested.connect(self.nav.zoom_to_island)
        self.island_panel.islandActivated.connect(self.nav.go_to_island)
        self.documents_panel.documentChosen.connect(self.show_document_footprint)
        self.documents_panel.documentOpened.connect(self.reader.open_document)
        self.documents_panel.highlightCleared.connect(lambda: self.canvas and self.canvas.set_highlight([]))
        self.search_panel.resultActivated.connect(lambda pid: self.nav.show_paragraph(pid, fly=True))
        self.search.resultsReady.connect(self._show_search_results)
        self.search.noteChanged.connect(self.search_panel.set_note)
        self.nav.historyChanged.connect(self._update_actions)
        self.builds.busyChanged.connect(lambda _busy: self._update_actions())
        self.nav.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.idle_adapt.changed.connect(self._show_idle_status)

    def _ensure_canvas(self) -> None:
        if self.canvas is not None:
            return
        kit = self._kit or default_kit()
        self._kit = kit
        self.canvas = kit.make_canvas()
        self.minimap = kit.make_minimap(self.canvas) if kit.make_minimap else None
        layout.install_canvas(self, self.canvas, self.minimap)
        self.reader.install_shortcuts()
        self.selection.attach(self.canvas)
        self.canvas.paragraphClicked.connect(self.nav.paragraph_clicked)
        self.canvas.islandClicked.connect(self.nav.island_clicked)
        self.canvas.hovered.connect(self._hovered)
        if hasattr(self.canvas, "viewReady"):
            self.canvas.viewReady.connect(lambda: self._start_index())
        if hasattr(self.canvas, "backgroundClicked"):  # a click on empty sea clears the selection
            self.canvas.backgroundClicked.connect(self.nav.clear_selection)

    # -- opening and closing maps -----------------------------------------------------------------
    def choose_and_open(self) -> None:
        start = self.session.path.parent if self.session else None
        path = self.ask.map_to_open(start)
        if path:
            self.open_map(path)

    def open_demo(self) -> None:
        from ideamap.demo import demo_map_path

        path = demo_map_path()
        if map_state(path) == "done":
            self.open_map(path)
        else:
            self.builds.build_demo()

    def open_map(self, path: Path) -> bool:
        path = Path(path)
        try:
            session = self._load_session(path)
        except IdeamapError as exc:
            self.ask.error("Cannot open the map", str(exc))
            self.settings.remove_recent(path)
            self._refresh_recent()
            return False
        except Exception as exc:  # noqa: BLE001 - shown as one sentence, details go to the log
            self.ask.error("Cannot open the map", unexpected_message(exc, f"opening {path.name}", log_exception(exc)))
            return False
        self.close_map()
        self._show_session(session)
        return True

    def _load_session(self, path: Path) -> MapSession:
        from ideamap.store.mapfile import MapStore

        store = MapStore.open(path)  # first: it reads the file while the canvas modules import
        try:
            self._ensure_canvas()
            return MapSession(store, self._kit.scene_from_store(store))
        except BaseException:
            store.close()
            raise

    def _show_session(self, session: MapSession) -> None:
        self.session = session
        self._start_index = self._index_starter(session)
        self.canvas.set_scene(session.scene)
        self.canvas.tooltip_provider = session.tooltip
        self.canvas.fit_all()
        self.colour_combo.setCurrentIndex(0)
        self.actions.colour["island"].setChecked(True)
        self.legend.show_mode("island", None)
        self.legend_action.setVisible(False)
        self.documents_panel.set_documents(session.documents())
        self.search.set_session(session)
        self.search_panel.clear()
        self.nav.reset()
        self.show_details(None)
        self.notes.set_session(session)
        self.settings.add_recent(session.path)
        self._refresh_recent()
        self.setWindowTitle(f"{session.path.stem} — ideamap")
        self.stack.setCurrentWidget(self.map_page)
        self._set_map_chrome(True)
        self._update_counts()
        self.idle_adapt.map_opened()
        self._show_idle_status()
        self.banner.hide()
        # After the first frame: these checks scan tables, and the map should appear first.
        QTimer.singleShot(0, lambda: self._update_banner(session))
        self.index_label.setText("Preparing neighbours…")
        QTimer.singleShot(INDEX_START_LATEST_MS, self._start_index)

    def _index_starter(self, session: MapSession):
        """Starts the neighbour index once the first view is drawn (or after
        INDEX_START_LATEST_MS): loading a 1M map's index (1.5 GB, checked) beside the first
        tiles made the first frame ~1 s later on two cores."""
        started = []

        def start() -> None:
            if not started and session is self.session:
                started.append(True)
                self._build_index(session)
        return start

    def show_digest(self, paragraph_ids: list[int], title: str) -> None:
        """Digest any set of paragraphs (a lasso selection, a search) in the Digest panel."""
        self.digest.show_digest(paragraph_ids, title)

    def close_map(self) -> None:
        if self.session is None:
            return
        self.reader.reset()
        self.digest.reset()
        self.reading.forget(self.session)
        self.notes.set_session(None)
        self.session.close()
        self.session = None
        self.search.set_session(None)
        self.nav.reset()
        self._show_start()

    def _show_start(self) -> None:
        self.setWindowTitle("ideamap")
        self._refresh_recent()
        self.stack.setCurrentWidget(self.start)
        self._set_map_chrome(False)
        self.counts_label.clear()
        self.index_label.clear()
        self.idle_label.clear()

    def _set_map_chrome(self, on: bool) -> None:
        for widget in (self.left_dock, self.right_dock, self.toolbar):
            widget.setVisible(on)
        if not on:
            self.reader.dock.hide()
            self.digest.dock.hide()
            self.notes.dock.hide()
        for action in self.actions.map_only:
            action.setEnabled(on)
        self.actions.resume.setEnabled(False)
        self._update_actions()

    def _build_index(self, session: MapSession) -> None:
        """The neighbour index (FAISS) is built off the UI thread, once per opened map."""
        from ideamap.search import NeighborIndex
        from ideamap.store.mapfile import MapStore

        def work():
            with MapStore.open(session.path, readonly=True) as store:
                return NeighborIndex.from_store(store)

        self.index_label.setText("Preparing neighbours…")
        self.index_tasks.submit(work, lambda index: self._index_built(session, index),
                                lambda exc: self._index_failed(session, exc))

    def _index_built(self, session: MapSession, index) -> None:
        if session is not self.session:
            return  # another map was opened meanwhile
        session.index = index
        self.index_label.setText("")
        self.reading.prepare(session)
        self.nav.refresh_neighbors()
        self.search.index_ready()

    def _index_failed(self, session: MapSession, exc: BaseException) -> None:
        if session is self.session:
            self.index_label.setText("Neighbours unavailable")
            self.statusBar().showMessage(f"Nearest neighbours are unavailable: {exc}", 10000)

    # -- what the panels and canvas ask for ---------------------------------------------------------
    def show_details(self, panel: QWidget | None) -> None:
        self.details.setCurrentWidget(panel or self.details_hint)

    def show_document_footprint(self, doc_id: int) -> None:
        if self.session is None:
            return
        ids = [pid for pid in self.session.store.document_paragraph_ids(doc_id) if self.session.position(pid)]
        self.canvas.set_highlight(ids)
        self.canvas.fly_to_fit(ids)  # a document is often spread over several islands
        self.left_tabs.setCurrentWidget(self.documents_panel)
        self.documents_panel.select_document(doc_id)
        doc = self.session.document(doc_id)
        self.statusBar().showMessage(f"{clip(source_label(doc), 70)}: {count_words(len(ids), 'paragraph')} highlighted on the map.")

    def set_colour_mode(self, mode: str) -> None:
        if self.session is None:
            return
        values = self.session.colour_values(mode)
        self.canvas.set_color_mode(mode, values)
        self.legend.show_mode(mode, values)
        self.legend_action.setVisible(mode != "island")
        self.colour_combo.setCurrentIndex(self.colour_combo.findData(mode))
        self.actions.colour[mode].setChecked(True)

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.ShortcutFocusReason)
        self.search_box.selectAll()

    def run_search(self, text: str) -> None:
        self.left_tabs.setCurrentWidget(self.search_panel)
        self.search.search(text)

    def _show_search_results(self, query: str, hits: list, how: str) -> None:
        session = self.session
        paragraphs = {p.id: p for p in session.store.paragraphs([h.paragraph_id for h in hits])}
        rows = [(h, source_label(session.document(paragraphs[h.paragraph_id].document_id), paragraphs[h.paragraph_id].page),
                 paragraphs[h.paragraph_id].text) for h in hits if h.paragraph_id in paragraphs]
        note = "By keyword; searching by meaning…" if how == "keyword" and session.model_id() else ""
        self.search_panel.show_results(query, rows, note)
        pinned = [h.paragraph_id for h, _, _ in rows]
        self.canvas.set_pins(pinned)
        self._go_to_best([pid for pid in pinned if session.position(pid)], how)

    def _go_to_best(self, placed: list[int], how: str) -> None:
        """Fly to the best match; when matches by meaning replace keyword ones, only if the user
        has not moved on to something else meanwhile."""
        if not placed:
            return
        if how == "keyword" or self.nav.current_pid in (None, self._auto_selected):
            self._auto_selected = placed[0]
            self.nav.show_paragraph(placed[0], fly=True)

    def _hovered(self, pid: int) -> None:
        if self.session is None or pid is None or pid < 0:
            return
        try:
            p = self.session.paragraph(pid)
        except IdeamapError:
            return
        self.statusBar().showMessage(clip(source_label(self.session.document(p.document_id), p.page), 90), 3000)

    def export_view(self, fmt: str) -> Path | None:
        if self.session is None:
            return None
        default = self.session.path.with_name(f"{self.session.path.stem}-view.{fmt}")
        path = self.ask.export_path(fmt, default)
        if path is None:
            return None
        try:
            self.canvas.export_png(str(path)) if fmt == "png" else self.canvas.export_svg(str(path))
        except OSError as exc:
            self.ask.error("Export failed", f"Could not write {path}: {exc.strerror or exc}.")
            return None
        except Exception as exc:  # noqa: BLE001 - one sentence for the user, details in the log
            self.ask.error("Export failed", unexpected_message(exc, "exporting the view", log_exception(exc)))
            return None
        self.statusBar().showMessage(f"Saved the view to {path}", 8000)
        return path

    # -- menus, settings, misc ---------------------------------------------------------------------
    def set_theme(self, choice: str) -> None:
        """"system", "light" or "dark"; remembered. The canvas follows the palette by itself."""
        self.settings.set_theme(choice)
        self.actions.theme[self.settings.theme()].setChecked(True)
        apply_theme(QApplication.instance(), self.settings.theme())

    def flip_theme(self) -> None:
        self.set_theme("light" if is_dark(self.settings.theme()) else "dark")

    def show_about(self) -> None:
        QMessageBox.about(self, "About ideamap", (
            f"<h3>ideamap {__version__}</h3><p>Turns folders of documents into a zoomable map of "
            "ideas. Everything runs on this computer; nothing is sent anywhere.</p>"))

    def _refresh_recent(self) -> None:
        recent = self.settings.recent_maps()
        self.start.set_recent(recent)
        menu = self.actions.recent_menu
        menu.clear()
        for path in recent:
            menu.addAction(path.name, lambda p=path: self.open_map(p)).setStatusTip(str(path))
        menu.setEnabled(bool(recent))

    def _update_actions(self) -> None:
        on = self.session is not None
        self.actions.back.setEnabled(on and self.nav.history.can_back())
        self.actions.forward.setEnabled(on and self.nav.history.can_forward())
        self.actions.adapt.setEnabled(on and not self.builds.running)

    def _show_idle_status(self) -> None:
        self.idle_label.setText(self.idle_adapt.status_text())

    def _update_counts(self) -> None:
        info = self.session.info
        islands = info.n_islands_per_level[1] if len(info.n_islands_per_level) > 1 else sum(info.n_islands_per_level)
        parts = [count_words(info.n_documents, "document"), count_words(info.n_paragraphs, "paragraph"),
                 f"{info.n_mapped:,} on the map", count_words(islands, "island")]
        if info.n_not_fully_read:
            parts.append(f"{info.n_not_fully_read} not fully read")
        self.counts_label.setText("  ·  ".join(parts))

    def _update_banner(self, session: MapSession) -> None:
        if session is not self.session:
            return
        from ideamap.pipeline import has_unfinished_build

        # The session's store is already open: opening the file again (map_state) would repeat
        # the safety checks, half a second at 100k paragraphs, on the UI thread.
        state = "unfinished" if has_unfinished_build(session.store) else "done"
        unplaced = state == "done" and self.session.unplaced_count() > 0
        text = ("This map's build was interrupted: it holds the documents read so far but is not drawn yet."
                if state == "unfinished" else
                "Some paragraphs were added but are not placed on the map yet." if unplaced else "")
        self.banner_text.setText(text)
        self.banner.setVisible(bool(text))
        self.actions.resume.setEnabled(bool(text))

    def _restore_settings(self) -> None:
        self.actions.theme[self.settings.theme()].setChecked(True)
        if self.settings.geometry() is not None:
            self.restoreGeometry(self.settings.geometry())
        if self.settings.window_state() is not None:
            self.restoreState(self.settings.window_state())

    # -- Qt events ------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.builds.handle_drop(paths)

    def closeEvent(self, event) -> None:
        self.idle_adapt.shutdown()
        self.builds.shutdown()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.close_map()
        self.reading.wait()
        super().closeEvent(event)
