"""Every question the app asks the user, in one object. The window calls these instead of
QFileDialog/QMessageBox directly, so tests can answer them without a human."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

MAP_FILTER = "Idea maps (*.ideamap);;All files (*)"
DOCUMENT_FILTER = (
    "Documents (*.pdf *.md *.markdown *.txt *.html *.htm *.docx *.vtt *.srt);;All files (*)"
)


class Asker:
    def __init__(self, parent: QWidget):
        self.parent = parent

    def folder_to_map(self) -> Path | None:
        path = QFileDialog.getExistingDirectory(self.parent, "Choose a folder of documents to map")
        return Path(path) if path else None

    def map_to_open(self, start: Path | None = None) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open map", str(start or Path.home()), MAP_FILTER)
        return Path(path) if path else None

    def where_to_save_map(self, default: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, "Save the new map as", str(default), MAP_FILTER)
        if not path:
            return None
        path = Path(path)
        return path if path.suffix == ".ideamap" else path.with_name(path.name + ".ideamap")

    def files_to_add(self) -> list[Path]:
        paths, _ = QFileDialog.getOpenFileNames(self.parent, "Add files to this map", str(Path.home()), DOCUMENT_FILTER)
        return [Path(p) for p in paths]

    def export_path(self, fmt: str, default: Path) -> Path | None:
        label = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}[fmt]
        path, _ = QFileDialog.getSaveFileName(self.parent, f"Export view as {fmt.upper()}", str(default), label)
        if not path:
            return None
        path = Path(path)
        return path if path.suffix.lower() == f".{fmt}" else path.with_name(path.name + f".{fmt}")

    def new_or_add(self, map_name: str) -> str | None:
        """"new", "add" or None (cancelled) for files dropped while a map is open."""
        box = QMessageBox(self.parent)
        box.setIcon(QMessageBox.Question)
        box.setWindowTitle("New map or add?")
        box.setText(f"Add the dropped files to “{map_name}”, or make a new map from them?")
        add = box.addButton(f"Add to {map_name}", QMessageBox.AcceptRole)
        new = box.addButton("New map…", QMessageBox.ActionRole)
        box.addButton(QMessageBox.Cancel)
        box.setDefaultButton(add)
        box.exec()
        clicked = box.clickedButton()
        return "add" if clicked is add else "new" if clicked is new else None

    def adapt_minutes(self, default: float) -> float | None:
        """The training time budget for adapting the encoder, or None (cancelled)."""
        minutes, ok = QInputDialog.getDouble(
            self.parent, "Adapt encoder to this map",
            "Minutes of training (more minutes learn from more sentences; re-embedding and\n"
            "drawing the map again come on top). The map changes only if the result is better:",
            default, 0.5, 240.0, 1)
        return minutes if ok else None

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.parent, title, text, QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

    def error(self, title: str, text: str) -> None:
        QMessageBox.warning(self.parent, title, text)

    def info(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)
