"""Neighbours without repetition and digests, computed off the UI thread.

Both read the map file. The window's store lives on the UI thread (SQLite connections belong to
the thread that opened them), so each lane keeps its own read-only store, opened once per map
in its one worker thread. A lane runs one task at a time and keeps only the latest request
waiting: arrowing through the reader asks for ten neighbour lists a second, and only the last
one matters. A result arrives only if it is still the latest of its lane (``on_done`` is never
called for a request that was overtaken).

The boilerplate flags (one pass over the map's texts and a kNN search) are computed once per
opened map, by whichever lane needs them first, and shared. On a large map a neighbour list does
not wait for them (the pass reads every text: tens of seconds at 1M paragraphs); it is shown
unmarked and asked for again once they are in (``boilerplateReady``).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from ideamap.app.jobs.background import Background


# Up to this many paragraphs a neighbour list waits for the boilerplate pass (about a second);
# above, it is listed at once and again when the pass is done.
WAIT_FOR_BOILERPLATE_UP_TO = 50_000


class _Lane:
    """One worker thread, its own read-only store, the latest request waiting."""

    def __init__(self, owner: "ReadingTasks", name: str):
        self.owner = owner
        self.name = name
        self.background = Background(owner, max_threads=1)
        # Never let the worker thread expire: its SQLite connection is tied to it.
        self.background.pool.setExpiryTimeout(-1)
        self.local = threading.local()
        self.latest = 0
        self.running = False
        self.pending: tuple | None = None

    def request(self, fn, on_done, on_failed) -> int:
        self.latest += 1
        self.pending = (self.latest, fn, on_done, on_failed)
        if not self.running:
            self._start_next()
        return self.latest

    def _start_next(self) -> None:
        if self.pending is None:
            self.running = False
            self.owner.settled.emit(self.name)
            return
        token, fn, on_done, on_failed = self.pending
        self.pending = None
        self.running = True
        self.background.submit(lambda: fn(self), lambda result: self._finish(token, on_done, result),
                               lambda exc: self._finish(token, on_failed, exc))

    def _finish(self, token: int, callback, value) -> None:
        if token == self.latest and callback is not None:
            callback(value)
        self._start_next()

    def busy(self) -> bool:
        return self.running or self.pending is not None

    # -- in the worker thread -------------------------------------------------------------------
    def store(self, path):
        """This thread's read-only store of the map at ``path`` (another map's is closed)."""
        from ideamap.store.mapfile import MapStore

        held = getattr(self.local, "store", None)
        if held is not None and held.path == path:
            return held
        self.close_store()
        self.local.store = MapStore.open(path, readonly=True)
        return self.local.store

    def close_store(self) -> None:
        held = getattr(self.local, "store", None)
        if held is not None:
            held.close()
            self.local.store = None


class ReadingTasks(QObject):
    """The neighbour and digest lanes of one window."""

    settled = Signal(str)  # a lane has nothing left to do ("neighbours" or "digest")
    boilerplateReady = Signal()  # an opened map's boilerplate flags were just computed

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.neighbours_lane = _Lane(self, "neighbours")
        self.digest_lane = _Lane(self, "digest")
        self._flags_lock = threading.Lock()
        self._pass_lock = threading.Lock()
        self._flags: dict[str, frozenset[int]] = {}  # map path → boilerplate ids

    def boilerplate(self, session, store) -> frozenset[int]:
        """In a worker thread: the map's boilerplate ids, computed once per opened map."""
        from ideamap.reading import boilerplate_ids

        key = str(session.path)
        with self._pass_lock:  # two lanes asking at once compute it once
            flags = self.known_boilerplate(session)
            if flags is None:
                flags = boilerplate_ids(store, session.index)
                with self._flags_lock:  # held only for the dict: known_boilerplate never waits
                    self._flags[key] = flags
                self.boilerplateReady.emit()  # queued to the window's thread
        return flags

    def known_boilerplate(self, session) -> frozenset[int] | None:
        with self._flags_lock:
            return self._flags.get(str(session.path))

    def prepare(self, session) -> None:
        """Once the index is built: find the boilerplate ahead of the first neighbour list
        (a kNN pass over the whole map, seconds on a large one), on the digest lane. Not while
        that lane is busy: a request would overtake the digest asked for (its result would be
        dropped, the panel left waiting), and the digest computes the flags itself anyway."""
        if self.digest_lane.busy():
            return
        self.digest_lane.request(lambda lane: self.boilerplate(session, lane.store(session.path)), None, None)

    def neighbours(self, session, pid: int, k: int, *, other_documents_only: bool, boilerplate_rank: str,
                   on_done: Callable[[Any], None], on_failed: Callable[[BaseException], None]) -> int:
        from ideamap.reading import neighbours_without_repetition

        wait = session.index is None or len(session.index) <= WAIT_FOR_BOILERPLATE_UP_TO
        if not wait and self.known_boilerplate(session) is None:
            self.prepare(session)  # in case nothing has started the pass yet

        def work(lane):
            store = lane.store(session.path)
            flags = self.known_boilerplate(session)
            if flags is None:
                flags = self.boilerplate(session, store) if wait else frozenset()
            return neighbours_without_repetition(
                store, session.index, pid, k, other_documents_only=other_documents_only,
                boilerplate_rank=boilerplate_rank, boilerplate=flags)

        return self.neighbours_lane.request(work, on_done, on_failed)

    def digest(self, session, paragraph_ids: list[int], k: int, level: int | None,
               on_done: Callable[[Any], None], on_failed: Callable[[BaseException], None]) -> int:
        from ideamap.reading import digest

        def work(lane):
            store = lane.store(session.path)
            flags = self.boilerplate(session, store) if session.index is not None else None
            return digest(store, paragraph_ids, k, index=session.index, level=level, boilerplate=flags)

        return self.digest_lane.request(work, on_done, on_failed)

    def forget(self, session) -> None:
        """The map was closed: drop its flags, and close the lanes' stores in their threads."""
        with self._flags_lock:
            self._flags.pop(str(session.path), None)
        for lane in (self.neighbours_lane, self.digest_lane):
            lane.request(lambda ln: ln.close_store(), None, None)

    def busy(self) -> bool:
        return self.neighbours_lane.busy() or self.digest_lane.busy()

    def wait(self, msecs: int = 3000) -> bool:
        return all(lane.background.wait(msecs) for lane in (self.neighbours_lane, self.digest_lane))
