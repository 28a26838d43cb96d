"""Pages of PDF lines → paragraphs: reading order, blocks, joined text and kinds, plus the
repairs a human reader makes without noticing (a paragraph cut by a column or page break,
a footnote or a display formula is put back together; fragments too short or too unlike
prose to mean anything are left out)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from ideamap.ingest.pdf_blocks import SECTION_TITLE, is_short, split_blocks
from ideamap.ingest.pdf_kinds import (
    NUMBERED,
    SAME_FONT,
    Para,
    classify,
    ends_with,
    find_title,
    heading_depths,
    letter_share,
    without_figure_labels,
    word_share,
)
from ideamap.ingest.pdf_layout import (
    Line,
    PageText,
    drop_running_lines,
    ends_sentence,
    margin_lines,
    reading_order,
)
from ideamap.ingest.pdf_running import drop_running_headings, strip_footnote_marker
from ideamap.model import ParagraphDraft, ParagraphKind

# Body text shorter than this (characters or words) is a fragment: a figure label, a table
# cell, a stray number. Headings and captions may be shorter.
MIN_BODY_CHARS = 25
MIN_BODY_WORDS = 4
# Body text whose non-space characters are less than this share letters, or whose tokens
# are less than this share words, is a table or a formula rather than prose.
MIN_LETTER_SHARE = 0.5
MIN_WORD_SHARE = 0.4
# How many paragraphs (footnotes, captions, fragments) may stand between a paragraph and its
# continuation.
MAX_SKIPPED = 12

_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
     "\ufb05": "st", "\ufb06": "st", "\u00a0": " "}
)


def paragraphs_from_pages(pages: list[PageText]) -> tuple[list[ParagraphDraft], str]:
    """The document's paragraphs in reading order, and its title as the layout shows it
    ("" when no heading looks like one)."""
    margins = [margin_lines(page) for page in pages]
    drop_running_lines(pages, margins)
    drop_running_headings(pages, margins)
    lines = [line for page in pages for line in reading_order(page)]
    if not lines:
        return [], ""
    body_size = _body_size(lines)
    paras = [Para(block, join_lines(block)) for block in split_blocks(lines)]
    classify(paras, body_size)
    for para in paras:
        if para.kind is not ParagraphKind.HEADING:
            para.text = strip_footnote_marker(para.text, para.size, body_size)
    paras = [p for p in _rejoin_continued(paras) if not _is_fragment(p)]
    paras = without_figure_labels(paras)
    title = find_title(paras, body_size)
    return _drafts(paras, title), (title.text if title else "")


def _body_size(lines: list[Line]) -> float:
    """The font height most of the text is set in."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0]


# --- text ------------------------------------------------------------------------------------


def join_lines(lines: list[Line]) -> str:
    text = ""
    for line in lines:
        text = _join(text, _clean(line.text))
    return re.sub(r"\s+", " ", text).strip()


def _clean(text: str) -> str:
    """Ligatures spelled out; control and private-use characters (from symbol fonts without
    a Unicode mapping) left out."""
    text = text.translate(_LIGATURES)
    return "".join(c for c in text if c in "\t\n" or unicodedata.category(c) not in ("Cc", "Co"))


def _join(left: str, right: str) -> str:
    """Join two lines, undoing hyphenation at the end of the first."""
    if not left or not right:
        return left or right
    if left.endswith("\xad"):
        return left[:-1] + right  # a soft hyphen only ever marks a break inside a word
    if left[-1] in "-\u2010" and len(left) > 1 and not left[-2].isspace():
        before = left.rsplit(" ", 1)[-1][:-1]
        after = right.split(" ", 1)[0]
        # "exam-" + "ple" → "example"; keep the hyphen of compounds ("state-of-" + "the-art")
        # and before capitals or digits ("Smith-" + "Jones", "1990-" + "2000").
        if before[-1:].isalpha() and right[0].islower() and "-" not in before + after:
            return left[:-1] + right
        return left + right
    if left[-1] in "\u2013\u2014/":
        return left + right
    return f"{left} {right}"


# --- repairs ---------------------------------------------------------------------------------


def _rejoin_continued(paras: list[Para]) -> list[Para]:
    """Put back together body paragraphs cut by a column or page break, a footnote, a figure
    or a display formula: the later part is appended to the earlier one, which has not ended
    its sentence yet."""
    out: list[Para] = []
    for para in paras:
        target = _continued_paragraph(out, para) if para.kind == ParagraphKind.BODY else None
        if target is None:
            out.append(para)
        else:
            target.lines += para.lines
            target.text = _join(target.text, para.text)
    return out


def _continued_paragraph(previous: list[Para], para: Para) -> Para | None:
    """The earlier body paragraph that ``para`` continues, if any. Captions, fragments and
    text in another font (footnotes, tables) between them are looked past."""
    first = para.text[:1]
    starts_mid_sentence = first.islower() or (first != "" and first in ",;)]")
    for skipped, candidate in enumerate(reversed(previous)):
        if skipped > MAX_SKIPPED or candidate.kind == ParagraphKind.HEADING:
            return None
        if candidate.page < para.page - 1:
            return None
        same_font = abs(candidate.size - para.size) <= SAME_FONT * para.size
        if candidate.kind == ParagraphKind.BODY and same_font and not _is_fragment(candidate):
            if starts_mid_sentence:
                # "... given by:" + a formula + "where x is ..." is one paragraph.
                return None if ends_with(candidate.text, ".!?") else candidate
            if ends_sentence(candidate.text):
                return None
            return candidate if _breaks_between(candidate, para) else None
    return None


def _breaks_between(before: Para, after: Para) -> bool:
    """Whether ``after`` goes on where ``before`` was cut by a column or page break, in a
    sentence whose next word is capitalised: ``before`` fills its last line, and ``after``
    starts a new column of the same width without an indent."""
    last, first = before.lines[-1], after.lines[0]
    moved = first.page != last.page or first.column != last.column or first.top < last.top
    indented = first.x0 - first.col_left >= 0.6 * first.size
    width_before, width_after = last.col_right - last.col_left, first.col_right - first.col_left
    same_width = abs(width_before - width_after) <= 0.15 * max(width_before, width_after, 1.0)
    full_line = not is_short(last)
    unfinished = before.text[-1:].isalnum() or before.text.endswith(",")
    return moved and not indented and same_width and full_line and unfinished


def _is_fragment(para: Para) -> bool:
    """Body text too short or too unlike prose to mean anything on its own: figure labels,
    table cells and rows, formulas, stray numbers."""
    if para.kind != ParagraphKind.BODY:
        return False
    rows = sum(line.pieces >= 2 for line in para.lines)
    if rows >= max(1, 0.5 * len(para.lines)):
        return True  # most lines are rows of table cells
    if len(para.text) < MIN_BODY_CHARS or len(para.text.split()) < MIN_BODY_WORDS:
        return True
    return word_share(para.text) < MIN_WORD_SHARE or letter_share(para.text) < MIN_LETTER_SHARE


# --- output ----------------------------------------------------------------------------------


def _drafts(paras: list[Para], title: Para | None) -> list[ParagraphDraft]:
    """ParagraphDrafts with the heading path above each paragraph as its context. Offsets
    cover the paragraph's lines on the page where it starts."""
    drafts = []
    in_path = _path_headings(paras, title)
    depth_of = heading_depths([paras[i] for i in sorted(in_path)])
    path: list[tuple[int, str]] = []  # (depth, heading) of the headings above
    for order, para in enumerate(paras):
        if order in in_path:
            path = [(d, t) for d, t in path if d < depth_of[id(para)]]  # its parents
        context = " › ".join(text for _, text in path)
        if order in in_path:
            path.append((depth_of[id(para)], para.text))
        on_first_page = [line for line in para.lines if line.page == para.page]
        drafts.append(
            ParagraphDraft(
                text=para.text,
                order=order,
                kind=para.kind,
                page=para.page,
                char_start=min(line.char_start for line in on_first_page),
                char_end=max(line.char_end for line in on_first_page),
                context=context,
            )
        )
    return drafts


def _path_headings(paras: list[Para], title: Para | None) -> set[int]:
    """Indexes of the headings that make up context paths: not the title, and none of the
    front matter (journal name, authors) before the first section heading ("Abstract",
    "1 Introduction")."""
    headings = [i for i, p in enumerate(paras) if p.kind == ParagraphKind.HEADING]
    sections = [i for i in headings if SECTION_TITLE.match(paras[i].text)
                or NUMBERED.match(paras[i].text)]
    first = sections[0] if sections else 0
    return {i for i in headings if i >= first and (title is None or paras[i].text != title.text)}
