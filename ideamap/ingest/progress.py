"""How far a reader has got inside one long file (a scan read page by page by OCR).

A reader calls :func:`report`; whoever runs it decides where that goes. In a reader process
(:mod:`isolation_child`) each report is a frame to the parent, which shows it and renews the
file's time limit: a reader that keeps finishing pages is working, not hung, so a 40-page scan
is not given up at the limit meant for one stuck parser. Without a sink, reports go nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# What a long stage is, in words for a progress line.
STAGE_WORDS = {"ocr": "read by OCR"}

_sink: Callable[[int, int, str], None] | None = None


@dataclass(frozen=True)
class ReadProgress:
    """``done`` of ``total`` steps of ``stage`` finished in the file at ``path``."""

    path: str
    done: int
    total: int
    stage: str

    def describe(self, name: str) -> str:
        words = STAGE_WORDS.get(self.stage, self.stage)
        return f"{name}: page {self.done} of {self.total} {words}"


def set_sink(sink: Callable[[int, int, str], None] | None):
    """Send reports to ``sink(done, total, stage)``; returns the sink it replaces."""
    global _sink
    previous, _sink = _sink, sink
    return previous


def report(done: int, total: int, stage: str) -> None:
    if _sink is not None:
        _sink(done, total, stage)
