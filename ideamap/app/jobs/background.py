"""Run a function off the UI thread (QThreadPool) and get its result back on the UI thread.

Used for work that reads or computes but must not freeze the window: building the neighbour
index, loading the encoder, encoding a search query. Results arrive through queued signals, so
callbacks always run on the UI thread."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    done = Signal(object, object)  # (task, result)
    failed = Signal(object, object)  # (task, exception)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], on_done, on_failed):
        super().__init__()
        self.setAutoDelete(False)  # Python keeps it alive until its result is delivered
        self.fn = fn
        self.on_done = on_done
        self.on_failed = on_failed
        self.relay = _Relay()

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - delivered to the caller's error handler
            self._deliver(self.relay.failed, exc)
        else:
            self._deliver(self.relay.done, result)

    def _deliver(self, signal, value) -> None:
        try:
            signal.emit(self, value)
        except RuntimeError:
            pass  # the window closed while this ran: nobody is left to tell


class Background(QObject):
    """Owns a thread pool and the tasks in flight. ``max_threads=1`` runs tasks in order, which
    the search uses so the encoder is loaded before any query is encoded."""

    def __init__(self, parent: QObject | None = None, *, max_threads: int | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        if max_threads:
            self.pool.setMaxThreadCount(max_threads)
        self._tasks: set[_Task] = set()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_failed: Callable[[BaseException], None] | None = None) -> None:
        task = _Task(fn, on_done, on_failed)
        self._tasks.add(task)
        # Bound methods of this UI-thread object: Qt queues the call onto the UI thread.
        task.relay.done.connect(self._done)
        task.relay.failed.connect(self._failed)
        self.pool.start(task)

    def _done(self, task: _Task, result) -> None:
        self._tasks.discard(task)
        task.on_done(result)

    def _failed(self, task: _Task, exc) -> None:
        self._tasks.discard(task)
        if task.on_failed is not None:
            task.on_failed(exc)

    def busy(self) -> bool:
        return bool(self._tasks)

    def wait(self, msecs: int = 3000) -> bool:
        """Wait for running tasks (at shutdown, so no thread outlives the application)."""
        return self.pool.waitForDone(msecs)
