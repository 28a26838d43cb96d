"""User settings kept between sessions (QSettings): recent maps, window geometry, theme."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "ideamap"
APPLICATION = "ideamap"
MAX_RECENT = 10
THEMES = ("system", "light", "dark")


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings or QSettings(ORGANIZATION, APPLICATION)

    # -- recent maps ------------------------------------------------------------------------
    def recent_maps(self) -> list[Path]:
        """Recent maps, newest first, leaving out files that no longer exist."""
        raw = self.q.value("recent_maps", [], type=list) or []
        return [Path(p) for p in raw if p and Path(p).exists()]

    def add_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        items = [p for p in self.recent_maps() if p.resolve() != path]
        self.q.setValue("recent_maps", [str(p) for p in [path, *items][:MAX_RECENT]])

    def remove_recent(self, path: Path) -> None:
        items = [p for p in self.recent_maps() if p != Path(path)]
        self.q.setValue("recent_maps", [str(p) for p in items])

    # -- theme ----------------------------------------------------------------------------
    def theme(self) -> str:
        value = self.q.value("theme", "system")
        return value if value in THEMES else "system"

    def set_theme(self, value: str) -> None:
        self.q.setValue("theme", value if value in THEMES else "system")

    # -- building ---------------------------------------------------------------------
    def ocr_enabled(self) -> bool:
        """Read scanned pages (and pages whose fonts carry no text) by OCR; on by default."""
        return str(self.q.value("build/ocr", "true")).lower() not in ("false", "0")

    def set_ocr_enabled(self, on: bool) -> None:
        self.q.setValue("build/ocr", "true" if on else "false")

    # -- adapting the encoder ------------------------------------------------------------
    def idle_adapt_enabled(self) -> bool:
        """Train the open map's encoder while the app is idle; off unless the user turns it on
        (it keeps a CPU busy, if at the lowest priority)."""
        return str(self.q.value("adapt/while_idle", "false")).lower() in ("true", "1")

    def set_idle_adapt_enabled(self, on: bool) -> None:
        self.q.setValue("adapt/while_idle", "true" if on else "false")

    # -- window -------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    # -- where a map's files came from (so an interrupted build can be resumed) -------------
    def sources_for(self, map_path: Path) -> list[Path]:
        raw = self.q.value(f"sources/{_key(map_path)}", [], type=list) or []
        return [Path(p) for p in raw]

    def set_sources(self, map_path: Path, paths: list[Path]) -> None:
        self.q.setValue(f"sources/{_key(map_path)}", [str(p) for p in paths])

    def sync(self) -> None:
        self.q.sync()


def _key(path: Path) -> str:
    # QSettings treats '/' and '\' as group separators; a map's path must be one key.
    return str(Path(path).resolve()).replace("/", "|").replace("\\", "|")
