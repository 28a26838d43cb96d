"""The title a PDF's first page shows: its largest text that is not a journal banner.

Used when the metadata has no meaningful title. Title pages set the title in the largest
type, but often not bold (so it is not tagged as a heading) and over several lines; the
largest type can also be a journal's name ("BMC Bioinformatics") or a banner ("Research",
"R E S E A R C H  A R T I C L E"), which are short, and an F1000-style version note in
brackets follows some titles.
"""

from __future__ import annotations

import re
from collections import Counter

from ideamap.ingest.pdf_kinds import WORD, _FURNITURE
from ideamap.ingest.pdf_layout import Line, PageText

# A title is at least this much larger than the page's body text.
MIN_RATIO = 1.25
# Lines of one title: the same size within this share, and no wider apart than this many
# line heights.
SAME_SIZE = 0.04
MAX_GAP = 1.0
MIN_WORDS, MAX_WORDS = 3, 45

_NOTE = re.compile(r"\s*\[[^\]]*\]\s*$")  # "[v2; ref status: indexed, http://…]"


def largest_text_title(pages: list[PageText]) -> str:
    """The title from the first page with text, or "" when none stands out."""
    page = next((p for p in pages if p.lines), None)
    if page is None:
        return ""
    body = _body_size(page.lines)
    sizes = sorted({round(line.size, 1) for line in page.lines if line.size >= MIN_RATIO * body},
                   reverse=True)
    for size in sizes:
        title = _title_at(page.lines, size)
        if title:
            return title
    return ""


def _body_size(lines: list[Line]) -> float:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0]


def _title_at(lines: list[Line], size: float) -> str:
    """The first run of consecutive lines set in ``size`` that reads as a title."""
    same = sorted((line for line in lines if abs(line.size - size) <= SAME_SIZE * size),
                  key=lambda line: (round(line.top), line.x0))
    runs: list[list[Line]] = []
    for line in same:
        # A change of weight ends the title: the author line below may be set almost as large.
        if runs and line.top - runs[-1][-1].bottom <= MAX_GAP * size \
                and line.bold == runs[-1][-1].bold:
            runs[-1].append(line)
        else:
            runs.append([line])
    for run in runs:
        text = _NOTE.sub("", " ".join(line.text for line in run)).strip()
        words = [w for w in text.split() if WORD.match(w)]
        if MIN_WORDS <= len(words) and len(text.split()) <= MAX_WORDS \
                and not _FURNITURE.search(text):
            return text
    return ""
