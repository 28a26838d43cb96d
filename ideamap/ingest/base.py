"""The reader registry: each format registers a reader with a "can I read this?" test and a
priority; :func:`reader_for` picks the best one for a file (glue's pattern)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ideamap.model import ReadResult

# Bytes read from the start of a file to let readers sniff its type.
SNIFF_BYTES = 2048


@dataclass(frozen=True)
class Reader:
    """One format's reader.

    ``can_read(path, head)`` gets the path and the first bytes of the file and says whether this
    reader should handle it (by suffix and/or magic bytes). Among readers that accept a file, the
    highest ``priority`` wins, so a specific reader (meeting notes) can win over a general one
    (Markdown). ``read(path)`` must not raise for a bad file: it returns a ReadResult whose status
    and reason say what went wrong.
    """

    name: str
    doc_type: str
    can_read: Callable[[Path, bytes], bool]
    read: Callable[[Path], ReadResult]
    priority: int = 0


_READERS: list[Reader] = []


def register(reader: Reader) -> Reader:
    _READERS.append(reader)
    return reader


def registered_readers() -> list[Reader]:
    _load_builtin_readers()
    return sorted(_READERS, key=lambda r: -r.priority)


def reader_for(path: Path, head: bytes) -> Reader | None:
    for reader in registered_readers():
        if reader.can_read(path, head):
            return reader
    return None


_loaded = False
# Builds read files from worker threads: a second thread must wait for the first to finish
# registering, not see a half-filled registry. Re-entrant, for a reader module that looks
# up readers while it is being imported.
_load_lock = threading.RLock()


def _load_builtin_readers() -> None:
    # Imported lazily so that `import ideamap.ingest.base` stays cheap; each module registers
    # its readers at import time.
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        from ideamap.ingest import readers  # noqa: F401

        _loaded = True
