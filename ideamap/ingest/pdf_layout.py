"""Page geometry for the PDF reader: positioned text lines → reading order → blocks.

Pure Python, no PDFium: :mod:`ideamap.ingest.pdf_text` turns a page into :class:`Line` objects
and this module decides what to keep and in which order. Coordinates are in points, measured
from the top-left corner of the page (y grows downwards). ``size`` is the height of the font's
box, which tracks the font size across generators (PDFium's own font size is often 1.0
because many writers scale text with the text matrix instead).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

# Lines whose top lies in this share of the page height, at its top or bottom, may be
# running headers, footers or page numbers.
MARGIN_SHARE = 0.08
# The first and last two rows of a page count as margin down to this share of the height.
DEEP_MARGIN_SHARE = 0.15
# Parts of a row further apart than this many font heights are separate cells.
CELL_GAP = 1.0
# A header/footer text must repeat on at least this share of pages (and on two pages) to be
# dropped. Below one half so that headers alternating between odd and even pages count.
REPEAT_SHARE = 0.4
# A repeated margin line more than this factor larger than its typical copy is not one of
# them (a title that the other pages repeat as a smaller running header).
TITLE_SIZE = 1.15

_PAGE_NUMBER = re.compile(
    r"^(page\s*)?(\d{1,5}|[ivxlc]{1,7})(\s*(/|of)\s*\d{1,5})?$", re.IGNORECASE
)
_WORDS = re.compile(r"[^\W\d_]{2,}")
_TERMINATOR = re.compile(r"[.!?][\"'”’)\]]*$")


@dataclass(slots=True)
class Line:
    """One visual line of text (or one segment of it, split at a wide gap)."""

    text: str
    page: int  # 1-based
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    char_start: int  # offsets into the page's extracted text
    char_end: int
    column: int = 0  # which region of its page (a column, or a band across the page)
    col_left: float = 0.0
    col_right: float = 0.0
    pieces: int = 1  # parts separated by wide gaps, as the cells of a table row
    ragged: bool = False  # its column is set ragged-right rather than justified

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass(slots=True)
class PageText:
    number: int  # 1-based
    width: float
    height: float
    text: str  # the page's extracted text; Line.char_start/char_end index into it
    lines: list[Line] = field(default_factory=list)
    n_objects: int = 0  # drawing objects (text, images, paths): 0 on a blank page


def ends_sentence(text: str) -> bool:
    """Ends with a full stop, question or exclamation mark (maybe inside quotes)."""
    return bool(_TERMINATOR.search(text.rstrip()))


# --- running headers, footers and page numbers ------------------------------------------


def margin_lines(page: PageText) -> set[int]:
    """ids of the lines that may be running headers or footers: those in the top or bottom
    margin, and the first and last two rows of the page if they lie near the edge (some
    layouts have deep margins)."""
    if not page.lines:
        return set()
    height = page.height
    tops = sorted({round(line.top) for line in page.lines})
    bottoms = sorted({round(line.bottom) for line in page.lines}, reverse=True)
    second_top, second_bottom = tops[min(1, len(tops) - 1)], bottoms[min(1, len(bottoms) - 1)]

    def in_margin(line: Line) -> bool:
        if line.top < MARGIN_SHARE * height or line.bottom > (1 - MARGIN_SHARE) * height:
            return True
        first_rows = line.top <= second_top + 0.5 and line.top < DEEP_MARGIN_SHARE * height
        last_rows = (
            line.bottom >= second_bottom - 0.5
            and line.bottom > (1 - DEEP_MARGIN_SHARE) * height
        )
        return first_rows or last_rows

    return {id(line) for line in page.lines if in_margin(line)}


def running_key(line: Line) -> str:
    """The line's text with digits normalised, so "Page 3 of 9" matches "Page 4 of 9"."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.text.strip().lower()))


def drop_running_lines(pages: list[PageText], margins: list[set[int]] | None = None) -> int:
    """Remove page numbers and header/footer lines that repeat across pages. Returns how many
    lines were dropped. ``margins`` (ids of each page's margin lines) is computed when not
    given. A copy clearly larger than the others (the title on the first page, repeated as a
    running header on the others) is kept."""
    if margins is None:
        margins = [margin_lines(page) for page in pages]
    seen: Counter[str] = Counter()
    sizes: dict[str, list[float]] = {}
    for page, margin in zip(pages, margins):
        keys = set()
        for line in page.lines:
            if id(line) in margin:
                key = running_key(line)
                keys.add(key)
                sizes.setdefault(key, []).append(line.size)
        seen.update(keys)
    needed = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    dropped = 0
    for page, margin in zip(pages, margins):
        kept = []
        for line in page.lines:
            if id(line) in margin and _running(line, seen, sizes, needed):
                dropped += 1
            else:
                kept.append(line)
        page.lines = kept
    return dropped


def _running(line: Line, seen: Counter[str], sizes: dict[str, list[float]], needed: int) -> bool:
    """A page number, or a margin line repeated on enough pages and not clearly larger than
    its copies."""
    if _PAGE_NUMBER.match(line.text.strip()):
        return True
    key = running_key(line)
    if seen[key] < needed:
        return False
    return line.size <= TITLE_SIZE * statistics.median(sizes[key])


# --- columns and reading order -------------------------------------------------------------

# How deep column detection recurses (page → band → column → ...).
MAX_DEPTH = 6


def reading_order(page: PageText) -> list[Line]:
    """The page's lines in reading order; each gets the id of its region (a column, or a band
    across the page) in ``column`` and the edges of that region.

    The page is cut recursively, like an X-Y cut: at a vertical channel of white space no line
    crosses (columns side by side), or at a gutter crossed only by full-width lines (titles,
    abstracts, wide figures), which cut the page into bands, each read column by column.
    """
    ordered: list[Line] = []
    for region_id, region in enumerate(_regions(page.lines, 0)):
        rows = _rows_left_to_right(region)
        _set_column_edges(rows, region_id)
        ordered += _merge_rows(rows)
    return ordered


def _regions(lines: list[Line], depth: int) -> list[list[Line]]:
    """The lines cut into regions that are each read top to bottom, in reading order."""
    if depth >= MAX_DEPTH or len(lines) < 6:
        return [lines]
    cut = _clean_cut(lines)
    if cut is not None:
        left = [line for line in lines if line.x1 <= cut]
        right = [line for line in lines if line.x1 > cut]
        return _regions(left, depth + 1) + _regions(right, depth + 1)
    gutter = find_gutter(lines)
    if gutter is None:
        parts = _split_above_columns(lines)
        if parts is None:
            return [lines]
        return _regions(parts[0], depth + 1) + _regions(parts[1], depth + 1)
    spanning = _spanning(lines, gutter)
    if not spanning:
        # Lines that only poke into the gutter (a wide formula) belong to their column.
        left = [line for line in lines if (line.x0 + line.x1) / 2 <= gutter]
        right = [line for line in lines if (line.x0 + line.x1) / 2 > gutter]
        return _regions(left, depth + 1) + _regions(right, depth + 1)
    bands = _bands(lines, spanning)
    if len(bands) < 2:
        return [lines]
    return [region for band in bands for region in _regions(band, depth + 1)]


def _split_above_columns(lines: list[Line]) -> tuple[list[Line], list[Line]] | None:
    """Cut at a horizontal gap across the whole width when the part above or below it has
    columns of its own (one-column text above a reference list set in three columns)."""
    lines = sorted(lines, key=lambda line: line.top)
    size = statistics.median(line.size for line in lines)
    gaps = []  # (gap height, index of the first line below it)
    lowest = lines[0].bottom
    for index, line in enumerate(lines[1:], 1):
        if line.top - lowest > 0.5 * size:
            gaps.append((line.top - lowest, index))
        lowest = max(lowest, line.bottom)
    for _, index in sorted(gaps, reverse=True)[:8]:
        upper, lower = lines[:index], lines[index:]
        if any(len(part) >= 6 and _has_columns(part) for part in (upper, lower)):
            return upper, lower
    return None


def _has_columns(lines: list[Line]) -> bool:
    return _clean_cut(lines) is not None or find_gutter(lines) is not None


def _extent(lines: list[Line]) -> tuple[float, float]:
    return min(line.x0 for line in lines), max(line.x1 for line in lines)


def _clean_cut(lines: list[Line]) -> float | None:
    """An x in the middle of the lines that no line crosses, with text on each side: two
    columns (or a side panel) with nothing spanning them. The columns of a table of numbers
    are not text columns: they stay together, row by row."""
    left, right = _extent(lines)
    extent = right - left
    lo, hi = left + 0.2 * extent, left + 0.8 * extent
    found = _least_covered(lines, lo, hi)
    if found is None or found[0] > 0 or found[1] < 0.5 * statistics.median(line.size for line in lines):
        return None
    x = found[2]
    sides = ([line for line in lines if line.x1 <= x], [line for line in lines if line.x1 > x])
    return x if all(len(side) >= 3 and _wordy(side) for side in sides) else None


def _wordy(lines: list[Line]) -> bool:
    return sum(len(_WORDS.findall(line.text)) for line in lines) >= 12


def find_gutter(lines: list[Line]) -> float | None:
    """The x of the gap between two text columns that some full-width lines cross, or None.

    Only lines at least ~a third of the text width wide are looked at (body lines; labels and
    table cells are too short to say anything). The gutter is the place in the middle crossed
    by the fewest of them; there are two columns when at least three such lines, with words
    in them rather than numbers, lie wholly on each side of it.
    """
    left, right = _extent(lines)
    extent = right - left
    if extent <= 0:
        return None
    long_lines = [line for line in lines if line.width >= 0.3 * extent]
    found = _least_covered(long_lines, left + 0.3 * extent, left + 0.7 * extent)
    if found is None:
        return None
    x = found[2]
    left_lines = [line for line in long_lines if line.x1 <= x]
    right_lines = [line for line in long_lines if line.x0 >= x]
    sides = (left_lines, right_lines)
    return x if all(len(side) >= 3 and _wordy(side) for side in sides) else None


def _least_covered(lines: list[Line], lo: float, hi: float) -> tuple[int, float, float] | None:
    """(how many lines cross it, its width, its middle) for the widest stretch of [lo, hi]
    crossed by the fewest lines; found by a sweep over the lines' ends."""
    events = sorted([(line.x0, 1) for line in lines] + [(line.x1, -1) for line in lines])
    depth, prev_x = 0, lo
    best: tuple[int, float, float] | None = None  # (depth, -width, middle)
    for x, step in events + [(hi, 0)]:
        a, b = max(prev_x, lo), min(x, hi)
        if b > a and (best is None or (depth, a - b) < best[:2]):
            best = (depth, a - b, (a + b) / 2)
        depth += step
        prev_x = x
        if x >= hi:
            break
    return (best[0], -best[1], best[2]) if best else None


def _spanning(lines: list[Line], gutter: float) -> list[Line]:
    """Lines reaching well into both columns. A line that only pokes a little into the gutter
    (a wide formula) belongs to its column: cutting the bands at it would interleave them."""
    left, right = _extent(lines)
    left_width, right_width = gutter - left, right - gutter
    return [
        line for line in lines
        if gutter - line.x0 >= 0.3 * left_width and line.x1 - gutter >= 0.3 * right_width
    ]


def _bands(lines: list[Line], spanning: list[Line]) -> list[list[Line]]:
    """Cut the lines into horizontal bands at runs of full-width lines. A run's band also takes
    the lines beside it (an "article info" box next to an abstract)."""
    runs: list[list[float]] = []  # [top, bottom] of each run of full-width lines
    for line in sorted(spanning, key=lambda l: l.top):
        if runs and line.top - runs[-1][1] <= 2.5 * line.size:
            runs[-1][1] = max(runs[-1][1], line.bottom)
        else:
            runs.append([line.top, line.bottom])
    _take_last_lines(runs, spanning, lines)
    # Band 2k is above run k, band 2k+1 is run k itself.
    bands: list[list[Line]] = [[] for _ in range(2 * len(runs) + 1)]
    for line in lines:
        middle = (line.top + line.bottom) / 2
        index = 2 * len(runs)
        for k, (top, bottom) in enumerate(runs):
            if top <= middle <= bottom:
                index = 2 * k + 1
                break
            if middle < top:
                index = 2 * k
                break
        bands[index].append(line)
    return [band for band in bands if band]


def _take_last_lines(runs: list[list[float]], spanning: list[Line], lines: list[Line]) -> None:
    """Extend each run down over the short last line of its paragraph, which starts where the
    run's lines start but does not reach across the gutter (one line at most per run)."""
    starts = {round(line.x0) for line in spanning}
    spanning_ids = {id(line) for line in spanning}
    candidates = [line for line in lines if id(line) not in spanning_ids]
    for run in runs:
        for line in candidates:
            below = 0 <= line.top - run[1] <= 0.8 * line.size
            if below and any(abs(line.x0 - x) <= 0.6 * line.size for x in starts):
                run[1] = line.bottom
                break


def _same_row(a: Line, b: Line) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return overlap >= 0.5 * min(a.bottom - a.top, b.bottom - b.top, a.size, b.size)


def _rows_left_to_right(lines: list[Line]) -> list[Line]:
    """Lines sorted top to bottom, pieces of one visual row left to right."""
    lines = sorted(lines, key=lambda line: line.top)
    out: list[Line] = []
    row: list[Line] = []
    for line in lines:
        if row and not _same_row(row[0], line):
            out += sorted(row, key=lambda r: r.x0)
            row = []
        row.append(line)
    return out + sorted(row, key=lambda r: r.x0)


def _merge_rows(lines: list[Line]) -> list[Line]:
    """Join consecutive pieces of one visual row (table cells, text split at wide spaces)."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev and prev.column == line.column and _same_row(prev, line) and line.x0 >= prev.x0:
            out[-1] = concat(prev, line)
        else:
            out.append(line)
    return out


def concat(a: Line, b: Line) -> Line:
    """One line made of two pieces of a visual line, ``a`` left of ``b``."""
    gap = b.x0 - a.x1
    space = "" if gap < 0.15 * a.size else " "
    main = a if a.width >= b.width else b  # the longer piece gives position and size
    pieces = a.pieces + b.pieces if gap > CELL_GAP * a.size else max(a.pieces, b.pieces)
    return Line(
        text=a.text + space + b.text,
        page=a.page,
        x0=min(a.x0, b.x0),
        x1=max(a.x1, b.x1),
        top=main.top,
        bottom=main.bottom,
        size=main.size,
        bold=main.bold,
        char_start=min(a.char_start, b.char_start),
        char_end=max(a.char_end, b.char_end),
        column=a.column,
        col_left=a.col_left,
        col_right=a.col_right,
        pieces=pieces,
        ragged=a.ragged,
    )


def _set_column_edges(lines: list[Line], column: int) -> None:
    """Record where the column's text starts and ends, so that indents and short last lines
    can be told from ordinary lines, and whether its right edge is ragged (not justified)."""
    if not lines:
        return
    col_left = _common_edge([line.x0 for line in lines], min)
    ends = [line.x1 for line in lines]
    at_edge = Counter(round(x / 2) * 2 for x in ends).most_common(1)[0][1]
    # Justified text ends most lines at one edge; ragged text has no such edge, so its right
    # edge is where all but the longest few lines end.
    ragged = len(lines) >= 4 and at_edge < 0.4 * len(lines)
    col_right = sorted(ends)[int(0.9 * (len(ends) - 1))] if ragged else _common_edge(ends, max)
    for line in lines:
        line.column = column
        line.col_left, line.col_right, line.ragged = col_left, col_right, ragged


def _common_edge(xs: list[float], pick) -> float:
    counts = Counter(round(x / 2) * 2 for x in xs)
    top = max(counts.values())
    # Several edges may be about equally common (a short column); take the outermost of them.
    return float(pick(x for x, n in counts.items() if n >= 0.5 * top))
