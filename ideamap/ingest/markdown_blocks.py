"""Cut Markdown source into blocks: headings, paragraphs, lists, quotes, code, tables.

A small line scanner rather than a full CommonMark parser: the map needs paragraph
boundaries and heading structure, not rendered HTML, and a scanner keeps exact character
offsets into the source. It follows CommonMark where notes written in the wild depend on
it (lists that run on over blank lines, lazy continuation lines, setext headings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Line:
    start: int  # offset of the line in the source
    text: str  # without the newline

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def indent(self) -> int:
        stripped = self.text.lstrip(" \t")
        prefix = self.text[: len(self.text) - len(stripped)]
        return len(prefix.expandtabs(4))


@dataclass(frozen=True)
class Block:
    kind: str  # heading, paragraph, list, quote, code, table, rule, comment, linkdef
    lines: tuple[Line, ...]
    level: int = 0  # heading level

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end


ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,9}[.)])(?:[ \t]+|$)")
QUOTE = re.compile(r"^\s*>")  # any indent: notes exported from Paper indent quotes
LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
COMMENT_OPEN = "<!--"
TILDES = re.compile(r"^\s*~{3,}\s*$")
BOLD_LINE = re.compile(r"^ {0,3}(\*\*|__)(?=\S)([^*_]+?)(?<=\S)\1[ \t]*$")
# Below every Markdown heading level: a bold label sits under the heading above it.
BOLD_HEADING_LEVEL = 7


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    end = len(text) if end is None else end
    lines, pos = [], start
    while pos < end:
        newline = text.find("\n", pos, end)
        stop = end if newline < 0 else newline
        lines.append(Line(pos, text[pos:stop]))
        pos = stop + 1
    return lines


def scan_blocks(text: str, start: int = 0, end: int | None = None) -> list[Block]:
    lines = split_lines(text, start, end)
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].blank:
            i += 1
            continue
        block, i = _take_block(lines, i)
        blocks.append(block)
    return blocks


def _take_block(lines: list[Line], i: int) -> tuple[Block, int]:
    text = lines[i].text
    if text.lstrip().startswith(COMMENT_OPEN):
        return _take_comment(lines, i)
    if _opens_fence(lines, i) and lines[i].indent < 4:
        return _take_fence(lines, i)
    if TILDES.match(text):  # strikethrough debris (see _opens_fence): says nothing
        return Block("rule", (lines[i],)), i + 1
    heading = ATX_HEADING.match(text)
    if heading:
        return Block("heading", (lines[i],), level=len(heading.group(1))), i + 1
    if RULE.match(text):
        return Block("rule", (lines[i],)), i + 1
    if LIST_ITEM.match(text):
        return _take_list(lines, i)
    if QUOTE.match(text):
        return _take_quote(lines, i)
    if _starts_table(lines, i):
        return _take_while(lines, i, "table", lambda line: "|" in line.text)
    if LINK_DEFINITION.match(text):
        return Block("linkdef", (lines[i],)), i + 1
    if lines[i].indent >= 4:
        return _take_while(lines, i, "code", lambda line: line.indent >= 4)
    if _is_bold_label(lines, i):
        return Block("heading", (lines[i],), level=BOLD_HEADING_LEVEL), i + 1
    return _take_paragraph(lines, i)


def _is_bold_label(lines: list[Line], i: int) -> bool:
    """A short line that is all bold, standing alone, is how many notes mark a topic
    ("**safe transmute (Ryan, Josh)**"); it heads what follows like a heading would."""
    match = BOLD_LINE.match(lines[i].text)
    below = lines[i + 1] if i + 1 < len(lines) else None
    alone = below is None or below.blank or LIST_ITEM.match(below.text) or TILDES.match(below.text)
    return bool(match and alone and len(match.group(2).split()) <= 12)


def _take_while(lines, i, kind: str, keep: Callable[[Line], bool]) -> tuple[Block, int]:
    j = i + 1
    while j < len(lines) and not lines[j].blank and keep(lines[j]):
        j += 1
    return Block(kind, tuple(lines[i:j])), j


def _take_comment(lines, i):
    j = i
    while j < len(lines) and "-->" not in lines[j].text:
        j += 1
    if j == len(lines):
        j = i  # never closed: hiding the rest of the document would lose it silently
    return Block("comment", tuple(lines[i : j + 1])), j + 1


def _take_fence(lines, i):
    """A fenced code block, up to a closing fence of the same kind (or the end)."""
    marker = FENCE.match(lines[i].text).group(1)
    j = _closing_fence(lines, i, marker)
    return Block("code", tuple(lines[i : j + 1])), j + 1


def _closing_fence(lines, i, marker: str) -> int:
    closing = re.compile(rf"^\s*{re.escape(marker[0])}{{{len(marker)},}}\s*$")
    for j in range(i + 1, len(lines)):
        if closing.match(lines[j].text):
            return j
    return len(lines) - 1


def _starts_table(lines, i) -> bool:
    if "|" not in lines[i].text or i + 1 >= len(lines):
        return False
    return bool(TABLE_DELIMITER.match(lines[i + 1].text)) and "-" in lines[i + 1].text


def _opens_fence(lines: list[Line], i: int) -> bool:
    """Does line ``i`` open a fenced code block? Bare "~~~~" lines right under a line of
    text are debris of strikethrough in notes exported from Dropbox Paper, not fences."""
    match = FENCE.match(lines[i].text)
    if not match:
        return False
    if match.group(1)[0] == "~":
        info = lines[i].text[match.end() :]
        if "~" in info or "[" in info:
            return False
        above = lines[i - 1].text.strip() if i > 0 else ""
        if above and not above.endswith(":") and not info.strip():
            return False
    return True


def _take_quote(lines, i):
    j = i + 1
    while j < len(lines) and not lines[j].blank:
        if not QUOTE.match(lines[j].text) and _interrupts(lines, j):
            break
        j += 1
    return Block("quote", tuple(lines[i:j])), j


def _interrupts(lines: list[Line], j: int) -> bool:
    """Does line ``j`` start a new block, ending a paragraph without a blank line?"""
    line = lines[j]
    text = line.text
    return bool(
        ATX_HEADING.match(text)
        or (_opens_fence(lines, j) and line.indent < 4)
        or RULE.match(text)
        or QUOTE.match(text)
        or LIST_ITEM.match(text)
        or text.lstrip().startswith(COMMENT_OPEN)
    )


def _take_paragraph(lines, i):
    j = i + 1
    while j < len(lines) and not lines[j].blank:
        underline = SETEXT_UNDERLINE.match(lines[j].text)
        if underline:
            level = 1 if underline.group(1)[0] == "=" else 2
            return Block("heading", tuple(lines[i : j + 1]), level=level), j + 1
        if _interrupts(lines, j):
            break
        j += 1
    return Block("paragraph", tuple(lines[i:j])), j


def _take_list(lines, i):
    """A list runs on over blank lines while what follows is indented or another item;
    fenced code inside an item is taken whole, blank lines and all."""
    j = i
    while j < len(lines):
        line = lines[j]
        if line.blank:
            k = _next_non_blank(lines, j)
            if k is None or not (lines[k].indent >= 2 or LIST_ITEM.match(lines[k].text)):
                break
            j = k
            continue
        if j > i and line.indent < 2 and _ends_list(lines, j):
            break
        if _opens_fence(lines, j):
            j = _closing_fence(lines, j, FENCE.match(line.text).group(1)) + 1
            continue
        j += 1
    while lines[j - 1].blank:
        j -= 1
    return Block("list", tuple(lines[i:j])), j


def _ends_list(lines: list[Line], j: int) -> bool:
    text = lines[j].text
    return bool(
        ATX_HEADING.match(text)
        or BOLD_LINE.match(text)
        or _opens_fence(lines, j)
        or RULE.match(text)
        or text.lstrip().startswith(COMMENT_OPEN)
    )


def _next_non_blank(lines, j) -> int | None:
    for k in range(j, len(lines)):
        if not lines[k].blank:
            return k
    return None


def heading_text(block: Block) -> str:
    """The raw text of a heading block, without # marks or setext underline."""
    if len(block.lines) == 1:
        match = ATX_HEADING.match(block.lines[0].text)
        return (match.group(2) or "") if match else block.lines[0].text
    return " ".join(line.text.strip() for line in block.lines[:-1])
