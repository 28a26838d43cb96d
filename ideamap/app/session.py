"""One opened map: the store, the canvas scene and the lookups the panels need. Qt-free.

The neighbour index is attached later (it is built in a background thread); everything else
here reads only the map file, so opening a map never imports torch or umap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ideamap.app.text import clip, source_label
from ideamap.errors import NotFoundError
from ideamap.model import Document, Island, Neighbor, Paragraph
from ideamap.store.mapfile import MapStore
from ideamap.summary import map_info

COLOUR_MODES = ("island", "document", "folder", "date")


class MapSession:
    def __init__(self, store: MapStore, scene):
        self.store = store
        self.scene = scene
        self.index = None  # NeighborIndex, set once built in the background
        self.info = map_info(store)
        self._documents = {d.id: d for d in store.documents()}
        self._row = {int(pid): row for row, pid in enumerate(np.asarray(scene.ids))}
        self._islands: dict[tuple[int, int], Island] | None = None

    @property
    def path(self) -> Path:
        return Path(self.store.path)

    def close(self) -> None:
        self.store.close()

    # -- lookups ------------------------------------------------------------------------
    def documents(self) -> list[Document]:
        return sorted(self._documents.values(), key=lambda d: (d.title or d.path).lower())

    def document(self, doc_id: int) -> Document:
        return self._documents.get(doc_id) or self.store.document(doc_id)

    def paragraph(self, pid: int) -> Paragraph:
        return self.store.paragraph(pid)

    def position(self, pid: int) -> tuple[float, float] | None:
        row = self._row.get(int(pid))
        if row is None:
            return None  # a heading or reference: stored, but not on the map
        x, y = np.asarray(self.scene.xy)[row]
        return float(x), float(y)

    def island(self, level: int, key: int) -> Island | None:
        if self._islands is None:
            self._islands = {(i.level, i.key): i for i in self.store.islands()}
        return self._islands.get((level, key))

    def island_labels(self, pid: int) -> list[str]:
        return [i.label for i in self.store.island_path(pid)]

    def model_id(self) -> str | None:
        ids = self.store.vector_model_ids()
        return ids[0] if ids else None

    def unplaced_count(self) -> int:
        """Paragraphs with a vector but no place on the map (an add that was stopped)."""
        vectors = self.store.db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        return max(0, vectors - self.info.n_mapped)

    def neighbors(self, pid: int, k: int = 10) -> list[Neighbor]:
        if self.index is None:
            return []
        try:
            return self.index.neighbors(pid, k)
        except NotFoundError:
            return []  # not on the map (a heading or a reference): it has no vector

    def tooltip(self, pid: int) -> str:
        """First lines of a paragraph and where it comes from, for the canvas's hover tip."""
        p = self.paragraph(pid)
        return f"{clip(p.text, 220)}\n— {source_label(self.document(p.document_id), p.page)}"

    # -- colouring --------------------------------------------------------------------
    def colour_values(self, mode: str) -> np.ndarray | None:
        """One value per point of the scene for a colour mode (document, folder, date), or
        None for "island", which the canvas colours by itself."""
        if mode not in COLOUR_MODES:
            raise ValueError(f"unknown colour mode {mode!r}")
        if mode == "island":
            return None
        # The canvas defines what the values mean (e.g. a stable hash per folder, so colours
        # stay the same across sessions); it computes them too.
        from ideamap.app.canvas.scene import color_values

        return color_values(self.store, self.scene.ids, mode)
