"""The window's menus and shortcuts, following desktop conventions (standard key sequences
where Qt has them, so each platform gets its own)."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from ideamap.app.session import COLOUR_MODES

COLOUR_LABELS = {"island": "Island", "document": "Document", "folder": "Folder", "date": "Date"}


def _action(window, text: str, slot=None, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if isinstance(shortcut, (list, tuple)):
        action.setShortcuts(_unique_sequences(shortcut))
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
    if slot is not None:
        action.triggered.connect(lambda checked=False: slot())
    return action


def _unique_sequences(shortcuts) -> list[QKeySequence]:
    """The platform's standard keys plus our own, each once (the platform's come first)."""
    out: list[QKeySequence] = []
    for item in shortcuts:
        seqs = QKeySequence.keyBindings(item) if isinstance(item, QKeySequence.StandardKey) else [QKeySequence(item)]
        out += [s for s in seqs if s not in out]
    return out


def build_menus(window) -> SimpleNamespace:
    """Create the menu bar of ``window`` (a MainWindow); returns the actions by name."""
    a = SimpleNamespace()
    bar = window.menuBar()
    _file_menu(window, bar.addMenu("&File"), a)
    _view_menu(window, bar.addMenu("&View"), a)
    _go_menu(window, bar.addMenu("&Go"), a)
    _map_menu(window, bar.addMenu("&Map"), a)
    help_menu = bar.addMenu("&Help")
    a.about = _action(window, "&About ideamap", window.show_about)
    help_menu.addAction(a.about)
    return a


def _file_menu(window, menu, a) -> None:
    flow = window.builds
    a.new = _action(window, "&New Map from Folder…", flow.new_from_folder, QKeySequence.New,
                    "Read every document in a folder and make a map of it")
    a.open = _action(window, "&Open Map…", window.choose_and_open, QKeySequence.Open)
    a.recent_menu = menu.addMenu("Open &Recent")
    a.add_files = _action(window, "&Add Files to Map…", flow.add_files, "Ctrl+Shift+A")
    a.add_folder = _action(window, "Add &Folder to Map…", flow.add_folder)
    a.resume = _action(window, "&Resume Interrupted Build", flow.resume)
    a.export_png = _action(window, "Export View as &PNG…", lambda: window.export_view("png"), "Ctrl+E")
    a.export_svg = _action(window, "Export View as &SVG…", lambda: window.export_view("svg"), "Ctrl+Shift+E")
    a.close = _action(window, "&Close Map", window.close_map, QKeySequence.Close)
    a.quit = _action(window, "&Quit", window.close, QKeySequence.Quit)
    menu.insertActions(a.recent_menu.menuAction(), [a.new, a.open])
    for item in (None, a.add_files, a.add_folder, a.resume, None, a.export_png, a.export_svg, None, a.close, a.quit):
        menu.addSeparator() if item is None else menu.addAction(item)
    a.map_only = [a.add_files, a.add_folder, a.export_png, a.export_svg, a.close]


def _view_menu(window, menu, a) -> None:
    a.zoom_in = _action(window, "Zoom &In", lambda: window.canvas and window.canvas.zoom_in(), QKeySequence.ZoomIn)
    a.zoom_out = _action(window, "Zoom &Out", lambda: window.canvas and window.canvas.zoom_out(), QKeySequence.ZoomOut)
    a.fit = _action(window, "&Fit All", lambda: window.canvas and window.canvas.fit_all(), "Ctrl+0")
    for item in (a.zoom_in, a.zoom_out, a.fit):
        menu.addAction(item)
    colour = menu.addMenu("&Colour By")
    group = QActionGroup(window)
    a.colour = {}
    for mode in COLOUR_MODES:
        action = _action(window, COLOUR_LABELS[mode], lambda m=mode: window.set_colour_mode(m))
        action.setCheckable(True)
        group.addAction(action)
        colour.addAction(action)
        a.colour[mode] = action
    a.colour["island"].setChecked(True)
    menu.addSeparator()
    _theme_menu(window, menu.addMenu("&Theme"), a)
    menu.addSeparator()
    a.panels_menu = menu.addMenu("&Panels")
    a.map_only += [a.zoom_in, a.zoom_out, a.fit, colour.menuAction()]


THEME_LABELS = {"system": "Follow &System", "light": "&Light", "dark": "&Dark"}


def _theme_menu(window, menu, a) -> None:
    """Follow the system's light/dark setting (the default), or always light, or always dark;
    Ctrl+Shift+D flips between light and dark whatever the current choice."""
    group = QActionGroup(window)
    a.theme = {}
    for choice, text in THEME_LABELS.items():
        action = _action(window, text, lambda c=choice: window.set_theme(c))
        action.setCheckable(True)
        group.addAction(action)
        menu.addAction(action)
        a.theme[choice] = action
    menu.addSeparator()
    a.flip_theme = _action(window, "Switch Light/Dark", window.flip_theme, "Ctrl+Shift+D")
    menu.addAction(a.flip_theme)


def _map_menu(window, menu, a) -> None:
    # Enabled by the window: only with a map open and no build or adaptation running.
    a.adapt = _action(window, "&Adapt Encoder to This Map…", window.adapts.adapt_open_map,
                      tip="Teach the encoder this map's own vocabulary; kept only if it measures better")
    menu.addAction(a.adapt)
    idle = window.idle_adapt
    a.idle_adapt = _action(window, "Adapt Encoder While &Idle",
                           tip="Train the encoder on this map's text whenever ideamap is left alone (lowest "
                               "priority, paused by any key, click or build); the map switches only when "
                               "held-out documents say it is better")
    a.idle_adapt.setCheckable(True)
    a.idle_adapt.setChecked(idle.enabled)
    a.idle_adapt.toggled.connect(idle.set_enabled)
    menu.addAction(a.idle_adapt)
    menu.addSeparator()
    a.ocr = _action(window, "Read Scanned Pages by &OCR",
                    tip="Builds read pages without usable text (scans, fonts with no text) with Tesseract; "
                        "off: such pages are reported instead, as with `ideamap build --no-ocr`")
    a.ocr.setCheckable(True)
    a.ocr.setChecked(window.settings.ocr_enabled())
    a.ocr.toggled.connect(window.settings.set_ocr_enabled)
    menu.addAction(a.ocr)


def _go_menu(window, menu, a) -> None:
    nav = window.nav
    # Alt+Left/Right everywhere, as users expect from browsers, plus the platform's own keys.
    a.back = _action(window, "&Back", nav.back, [QKeySequence.Back, "Alt+Left"])
    a.forward = _action(window, "&Forward", nav.forward, [QKeySequence.Forward, "Alt+Right"])
    a.search = _action(window, "&Search…", window.focus_search, QKeySequence.Find)
    for item in (a.back, a.forward, None, a.search):
        menu.addSeparator() if item is None else menu.addAction(item)
    a.map_only += [a.search]
