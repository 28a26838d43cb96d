"""Reading files in child processes, so that no file can hang, crash or exhaust the build.

PDF parsers, XML libraries and zip readers keep fixing crashes and hangs on crafted files; a
build of a user's download folder meets such files. Each file is therefore read by a
long-lived reader process (see :mod:`isolation_child`) under a per-file time limit and a
memory cap. A reader that runs past the limit is killed and the file ends TIMED_OUT; a reader
that dies ends its file CRASHED; in both cases a fresh reader takes over and the build goes on.

    >>> with IsolatedReader(ReadLimits(timeout_s=30)) as reader:
    ...     for key, result in reader.read_many([("a", Path("a.pdf")), ("b", None)]):
    ...         print(key, result and result.status)   # None path: passed through unread

Reading runs ahead of the caller in a background thread (bounded), so while the build embeds
one batch the readers already read the next. Results come back in the order given.

Readers are started with 'spawn' (a fresh interpreter; forking a process that holds torch's
threads can deadlock) and talk JSON over a pipe. They are started by the read-ahead thread and
ask the kernel to kill them when that thread ends, so a build killed with kill -9 leaves no
reader behind.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_any
from pathlib import Path
from typing import Hashable, Iterable, Iterator

from ideamap.ingest import DEFAULT_MAX_BYTES, guess_doc_type, read_document
from ideamap.ingest import progress as read_progress
from ideamap.ingest.isolation_child import PROGRESS, READY, result_from_dict, serve
from ideamap.ingest.progress import ReadProgress
from ideamap.model import FileStatus, ReadResult

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_BYTES = 2 * 2**30
DEFAULT_WORKERS = 2
# A reader that has not started within this long is given up (a machine thrashing badly).
STARTUP_LIMIT_S = 60.0
# Readers are replaced after this many files: parsers leak, and a fresh process costs ~0.5 s.
FILES_PER_READER = 200
# Results read ahead of the consumer: enough to keep readers busy through an embedding batch.
READ_AHEAD = 16
_POLL_S = 0.2

_PARSER_NAMES = {
    "pdf": "PDF parser", "docx": "Word document reader", "html": "web page reader",
    "text": "text reader", "markdown": "Markdown reader", "notes": "meeting notes reader",
    "transcript": "transcript reader",
}  # fmt: skip


@dataclass(frozen=True)
class ReadLimits:
    """Limits on reading one file. ``timeout_s``: seconds a file may take before it is given
    up (TIMED_OUT); each step a reader reports inside a long file (a page read by OCR) starts
    the count again, so only a reader that stops making progress is given up (PDF pages are
    capped at pdf.MAX_PAGES, and each OCR call has its own limit). ``memory_bytes``: address
    space a reader may use (0: no cap). ``max_file_bytes``: larger files are not opened at all (TOO_LARGE). ``workers``: reader
    processes working side by side."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    max_file_bytes: int = DEFAULT_MAX_BYTES
    workers: int = DEFAULT_WORKERS


# --- outcomes of readers that failed --------------------------------------------------


def timed_out(path: Path, limit_s: float, last: ReadProgress | None = None) -> ReadResult:
    if last is None:
        reason = (f"Reading this file took longer than the {limit_s:g} s limit, so it was stopped; "
                  "the file may be damaged or unusually complex.")
    else:
        reason = (f"Reading this file stopped making progress after {last.describe('it')} "
                  f"(nothing more within the {limit_s:g} s limit), so it was stopped.")
    return ReadResult(path=str(path), doc_type=guess_doc_type(path), status=FileStatus.TIMED_OUT, reason=reason)


def crashed(path: Path, exitcode: int | None) -> ReadResult:
    """The result for a file whose reader process died, in words a user can act on."""
    parser = _PARSER_NAMES.get(guess_doc_type(path), "reader")
    if exitcode is not None and exitcode == -signal.SIGKILL:
        reason = (f"The {parser} was stopped by the system while reading this file, "
                  "probably for using too much memory.")
    elif exitcode is not None and exitcode < 0:
        reason = (f"The {parser} crashed on this file ({_signal_name(-exitcode)}); the file may "
                  "be damaged or made to break readers.")
    elif exitcode is None:
        reason = f"The {parser} could not be started for this file (the computer may be overloaded)."
    else:
        reason = f"The {parser} stopped unexpectedly on this file (exit code {exitcode})."
    return ReadResult(path=str(path), doc_type=guess_doc_type(path), status=FileStatus.CRASHED, reason=reason)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# --- one reader process ---------------------------------------------------------------


class _Worker:
    """One reader process, our end of its pipe, and the file it is reading."""

    def __init__(self, ctx, limits: ReadLimits, parent_pid: int, read_fn=None):
        self.conn, child_end = ctx.Pipe(duplex=True)
        settings = {"memory_bytes": limits.memory_bytes, "parent_pid": parent_pid}
        self.process = ctx.Process(target=serve, args=(child_end, settings, read_fn), daemon=True,
                                   name="ideamap-reader")
        self.process.start()
        child_end.close()
        self.limits = limits
        self.started = time.monotonic()
        self.ready = False
        self.job: tuple[int, Hashable, Path] | None = None  # (position, key, path)
        self.deadline = 0.0
        self.files = 0
        self.last_progress: ReadProgress | None = None

    def submit(self, index: int, key: Hashable, path: Path) -> None:
        request = {"path": str(path), "max_bytes": self.limits.max_file_bytes}
        self.conn.send_bytes(json.dumps(request).encode("utf-8"))
        self.job = (index, key, path)
        self.files += 1
        self.last_progress = None
        self.deadline = time.monotonic() + self.limits.timeout_s  # counted once it is ready

    def mark_ready(self) -> None:
        self.ready = True
        self.deadline = time.monotonic() + self.limits.timeout_s

    def renew(self, note: ReadProgress) -> None:
        """The reader finished a step of its file: it is working, so its time starts again."""
        self.last_progress = note
        self.deadline = time.monotonic() + self.limits.timeout_s

    def overdue(self, now: float) -> bool:
        if not self.ready:
            return now - self.started > STARTUP_LIMIT_S
        return self.job is not None and now > self.deadline

    def wait_s(self, now: float) -> float:
        """Seconds until this worker is overdue."""
        if not self.ready:
            return self.started + STARTUP_LIMIT_S - now
        return self.deadline - now if self.job else _POLL_S

    def exit_code(self) -> int | None:
        self.process.join(2.0)
        return self.process.exitcode

    def stop(self) -> None:
        """Kill at once: a reader holds no state worth saving, and it may be stuck in C code."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()


# --- the pool and its read-ahead ------------------------------------------------------


class IsolatedReader:
    """Reads files in reader processes, under :class:`ReadLimits`. Use as a context manager;
    closing it stops every reader. ``read_fn(path, max_bytes=…)``, a module-level function,
    replaces :func:`read_document` in the readers (tests use it to make one hang or crash)."""

    def __init__(self, limits: ReadLimits | None = None, *, read_fn=None):
        self.limits = limits or ReadLimits()
        self._read_fn = read_fn
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._board: _Board | None = None

    def __enter__(self) -> "IsolatedReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, path: Path) -> ReadResult:
        """Read one file (blocking)."""
        for _, result in self.read_many([(None, Path(path))]):
            return result
        raise RuntimeError("the reader stopped before reading the file")

    def read_many(self, items: Iterable[tuple[Hashable, Path | None]], on_progress=None,
                  ) -> Iterator[tuple[Hashable, ReadResult | None]]:
        """(key, result) for each (key, path), in the order given. A path of None is passed
        through as (key, None) without reading. ``items`` is consumed by the read-ahead
        thread, so work done while producing them (hashing files) runs ahead too.
        ``on_progress(ReadProgress)`` hears of steps inside long files, on the caller's thread
        (between results), so it may touch what the caller owns."""
        self.close()  # one run at a time
        self._stop.clear()
        board = self._board = _Board(READ_AHEAD)
        self._thread = threading.Thread(target=self._feed, args=(iter(items), board), daemon=True,
                                        name="ideamap-read-ahead")
        self._thread.start()
        try:
            while True:
                entry = board.take()
                if entry is _END:
                    return
                if isinstance(entry, ReadProgress):
                    if on_progress is not None:
                        on_progress(entry)
                    continue
                yield entry
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        if self._board is not None:
            self._board.close()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None
        for worker in self._workers:
            worker.stop()
        self._workers = []

    # -- the read-ahead thread -------------------------------------------------------------
    def _feed(self, items: Iterator, board: "_Board") -> None:
        try:
            count = 0
            for index, (key, path) in enumerate(items):
                while not self._stop.is_set() and not board.has_room(index):
                    self._collect(board)
                if self._stop.is_set():
                    return
                if path is None:
                    board.post(index, (key, None))
                else:
                    self._dispatch(board, index, key, Path(path))
                count = index + 1
            while not self._stop.is_set() and any(w.job for w in self._workers):
                self._collect(board)
            board.finish(count)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            board.fail(exc)
        finally:
            for worker in self._workers:
                worker.stop()  # the readers die with this thread anyway (see module notes)
            self._workers = []

    def _dispatch(self, board: "_Board", index: int, key: Hashable, path: Path) -> None:
        for _ in range(3):
            try:
                worker = self._idle_worker(board)
            except OSError:  # no process could be started (the system is out of them)
                break
            try:
                worker.submit(index, key, path)
                return
            except OSError:  # the reader died while idle: try a fresh one
                worker.job = None
                self._retire(worker)
        board.post(index, (key, crashed(path, None)))

    def _idle_worker(self, board: "_Board") -> _Worker:
        while True:
            for worker in self._workers:
                if worker.job is None:
                    return worker
            if len(self._workers) < max(1, self.limits.workers):
                worker = _Worker(self._ctx, self.limits, os.getpid(), self._read_fn)
                self._workers.append(worker)
                return worker
            self._collect(board)
            if self._stop.is_set():
                raise _Stopped()

    def _collect(self, board: "_Board") -> None:
        """Wait a little for answers, then hand on what came and give up overdue readers."""
        if not any(w.job or not w.ready for w in self._workers):
            board.wait_for_room(_POLL_S)  # nothing to hear from: wake when the consumer moves
            return
        now = time.monotonic()
        timeout = max(0.0, min([_POLL_S] + [w.wait_s(now) for w in self._workers]))
        ready = wait_any([w.conn for w in self._workers], timeout=timeout)
        for worker in [w for w in self._workers if w.conn in ready]:
            self._receive(worker, board)
        now = time.monotonic()
        for worker in [w for w in self._workers if w.overdue(now)]:
            self._give_up(worker, board, ran_out=worker.ready)

    def _receive(self, worker: _Worker, board: "_Board") -> None:
        try:
            data = worker.conn.recv_bytes()
        except (EOFError, OSError):
            self._give_up(worker, board, ran_out=False)
            return
        if data == READY:
            worker.mark_ready()
            return
        if data.startswith(PROGRESS):
            if worker.job is not None:
                note = _progress_note(worker.job[2], data[len(PROGRESS):])
                worker.renew(note)
                board.note(note)
            return
        if worker.job is None:  # an answer nobody asked for: this reader is not to be trusted
            self._retire(worker)
            return
        index, key, _ = worker.job
        worker.job = None
        board.post(index, (key, result_from_dict(json.loads(data))))
        if worker.files >= FILES_PER_READER:
            self._retire(worker)

    def _give_up(self, worker: _Worker, board: "_Board", *, ran_out: bool) -> None:
        """A reader that died or ran past its limit: its file gets a stated outcome, the
        reader is replaced on demand."""
        job = worker.job
        if job is not None:
            # The exit code is read before the reader is stopped: a reader that just died
            # must not be reported as killed.
            path = job[2]
            result = (timed_out(path, self.limits.timeout_s, worker.last_progress) if ran_out
                      else crashed(path, worker.exit_code()))
        self._retire(worker)
        if job is not None:
            board.post(job[0], (job[1], result))

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        self._workers.remove(worker)


def _progress_note(path: Path, payload: bytes) -> ReadProgress:
    data = json.loads(payload)
    return ReadProgress(str(path), int(data["done"]), int(data["total"]), str(data["stage"]))


class _Stopped(Exception):
    """The reader was closed while the read-ahead thread waited for a free reader."""


_END = object()


class _Board:
    """Results by position, handed to the consumer in order. The producer waits while it is
    ``ahead`` positions in front of the consumer, so reading ahead stays bounded."""

    def __init__(self, ahead: int):
        self._cond = threading.Condition()
        self._items: dict[int, tuple] = {}
        self._next = 0
        self._ahead = ahead
        self._count: int | None = None
        self._error: BaseException | None = None
        self._closed = False
        self._notes: deque[ReadProgress] = deque(maxlen=64)  # progress inside files, newest last

    def has_room(self, index: int) -> bool:
        with self._cond:
            return self._closed or index < self._next + self._ahead

    def wait_for_room(self, timeout: float) -> None:
        with self._cond:
            self._cond.wait(timeout)

    def post(self, index: int, entry: tuple) -> None:
        with self._cond:
            self._items[index] = entry
            self._cond.notify_all()

    def note(self, progress: ReadProgress) -> None:
        with self._cond:
            self._notes.append(progress)
            self._cond.notify_all()

    def finish(self, count: int) -> None:
        with self._cond:
            self._count = count
            self._cond.notify_all()

    def fail(self, exc: BaseException) -> None:
        with self._cond:
            self._error = exc
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self):
        with self._cond:
            self._cond.wait_for(self._can_take)
            if self._notes:
                return self._notes.popleft()
            if self._next in self._items:
                entry = self._items.pop(self._next)
                self._next += 1
                self._cond.notify_all()
                return entry
            if self._error is not None and not isinstance(self._error, _Stopped):
                raise self._error
            return _END

    def _can_take(self) -> bool:
        done = self._count is not None and self._next >= self._count
        return (self._next in self._items or bool(self._notes) or self._error is not None or done
                or self._closed)


# --- reading in this process ----------------------------------------------------------


class InProcessReader:
    """The same interface without isolation: for platforms or callers (a daemonic process,
    which may not start children) where reader processes cannot run."""

    def __init__(self, limits: ReadLimits | None = None):
        self.limits = limits or ReadLimits()

    def __enter__(self) -> "InProcessReader":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def read(self, path: Path) -> ReadResult:
        return read_document(Path(path), max_bytes=self.limits.max_file_bytes)

    def read_many(self, items, on_progress=None):
        for key, path in items:
            if path is None:
                yield key, None
                continue
            sink = None if on_progress is None else (
                lambda done, total, stage, p=str(path): on_progress(ReadProgress(p, done, total, stage)))
            previous = read_progress.set_sink(sink)
            try:
                result = self.read(path)
            finally:
                read_progress.set_sink(previous)
            yield key, result

    def close(self) -> None:
        pass


def make_reader(limits: ReadLimits | None = None, *, isolate: bool = True):
    """An :class:`IsolatedReader`, or an :class:`InProcessReader` when ``isolate`` is off or
    this process may not start children."""
    if isolate and not multiprocessing.current_process().daemon:
        return IsolatedReader(limits)
    return InProcessReader(limits)
