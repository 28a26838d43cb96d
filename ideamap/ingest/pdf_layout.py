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
# A header/footer text must repeat on at least this share of pages (and on two pages) to be
# dropped. Below one half so that headers alternating between odd and even pages count.
REPEAT_SHARE = 0.4

_PAGE_NUMBER = re.compile(
    r"^(page\s*)?(\d{1,5}|[ivxlc]{1,7})(\s*(/|of)\s*\d{1,5})?$", re.IGNORECASE
)
_TERMINATOR = re.compile(r"[.!?:;][\"'”’)\]]*$")


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
    column: int = 0  # 0 = whole width or left column, 1 = right column
    col_left: float = 0.0
    col_right: float = 0.0

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


def ends_sentence(text: str) -> bool:
    return bool(_TERMINATOR.search(text.rstrip()))


# --- running headers, footers and page numbers ------------------------------------------


def _margin_key(line: Line, page: PageText) -> str | None:
    """The text of a line in the top or bottom margin with digits normalised, else None."""
    margin = page.height * MARGIN_SHARE
    if margin < line.top < page.height - margin and line.bottom < page.height - margin:
        return None
    text = re.sub(r"\s+", " ", line.text.strip().lower())
    return re.sub(r"\d+", "#", text)


def drop_running_lines(pages: list[PageText]) -> int:
    """Remove page numbers and header/footer lines that repeat across pages. Returns how many
    lines were dropped."""
    seen: Counter[str] = Counter()
    for page in pages:
        keys = {_margin_key(line, page) for line in page.lines}
        seen.update(k for k in keys if k)
    needed = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    dropped = 0
    for page in pages:
        kept = []
        for line in page.lines:
            key = _margin_key(line, page)
            if key is not None and (seen[key] >= needed or _PAGE_NUMBER.match(line.text.strip())):
                dropped += 1
            else:
                kept.append(line)
        page.lines = kept
    return dropped


# --- columns and reading order -------------------------------------------------------------


def find_gutter(lines: list[Line]) -> float | None:
    """The x of the gap between two text columns, or None for a one-column page.

    Only lines at least ~a third of the text width wide are looked at (body lines; labels and
    table cells are too short to say anything). The gutter is the place in the middle of the
    page crossed by the fewest of them; the page has two columns when at least three such lines
    lie wholly on each side of it. Lines crossing it are full-width (titles, abstracts, wide
    figures) and are kept in place between the column bands.
    """
    if len(lines) < 6:
        return None
    left = min(line.x0 for line in lines)
    right = max(line.x1 for line in lines)
    extent = right - left
    if extent <= 0:
        return None
    long_lines = [line for line in lines if line.width >= 0.3 * extent]
    lo, hi = left + 0.3 * extent, left + 0.7 * extent
    gap_x = _least_covered(long_lines, lo, hi)
    if gap_x is None:
        return None
    n_left = sum(1 for line in long_lines if line.x1 <= gap_x)
    n_right = sum(1 for line in long_lines if line.x0 >= gap_x)
    return gap_x if n_left >= 3 and n_right >= 3 else None


def _least_covered(lines: list[Line], lo: float, hi: float) -> float | None:
    """Middle of the widest stretch of [lo, hi] covered by the fewest lines (a sweep)."""
    events = sorted([(line.x0, 1) for line in lines] + [(line.x1, -1) for line in lines])
    depth, prev_x = 0, lo
    best: tuple[int, float, float] | None = None  # (depth, -width, middle)
    for x, step in events + [(hi, 0)]:
        a, b = max(prev_x, lo), min(x, hi)
        if b > a:
            candidate = (depth, -(b - a), (a + b) / 2)
            if best is None or candidate < best:
                best = candidate
        depth += step
        prev_x = x
        if x >= hi:
            break
    return best[2] if best else None


def reading_order(page: PageText) -> list[Line]:
    """The page's lines in reading order, with ``column`` and the column edges filled in.

    On a two-column page the lines are cut into bands at full-width lines; within each band
    the whole left column comes before the right one.
    """
    lines = sorted(page.lines, key=lambda line: (line.top, line.x0))
    gutter = find_gutter(lines)
    if gutter is None:
        ordered = _rows_left_to_right(lines)
        _set_column_edges(ordered, 0)
        return _merge_rows(ordered)
    left_width = gutter - min(line.x0 for line in lines)
    right_width = max(line.x1 for line in lines) - gutter
    ordered: list[Line] = []
    band: tuple[list[Line], list[Line]] = ([], [])
    for line in lines:
        if _spans_gutter(line, gutter, left_width, right_width):
            ordered += _flush(band)
            line.column = 0
            ordered.append(line)
            continue
        side = 1 if (line.x0 + line.x1) / 2 > gutter else 0
        line.column = side
        band[side].append(line)
    ordered += _flush(band)
    for side in (0, 1):
        _set_column_edges([line for line in ordered if line.column == side], side)
    return _merge_rows(ordered)


def _spans_gutter(line: Line, gutter: float, left_width: float, right_width: float) -> bool:
    # A line that only pokes a little into the gutter (a wide formula) belongs to its column;
    # cutting the bands at it would interleave the columns.
    return gutter - line.x0 >= 0.3 * left_width and line.x1 - gutter >= 0.3 * right_width


def _flush(band: tuple[list[Line], list[Line]]) -> list[Line]:
    out = _rows_left_to_right(band[0]) + _rows_left_to_right(band[1])
    band[0].clear()
    band[1].clear()
    return out


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
            out[-1] = _joined(prev, line)
        else:
            out.append(line)
    return out


def _joined(a: Line, b: Line) -> Line:
    wide = a.width >= b.width
    return Line(
        text=f"{a.text.rstrip()} {b.text.lstrip()}",
        page=a.page,
        x0=min(a.x0, b.x0),
        x1=max(a.x1, b.x1),
        top=a.top if wide else b.top,
        bottom=a.bottom if wide else b.bottom,
        size=a.size if wide else b.size,
        bold=a.bold and b.bold,
        char_start=min(a.char_start, b.char_start),
        char_end=max(a.char_end, b.char_end),
        column=a.column,
        col_left=a.col_left,
        col_right=a.col_right,
    )


def _set_column_edges(lines: list[Line], column: int) -> None:
    """Record where the column's text starts and ends (its most common left and right edges),
    so that indents and short last lines can be told from ordinary lines."""
    if not lines:
        return
    col_left = _common_edge([line.x0 for line in lines], min)
    col_right = _common_edge([line.x1 for line in lines], max)
    for line in lines:
        line.column = column
        line.col_left, line.col_right = col_left, col_right


def _common_edge(xs: list[float], pick) -> float:
    counts = Counter(round(x / 2) * 2 for x in xs)
    top = max(counts.values())
    # Several edges may be about equally common (a short column); take the outermost of them.
    return float(pick(x for x, n in counts.items() if n >= 0.5 * top))


# --- blocks ----------------------------------------------------------------------------------


def line_pitch(lines: list[Line]) -> float:
    """Typical distance from one line to the next in the same column, in font heights."""
    ratios = []
    for prev, cur in zip(lines, lines[1:]):
        if prev.page != cur.page or prev.column != cur.column:
            continue
        if abs(prev.size - cur.size) > 0.1 * prev.size:
            continue
        pitch = cur.bottom - prev.bottom
        if 0.5 * cur.size < pitch < 3 * cur.size:
            ratios.append(pitch / cur.size)
    return statistics.median(ratios) if ratios else 1.2


def split_blocks(lines: list[Line]) -> list[list[Line]]:
    """Cut the document's lines (in reading order) into paragraph-sized blocks."""
    pitch = line_pitch(lines)
    blocks: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if current and _breaks_before(current[-1], line, pitch):
            blocks.append(current)
            current = []
        current.append(line)
    if current:
        blocks.append(current)
    return [part for block in blocks for part in _split_by_indent(block)]


def _breaks_before(prev: Line, cur: Line, pitch: float) -> bool:
    if prev.page != cur.page or prev.column != cur.column:
        return True  # continuation across columns and pages is decided on paragraphs later
    size = max(prev.size, cur.size)
    if cur.top < prev.top - 0.5 * size:
        return True  # went back up: a new band
    if abs(prev.size - cur.size) > 0.12 * size:
        return True
    if cur.bottom - prev.bottom > (pitch + 0.4) * size:
        return True  # extra space between paragraphs
    if prev.bold and not cur.bold and not ends_sentence(prev.text):
        return True  # a bold heading line without extra space after it
    return _is_short(prev) and ends_sentence(prev.text)


def _is_short(line: Line) -> bool:
    """Ends well before the column's right edge (the last line of a paragraph)."""
    col_width = max(line.col_right - line.col_left, 1.0)
    return line.col_right - line.x1 > max(2.5 * line.size, 0.12 * col_width)


def _is_indented(line: Line) -> bool:
    shift = line.x0 - line.col_left
    return 0.6 * line.size <= shift <= 5 * line.size


def _split_by_indent(block: list[Line]) -> list[list[Line]]:
    """Split a block at paragraph indents.

    Most text indents the first line of a paragraph; reference lists often indent every line
    but the first (a hanging indent). Whichever is rarer in the block marks the starts.
    """
    if len(block) < 3:
        return [block]
    rest = block[1:]
    indented = [_is_indented(line) for line in rest]
    flush = [abs(line.x0 - line.col_left) < 0.6 * line.size for line in rest]
    hanging = sum(indented) > sum(flush)
    starts = flush if hanging else indented
    parts: list[list[Line]] = [[block[0]]]
    for line, is_start in zip(rest, starts):
        if is_start:
            parts.append([line])
        else:
            parts[-1].append(line)
    return parts
