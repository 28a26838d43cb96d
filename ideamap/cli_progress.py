"""Progress bars for the CLI: one tqdm bar per pipeline stage, on standard error."""

from __future__ import annotations

import sys

STAGE_TITLES = {"read": "Reading files", "embed": "Embedding", "layout": "Layout", "write": "Writing",
                "train": "Adapting encoder", "check": "Checking",
                "index": "Neighbour index"}


class StageBars:
    def __init__(self, *, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.bars: dict = {}

    def __enter__(self) -> "StageBars":
        return self

    def __exit__(self, *exc) -> None:
        for bar in self.bars.values():
            bar.close()

    def update(self, stage: str, done: int, total: int, detail: str = "") -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None or (total and bar.total != total and stage == "embed"):
            if bar is not None:
                bar.close()
            bar = tqdm(total=total or None, desc=STAGE_TITLES.get(stage, stage), unit="", file=sys.stderr,
                       leave=stage != "embed", dynamic_ncols=True)
            self.bars[stage] = bar
        elif total and bar.total != total:
            bar.total = total  # e.g. adapting: the time budget revises the expected steps
        bar.n = done
        bar.set_postfix_str(shorten(detail), refresh=False)
        bar.refresh()


def shorten(detail: str, width: int = 48) -> str:
    """``detail`` in at most ``width`` characters, cut in the middle: a file's name begins and
    the page being read by OCR ends "long_name.pdf: page 3 of 20 read by OCR"."""
    if len(detail) <= width:
        return detail
    head = (width - 1) // 2
    return f"{detail[:head]}…{detail[len(detail) - (width - 1 - head):]}"

