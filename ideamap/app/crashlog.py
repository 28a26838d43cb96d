"""Where unexpected errors go: a log file in the user's cache folder, so the user sees one
readable sentence while the traceback stays available for a bug report. Qt-free (the build
worker process uses it too)."""

from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

from ideamap.paths import cache_dir

UNEXPECTED = "Something unexpected went wrong"


def log_path() -> Path:
    folder = cache_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "ideamap.log"


def log_exception(exc: BaseException, context: str = "") -> Path:
    """Append the traceback of ``exc`` to the log file and return the file's path."""
    path = log_path()
    stamp = datetime.now().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"--- {stamp} {context}\n{text}\n")
    return path


def unexpected_message(exc: BaseException, where: str, log: Path) -> str:
    """A short message for the user: what failed, the error's own words, where the details are."""
    summary = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{UNEXPECTED} while {where} ({summary[:200]}).\nDetails were saved to {log}."


_fault_file = None  # kept open for the life of the process: faulthandler writes to its fd


def enable_fault_log() -> Path:
    """Native crashes (a segfault in Qt or a parser) leave a Python traceback of every thread in
    faults.log beside the log file, instead of vanishing without a word."""
    import faulthandler

    global _fault_file
    path = log_path().with_name("faults.log")
    if _fault_file is None:
        _fault_file = open(path, "a", encoding="utf-8")
        faulthandler.enable(file=_fault_file, all_threads=True)
    return path
