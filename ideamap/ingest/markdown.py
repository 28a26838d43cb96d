"""Markdown source → paragraph spans with heading context, title and date.

Shared by the Markdown, meeting-notes and HTML readers (HTML is turned into Markdown first,
so one set of rules decides what a paragraph is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ideamap.ingest.markdown_blocks import (
    LIST_ITEM,
    Block,
    Line,
    heading_text,
    scan_blocks,
    split_lines,
)
from ideamap.ingest.markdown_inline import clean_inline, render_code, render_lines, render_table_row
from ideamap.ingest.metadata import parse_front_matter
from ideamap.ingest.paragraphs import (
    MAX_WORDS,
    TARGET_WORDS,
    HeadingPath,
    Span,
    drop_empty_headings,
    finish_spans,
    meaningful_length,
    split_long,
    to_drafts,
    word_count,
)
from ideamap.model import FileStatus, ParagraphKind, ReadResult

# Code blocks shorter than this ("cargo build") say nothing on their own and are dropped.
MIN_CODE_CHARS = 40
_SKIPPED_BLOCKS = frozenset({"rule", "comment", "linkdef"})


@dataclass
class Parsed:
    """What a text-like reader learned from a file, before it becomes a ReadResult."""

    spans: list[Span] = field(default_factory=list)
    title: str = ""
    date: str | None = None

    def to_result(self, path: Path, doc_type: str) -> ReadResult:
        """The finished read: the file's stem stands in for a missing title."""
        return ReadResult(path=str(path), doc_type=doc_type, status=FileStatus.DONE,
                          title=self.title or path.stem, date=self.date, paragraphs=to_drafts(self.spans))


def parse_markdown(text: str) -> Parsed:
    """Title: the front matter's, else the first level-1 heading. Date: the front matter's."""
    front = parse_front_matter(text)
    blocks = scan_blocks(text, front.body_start)
    first_h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
    spans = markdown_spans(text, blocks)
    title = front.title or (_heading_label(first_h1) if first_h1 else "")
    return Parsed(spans=spans, title=title, date=front.date)


def markdown_spans(text: str, blocks: list[Block]) -> list[Span]:
    title_block = _title_heading(blocks)
    path = HeadingPath()
    spans: list[Span] = []
    for block in blocks:
        if block.kind != "heading":
            spans.extend(_block_spans(text, block, path.context()))
            continue
        label = _heading_label(block)
        if not label:
            continue
        # The document's one top heading names the document; repeating it in every
        # paragraph's context would add nothing.
        context = "" if block is title_block else path.enter(block.level, label)
        spans.append(Span(label, block.start, block.end, ParagraphKind.HEADING, context))
    spans = finish_spans(spans)
    return drop_empty_headings(spans, keep_first=title_block is not None) or spans


def _title_heading(blocks: list[Block]) -> Block | None:
    """A level-1 heading that opens the document titles it, unless it is only the first of
    a row of level-1 sections ("# Introduction … # Methods …"): then the next heading is
    level 1 too and text comes between them."""
    if not blocks or blocks[0].kind != "heading" or blocks[0].level != 1:
        return None
    has_text = False
    for block in blocks[1:]:
        if block.kind == "heading":
            return blocks[0] if block.level > 1 or not has_text else None
        has_text = block.kind not in _SKIPPED_BLOCKS
    return blocks[0]


def _heading_label(block: Block) -> str:
    return " ".join(clean_inline(heading_text(block)).split())


def _block_spans(text: str, block: Block, context: str) -> list[Span]:
    if block.kind in _SKIPPED_BLOCKS:
        return []
    if block.kind == "code":
        return _code_spans(block, context)
    if block.kind == "table":
        return _table_spans(block, context)
    if block.kind == "list":
        ranges = _list_ranges(text, list(block.lines))
    else:  # paragraph, quote
        ranges = split_long(text, block.start, block.end)
    return [_rendered_span(text, a, b, context) for a, b in ranges]


def _rendered_span(text: str, start: int, end: int, context: str) -> Span:
    lines = [line.text for line in split_lines(text, start, end)]
    return Span(render_lines(lines), start, end, context=context)


def _code_spans(block: Block, context: str) -> list[Span]:
    code = render_code([line.text for line in block.lines])
    if meaningful_length(code) < MIN_CODE_CHARS:
        return []
    return [Span(code, block.start, block.end, context=context, mergeable=False)]


def _table_spans(block: Block, context: str) -> list[Span]:
    """A table becomes paragraphs of rows ("cell | cell" lines), a few hundred words each."""
    rows = [(line, render_table_row(line.text)) for line in block.lines]
    rows = [(line, row) for line, row in rows if row]
    spans: list[Span] = []
    chunk: list[tuple[Line, str]] = []
    for line, row in rows:
        if chunk and word_count(" ".join(r for _, r in chunk)) + word_count(row) > TARGET_WORDS:
            spans.append(_table_span(chunk, context))
            chunk = []
        chunk.append((line, row))
    if chunk:
        spans.append(_table_span(chunk, context))
    return spans


def _table_span(chunk: list[tuple[Line, str]], context: str) -> Span:
    text = "\n".join(row for _, row in chunk)
    return Span(text, chunk[0][0].start, chunk[-1][0].end, context=context, mergeable=False)


# --- lists ---------------------------------------------------------------------------


def _list_ranges(text: str, lines: list[Line]) -> list[tuple[int, int]]:
    """A list is one paragraph when short; a long one is cut between its top-level items
    (an item keeps its sub-items), and an item too long on its own between its sub-items,
    then between sentences."""
    items = _items(lines, nested=False)
    ranges: list[tuple[int, int]] = []
    for item in items:
        start, end = item[0].start, item[-1].end
        if word_count(text[start:end]) <= MAX_WORDS:
            ranges.append((start, end))
            continue
        sub_items = _items(item, nested=True)
        if len(sub_items) > 1:
            ranges.extend(_list_ranges_flat(text, sub_items))
        else:
            ranges.extend(split_long(text, start, end))
    return _pack(text, ranges)


def _list_ranges_flat(text: str, items: list[list[Line]]) -> list[tuple[int, int]]:
    ranges = []
    for item in items:
        ranges.extend(split_long(text, item[0].start, item[-1].end))
    return ranges


def _items(lines: list[Line], *, nested: bool) -> list[list[Line]]:
    """Group lines into items, starting a new one at each item marker (top-level markers
    only unless ``nested``)."""
    markers = [line.indent for line in lines if LIST_ITEM.match(line.text)]
    top = min(markers, default=0)
    items: list[list[Line]] = []
    for line in lines:
        is_start = bool(LIST_ITEM.match(line.text)) and (nested or line.indent <= top)
        if is_start or not items:
            items.append([line])
        else:
            items[-1].append(line)
    return items


def _pack(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join consecutive ranges while the result stays within TARGET_WORDS."""
    packed: list[tuple[int, int, int]] = []
    for start, end in ranges:
        words = word_count(text[start:end])
        if packed and packed[-1][2] + words <= TARGET_WORDS:
            packed[-1] = (packed[-1][0], end, packed[-1][2] + words)
        else:
            packed.append((start, end, words))
    return [(start, end) for start, end, _ in packed]
