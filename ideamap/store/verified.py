"""A per-user record of the map file versions that passed the content checks.

``safety.check_contents`` reads every page of a map (SQLite's quick_check) and scans its big
tables: ~5.6 s for a 1M-paragraph map (2.5 GB) on a 2-core laptop, at every open, and the app
opens a map twice (the window, then the neighbour index on a worker thread). A file that has not
changed since it passed needs no second pass, so each version that passed is written down here.

A version is the file's (device, inode, size, mtime_ns, ctime_ns), and the same of its ``-wal``
file when that holds anything: anything that writes, replaces or touches a file changes its ctime, which no user tool can
set back. A version is recorded only when its ctime was at least ``RACY_S`` before the check
began and nothing changed while it ran: file times have clock-tick granularity, so a write in the
same tick as a stat would not show (git's "racily clean" entries are the same problem).

The record lives in the user's cache folder, never in a map, so a map cannot vouch for itself.
It may also keep facts computed from exactly that version (the key of its vectors' neighbour
index), which a reopen uses instead of reading and hashing every vector again. A build also
records the version its own writes left (``remember_written``): the map was checked when the
build opened it, and ideamap writes nothing the checks would refuse. Losing or damaging the
record costs one more check, nothing else.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

RECORD_NAME = "verified_maps.json"
FORMAT = 1
RACY_S = 1.0  # far above any file system's timestamp tick (ext4: a jiffy; NTFS: 100 ns)
KEEP = 256  # map versions kept; the oldest entries go first
_lock = threading.Lock()  # the window and the index thread may record at once


def version(path: Path) -> list | None:
    """The file's identity and change stamps, with its write-ahead log's; None if unreadable."""
    try:
        main = os.stat(path)
    except OSError:
        return None
    out = [main.st_dev, main.st_ino, main.st_size, main.st_mtime_ns, main.st_ctime_ns]
    try:
        wal = os.stat(f"{path}-wal")
    except OSError:
        wal = None
    # An empty log holds nothing; a read-only connection creates one (and cannot remove it).
    if wal is not None and wal.st_size > 0:
        out += [wal.st_ino, wal.st_size, wal.st_mtime_ns, wal.st_ctime_ns]
    else:
        out += [None] * 4
    return out


def facts(path: Path, current: list | None = None) -> dict | None:
    """What is known of this exact version of ``path`` (an empty dict if only that it passed),
    or None when it has not passed the checks in this version."""
    current = version(path) if current is None else current
    entry = _read().get(_name(path))
    if current is None or not entry or entry.get("version") != current:
        return None
    return dict(entry.get("facts") or {})


def remember(path: Path, checked: list | None, started: float) -> bool:
    """Record that version ``checked`` (taken before a check that began at ``started``) passed,
    if it was not racy and is still the file's version. Returns whether it was recorded."""
    if checked is None or _racy(checked, started) or version(path) != checked:
        return False
    _update(path, checked, {})
    return True


def remember_written(path: Path, new_facts: dict) -> bool:
    """Record the version that our own writes just left (the map was checked when it was
    opened for them, and ideamap writes only what passes the checks), with ``new_facts``.
    Call it with the map closed; it waits out the racy window (at most RACY_S)."""
    stamp = version(path)
    if stamp is None:
        return False
    wait = max(stamp[4], stamp[8] or 0) / 1e9 + RACY_S - time.time()
    if wait > 0:
        time.sleep(min(wait, RACY_S))
    if version(path) != stamp:
        return False  # written again meanwhile: leave it to the next open's check
    _update(path, stamp, dict(new_facts))
    return True


def add_fact(path: Path, at_version: list, name: str, value) -> None:
    """Attach a fact to a recorded version (ignored if the file has been recorded since as
    another version, or never)."""
    with _lock:
        record = _read()
        entry = record.get(_name(path))
        if not entry or entry.get("version") != at_version:
            return
        entry.setdefault("facts", {})[name] = value
        _write(record)


def _racy(stamp: list, started: float) -> bool:
    changed = max(stamp[4], stamp[8] or 0) / 1e9
    return changed > started - RACY_S


def _update(path: Path, stamp: list, new_facts: dict) -> None:
    with _lock:
        record = _read()
        record[_name(path)] = {"version": stamp, "facts": new_facts, "at": time.time()}
        if len(record) > KEEP:
            for old in sorted(record, key=lambda k: record[k].get("at", 0))[: len(record) - KEEP]:
                del record[old]
        _write(record)


def _name(path: Path) -> str:
    return str(Path(path).resolve())


def _record_path() -> Path:
    from ideamap.paths import cache_dir

    return cache_dir() / RECORD_NAME


def _read() -> dict:
    try:
        data = json.loads(_record_path().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("maps"), dict):
        return {}
    return {k: v for k, v in data["maps"].items() if isinstance(v, dict)}


def _write(record: dict) -> None:
    path = _record_path()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps({"format": FORMAT, "maps": record}))
        os.replace(tmp, path)  # a reader sees the old record or the new one, never half
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only cache folder: every open checks, as before
