"""Markdown inline markup → plain reading text, and lines of a block → display lines.

Markup is noise to an embedding model ("[RFC 2229](https://…)" should read "RFC 2229"),
so links, emphasis, HTML tags and list markers are stripped; the words stay.
"""

from __future__ import annotations

import html
import re

from ideamap.ingest.markdown_blocks import FENCE, LIST_ITEM

# Link text may hold one level of brackets: "[Stabilize #[non_exhaustive]](https://…)".
_LINK_TEXT = r"(?:[^\[\]]|\[[^\[\]]{0,200}\]){0,500}"  # bounded: no slow scans on junk
# Private-use characters mark where a code span was set aside while markup is removed.
_PLACEHOLDER_OPEN, _PLACEHOLDER_CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_MARKUP_CHAR = re.compile(r"[\[\]`*_~<>&\\!]")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_IMAGE = re.compile(rf"!\[({_LINK_TEXT})\]\((?:[^()]|\([^)]*\))*\)")
_LINK = re.compile(rf"\[({_LINK_TEXT})\]\((?:[^()]|\([^)]*\))*\)")
_URL_LINK = re.compile(
    rf"!?\[({_LINK_TEXT})\]\(\s*<?(?:https?://|mailto:|www\.|#)[^)\s]*>?(?:\s+\"[^\"]*\")?\s*\)"
)
_REF_LINK = re.compile(r"\[([^\[\]]{1,300})\]\[[^\[\]]{0,300}\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_TOC = re.compile(r"\[(?:TOC|toc)\]")
# Only real HTML tag names, so that generics written outside backticks (Vec<T>) survive.
_HTML_TAGS = (
    "a|abbr|b|big|blockquote|br|button|center|cite|code|dd|del|details|div|dl|dt|em|font|"
    "h[1-6]|hr|i|img|input|ins|kbd|label|li|mark|ol|p|pre|q|s|small|span|strike|strong|sub|"
    "summary|sup|table|tbody|td|th|thead|tr|tt|u|ul|iframe|video|audio|source|picture|figure|"
    "figcaption|section|article|aside|nav|header|footer|main"
)
_HTML_TAG = re.compile(rf"</?(?:{_HTML_TAGS})\b[^>]*>", re.IGNORECASE)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CHECKBOX = re.compile(r"^\[[ xX]?\]\s*")
_QUOTE_MARKS = re.compile(r"^(?:\s*>)+\s?")
# "niko: I think…" — a line that names who speaks; it starts a new display line.
_LABEL_LINE = re.compile(r"^[\w@.\- ]{1,30}:\s")
_SENTENCE_END = ".!?:;"


def clean_inline(text: str) -> str:
    """Strip inline markup, keeping the words (and the content of code spans as is)."""
    if not _MARKUP_CHAR.search(text):
        return text  # most lines of prose: nothing to strip
    # Links to web addresses go first, so that a link around code ("[`propane`](https://…)")
    # keeps its words. Code spans are then set aside behind placeholders, so that their
    # content stays as written while bold around them ("**scopes for `if`.**") is removed.
    text = _URL_LINK.sub(r"\1", text)
    if _PLACEHOLDER_OPEN in text:
        return _clean_prose(text)
    code: list[str] = []

    def set_aside(match: re.Match) -> str:
        code.append(match.group(2).strip())
        return f"{_PLACEHOLDER_OPEN}{len(code) - 1}{_PLACEHOLDER_CLOSE}"

    text = _clean_prose(_CODE_SPAN.sub(set_aside, text))
    return _PLACEHOLDER.sub(lambda match: code[int(match.group(1))], text)


def _clean_prose(text: str) -> str:
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _TOC.sub("", text)
    text = _HTML_TAG.sub("", text)
    for pattern in (_STRONG, _STRIKE):
        text = pattern.sub(r"\2" if pattern is _STRONG else r"\1", text)
    text = _EMPHASIS_STAR.sub(r"\1", text)
    text = _EMPHASIS_UNDERSCORE.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    return html.unescape(text)


def render_lines(lines: list[str]) -> str:
    """Lines of a paragraph, list or quote → display text. Each list item starts a line
    (marker and checkbox dropped); wrapped lines are joined with a space; a line that starts
    a new sentence or names a speaker keeps its own line; code inside stays verbatim."""
    out: list[list[str]] = []  # display lines, each as its parts (joining at the end is linear)
    in_code = False
    after_break = False  # a blank line (inside a quote or list) ends the line before it
    previous = ""
    for raw in lines:
        line = _QUOTE_MARKS.sub("", raw)
        if _toggles_code(line, previous, in_code):
            in_code = not in_code
            continue
        previous = line
        if in_code:
            if line.strip():
                out.append([line.rstrip()])
            continue
        stripped = line.strip()
        if not stripped:
            after_break = True
            continue
        item = LIST_ITEM.match(stripped)
        if item:
            stripped = _CHECKBOX.sub("", stripped[item.end() :])
        text = " ".join(clean_inline(stripped).split())
        if not text:
            continue
        if out and not (item or after_break) and _continues(out[-1][-1], text):
            out[-1].append(text)
        else:
            out.append([text])
        after_break = False
    return "\n".join(" ".join(parts) for parts in out)


def _toggles_code(line: str, previous: str, in_code: bool) -> bool:
    """A fence line inside a list or quote; bare "~~~~" under text is strikethrough debris
    (see markdown_blocks._opens_fence)."""
    match = FENCE.match(line)
    if not match or in_code or match.group(1)[0] == "`":
        return bool(match)
    info = line[match.end() :]
    above = previous.strip()
    if "~" in info or "[" in info:
        return False
    return not (above and not above.endswith(":") and not info.strip())


def _continues(previous: str, text: str) -> bool:
    """Is ``text`` the wrapped continuation of ``previous`` rather than a new line?"""
    if _LABEL_LINE.match(text):
        return False
    ends_sentence = previous[-1] in _SENTENCE_END
    return not (ends_sentence and not text[0].islower())


def render_code(lines: list[str]) -> str:
    """A code block's text: fence lines dropped, common indentation removed."""
    body = [line.rstrip() for line in lines]
    if body and FENCE.match(body[0]):  # fenced, not indented, code
        body = body[1:]
        if body and FENCE.match(body[-1]):
            body = body[:-1]
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    indents = [len(line) - len(line.lstrip()) for line in body if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in body)


def render_table_row(line: str) -> str:
    """"| a | b |" → "a | b"; the delimiter row ("|---|---|") → ""."""
    cells = [clean_inline(cell.strip()) for cell in line.strip().strip("|").split("|")]
    cells = [" ".join(cell.split()) for cell in cells]
    if all(set(cell) <= set(":- ") for cell in cells):
        return ""
    return " | ".join(cell for cell in cells if cell)
