"""The Digest panel: the distinct ideas of a set of paragraphs (an island, a selection), each
quoted with its citation, grouped by sub-island, with "Copy as Markdown" and "Save as…".

The panel computes nothing itself: ``show_digest`` says "Working…" and asks (``requested``);
the window computes in the background (digest_flow.py) and hands the picks to ``show_picks``.
Any part of the app (an island, a lasso selection, a search) can call ``show_digest``."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QTextBrowser, QVBoxLayout,
    QWidget,
)

from ideamap.app.panels.common import heading, muted
from ideamap.app.text import clip, count_words
from ideamap.errors import IdeamapError
from ideamap.reading.digest import digest_markdown

DEFAULT_K = 12
MAX_CHARS = 420  # of a pick's text in the panel (the Markdown holds it whole)
HINT = ("A digest lists the few paragraphs that best stand for a set, with no two alike. "
        "Choose an island and press “Digest”.")


class DigestPanel(QWidget):
    requested = Signal(list, str, object)  # (paragraph ids, title, island level or None)
    paragraphActivated = Signal(int)  # a pick's citation was clicked
    message = Signal(str)  # for the status bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picks: list = []  # reading.DigestPick, in the order shown
        self.title = "Digest"
        self._ids: list[int] = []
        self._level: int | None = None
        self._build()
        self.clear()

    def _build(self) -> None:
        self.title_label = heading()
        self.info_label = muted()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no steps to count: a moving bar while it works
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.view = QTextBrowser()
        self.view.setOpenLinks(False)  # a citation link selects the paragraph on the map
        self.view.setFrameShape(QFrame.NoFrame)
        self.view.anchorClicked.connect(self._link)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.info_label)
        layout.addWidget(self.busy)
        layout.addLayout(self._buttons())
        layout.addWidget(self.view, 1)

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.k_box = QSpinBox()
        self.k_box.setRange(3, 50)
        self.k_box.setValue(DEFAULT_K)
        self.k_box.setToolTip("How many paragraphs the digest picks at most")
        self.k_box.valueChanged.connect(lambda _k: self._ids and self._ask())
        self.copy_button = QPushButton("Copy as Markdown")
        self.copy_button.setToolTip("Copy the digest, each paragraph with its citation, as Markdown")
        self.copy_button.clicked.connect(self.copy_markdown)
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Save the digest as a Markdown file")
        self.save_button.clicked.connect(self.save_as)
        row.addWidget(QLabel("Picks"))
        row.addWidget(self.k_box)
        row.addStretch(1)
        row.addWidget(self.copy_button)
        row.addWidget(self.save_button)
        return row

    # -- what the window calls ------------------------------------------------------------------
    def show_digest(self, paragraph_ids: list[int], title: str, level: int | None = None) -> None:
        """Digest these paragraphs (computed in the background; "Working…" until then).
        ``level``: the island level when the set is an island, so groups are its sub-islands."""
        self._ids = [int(i) for i in paragraph_ids]
        self.title = title or "Digest"
        self._level = level
        self._ask()

    def _ask(self) -> None:
        self.picks = []
        self.title_label.setText(self.title)
        self.info_label.setText(f"Working… choosing the distinct paragraphs among {count_words(len(self._ids), 'paragraph')}.")
        self.busy.show()
        self.view.clear()
        self._enable(False)
        self.requested.emit(list(self._ids), self.title, self._level)

    @property
    def k(self) -> int:
        return self.k_box.value()

    def show_picks(self, picks: list, document_of=None) -> None:
        """``picks``: reading.DigestPick; ``document_of``: a document id → Document lookup, so
        citations show titles (the Markdown keeps file names, which a reader can find)."""
        self.picks = list(picks)
        self.busy.hide()
        n = len(self._ids)
        self.info_label.setText(
            f"{count_words(len(picks), 'paragraph')} standing for {count_words(n, 'paragraph')}, "
            "grouped by smaller island. Click a source to see it on the map." if picks else
            "None of these paragraphs is on the map (headings or references only).")
        self.view.setHtml(_html(self.picks, document_of))
        self._enable(bool(picks))

    def show_failed(self, reason: str) -> None:
        self.busy.hide()
        self.info_label.setText(f"The digest could not be made: {reason}")
        self._enable(False)

    def clear(self) -> None:
        self.picks, self._ids, self._level, self.title = [], [], None, "Digest"
        self.title_label.setText("Digest")
        self.info_label.setText(HINT)
        self.busy.hide()
        self.view.clear()
        self._enable(False)

    def is_working(self) -> bool:
        return not self.busy.isHidden()

    # -- Markdown -------------------------------------------------------------------------------
    def markdown(self) -> str:
        return digest_markdown(self.picks, self.title) if self.picks else ""

    def copy_markdown(self) -> str:
        text = self.markdown()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.message.emit("Copied the digest as Markdown, with its citations.")
        return text

    def save_as(self) -> Path | None:
        if not self.picks:
            return None
        default = str(Path.home() / f"{_file_stem(self.title)}.md")
        path, _ = QFileDialog.getSaveFileName(self, "Save the digest as", default, "Markdown (*.md);;All files (*)")
        return self.save_markdown(Path(path)) if path else None

    def save_markdown(self, path: Path) -> Path | None:
        path = Path(path)
        try:
            path.write_text(self.markdown(), encoding="utf-8")
        except OSError as exc:
            self.message.emit(f"Could not write {path}: {exc.strerror or exc}.")
            return None
        self.message.emit(f"Saved the digest to {path}")
        return path

    # -- internals ------------------------------------------------------------------------------
    def _enable(self, on: bool) -> None:
        self.copy_button.setEnabled(on)
        self.save_button.setEnabled(on)

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "paragraph":
            self.paragraphActivated.emit(int(url.path() or url.host()))


def _html(picks, document_of=None) -> str:
    parts, group = [], None
    for p in picks:
        if p.group != group:
            group = p.group
            parts.append(f"<h3 style='margin-top:14px; margin-bottom:4px'>{escape(p.group_label)}</h3>")
        where = escape(clip(_title(p, document_of), 70)) + (f", p.&nbsp;{p.page}" if p.page else "")
        covers = f"covers {p.covers}"
        repeated = " · repeated text" if p.boilerplate else ""
        # Long paragraphs are cut so the digest stays scannable; the source link shows it whole.
        parts.append(
            f"<p style='margin-top:6px; margin-bottom:0'>{escape(clip(p.text, MAX_CHARS))}</p>"
            f"<p style='margin-top:2px; margin-bottom:8px; color:gray'><small>— "
            f"<a href='paragraph:{p.id}'>{where}</a> · {covers}{repeated}</small></p>")
    return "".join(parts)


def _title(pick, document_of) -> str:
    if document_of is not None:
        try:
            doc = document_of(pick.document_id)
        except IdeamapError:  # a missing document still has its file name
            doc = None
        if doc is not None and doc.title.strip():
            return doc.title.strip()
    return Path(pick.document).name


def _file_stem(title: str) -> str:
    keep = "".join(c if c.isalnum() or c in " -_" else " " for c in title)
    return "-".join(keep.split())[:60] or "digest"
