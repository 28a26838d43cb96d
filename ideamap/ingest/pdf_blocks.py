"""Lines in reading order → paragraph-sized blocks, at the gaps, indents, short last lines and
font changes that mark where a paragraph starts."""

from __future__ import annotations

import re
import statistics

from ideamap.ingest.pdf_layout import Line, ends_sentence

# A line that is only one of these is a section heading, whatever its font.
REFERENCES_TITLE = re.compile(
    r"^((\d{1,2}|[IVX]{1,4})\.?\s+)?(references?( and notes)?|bibliography|literature cited"
    r"|works cited|cited literature|references cited)\s*:?$",
    re.IGNORECASE,
)
SECTION_TITLE = re.compile(
    r"^((\d{1,2}|[IVX]{1,4})\.?\s+)?(abstract|summary|introduction|background|methods?"
    r"|materials and methods|results|discussion|results and discussion|conclusions?"
    r"|acknowledge?ments?|appendix|related work|experiments|evaluation|limitations|keywords"
    r"|funding|competing interests|author contributions|statement of need"
    r"|references?( and notes)?|bibliography|literature cited|works cited)\s*:?$",
    re.IGNORECASE,
)
_MARKER = re.compile(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})\.)\s")


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
    return [
        part
        for block in blocks
        for marked in _split_at_markers(block)
        for part in _split_by_indent(marked)
    ]


def _breaks_before(prev: Line, cur: Line, pitch: float) -> bool:
    if prev.page != cur.page:
        return True  # continuation across pages and columns is decided on paragraphs later
    if SECTION_TITLE.match(prev.text) or SECTION_TITLE.match(cur.text):
        return True  # a heading set in the body font, without space around it
    size = max(prev.size, cur.size)
    if prev.column != cur.column and not _stacked(prev, cur, pitch):
        return True
    if cur.top < prev.top - 0.5 * size:
        return True  # went back up: a new band
    if abs(prev.size - cur.size) > 0.12 * size:
        return True
    if cur.bottom - prev.bottom > (pitch + 0.4) * size:
        return True  # extra space between paragraphs
    if prev.bold and not cur.bold and is_short(prev) and not ends_sentence(prev.text):
        return True  # a bold heading line without extra space after it
    return is_short(prev) and ends_sentence(prev.text)


def _stacked(prev: Line, cur: Line, pitch: float) -> bool:
    """Whether ``cur`` sits right under ``prev`` in the same font, as the second line of a
    title does even when the layout put it in another region."""
    size = max(prev.size, cur.size)
    same_font = abs(prev.size - cur.size) <= 0.05 * size and prev.bold == cur.bold
    below = 0 < cur.bottom - prev.bottom <= (pitch + 0.4) * size
    return same_font and below and cur.x0 < prev.x1 and prev.x0 < cur.x1


def is_short(line: Line) -> bool:
    """Ends well before the column's right edge (the last line of a paragraph). In ragged
    text a long next word leaves lines shorter, so more is needed."""
    col_width = max(line.col_right - line.col_left, 1.0)
    share = 0.4 if line.ragged else 0.12
    return line.col_right - line.x1 > max(2.5 * line.size, share * col_width)


def _split_by_indent(block: list[Line]) -> list[list[Line]]:
    """Split a block at paragraph indents, measured from the block's own left edge.

    Most text indents the first line of a paragraph; reference lists and numbered lists
    indent every line but the first (a hanging indent). A block whose first line is flush
    and in which indented lines are at least as many as flush ones is taken to be hanging;
    its flush lines start the entries.
    """
    if len(block) < 2:
        return [block]
    left = min(line.x0 for line in block)
    shifts = [(line.x0 - left) / line.size for line in block]
    indented = [0.6 <= shift <= 5 for shift in shifts[1:]]
    flush = [shift < 0.6 for shift in shifts[1:]]
    hanging = shifts[0] < 0.6 and sum(indented) >= max(sum(flush), 1)
    return _split_before(block, [False] + (flush if hanging else indented))


def _split_at_markers(block: list[Line]) -> list[list[Line]]:
    """Split a block before lines that start numbered items ("[3] ...", "3. ..."), when the
    block holds a run of them numbered one after the other (a numbered reference list)."""
    numbers = [_marker_number(line.text) for line in block]
    starts = [False] * len(block)
    previous = None  # (index, number) of the last marker seen
    for index, number in enumerate(numbers):
        if number is None:
            continue
        if previous is not None and number == previous[1] + 1:
            starts[previous[0]] = starts[index] = True
        previous = (index, number)
    starts[0] = False
    return _split_before(block, starts)


def _marker_number(text: str) -> int | None:
    match = _MARKER.match(text)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def _split_before(block: list[Line], starts: list[bool]) -> list[list[Line]]:
    parts: list[list[Line]] = []
    for line, is_start in zip(block, starts):
        if is_start or not parts:
            parts.append([line])
        else:
            parts[-1].append(line)
    return parts
