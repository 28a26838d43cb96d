"""What each paragraph of a PDF is: body text, a heading, a caption or a reference; the
document's title; and the nesting of its headings."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from ideamap.ingest.pdf_blocks import REFERENCES_TITLE, SECTION_TITLE
from ideamap.ingest.pdf_layout import Line
from ideamap.model import ParagraphKind

# Font heights closer than this share are the same font (captions and footnotes are usually
# set a point or more smaller than the body).
SAME_FONT = 0.04

WORD = re.compile(r"^[(\[\"'“‘]?[^\W\d_]{2,}[)\]\"'”’.,;:!?]*$")
NUMBERED = re.compile(
    r"^(?P<num>\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.|[A-H](\.\d{1,2})*\.?)\s+(?=\S)"
)
_CAPTION = re.compile(
    r"^(fig(ure)?s?\.?|table|tab\.|scheme|chart|plate|exhibit|algorithm|listing"
    r"|supplementary (figure|table))\s*(S?\d+|[IVXL]+)[a-z]?"
    r"(?P<end>\s*[:.|\u2013\u2014-]|\s*$)?",
    re.IGNORECASE,
)
# Text on a journal's first page that is larger than the body but is not the title.
_FURNITURE = re.compile(
    r"\b(open access|research article|original article|review article|article type"
    r"|biomed central|contents lists|journal of|proceedings of)\b",
    re.IGNORECASE,
)
# Headings that end a references section.
_APPENDIX = re.compile(
    r"^(appendix|appendices|supplementary|supplemental|supporting information"
    r"|[A-H](\.\d+)*\.?\s+[A-Z])",
    re.IGNORECASE,
)


@dataclass
class Para:
    """A paragraph being built: its lines, joined text and kind."""

    lines: list[Line]
    text: str
    kind: ParagraphKind = ParagraphKind.BODY

    @property
    def page(self) -> int:
        return self.lines[0].page

    @property
    def size(self) -> float:
        return statistics.median(line.size for line in self.lines)


def letter_share(text: str) -> float:
    visible = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in visible) / len(visible) if visible else 0.0


def word_share(text: str) -> float:
    """The share of tokens that are words (formulas and tables have few)."""
    tokens = text.split()
    return sum(1 for t in tokens if WORD.match(t)) / len(tokens) if tokens else 0.0


def ends_with(text: str, marks: str) -> bool:
    return text.rstrip().rstrip("\"'”’)]")[-1:] in set(marks)


def classify(paras: list[Para], body_size: float) -> None:
    """Set each paragraph's kind."""
    for para in paras:
        if _is_caption(para, body_size):
            para.kind = ParagraphKind.CAPTION
        elif _is_heading(para, body_size):
            para.kind = ParagraphKind.HEADING
    _demote_run_on_headings(paras)
    _mark_references(paras, body_size)


# --- captions and headings -------------------------------------------------------------------


def _is_caption(para: Para, body_size: float) -> bool:
    match = _CAPTION.match(para.text)
    if not match:
        return False
    # "Table 1 shows ..." is a sentence; a caption has punctuation after its number, stands
    # alone on its line, or is set smaller than the body.
    first = para.lines[0].text
    return bool(match.group("end")) or len(first) < 12 or para.size < 0.95 * body_size


def _is_heading(para: Para, body_size: float) -> bool:
    if not _may_be_heading(para):
        return False
    text, n_words = para.text, len(para.text.split())
    if SECTION_TITLE.match(text):
        return True
    larger = para.size >= 1.15 * body_size
    bold = all(line.bold for line in para.lines) and n_words <= 15
    capitals = text.isupper() and n_words <= 8 and len(text) >= 4
    numbered = (
        bool(NUMBERED.match(text))
        and n_words <= 10
        and letter_share(text) > 0.7
        and para.size >= 0.95 * body_size  # not a footnote
    )
    return larger or bold or capitals or numbered


def _may_be_heading(para: Para) -> bool:
    """Short, starts with a capital or a number, no full stop at the end, mostly words."""
    text = para.text
    words = text.split()
    if not words or len(para.lines) > 3 or len(text) > 150 or len(words) > 20:
        return False
    if text.endswith(".") or letter_share(text) < 0.6:
        return False
    if not text[0].isalnum() or text[0].islower() or not re.search(r"[^\W\d_]{3}", text):
        return False
    if any(line.pieces >= 3 for line in para.lines):
        return False  # a table's header row
    return word_share(NUMBERED.sub("", text, count=1) or text) >= 0.5  # not a formula


def _demote_run_on_headings(paras: list[Para]) -> None:
    """A "heading" whose next paragraph goes on mid-sentence in the same font was the first
    line of a list item or a paragraph, not a heading."""
    for para, following in zip(paras, paras[1:]):
        same_font = abs(para.size - following.size) <= 0.05 * following.size
        if (
            para.kind == ParagraphKind.HEADING
            and following.kind == ParagraphKind.BODY
            and following.text[:1].islower()
            and same_font
            and not ends_with(para.text, ".!?:")
        ):
            para.kind = ParagraphKind.BODY


def without_figure_labels(paras: list[Para]) -> list[Para]:
    """Leave out "headings" standing right above a caption in the same column: the labels
    inside a figure (a section heading has a number, or is followed by its text)."""
    labels: set[int] = set()
    for index, para in enumerate(paras):
        if para.kind != ParagraphKind.CAPTION:
            continue
        before = index - 1
        while before >= 0 and _is_label_of(paras[before], para):
            labels.add(before)
            before -= 1
    return [para for index, para in enumerate(paras) if index not in labels]


def _is_label_of(para: Para, caption: Para) -> bool:
    first, last = caption.lines[0], para.lines[-1]
    return (
        para.kind == ParagraphKind.HEADING
        and not NUMBERED.match(para.text)
        and not SECTION_TITLE.match(para.text)
        and last.page == first.page
        and last.column == first.column
    )


# --- references ------------------------------------------------------------------------------


def _mark_references(paras: list[Para], body_size: float) -> None:
    """Everything after a "References" heading (or from a list starting "[1]", "[2]" when
    there is no heading) is a reference, up to an appendix or a clearly larger heading."""
    start = _references_start(paras)
    if start is None:
        return
    for para in paras[start:]:
        if REFERENCES_TITLE.match(para.text):
            para.kind = ParagraphKind.HEADING
            continue
        if para.kind == ParagraphKind.HEADING and (
            _APPENDIX.match(para.text) or para.size > 1.1 * body_size
        ):
            return
        if para.kind != ParagraphKind.CAPTION:
            para.kind = ParagraphKind.REFERENCE


def _references_start(paras: list[Para]) -> int | None:
    for index, para in enumerate(paras):
        if REFERENCES_TITLE.match(para.text):
            return index
    for index, para in enumerate(paras):
        following = paras[index + 1 : index + 4]
        if para.text.startswith("[1]") and any(p.text.startswith("[2]") for p in following):
            return index
    return None


# --- title and heading depth -----------------------------------------------------------------


def find_title(paras: list[Para], body_size: float) -> Para | None:
    """The largest heading on the first page with text if clearly larger than the body, else
    the first heading; never journal furniture ("Research article", the journal's name)."""
    candidates = [
        p for p in paras
        if p.kind == ParagraphKind.HEADING
        and not p.text.endswith(":")
        and sum(1 for w in p.text.split() if WORD.match(w)) >= 3
        and not _FURNITURE.search(p.text)
    ]
    if not candidates:
        return None
    on_first_page = [p for p in candidates if p.page == paras[0].page]
    biggest = max(on_first_page, key=lambda p: p.size, default=None)
    if biggest is not None and biggest.size >= 1.2 * body_size:
        return biggest
    return candidates[0]


def heading_depths(headings: list[Para]) -> dict[int, int]:
    """Nesting depth of each heading (by id): from its number ("2.1" → 2), else from its font
    size among all headings (the largest → 1)."""
    sizes: list[float] = []  # distinct heading sizes, largest first
    for size in sorted((h.size for h in headings), reverse=True):
        if not sizes or size < sizes[-1] * (1 - SAME_FONT):
            sizes.append(size)
    depths = {}
    for heading in headings:
        match = NUMBERED.match(heading.text)
        if match:
            depths[id(heading)] = match.group("num").rstrip(".").count(".") + 1
        else:
            depths[id(heading)] = 1 + sum(1 for s in sizes if s > heading.size * (1 + SAME_FONT))
    return depths
