"""The reader process: reads files one at a time, as its parent asks, under hard limits.

Started by :mod:`ideamap.ingest.isolation` with the 'spawn' method, so it is a fresh interpreter
that never holds torch or the parent's threads. Requests and answers are JSON frames over a
multiprocessing pipe (``send_bytes``/``recv_bytes``): plain data, nothing is unpickled from a
file. Whatever a parser does here (hang, crash, eat memory), only this process pays for it.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from ideamap.model import FileStatus, ParagraphDraft, ParagraphKind, ReadResult

READY = b"ready"
# Frames that start so are progress inside the file being read (see ingest.progress), not answers.
PROGRESS = b"progress:"


def serve(conn, limits: dict, read_fn=None) -> None:
    """Process entry point: answer read requests on ``conn`` until the parent hangs up.
    ``read_fn(path, max_bytes)`` replaces :func:`read_document` (tests pass misbehaving ones)."""
    _follow_parent(limits["parent_pid"])
    _quiet_environment()
    _limit_resources(limits["memory_bytes"])
    from ideamap.ingest import progress, read_document

    progress.set_sink(lambda done, total, stage: conn.send_bytes(
        PROGRESS + json.dumps({"done": done, "total": total, "stage": stage}).encode("utf-8")))
    conn.send_bytes(READY)
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the parent closed the pipe or died: nothing left to do
        conn.send_bytes(_answer(request, read_fn or read_document))


def result_to_dict(result: ReadResult) -> dict:
    """A ReadResult as JSON-ready data. Strings are made valid UTF-8 here (a lone surrogate
    from a damaged PDF would otherwise fail later, when the map is written)."""
    return {
        "path": result.path, "doc_type": result.doc_type, "status": result.status.value,
        "reason": _clean(result.reason), "title": _clean(result.title), "date": result.date,
        "pages": result.pages,
        "paragraphs": [
            [_clean(p.text), p.order, p.kind.value, p.page, p.char_start, p.char_end, _clean(p.context)]
            for p in result.paragraphs
        ],
    }  # fmt: skip


def result_from_dict(data: dict) -> ReadResult:
    paragraphs = [
        ParagraphDraft(text=t, order=o, kind=ParagraphKind(k), page=pg, char_start=a, char_end=b, context=c)
        for t, o, k, pg, a, b, c in data["paragraphs"]
    ]
    return ReadResult(
        path=data["path"], doc_type=data["doc_type"], status=FileStatus(data["status"]),
        reason=data["reason"], title=data["title"], date=data["date"], pages=data["pages"],
        paragraphs=paragraphs,
    )  # fmt: skip


def _clean(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8") if text else text


def _answer(request: dict, read_fn) -> bytes:
    """The JSON answer for one request; never raises for a bad file."""
    from pathlib import Path

    from ideamap.ingest import guess_doc_type, too_large_for_memory

    path = Path(request["path"])
    try:
        return _encode(read_fn(path, max_bytes=int(request["max_bytes"])))
    except MemoryError:  # the memory cap was hit, reading or encoding
        result = too_large_for_memory(path)
    except Exception as exc:  # noqa: BLE001 - a reader bug ends this file, not the reader
        reason = f"ideamap failed while reading this file ({type(exc).__name__}). The file may be unusual or damaged."
        result = ReadResult(path=str(path), doc_type=guess_doc_type(path), status=FileStatus.CRASHED, reason=reason)
    return _encode(result)


def _encode(result: ReadResult) -> bytes:
    return json.dumps(result_to_dict(result)).encode("utf-8")


def _follow_parent(parent_pid: int) -> None:
    """Die with the parent: a build killed with kill -9 must not leave readers behind, still
    chewing on a file that loops forever."""
    # Ctrl+C in a terminal reaches the whole process group; the parent decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    else:  # no such signal elsewhere: look for the parent now and then instead
        import threading

        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(0)


def _watch_parent(parent_pid: int) -> None:
    import time

    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _quiet_environment() -> None:
    # One thread per math library: the memory cap counts every thread's reserved stack and
    # arena, and a reader never needs more than one core.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"


def _limit_resources(memory_bytes: int) -> None:
    """Cap the address space (a decompression bomb then fails an allocation instead of
    taking the machine down) and write no core files (a crashing parser would leave one
    beside every damaged PDF)."""
    try:
        import resource
    except ImportError:  # not on this platform (Windows): the time limit still applies
        return
    _set_limit(resource, resource.RLIMIT_CORE, 0)
    if memory_bytes > 0:
        _set_limit(resource, resource.RLIMIT_AS, memory_bytes)


def _set_limit(resource, kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(kind, (value, hard))
    except (ValueError, OSError):  # e.g. already using more than the cap: keep going without
        pass
