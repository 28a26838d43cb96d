"""Shows a running build: stage, files read, paragraphs embedded, ETA; Cancel; at the end, what
happened and which files could not be read, with their reasons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QProgressBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ideamap.app.panels.common import heading, muted
from ideamap.app.jobs.progress_state import ProgressState
from ideamap.app.text import status_words
from ideamap.model import FileStatus

CANCELLING_KEPT = "Stopping… (finished documents are kept)"


class BuildProgressDialog(QDialog):
    cancelRequested = Signal()

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)  # the open map stays usable while files are added
        self.setMinimumWidth(460)
        self.title = heading(title)
        self.stage = QLabel("Starting…")
        self.stage.setWordWrap(True)  # outcomes are sentences with figures, wider than the dialog
        self.detail = muted()
        self.files = QLabel()
        self.paragraphs = QLabel()
        self.eta = muted()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.failures = QTreeWidget()
        self.failures.setHeaderLabels(["File not read", "Why"])
        self.failures.setRootIsDecorated(False)
        self.failures.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.buttons.rejected.connect(self._cancel_clicked)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.stage, self.detail, self.bar, self.files, self.paragraphs, self.eta,
                       self.failures, self.buttons):
            layout.addWidget(widget)
        self.finished_ = False

    def update_state(self, state: ProgressState) -> None:
        lines = state.lines()
        self.stage.setText(lines["stage"])
        self.detail.setText(lines["detail"])
        self.files.setText(lines["files"])
        self.paragraphs.setText(lines["paragraphs"])
        self.eta.setText(lines["eta"])
        fraction = state.fraction()
        if fraction is None:
            self.bar.setRange(0, 0)  # busy: the layout stage has no measure of its own
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))

    def show_cancelling(self, text: str = CANCELLING_KEPT) -> None:
        self.stage.setText(text)
        self.buttons.button(QDialogButtonBox.Cancel).setEnabled(False)

    def show_finished(self, headline: str, message: str, failed: list[tuple[str, str, str]]) -> None:
        """Turn the dialog into a summary; Close replaces Cancel."""
        self.finished_ = True
        self.title.setText(headline)
        self.stage.setText(message)
        self.detail.clear()
        self.eta.clear()
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self._show_failures(failed)
        self.buttons.clear()
        self.buttons.addButton(QDialogButtonBox.Close)
        self.buttons.rejected.connect(self.close)

    def add_action(self, text: str, slot) -> None:
        """A button beside Close on the finished dialog ("Keep Anyway"); ``slot`` runs on a click."""
        button = self.buttons.addButton(text, QDialogButtonBox.ActionRole)
        button.clicked.connect(slot)

    def _show_failures(self, failed: list[tuple[str, str, str]]) -> None:
        if not failed:
            return
        for path, status, reason in failed:
            item = QTreeWidgetItem([Path(path).name, _why(status, reason)])
            item.setToolTip(0, path)
            item.setToolTip(1, reason)
            self.failures.addTopLevelItem(item)
        self.failures.resizeColumnToContents(0)
        self.failures.show()

    def _cancel_clicked(self) -> None:
        if not self.finished_:
            self.cancelRequested.emit()

    def reject(self) -> None:
        # Escape during a build means "cancel"; the dialog stays to show the outcome.
        if self.finished_:
            super().reject()
        else:
            self.cancelRequested.emit()

    def closeEvent(self, event) -> None:
        # Closing the window of a running build means "cancel", as with the button.
        if not self.finished_:
            self.cancelRequested.emit()
        super().closeEvent(event)


def _why(status: str, reason: str) -> str:
    """The reader's own reason when it gave one (it is specific); else the status in words."""
    if reason:
        return reason
    try:
        return status_words(FileStatus(status))
    except ValueError:
        return status
