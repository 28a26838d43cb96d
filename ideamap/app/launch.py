"""Starting the desktop app: `ideamap`, `ideamap open MAP`, `make run` (the demo map).

Only light modules are imported on this path (Qt, the map file, numpy), so the window appears
at once; torch and umap load later, and only in the build worker or for a search by meaning.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from ideamap.app.crashlog import enable_fault_log, log_exception, unexpected_message
from ideamap.app.shell.icon import app_icon
from ideamap.app.platform_check import window_problem
from ideamap.app.settings import APPLICATION, ORGANIZATION, AppSettings
from ideamap.app.shell.theme import apply_theme


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication, configured once: names (for QSettings), high-DPI, icon, theme."""
    existing = QApplication.instance()
    if existing is not None:
        return existing
    enable_fault_log()
    # Fractional scale factors (125 %, 150 %) as the system sets them, not rounded to 1x or 2x.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv if argv is not None else sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("ideamap")
    app.setDesktopFileName("ideamap")  # matches packaging/ideamap.desktop (Wayland window icon)
    app.setWindowIcon(app_icon())
    settings = AppSettings()
    apply_theme(app, settings.theme())
    # Follow the system's light/dark switch live, unless the user chose a theme.
    app.styleHints().colorSchemeChanged.connect(
        lambda _scheme: AppSettings().theme() == "system" and apply_theme(app, "system"))
    return app


def install_error_hook() -> None:
    """Uncaught errors in the UI become one readable message; the traceback goes to a log file."""

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log = log_exception(exc.with_traceback(tb), "uncaught in the app")
        parent = QApplication.activeWindow()
        QMessageBox.warning(parent, "ideamap", unexpected_message(exc, "doing that", log))

    sys.excepthook = hook


def _window():
    from ideamap.app.shell.main_window import MainWindow

    window = MainWindow()
    window.show()
    return window


def _window_possible() -> bool:
    """False, after saying why on stderr, where Qt would abort the process at start-up."""
    problem = window_problem()
    if problem:
        print(problem, file=sys.stderr)
    return problem is None


def launch(map_path: Path | str | None = None, document: str | None = None) -> int:
    """Open the app on ``map_path``, or on the start screen; with ``document`` (a path or file
    name of the map's documents) that document opens in the reader. Returns the exit status."""
    if not _window_possible():
        return 1
    app = make_app()
    install_error_hook()
    window = _window()
    if map_path is not None:
        # After the first paint, so the window is on screen before the map is read.
        QTimer.singleShot(0, lambda: open_in(window, map_path, document))
    return app.exec()


def open_in(window, map_path: Path | str, document: str | None = None) -> bool:
    """Open the map, then the document in the reader (both say why in a message if they cannot)."""
    if not window.open_map(Path(map_path)):
        return False
    return document is None or window.reader.open_path(document)


def launch_demo() -> int:
    """Open the demo map; if it is not built yet, the window shows its build's progress."""
    if not _window_possible():
        return 1
    app = make_app()
    install_error_hook()
    window = _window()
    QTimer.singleShot(0, window.open_demo)
    return app.exec()
