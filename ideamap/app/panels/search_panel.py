"""Search results: the best matches for the query, best first."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ideamap.app.panels.cards import card, card_list
from ideamap.app.panels.common import ID_ROLE, muted
from ideamap.app.text import clip
from ideamap.model import SearchHit

HINT = "Type a question or keywords in the search box (Ctrl+F) and press Enter."


class SearchPanel(QWidget):
    resultActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.status = muted(HINT)
        self.results = card_list()
        self.results.itemClicked.connect(lambda item: self.resultActivated.emit(int(item.data(ID_ROLE))))
        self.results.itemActivated.connect(lambda item: self.resultActivated.emit(int(item.data(ID_ROLE))))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)

    def show_results(self, query: str, rows: list[tuple[SearchHit, str, str]], note: str) -> None:
        """``rows``: (hit, source label, text). ``note`` says how they were found."""
        self.results.clear()
        for rank, (hit, source, text) in enumerate(rows, 1):
            how = f"{hit.semantic:.0%} similar" if hit.semantic is not None else "keyword match"
            # rank and score first: the source is long and gets cut at the panel's edge
            self.results.addItem(card(f"{rank} · {how} · {source}", text, hit.paragraph_id))
        found = f"{len(rows)} match{'es' if len(rows) != 1 else ''} for “{clip(query, 40)}”"
        self.status.setText(f"{found}. {note}".strip() if rows else f"Nothing found for “{clip(query, 40)}”. {note}")

    def set_note(self, text: str) -> None:
        self.status.setText(text)

    def result_ids(self) -> list[int]:
        return [self.results.item(i).data(ID_ROLE) for i in range(self.results.count())]

    def clear(self) -> None:
        self.results.clear()
        self.status.setText(HINT)
