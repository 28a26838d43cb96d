"""Tags and notes, and the filters that veil the map: by tag and by period.

The panel only shows and asks; NotesFlow (ideamap/app/flows/notes_flow.py) reads and writes the map.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from ideamap.app.panels.cards import card, card_list
from ideamap.app.panels.common import ID_ROLE, muted, section

ALL_TAGS = "All paragraphs"
EMPTY = ("No tags or notes yet. Select a paragraph and press T to tag it or N to write a note; "
         "Shift+T tags its whole island.")
NO_DATES = "No document in this map has a date, so there is no period to choose."
ISO = "yyyy-MM-dd"
DATE_SETTLE_MS = 250


class NotesPanel(QWidget):
    """Signals: ``annotationActivated(id)`` (a row clicked), ``removeRequested(id)``,
    ``filterChanged()`` (read :meth:`tag_filter` and :meth:`period`), and the three
    requests to annotate what is current."""

    annotationActivated = Signal(int)
    removeRequested = Signal(int)
    filterChanged = Signal()
    tagParagraphRequested = Signal()
    noteParagraphRequested = Signal()
    tagIslandRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(section("Show on the map"))
        layout.addLayout(self._filters())
        self.filter_note = muted()
        self.show_all_button = QPushButton("Show all")
        self.show_all_button.setToolTip("Lift the tag and period filters: the whole map is shown clear")
        self.show_all_button.clicked.connect(self.clear_filters)
        note_row = QHBoxLayout()
        note_row.addWidget(self.filter_note, 1)
        note_row.addWidget(self.show_all_button, 0, Qt.AlignTop)
        layout.addLayout(note_row)
        # Stepping through dates with the arrow keys fires at every step: veil once it settles.
        self._date_timer = QTimer(self, singleShot=True, interval=DATE_SETTLE_MS)
        self._date_timer.timeout.connect(self.filterChanged)
        layout.addWidget(section("Tags and notes"))
        layout.addLayout(self._buttons())
        self.status = muted(EMPTY)
        layout.addWidget(self.status)
        self.current = muted()
        self.current.hide()
        layout.addWidget(self.current)
        self.list = card_list()
        self.list.itemClicked.connect(lambda item: self.annotationActivated.emit(int(item.data(ID_ROLE))))
        self.list.itemActivated.connect(lambda item: self.annotationActivated.emit(int(item.data(ID_ROLE))))
        self.list.currentItemChanged.connect(lambda item, _old: self.remove_button.setEnabled(item is not None))
        layout.addWidget(self.list, 1)
        delete = QShortcut(QKeySequence(QKeySequence.Delete), self.list, context=Qt.WidgetShortcut)
        delete.activated.connect(self._remove_current)

    # -- construction ---------------------------------------------------------------------------
    def _filters(self) -> QGridLayout:
        grid = QGridLayout()
        self.tag_combo = QComboBox()
        self.tag_combo.setToolTip("Veil every paragraph without this tag")
        self.tag_combo.activated.connect(lambda _i: self.filterChanged.emit())
        grid.addWidget(QLabel("Tag"), 0, 0)
        grid.addWidget(self.tag_combo, 0, 1, 1, 3)
        self.period_box = QCheckBox("Period")
        self.period_box.setToolTip("Veil the paragraphs of documents dated outside this period (and undated ones)")
        self.period_box.toggled.connect(self._period_toggled)
        self.since_edit, self.until_edit = self._date_edit("From"), self._date_edit("To")
        grid.addWidget(self.period_box, 1, 0)
        grid.addWidget(self.since_edit, 1, 1)
        grid.addWidget(QLabel("to"), 1, 2)
        grid.addWidget(self.until_edit, 1, 3)
        self.no_dates = muted(NO_DATES)
        grid.addWidget(self.no_dates, 2, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return grid

    def _date_edit(self, tip: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(ISO)
        edit.setToolTip(f"{tip} (inclusive)")
        edit.setEnabled(False)
        edit.dateChanged.connect(lambda _d: self.period_box.isChecked() and self._date_timer.start())
        return edit

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        specs = (("Tag…", "Tag the selected paragraph (T)", self.tagParagraphRequested),
                 ("Note…", "Write a note on the selected paragraph (N)", self.noteParagraphRequested),
                 ("Tag island…", "Tag every paragraph of the island in view (Shift+T)", self.tagIslandRequested))
        for text, tip, signal in specs:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(signal)
            row.addWidget(button)
        row.addStretch(1)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the chosen tag or note (Delete; Ctrl+Z puts it back)")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._remove_current)
        row.addWidget(self.remove_button)
        return row

    # -- filling ----------------------------------------------------------------------------------
    def show_annotations(self, rows: list[tuple[int, str, str]]) -> None:
        """``rows``: (annotation id, headline with tag and source, text shown)."""
        self.list.clear()
        for annotation_id, headline, text in rows:
            self.list.addItem(card(headline, text, annotation_id))
        self.status.setText(EMPTY if not rows else f"{len(rows)} tag{'s' if len(rows) != 1 else ''} and notes. "
                            "Click one to go to it on the map.")
        self.status.setVisible(True)
        self.remove_button.setEnabled(False)

    def set_tags(self, counts: dict[str, int]) -> None:
        """The tags to filter by, keeping the chosen one when it still exists."""
        chosen = self.tag_filter()
        self.tag_combo.blockSignals(True)
        self.tag_combo.clear()
        self.tag_combo.addItem(ALL_TAGS, None)
        for name, n in sorted(counts.items(), key=lambda kv: kv[0].casefold()):
            self.tag_combo.addItem(f"{name}  ({n})", name)
        index = self.tag_combo.findData(chosen) if chosen is not None else 0
        self.tag_combo.setCurrentIndex(max(0, index))
        self.tag_combo.blockSignals(False)
        self.tag_combo.setEnabled(bool(counts))
        if chosen is not None and index < 0:
            self.filterChanged.emit()  # its last paragraph lost the tag: lift that filter

    def set_date_range(self, span: tuple[str, str] | None) -> None:
        """Earliest and latest document date, or None: the period control is then hidden."""
        self.period_box.blockSignals(True)
        self.period_box.setChecked(False)
        self.period_box.blockSignals(False)
        for edit in (self.since_edit, self.until_edit):
            edit.setEnabled(False)
            edit.setVisible(span is not None)
        self.period_box.setVisible(span is not None)
        self.no_dates.setVisible(span is None)
        if span is None:
            return
        low, high = (QDate.fromString(d, ISO) for d in span)
        for edit, value in ((self.since_edit, low), (self.until_edit, high)):
            edit.blockSignals(True)
            edit.setDateRange(low, high)
            edit.setDate(value)
            edit.blockSignals(False)

    def set_current(self, text: str, annotation_id: int | None) -> None:
        """What the selected paragraph carries; its first tag or note is picked in the list."""
        self.current.setText(text)
        self.current.show()
        ids = self.annotation_ids()
        if annotation_id in ids:
            self.list.setCurrentRow(ids.index(annotation_id))
            self.list.scrollToItem(self.list.currentItem())
        else:
            self.list.setCurrentRow(-1)

    def set_filter_note(self, text: str, active: bool = True) -> None:
        self.filter_note.setText(text)
        self.show_all_button.setEnabled(active)

    def clear_filters(self) -> None:
        self.tag_combo.setCurrentIndex(0)
        self.period_box.blockSignals(True)
        self.period_box.setChecked(False)
        self.period_box.blockSignals(False)
        self._period_toggled(False)  # emits filterChanged once

    # -- what is chosen -------------------------------------------------------------------------------
    def choose_tag(self, name: str | None) -> None:
        index = self.tag_combo.findData(name) if name is not None else 0
        self.tag_combo.setCurrentIndex(max(0, index))
        self.filterChanged.emit()

    def set_period(self, since: str | None, until: str | None) -> None:
        """Choose a period (ISO days) and turn it on; both None turns it off."""
        for edit, value in ((self.since_edit, since), (self.until_edit, until)):
            if value is not None:
                edit.blockSignals(True)
                edit.setDate(QDate.fromString(value, ISO))
                edit.blockSignals(False)
        self.period_box.setChecked(since is not None or until is not None)
        self.filterChanged.emit()

    def tag_filter(self) -> str | None:
        return self.tag_combo.currentData() if self.tag_combo.count() else None

    def period(self) -> tuple[str | None, str | None]:
        if not self.period_box.isChecked() or self.period_box.isHidden():  # hidden: no dates
            return None, None
        return self.since_edit.date().toString(ISO), self.until_edit.date().toString(ISO)

    def annotation_ids(self) -> list[int]:
        return [int(self.list.item(i).data(ID_ROLE)) for i in range(self.list.count())]

    # -- internals --------------------------------------------------------------------------------------
    def _period_toggled(self, on: bool) -> None:
        self.since_edit.setEnabled(on)
        self.until_edit.setEnabled(on)
        self.filterChanged.emit()

    def _remove_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.removeRequested.emit(int(item.data(ID_ROLE)))
