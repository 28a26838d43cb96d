"""PDFium glue for the PDF reader: one page's characters → positioned text lines.

PDFium gives each character its Unicode value and a box; it also inserts "generated" spaces
and line breaks. Lines are rebuilt here from the boxes (a new line where the text moves to
another baseline, jumps back left, or leaves a gap wider than a word space, as between two
columns), because PDFium's own line breaks are missing after hyphens and merge text of two
columns that share a baseline.
"""

from __future__ import annotations

import ctypes
import math
import re
from collections import Counter
from dataclasses import dataclass

from ideamap.ingest.pdf_layout import Line, PageText, concat

# A page with more characters than this is cut off there (fuzzed or generated files can hold
# millions, and nothing on a real page needs more).
MAX_CHARS_PER_PAGE = 200_000
# Two characters further apart than this many font heights are not in the same phrase.
WIDE_GAP = 1.3

_BOLD_FONT = re.compile(r"bold|black|heavy|demi|medi|cmbx|sfbx|[.,+-]b$", re.IGNORECASE)


@dataclass(slots=True)
class _Char:
    index: int
    ch: str
    x0: float
    x1: float
    top: float  # measured from the top of the page
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


def read_page(pdf, index: int) -> PageText:
    """Text and lines of page ``index`` (0-based) of an open ``pypdfium2.PdfDocument``."""
    import pypdfium2.raw as raw

    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            result = _page_text(textpage, page.get_bbox(), index + 1)
        finally:
            textpage.close()
        result.n_objects = max(raw.FPDFPage_CountObjects(page.raw), 0)
        return result
    finally:
        page.close()


def _page_text(textpage, bbox: tuple[float, float, float, float], number: int) -> PageText:
    import pypdfium2.raw as raw

    n = min(max(raw.FPDFText_CountChars(textpage.raw), 0), MAX_CHARS_PER_PAGE)
    codes = [raw.FPDFText_GetUnicode(textpage.raw, i) for i in range(n)]
    text = "".join(_safe_chr(code) for code in codes)
    quarters = [None if text[i].isspace() else _quarter_turns(textpage.raw, i) for i in range(n)]
    turns = _most_common([q for q in quarters if q is not None])
    frame = _Frame(bbox, turns)
    rect = raw.FS_RECTF()
    chars: list[_Char | str] = []
    for i in range(n):
        if text[i].isspace() or raw.FPDFText_IsGenerated(textpage.raw, i) == 1:
            chars.append("\n" if text[i] in "\r\n" else " ")
        elif quarters[i] == turns:  # text at other angles (a margin stamp) is left out
            char = _char_box(textpage.raw, i, text[i], frame, rect)
            if char is not None:
                chars.append(char)
    width, height = frame.size
    lines = _lines(chars, number, _FontCache(textpage.raw))
    return PageText(number, width, height, text, lines)


def _most_common(values: list[int]) -> int:
    return Counter(values).most_common(1)[0][0] if values else 0


def _safe_chr(code: int) -> str:
    if code == 2:
        return "-"  # PDFium's mark for a hyphen at the end of a line
    if code <= 0 or code >= 0x110000 or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return chr(code)


def _quarter_turns(textpage, i: int) -> int:
    """The character's angle rounded to a multiple of 90 degrees (0-3)."""
    import pypdfium2.raw as raw

    angle = raw.FPDFText_GetCharAngle(textpage, i)
    if angle < 0:
        return 0
    return round(angle / (math.pi / 2)) % 4


class _Frame:
    """Maps PDF user space (y up, possibly rotated text) to a top-down reading frame in which
    the page's main text runs left to right."""

    def __init__(self, bbox: tuple[float, float, float, float], turns: int) -> None:
        self.turns = turns
        left, bottom, right, top = bbox
        xs, ys = zip(*(self._rotate(x, y) for x in (left, right) for y in (bottom, top)))
        self.left, self.top = min(xs), max(ys)
        self.size = (max(xs) - min(xs), max(ys) - min(ys))

    def _rotate(self, x: float, y: float) -> tuple[float, float]:
        # Turn the page back by the text's angle so that its lines become horizontal.
        for _ in range(self.turns):
            x, y = y, -x
        return x, y

    def box(self, left: float, bottom: float, right: float, top: float):
        """(x0, x1, top, bottom) of a box in the reading frame."""
        if self.turns == 0:
            return left - self.left, right - self.left, self.top - top, self.top - bottom
        xs, ys = zip(*(self._rotate(x, y) for x in (left, right) for y in (bottom, top)))
        return (min(xs) - self.left, max(xs) - self.left, self.top - max(ys), self.top - min(ys))


class _FontCache:
    """Whether a character's font is bold, asked once per text object (a run of characters
    sharing a font) because reading a font name is comparatively slow."""

    def __init__(self, textpage) -> None:
        self.textpage = textpage
        self.cache: dict[int | None, bool] = {}
        self.buffer = ctypes.create_string_buffer(128)
        self.flags = ctypes.c_int()

    def bold(self, i: int) -> bool:
        import pypdfium2.raw as raw

        obj = raw.FPDFText_GetTextObject(self.textpage, i)
        key = ctypes.cast(obj, ctypes.c_void_p).value if obj else None
        if key not in self.cache:
            self.cache[key] = self._ask(i)
        return self.cache[key]

    def _ask(self, i: int) -> bool:
        import pypdfium2.raw as raw

        if raw.FPDFText_GetFontWeight(self.textpage, i) >= 600:
            return True
        size = raw.FPDFText_GetFontInfo(self.textpage, i, self.buffer, 128, self.flags)
        name = self.buffer.value.decode("latin-1", "replace") if 0 < size <= 128 else ""
        return bool(_BOLD_FONT.search(name.split("+")[-1]))


def _char_box(textpage, i: int, ch: str, frame: _Frame, rect) -> _Char | None:
    """The character with its box (PDFium's "loose" box: the font's full height, so that
    all letters of a line get the same top and bottom)."""
    import pypdfium2.raw as raw

    if not raw.FPDFText_GetLooseCharBox(textpage, i, rect):
        return None
    x0, x1, top, bottom = frame.box(rect.left, rect.bottom, rect.right, rect.top)
    if bottom - top <= 0.1:
        return None
    return _Char(i, ch, x0, x1, top, bottom)


def _lines(chars: list[_Char | str], page: int, fonts: _FontCache) -> list[Line]:
    """Group characters (and "\\n"/" " separators) into lines."""
    groups: list[list[_Char | str]] = [[]]
    last: _Char | None = None
    for item in chars:
        if isinstance(item, str):
            if item == "\n":
                groups.append([])
                last = None
            elif groups[-1]:
                groups[-1].append(" ")
            continue
        if last is not None and _breaks_line(last, item):
            groups.append([])
        elif last is not None and not isinstance(groups[-1][-1], str):
            if item.x0 - last.x1 > 0.25 * max(item.height, last.height):
                groups[-1].append(" ")  # a word space PDFium did not mark
        groups[-1].append(item)
        last = item
    lines = [_make_line(g, page, fonts) for g in groups]
    return _join_pieces([line for line in lines if line is not None])


def _breaks_line(last: _Char, char: _Char) -> bool:
    height = max(last.height, char.height)
    overlap = min(last.bottom, char.bottom) - max(last.top, char.top)
    if overlap < 0.5 * min(last.height, char.height):
        return True  # another baseline
    gap = char.x0 - last.x1
    return gap > WIDE_GAP * height or gap < -2 * height


def _make_line(group: list[_Char | str], page: int, fonts: _FontCache) -> Line | None:
    chars = [c for c in group if not isinstance(c, str)]
    if not chars:
        return None
    text = "".join(c if isinstance(c, str) else c.ch for c in group).strip()
    # A line is bold when all of a few characters spread over it are: a bold run-in heading
    # at the start of a paragraph line does not make the line a heading.
    sample = chars[:: max(1, len(chars) // 6)]
    return Line(
        text=re.sub(r"\s+", " ", text),
        page=page,
        x0=min(c.x0 for c in chars),
        x1=max(c.x1 for c in chars),
        top=_middle([c.top for c in chars]),
        bottom=_middle([c.bottom for c in chars]),
        size=_middle([c.height for c in chars]),
        bold=all(fonts.bold(c.index) for c in sample),
        char_start=min(c.index for c in chars),
        char_end=max(c.index for c in chars) + 1,
    )


def _middle(values: list[float]) -> float:
    """The median, enough for positions (faster than statistics.median)."""
    return sorted(values)[len(values) // 2]


def _join_pieces(lines: list[Line]) -> list[Line]:
    """Join pieces of one line that PDFium split (around a sub- or superscript, for example):
    consecutive, on the same baseline, and close together."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and _continues(prev, line):
            out[-1] = concat(prev, line)
        else:
            out.append(line)
    return out


def _continues(prev: Line, line: Line) -> bool:
    overlap = min(prev.bottom, line.bottom) - max(prev.top, line.top)
    height = min(prev.bottom - prev.top, line.bottom - line.top)
    gap = line.x0 - prev.x1
    return overlap >= 0.5 * height and -0.5 * prev.size <= gap <= WIDE_GAP * prev.size
