"""Search: keyword matches at once, then matches by meaning once the encoder is ready.

The encoder (torch) is loaded the first time a search runs, in a background thread, so opening
a map never imports torch. Encoder loading and query encoding share one single-thread pool, so
they run in order and never encode two queries at the same time."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ideamap.app.jobs.background import Background
from ideamap.model import SearchHit
from ideamap.search import hybrid_search
from ideamap.store.mapfile import MapStore

LIMIT = 20


class SearchController(QObject):
    # (query, hits, how): how is "keyword" (more may follow) or "meaning" (final)
    resultsReady = Signal(str, list, str)
    noteChanged = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.background = Background(self, max_threads=1)
        self._encoder = None
        self._encoder_state = "none"  # none | loading | ready | failed
        self._encoder_model: str | None = None  # the model the state above is about
        self._session = None
        self._pending: str | None = None  # query waiting for the encoder or the index
        self.latest = ""

    def set_session(self, session) -> None:
        self._session = session
        self._pending = None
        self.latest = ""

    def search(self, query: str) -> list[SearchHit]:
        """Run a search; returns (and emits) the keyword hits now, emits the fused ones later."""
        query = query.strip()
        if not query or self._session is None:
            return []
        self.latest = query
        hits = hybrid_search(self._session.store, None, query, encoder=None, limit=LIMIT)
        self.resultsReady.emit(query, hits, "keyword")
        self._pending = query
        self._continue()
        return hits

    def index_ready(self) -> None:
        """The map's neighbour index is built: a search waiting for it can go on."""
        self._continue()

    def _continue(self) -> None:
        session, query = self._session, self._pending
        if query is None or session is None:
            return
        model = session.model_id()
        if model is None:
            self._pending = None  # a map without vectors: keywords are all there is
            return
        if self._encoder_state in ("ready", "failed") and model != self._encoder_model:
            self._encoder, self._encoder_state = None, "none"  # another map, another encoder
        if self._encoder_state == "failed":
            return
        if self._encoder_state == "none":
            self._load_encoder(model)
        elif self._encoder_state == "ready" and session.index is not None:
            self._pending = None
            self._semantic(session, query)
        else:
            self.noteChanged.emit("Searching by meaning…")

    def _load_encoder(self, model_id: str) -> None:
        self._encoder_state, self._encoder_model = "loading", model_id
        self.noteChanged.emit("Loading the language model for search by meaning (first search only)…")

        def load():
            from ideamap.embed.encoder import load_encoder

            return load_encoder(model_id)

        self.background.submit(load, self._encoder_loaded, self._encoder_failed)

    def _encoder_loaded(self, encoder) -> None:
        self._encoder, self._encoder_state = encoder, "ready"
        self._continue()

    def _encoder_failed(self, exc: BaseException) -> None:
        self._encoder_state = "failed"
        self.noteChanged.emit(f"Search by meaning is unavailable ({str(exc).rstrip('.')}); showing keyword matches.")

    def _semantic(self, session, query: str) -> None:
        index, encoder, path = session.index, self._encoder, session.path

        def run():
            # SQLite connections belong to the thread that opened them: this thread opens its own.
            with MapStore.open(path, readonly=True) as store:
                return hybrid_search(store, index, query, encoder=encoder, limit=LIMIT)

        def done(hits):
            if query == self.latest and session is self._session:
                self.resultsReady.emit(query, hits, "meaning")

        self.background.submit(run, done, lambda exc: self.noteChanged.emit(f"Search by meaning failed: {exc}"))
