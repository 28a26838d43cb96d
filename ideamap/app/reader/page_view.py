"""A PDF's real page beside its text, at the current paragraph's page (QtPdf's QPdfView).

QtPdf comes with PySide6-Addons, an optional extra ('pdf-view'): without it ``make_page_view``
returns None and the reader shows the text only. QPdfDocument renders only the pages shown,
so opening a 300-page PDF costs its page index, not 300 renders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget


def qtpdf_available() -> bool:
    try:
        from PySide6.QtPdf import QPdfDocument  # noqa: F401
        from PySide6.QtPdfWidgets import QPdfView  # noqa: F401
    except ImportError:
        return False
    return True


class PageView(QWidget):
    """One page of one PDF at a time, fitted to the width."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        self.pdf = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.pdf)
        self.view.setPageMode(QPdfView.PageMode.SinglePage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.path: str | None = None

    def show_file(self, path: str) -> bool:
        """Load ``path``; False (with a line saying why) when it cannot be shown."""
        from PySide6.QtPdf import QPdfDocument

        if path == self.path and self.pdf.status() == QPdfDocument.Status.Ready:
            return True
        self.path = path
        if not Path(path).is_file():
            return self._say(f"The file is not at {path} any more: the text is all there is.")
        error = self.pdf.load(path)
        if error != QPdfDocument.Error.None_:
            return self._say(f"This PDF cannot be shown here ({error.name}); its text is on the left.")
        self.stack.setCurrentWidget(self.view)
        return True

    def go_to_page(self, page: int | None) -> None:
        """``page`` is 1-based, as the map stores it."""
        if page is None or self.pdf.pageCount() == 0:
            return
        index = min(max(page - 1, 0), self.pdf.pageCount() - 1)
        navigator = self.view.pageNavigator()
        if navigator.currentPage() != index:
            from PySide6.QtCore import QPointF

            navigator.jump(index, QPointF(), navigator.currentZoom())

    def current_page(self) -> int | None:
        """1-based page shown, or None when no PDF is loaded."""
        return self.view.pageNavigator().currentPage() + 1 if self.pdf.pageCount() else None

    def clear(self) -> None:
        self.pdf.close()
        self.path = None

    def _say(self, text: str) -> bool:
        self.pdf.close()
        self.note.setText(text)
        self.stack.setCurrentWidget(self.note)
        return False


def make_page_view(parent: QWidget | None = None) -> PageView | None:
    return PageView(parent) if qtpdf_available() else None
