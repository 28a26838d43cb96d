"""One opened map: the store, the canvas scene and the lookups the panels need. Qt-free.

The neighbour index is attached later (it is built in a background thread); everything else
here reads only the map file, so opening a map never imports torch or umap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ideamap.app.text import clip, source_label
from ideamap.errors import NotFoundError
from ideamap.model import READABLE_STATUSES, Document, FileStatus, Island, Neighbor, Paragraph
from ideamap.store.mapfile import MapStore

COLOUR_MODES = ("island", "document", "folder", "date")


@dataclass(frozen=True)
class MapCounts:
    n_documents: int
    n_paragraphs: int
    n_mapped: int
    n_islands_per_level: list[int]
    n_not_fully_read: int


class MapSession:
    def __init__(self, store: MapStore, scene):
        self.store = store
        self.scene = scene
        self.index = None  # NeighborIndex, set once built in the background
        self._documents = {d.id: d for d in store.documents()}
        self.info = self._counts()
        self._model_id: str | None | bool = False  # False: not looked up yet
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
        row = int(self.scene.rows_of([int(pid)])[0])  # binary search: no 1M-entry dict at open
        if row < 0:
            return None  # a heading or reference: stored, but not on the map
        x, y = np.asarray(self.scene.xy)[row]
        return float(x), float(y)

    def island(self, level: int, key: int) -> Island | None:
        if self._islands is None:
            self._islands = {(i.level, i.key): i for i in self.store.islands()}
        return self._islands.get((level, key))

    def sub_islands(self, level: int, key: int) -> list[Island]:
        """The islands one level finer inside island (level, key)."""
        self.island(level, key)  # loads the islands once
        return [i for (lv, _), i in self._islands.items() if lv == level + 1 and i.parent_key == key]

    def island_labels(self, pid: int) -> list[str]:
        return [i.label for i in self.store.island_path(pid)]

    def model_id(self) -> str | None:
        if self._model_id is False:  # a scan of the vectors table: done once per map
            ids = self.store.vector_model_ids()
            self._model_id = ids[0] if ids else None
        return self._model_id

    def _counts(self) -> MapCounts:
        """What the status bar shows. Not summary.map_info: that re-reads every coordinate
        and membership, which the scene has just read (a third of the opening time at 100k)."""
        docs = self._documents.values()
        islands = self.store.db.execute("SELECT level, count(*) FROM islands GROUP BY level ORDER BY level").fetchall()
        return MapCounts(
            n_documents=len(docs),
            n_paragraphs=self.store.count_paragraphs(),
            n_mapped=len(self.scene.ids),
            n_islands_per_level=[n for _, n in islands],
            n_not_fully_read=sum(d.status not in READABLE_STATUSES or d.status == FileStatus.PARTIAL for d in docs),
        )

    def unplaced_count(self) -> int:
        """Paragraphs with a vector but no place on the map (an add that was stopped)."""
        last = self.store.db.execute(
            "SELECT status FROM runs WHERE kind IN ('build', 'add') ORDER BY id DESC LIMIT 1").fetchone()
        if last is not None and last[0] == "done":
            # A build or add that finished placed every paragraph with a vector (it places all
            # the unplaced ones, an earlier stopped add's too): no need to count the vectors, a
            # scan of the whole table (1.5 GB at 1M paragraphs) on the window's thread.
            return 0
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
