"""Meeting notes: Markdown or text files that carry a date, in the file name
("minutes_2021-03-03-triage.md") or in front matter ("date: 2021-03-03").

They are read like any Markdown or text file; what differs is that the date is the date of
the meeting and that the document type lets the app group and filter notes. This reader has
a higher priority than the Markdown and text readers so that it wins for such files.
"""

from __future__ import annotations

from pathlib import Path

from ideamap.ingest.base import SNIFF_BYTES, Reader, register
from ideamap.ingest.formats import MARKDOWN_SUFFIXES, TEXT_SUFFIXES, has_suffix
from ideamap.ingest.markdown import parse_markdown
from ideamap.ingest.metadata import date_from_name, parse_front_matter
from ideamap.ingest.text_readers import parse_plain_text, read_text_document
from ideamap.model import ReadResult

DOC_TYPE = "notes"


def can_read_notes(path: Path, head: bytes) -> bool:
    if not has_suffix(path, TEXT_SUFFIXES + MARKDOWN_SUFFIXES):
        return False
    return date_from_name(path) is not None or _front_matter_date(head) is not None


def _front_matter_date(head: bytes) -> str | None:
    # The head is the first SNIFF_BYTES of the file; front matter sits at the very start.
    text = head[:SNIFF_BYTES].decode("utf-8", errors="replace").replace("\r\n", "\n")
    if "\n---" not in text and "\n..." not in text:
        text += "\n---\n"  # front matter cut off by the sniff limit: close it to read it
    return parse_front_matter(text).date


def read_notes(path: Path) -> ReadResult:
    path = Path(path)
    parse = parse_plain_text if has_suffix(path, TEXT_SUFFIXES) else parse_markdown
    result, parsed = read_text_document(path, DOC_TYPE, parse)
    # A date the author wrote in the front matter beats one in the file name.
    result.date = parsed.date or date_from_name(path)
    return result


register(
    Reader(
        name="meeting notes",
        doc_type=DOC_TYPE,
        can_read=can_read_notes,
        read=read_notes,
        priority=10,
    )
)
