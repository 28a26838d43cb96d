"""Light and dark palettes. The Fusion style is used on every platform because it honours a
custom palette fully, so both themes look finished everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

_DARK = {
    QPalette.Window: "#23262b",
    QPalette.WindowText: "#e6e6e6",
    QPalette.Base: "#1b1d21",
    QPalette.AlternateBase: "#2a2d33",
    QPalette.ToolTipBase: "#2f333a",
    QPalette.ToolTipText: "#f0f0f0",
    QPalette.Text: "#e6e6e6",
    QPalette.Button: "#2d3137",
    QPalette.ButtonText: "#e6e6e6",
    QPalette.BrightText: "#ff6b6b",
    QPalette.Link: "#6cb4ff",
    QPalette.Highlight: "#3d7bd9",
    QPalette.HighlightedText: "#ffffff",
    QPalette.PlaceholderText: "#8a8f98",
    QPalette.Mid: "#3a3e45",
    QPalette.Dark: "#15171a",
    QPalette.Light: "#3c4047",
}
_DARK_DISABLED = "#6b7078"


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def is_dark(choice: str) -> bool:
    return choice == "dark" or (choice == "system" and system_prefers_dark())


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        palette.setColor(QPalette.Disabled, role, QColor(_DARK_DISABLED))
    return palette


def apply_theme(app: QApplication, choice: str) -> bool:
    """Apply "system", "light" or "dark"; returns whether the result is dark."""
    app.setStyle("Fusion")
    dark = is_dark(choice)
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    return dark
