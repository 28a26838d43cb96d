"""Web pages saved as .html/.htm: the main text only, without menus, footers and ads.

trafilatura finds the main content and gives it back as Markdown, which then goes through
the same paragraph rules as a Markdown file (headings give context). It is only ever given
the file's content, never a URL, so nothing is fetched. Pages where it finds nothing fall
back to a plain walk over the page's text blocks.

Character offsets index into the Markdown extracted from the page, not into the HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

from ideamap.ingest.base import Reader, register
from ideamap.ingest.decoding import ReadFailure, decode_text, failed, read_bytes
from ideamap.ingest.formats import HTML_SUFFIXES, has_suffix
from ideamap.ingest.markdown import Parsed, parse_markdown
from ideamap.model import ReadResult

DOC_TYPE = "html"

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_NOISE_TAGS = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "svg", "iframe", "button", "select",
)  # fmt: skip
_BLOCK_TAGS = (
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "td", "th", "dt", "dd",
    "figcaption", "caption",
)  # fmt: skip


def read_html(path: Path) -> ReadResult:
    path = Path(path)
    try:
        data = read_bytes(path)
        text = decode_text(data, declared=_declared_charset(data))
    except ReadFailure as failure:
        return failed(path, DOC_TYPE, failure)
    parsed = parse_html(text)
    return parsed.to_result(path, DOC_TYPE)


def _declared_charset(data: bytes) -> str | None:
    match = _CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", errors="ignore") if match else None


def parse_html(html: str) -> Parsed:
    """Main text of a page as paragraph spans, with its title and stated publication date."""
    tree = _parse_tree(html)
    markdown = _unrendered_markdown(tree) if tree is not None else ""
    if not markdown:
        markdown = _main_text_markdown(html) or _fallback_markdown(tree)
    parsed = parse_markdown(markdown)
    title, date = _page_metadata(html, tree)
    # Front matter in unrendered Markdown names the document better than <title>, which
    # often carries the site's name too.
    parsed.title = parsed.title or title
    parsed.date = parsed.date or date
    return parsed


def _parse_tree(html: str):
    import lxml.html

    try:
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html))
    except Exception:  # lxml raises several types for junk; junk has no tree
        return None


def _unrendered_markdown(tree) -> str:
    """HackMD/CodiMD pages keep the note's Markdown source as the plain text of a
    ``markdown-body`` element, rendered by JavaScript in a browser; that source is better
    than anything extracted from the empty page around it."""
    for element in tree.xpath('//*[contains(concat(" ", @class, " "), " markdown-body ")]'):
        if len(element) == 0 and (element.text or "").strip():
            return element.text_content()
    return ""


def _main_text_markdown(html: str) -> str:
    import trafilatura

    try:
        extracted = trafilatura.extract(
            html,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_links=False,
            include_images=False,
            no_fallback=False,
        )
    except Exception:  # trafilatura can fail on odd markup; the fallback still reads it
        return ""
    return extracted or ""


def _fallback_markdown(tree) -> str:
    """Text blocks of the page as Markdown, with navigation and scripts removed."""
    if tree is None:
        return ""
    for element in tree.xpath("|".join(f"//{tag}" for tag in _NOISE_TAGS)):
        element.drop_tree()
    blocks = []
    for element in tree.iter(*_BLOCK_TAGS):
        if any(child.tag in _BLOCK_TAGS for child in element.iterdescendants()):
            continue  # its inner blocks are read on their own
        text = " ".join(element.text_content().split())
        if text:
            blocks.append(_as_markdown(element.tag, text))
    if not blocks:
        body = tree.find("body")
        source = body if body is not None else tree
        return "\n\n".join(" ".join(line.split()) for line in source.text_content().split("\n\n"))
    return "\n\n".join(blocks)


def _as_markdown(tag: str, text: str) -> str:
    if tag[0] == "h" and tag[1:].isdigit():
        return "#" * int(tag[1:]) + " " + text
    if tag == "li":
        return "- " + text
    return text


def _page_metadata(html: str, tree) -> tuple[str, str | None]:
    """Title and publication date as the page states them. Only explicit date markup
    counts: a guess from "© 2024" in a footer would put the page in the wrong year."""
    import trafilatura

    title, date = "", None
    try:
        meta = trafilatura.extract_metadata(html, extensive=False)
        title, date = (meta.title or ""), meta.date
    except Exception:  # metadata is a nicety; a page without it still reads
        pass
    if not title and tree is not None:
        title = " ".join((tree.findtext(".//title") or "").split())
    return title, date


register(
    Reader(
        name="web page",
        doc_type=DOC_TYPE,
        can_read=lambda path, head: has_suffix(path, HTML_SUFFIXES),
        read=read_html,
    )
)
