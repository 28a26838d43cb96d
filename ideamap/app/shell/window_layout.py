"""Builds the parts of the main window: toolbar, docks, details stack, map page, status bar.
Kept apart from MainWindow so the window class reads as behaviour, not widget plumbing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton,
    QStackedWidget, QStyle, QTabWidget, QToolBar, QToolButton, QVBoxLayout, QWidget,
)

from ideamap.app.shell.legend import Legend
from ideamap.app.panels.common import muted
from ideamap.app.panels.documents_panel import DocumentsPanel
from ideamap.app.panels.island_panel import IslandPanel
from ideamap.app.panels.paragraph_panel import ParagraphPanel
from ideamap.app.panels.search_panel import SearchPanel
from ideamap.app.session import COLOUR_MODES
from ideamap.app.shell.window_menus import COLOUR_LABELS

DETAILS_HINT = ("Click a paragraph on the map to read it and see the paragraphs nearest in meaning, "
                "anywhere in the collection.\n\nClick an island's name to see what it is about.")


def build_toolbar(w) -> None:
    bar = QToolBar("Map tools")
    bar.setObjectName("map_tools")
    bar.setMovable(False)
    w.search_box = QLineEdit()
    w.search_box.setPlaceholderText("Search by question or keywords  (Ctrl+F)")
    w.search_box.setClearButtonEnabled(True)
    w.search_box.setMinimumWidth(260)
    w.search_box.setMaximumWidth(520)
    w.search_box.returnPressed.connect(lambda: w.run_search(w.search_box.text()))
    bar.addWidget(w.search_box)
    bar.addSeparator()
    bar.addWidget(QLabel(" Colour by "))
    w.colour_combo = QComboBox()
    for mode in COLOUR_MODES:
        w.colour_combo.addItem(COLOUR_LABELS[mode], mode)
    w.colour_combo.activated.connect(lambda i: w.set_colour_mode(w.colour_combo.itemData(i)))
    bar.addWidget(w.colour_combo)
    w.legend = Legend()
    w.legend_action = bar.addWidget(w.legend)  # a toolbar shows or hides widgets via their action
    w.legend_action.setVisible(False)
    bar.addSeparator()
    for action in (w.actions.zoom_out, w.actions.zoom_in, w.actions.fit):
        bar.addAction(action)
    bar.addSeparator()
    style = w.style()
    w.actions.back.setIcon(style.standardIcon(QStyle.SP_ArrowBack))
    w.actions.forward.setIcon(style.standardIcon(QStyle.SP_ArrowForward))
    bar.addAction(w.actions.back)
    bar.addAction(w.actions.forward)
    bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    w.addToolBar(Qt.TopToolBarArea, bar)
    w.toolbar = bar


def build_left_dock(w) -> None:
    w.search_panel = SearchPanel()
    w.documents_panel = DocumentsPanel()
    w.left_tabs = QTabWidget()
    w.left_tabs.setDocumentMode(True)
    w.left_tabs.addTab(w.documents_panel, "Documents")
    w.left_tabs.addTab(w.search_panel, "Search results")
    w.left_dock = _dock(w, "Documents and search", "left_dock", w.left_tabs, Qt.LeftDockWidgetArea)
    w.resizeDocks([w.left_dock], [300], Qt.Horizontal)


def build_right_dock(w) -> None:
    w.paragraph_panel = ParagraphPanel()
    w.island_panel = IslandPanel()
    hint = muted(DETAILS_HINT)
    hint.setAlignment(Qt.AlignTop | Qt.AlignLeft)
    hint.setContentsMargins(12, 12, 12, 12)
    w.details_hint = hint
    w.details = QStackedWidget()
    for page in (hint, w.paragraph_panel, w.island_panel):
        w.details.addWidget(page)
    w.right_dock = _dock(w, "Details", "right_dock", w.details, Qt.RightDockWidgetArea)
    w.resizeDocks([w.right_dock], [380], Qt.Horizontal)


def _dock(w, title: str, name: str, widget: QWidget, area) -> QDockWidget:
    dock = QDockWidget(title, w)
    dock.setObjectName(name)  # needed for saveState/restoreState
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable)
    w.addDockWidget(area, dock)
    w.actions.panels_menu.addAction(dock.toggleViewAction())
    return dock


def build_map_page(w) -> QWidget:
    """A page with a banner (for a map whose build was interrupted) above the canvas area, where
    the minimap sits over the canvas's bottom-right corner like in map apps."""
    page = QWidget()
    area = QWidget()
    w.map_grid = QGridLayout(area)
    w.map_grid.setContentsMargins(0, 0, 0, 0)
    w.banner = _banner(w)
    w.banner.hide()
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(w.banner)
    column.addWidget(area, 1)
    return page


def install_canvas(w, canvas: QWidget, minimap: QWidget | None) -> None:
    w.map_grid.addWidget(canvas, 0, 0)
    if minimap is not None and minimap.parent() is not canvas:
        minimap.setFixedSize(180, 180)
        holder = QWidget()  # keeps the minimap off the canvas's very edge
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 12, 12)
        box.addWidget(minimap)
        w.map_grid.addWidget(holder, 0, 0, Qt.AlignRight | Qt.AlignBottom)
        holder.raise_()


def _banner(w) -> QFrame:
    frame = QFrame()
    frame.setFrameShape(QFrame.StyledPanel)
    frame.setAutoFillBackground(True)
    frame.setBackgroundRole(QPalette.ToolTipBase)
    w.banner_text = QLabel()
    w.banner_text.setWordWrap(True)
    w.banner_button = QPushButton("Resume build")
    w.banner_button.clicked.connect(w.builds.resume)
    close = QToolButton()
    close.setText("✕")
    close.setAutoRaise(True)
    close.clicked.connect(frame.hide)
    row = QHBoxLayout(frame)
    row.addWidget(w.banner_text, 1)
    row.addWidget(w.banner_button)
    row.addWidget(close)
    return frame


def build_status_bar(w) -> None:
    w.counts_label = QLabel()
    w.index_label = QLabel()
    w.idle_label = QLabel()  # "Adapted while idle: 14 min so far" (Map › Adapt Encoder While Idle)
    w.statusBar().addPermanentWidget(w.idle_label)
    w.statusBar().addPermanentWidget(w.index_label)
    w.statusBar().addPermanentWidget(w.counts_label)


def build_notes_dock(w, panel: QWidget) -> QDockWidget:
    """The Notes and filters panel: a tab beside documents and search."""
    dock = _dock(w, "Notes and filters", "notes_dock", panel, Qt.LeftDockWidgetArea)
    w.tabifyDockWidget(w.left_dock, dock)
    return dock


def add_selection_tools(w, panel: QWidget, mode_action) -> None:
    """The Selection tab beside Documents and Search results, and the "Select area" mode in
    the toolbar (after the zoom buttons) and the View menu (after Fit All)."""
    w.left_tabs.addTab(panel, "Selection")
    w.toolbar.insertAction(w.actions.back, mode_action)
    w.toolbar.insertSeparator(w.actions.back)
    view = next((m for m in w.actions.fit.associatedObjects() if isinstance(m, QMenu)), None)
    if view is not None:
        after = view.actions()
        at = after[after.index(w.actions.fit) + 1] if w.actions.fit in after[:-1] else None
        view.insertAction(at, mode_action)
    w.actions.map_only.append(mode_action)  # disabled on the start screen, like zooming
