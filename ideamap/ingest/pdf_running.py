"""Running headers set like headings, and the numbers glued to the start of footnotes.

:func:`ideamap.ingest.pdf_layout.drop_running_lines` drops margin lines whose text repeats on
a large share of the pages (journal name, page numbers). Two kinds of heading-like margin
lines escape it, and would become headings on many pages (and in context paths):

* running *section* headers, which name the current section ("2 Methods" on the pages of
  that section) and so never reach that share of the pages;
* a header that also stands on the first page as the title, whose first occurrence must not
  be lost with the copies.

:func:`drop_running_headings` takes the first kind (the same heading-like line at the same
height on at least three pages) and spares lines clearly larger than the copies (a title) or
at another height (a real section heading starting near the top of a page).

:func:`strip_footnote_marker` takes the footnote number off a footnote ("1This work was
supported …" → "This work was supported …"): footnotes are set smaller than the body, and
their marker is glued to the first word because it is a superscript, or set apart by a space
("1 See also …"), which only counts in a note that reads as a sentence.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict

from ideamap.ingest.pdf_layout import TITLE_SIZE, Line, PageText, running_key

# A heading-like margin line repeated at the same height on this many pages is running.
MIN_HEADING_PAGES = 3
# Larger than the body by this factor counts as set in a heading font.
HEADING_SIZE = 1.1
# Running headers are short.
MAX_HEADER_WORDS = 12
# A paragraph set at most this share of the body size may be a footnote.
FOOTNOTE_SIZE = 0.95

_LETTERS = re.compile(r"[^\W\d_]{3}")
# A footnote number or symbol at the very start, glued to the first word. The word must be
# a word (two letters or more); "3D", "5G" and ordinals ("2nd") and units ("10mm") are not
# markers.
_GLUED_NUMBER = re.compile(r"^(\d{1,3})(?=([^\W\d_]{2,}|[\"“‘(\[]))")
_NOT_A_MARKER = re.compile(
    r"^\d{1,3}(st|nd|rd|th|mm|cm|km|kg|mg|ml|nm|µm|px|pt|ms|hz|khz|mhz|ghz|kb|mb|gb|tb"
    r"|bit|bits|fps|dpi|kda|bp|kbp|mol)\b",
    re.IGNORECASE,
)
# A number glued to a short acronym is a name ("5HT receptors", "4WD"), not a marker.
_NUMBERED_ACRONYM = re.compile(r"^\d{1,3}[A-Z]{2,3}\b")
# Footnote symbols; "§ 3" and "¶ 2" (a section or paragraph sign before a number) are not.
_SYMBOL_MARKER = re.compile(r"^([*∗†‡§¶‖]+|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*(?=\S)(?!\d)")
# A footnote number set apart from its first word by a space ("1 See also [13] for …"): only
# 1–2 digits before a capitalised word, in a note that reads as a sentence (this many words)
# and does not use the number again; table rows in small print ("28 Weeks 7010.32 …", "60 Per
# practice 60") and numbered questions ("200 What serum …") keep theirs.
_SPACED_NUMBER = re.compile(r"^(\d{1,2})\s+(?=[A-Z][a-z])")
SPACED_NOTE_WORDS = 6
_COUNTED = re.compile(r"^\d+\s+(seconds?|minutes?|hours?|days?|weeks?|months?|years?|per|times)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")
# Daggers start only notes (affiliations, "†Present address"), in whatever size they are set.
_DAGGER = re.compile(r"^[†‡]+\s*(?=\S)(?!\d)")


def body_size(lines: list[Line]) -> float:
    """The font height most of the text is set in (weighted by characters)."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def drop_running_headings(pages: list[PageText], margins: list[set[int]]) -> int:
    """Drop heading-like margin lines that repeat at one height on several pages. ``margins``
    holds, per page, the ids of its margin lines (computed before any line was dropped, so
    that the body's first rows do not become margin). Returns how many lines were dropped."""
    size = body_size([line for page in pages for line in page.lines])
    if size <= 0:
        return 0
    groups: defaultdict[str, list[tuple[PageText, Line]]] = defaultdict(list)
    for page, margin in zip(pages, margins):
        for line in page.lines:
            if id(line) in margin and _heading_like(line, size):
                groups[running_key(line)].append((page, line))
    doomed: set[int] = set()
    for copies in groups.values():
        if len({page.number for page, _ in copies}) >= MIN_HEADING_PAGES:
            doomed |= _running_copies(copies)
    if not doomed:
        return 0
    for page in pages:
        page.lines = [line for line in page.lines if id(line) not in doomed]
    return len(doomed)


def _heading_like(line: Line, size: float) -> bool:
    """Set like a heading (larger, bold or capitals) and short, with a word in it."""
    text = line.text.strip()
    if len(text.split()) > MAX_HEADER_WORDS or not _LETTERS.search(text):
        return False
    capitals = text.isupper() and sum(c.isalpha() for c in text) >= 4
    return line.size >= HEADING_SIZE * size or line.bold or capitals


def _running_copies(copies: list[tuple[PageText, Line]]) -> set[int]:
    """ids of the copies at the height most of them share, on at least MIN_HEADING_PAGES
    pages; a copy at another height or clearly larger (a title) is spared."""
    typical_size = statistics.median(line.size for _, line in copies)
    # Heights as shares of the page, so that pages of different sizes still line up.
    heights = [line.top / page.height for page, line in copies if page.height > 0]
    if not heights:
        return set()
    usual = statistics.median(heights)
    same_height = [
        (page, line) for page, line in copies
        if page.height > 0
        and abs(line.top / page.height - usual) * page.height <= 0.6 * typical_size
        and line.size <= TITLE_SIZE * typical_size
    ]
    if len({page.number for page, _ in same_height}) < MIN_HEADING_PAGES:
        return set()
    return {id(line) for _, line in same_height}


def strip_footnote_marker(text: str, size: float, body: float) -> str:
    """``text`` without the footnote number or symbol glued to its start, when it is set
    smaller than the body (footnotes are; a dagger marks a note at any size); body text
    keeps its numbers ("2019 was …", "3D printing")."""
    dagger = _DAGGER.match(text)
    if dagger:
        return text[dagger.end():]
    if body <= 0 or size > FOOTNOTE_SIZE * body:
        return text
    symbol = _SYMBOL_MARKER.match(text)
    if symbol:
        return text[symbol.end():]
    spaced = _SPACED_NUMBER.match(text)
    if spaced:
        return text[spaced.end():] if _spaced_marker(text, spaced.group(1)) else text
    number = _GLUED_NUMBER.match(text)
    if number is None or _NOT_A_MARKER.match(text) or _NUMBERED_ACRONYM.match(text):
        return text
    token = text.split(None, 1)[0].rstrip(".,;:")
    if text.count(token) > 1:
        return text  # a term that recurs as written ("3MMCT" in chemistry), not a marker
    return text[number.end():]


def _spaced_marker(text: str, number: str) -> bool:
    """Whether the small-print ``text`` starts with a footnote number and a space."""
    if _COUNTED.match(text) or len(_WORD.findall(text)) < SPACED_NOTE_WORDS:
        return False
    return re.search(rf"(?<![\w.]){number}(?![\w.])", text[len(number):]) is None
