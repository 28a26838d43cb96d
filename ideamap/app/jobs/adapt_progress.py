"""Turns adapt_map's progress(stage, done, total, detail) calls into what the progress dialog
shows: training steps, the loss and the time left, then the re-embedding. Same interface as
ProgressState (update, fraction, lines), Qt-free so it is tested without a window."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ideamap.app.text import stage_words

# adapt_map's training detail: "loss 5.43, 4:05 left"
_TRAIN_DETAIL = re.compile(r"loss ([\d.]+|nan|inf), (\d+):(\d\d) left")
_MEASURED = ("train", "embed")  # stages whose done/total mean something


@dataclass
class AdaptProgressState:
    stage: str = "starting"
    detail: str = ""
    done: int = 0
    total: int = 0
    steps: int = 0
    expected_steps: int = 0
    loss: str = ""
    time_left: str = ""

    def update(self, stage: str, done: int, total: int, detail: str = "", now: float | None = None) -> None:
        self.stage, self.detail, self.done, self.total = stage, detail, done, total
        if stage == "train":
            self._on_train(done, total, detail)

    def _on_train(self, done: int, total: int, detail: str) -> None:
        self.steps, self.expected_steps = done, total
        match = _TRAIN_DETAIL.search(detail)
        if match:
            self.loss = match.group(1)
            self.time_left = f"{int(match.group(2))}:{match.group(3)}"

    def fraction(self) -> float | None:
        """Share of the current stage done, or None while a stage has no measure (busy bar)."""
        if self.stage not in _MEASURED or not self.total:
            return None
        return min(1.0, self.done / self.total)

    def lines(self, now: float | None = None) -> dict[str, str]:
        """Texts for the dialog's labels (same keys as ProgressState.lines)."""
        training = self.stage == "train"
        steps = f"Training steps: {self.steps:,} of about {self.expected_steps:,}" if self.steps else ""
        return {
            "stage": stage_words(self.stage),
            "detail": "" if training or self.stage == "embed" else self.detail,
            "files": steps,
            "paragraphs": self._second_line(),
            "eta": f"Training time left: {self.time_left}" if training and self.time_left else "",
        }

    def _second_line(self) -> str:
        if self.stage == "embed" and self.total:
            return f"Re-embedding paragraphs: {round(100 * self.done / self.total)}%"
        return f"Reconstruction loss: {self.loss} (lower is better)" if self.loss else ""
