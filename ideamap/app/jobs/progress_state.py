"""Turns the pipeline's progress(stage, done, total, detail) calls into what the progress
dialog shows: files read, paragraphs embedded, stage and an ETA. Qt-free and clock-injected so
it is tested without waiting."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from ideamap.app.text import duration_words, stage_words

_PARAGRAPHS_IN_DETAIL = re.compile(r"(\d+) paragraphs")


@dataclass
class ProgressState:
    stage: str = "starting"
    detail: str = ""
    files_done: int = 0
    files_total: int = 0
    embedded_before: int = 0  # paragraphs of finished embedding batches
    batch_fraction: float = 0.0  # how far the current batch is (windows done / total)
    batch_paragraphs: int = 0
    started_at: float = field(default_factory=time.monotonic)
    first_file_at: float | None = None
    first_file_count: int = 0

    def update(self, stage: str, done: int, total: int, detail: str = "", now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.stage, self.detail = stage, detail
        if stage == "read":
            self._on_read(done, total, now)
        elif stage == "embed":
            self._on_embed(done, total, detail)

    def _on_read(self, done: int, total: int, now: float) -> None:
        if self.first_file_at is None:
            # the clock for the ETA starts at the first file, not at process start-up
            self.first_file_at, self.first_file_count = now, done
        self.files_done, self.files_total = done, total

    def _on_embed(self, done: int, total: int, detail: str) -> None:
        match = _PARAGRAPHS_IN_DETAIL.search(detail)
        paragraphs = int(match.group(1)) if match else 0
        if self.batch_paragraphs and self.batch_fraction >= 1.0:
            self.embedded_before += self.batch_paragraphs  # the previous batch finished
            self.batch_fraction = 0.0
        self.batch_paragraphs = paragraphs
        self.batch_fraction = done / total if total else 1.0

    @property
    def paragraphs_embedded(self) -> int:
        return self.embedded_before + round(self.batch_paragraphs * self.batch_fraction)

    def fraction(self) -> float | None:
        """Share of the reading/embedding done, or None while a stage has no measure (layout)."""
        if self.stage in ("layout", "index") or not self.files_total:
            return None
        return min(1.0, self.files_done / self.files_total)

    def eta_seconds(self, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        timed = self.files_done - self.first_file_count  # files read since the clock started
        if self.stage in ("layout", "index") or self.first_file_at is None or timed < 1:
            return None  # one file says too little about the rest
        remaining = self.files_total - self.files_done
        return (now - self.first_file_at) / timed * remaining

    def lines(self, now: float | None = None) -> dict[str, str]:
        """Texts for the dialog's labels."""
        eta = self.eta_seconds(now)
        stage = stage_words(self.stage)
        if self.stage == "layout":
            stage += " (the first map of a session takes a minute longer)"
        return {
            "stage": stage,
            # during embedding the pipeline's detail is the batch size, which means little to users
            "detail": "" if self.stage == "embed" else self.detail,
            "files": f"Files read: {self.files_done:,} of {self.files_total:,}" if self.files_total else "Looking for files…",
            "paragraphs": f"Paragraphs embedded: {self.paragraphs_embedded:,}",
            "eta": f"Time left: {duration_words(eta)}" if eta is not None else "",
        }
