"""Readers for plain text (.txt) and Markdown (.md, .markdown).

Character offsets index into the decoded file (line endings normalised to "\\n"). A file
with a text suffix that is really a saved web page is read as HTML; its offsets then index
into the text extracted from the page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from ideamap.ingest.base import Reader, register
from ideamap.ingest.decoding import ReadFailure, failed, read_text_file
from ideamap.ingest.formats import MARKDOWN_SUFFIXES, TEXT_SUFFIXES, has_suffix
from ideamap.ingest.markdown import Parsed, parse_markdown
from ideamap.ingest.metadata import parse_front_matter
from ideamap.ingest.paragraphs import (
    HeadingPath,
    Span,
    finish_spans,
    normalise_whitespace,
    split_blocks,
    split_long,
)
from ideamap.model import ParagraphKind, ReadResult

_HTML_START = re.compile(r"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)
_UNDERLINE = re.compile(r"^[=\-~*#]{3,}$")
# A line of an unwrapped paragraph ("one paragraph per line" files) is longer than this.
_UNWRAPPED_LINE_CHARS = 150
_MAX_HEADING_WORDS = 12


def read_text_document(
    path: Path, doc_type: str, parse: Callable[[str], Parsed]
) -> tuple[ReadResult, Parsed]:
    """Decode ``path`` and parse it; a bad file gives a failed ReadResult, never an error."""
    path = Path(path)
    try:
        text = read_text_file(path)
    except ReadFailure as failure:
        return failed(path, doc_type, failure), Parsed()
    parsed = parse_saved_page(text) if _HTML_START.match(text) else parse(text)
    return parsed.to_result(path, doc_type), parsed


def parse_saved_page(text: str) -> Parsed:
    # Imported here: trafilatura is only needed for the rare text file that is a web page.
    from ideamap.ingest.html_reader import parse_html

    return parse_html(text)


# --- plain text ------------------------------------------------------------------------


def parse_plain_text(text: str) -> Parsed:
    """Paragraphs at blank lines; a short unpunctuated line before a paragraph is taken
    as a heading and gives context to what follows."""
    front = parse_front_matter(text)
    blocks = split_blocks(text, front.body_start)
    path = HeadingPath()
    spans: list[Span] = []
    for index, (start, end) in enumerate(blocks):
        block = text[start:end]
        if index + 1 < len(blocks) and _looks_like_heading(block):
            label = normalise_whitespace(block.split("\n")[0])
            spans.append(Span(label, start, end, ParagraphKind.HEADING, path.enter(1, label)))
            continue
        for a, b in _paragraph_ranges(text, start, end):
            spans.append(Span(normalise_whitespace(text[a:b]), a, b, context=path.context()))
    return Parsed(spans=finish_spans(spans), title=front.title, date=front.date)


def _looks_like_heading(block: str) -> bool:
    lines = [line.strip() for line in block.split("\n")]
    if len(lines) == 2 and _UNDERLINE.match(lines[1]):
        lines = lines[:1]  # "Title" underlined with ===== or -----
    if len(lines) != 1:
        return False
    line = lines[0]
    return (
        0 < len(line.split()) <= _MAX_HEADING_WORDS
        and len(line) <= 80
        and line[-1] not in ".,;:!?)\"'”"
        and (line[0].isupper() or line[0].isdigit())
    )


def _paragraph_ranges(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Hard-wrapped text keeps a paragraph across lines; text written one paragraph per line
    (long lines, no blank lines between) gets a paragraph per line."""
    lines = text[start:end].split("\n")
    long_lines = sum(1 for line in lines if len(line) > _UNWRAPPED_LINE_CHARS)
    ranges = [(start, end)]
    if len(lines) > 1 and long_lines >= len(lines) / 2:
        ranges, pos = [], start
        for line in lines:
            ranges.append((pos, pos + len(line)))
            pos += len(line) + 1
    return [r for a, b in ranges for r in split_long(text, a, b) if r[0] < r[1]]


def read_plain_text(path: Path) -> ReadResult:
    return read_text_document(path, "text", parse_plain_text)[0]


def read_markdown(path: Path) -> ReadResult:
    return read_text_document(path, "markdown", parse_markdown)[0]


register(
    Reader(
        name="plain text",
        doc_type="text",
        can_read=lambda path, head: has_suffix(path, TEXT_SUFFIXES),
        read=read_plain_text,
    )
)
register(
    Reader(
        name="Markdown",
        doc_type="markdown",
        can_read=lambda path, head: has_suffix(path, MARKDOWN_SUFFIXES),
        read=read_markdown,
    )
)
