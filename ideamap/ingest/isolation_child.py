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

READY = b"ready"


def serve(conn, limits: dict) -> None:
    """Process entry point: answer read requests on ``conn`` until the parent hangs up."""
    _follow_parent(limits["parent_pid"])
    _quiet_environment()
    _limit_resources(limits["memory_bytes"])
    from ideamap.ingest.isolation import result_to_dict

    conn.send_bytes(READY)
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the parent closed the pipe or died: nothing left to do
        answer = result_to_dict(_read(request))
        conn.send_bytes(json.dumps(answer).encode("utf-8"))


def _read(request: dict):
    from pathlib import Path

    from ideamap.ingest import read_document, too_large_for_memory

    path = Path(request["path"])
    try:
        return read_document(path, max_bytes=int(request["max_bytes"]))
    except MemoryError:
        return too_large_for_memory(path)


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
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
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
