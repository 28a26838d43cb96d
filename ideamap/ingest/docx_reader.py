"""Word documents (.docx) through python-docx.

Paragraphs in heading styles become headings and give context; consecutive list paragraphs
form one paragraph; a table becomes paragraphs of rows ("cell | cell"). Headers, footers,
footnotes and text boxes are left out: they are page furniture more often than content.

A .docx has no plain text of its own, so character offsets index into the document's text
as this reader lays it out: each paragraph or table row, joined by blank lines.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from ideamap.ingest.base import Reader, register
from ideamap.ingest.decoding import ReadFailure, failed, os_error_reason
from ideamap.ingest.formats import DOCX_SUFFIXES, has_suffix
from ideamap.ingest.metadata import date_from_name
from ideamap.ingest.paragraphs import (
    TARGET_WORDS,
    HeadingPath,
    Span,
    drop_empty_headings,
    finish_spans,
    split_long,
    to_drafts,
    word_count,
)
from ideamap.model import FileStatus, ParagraphKind, ReadResult

DOC_TYPE = "docx"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc files and encrypted Office files
# python-docx holds every part of the package in memory, and lxml's tree of an XML part is
# several times the part's size: these keep a document within a reader's memory cap.
MAX_UNPACKED_BYTES = 512 * 2**20
MAX_XML_PART_BYTES = 128 * 2**20
_XML_SUFFIXES = (".xml", ".rels")
# Word never writes a DTD; in a .docx one can only be there to expand entities (billion laughs)
# or to fetch files (external entities). python-docx would not expand them, but such a file
# is refused before any XML parser sees it.
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_SCAN_CHUNK = 2**20
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)
_INVALID_REASON = "This is not a valid Word document (it may be damaged or another format)."


class _Layout:
    """Lays the document's pieces (paragraphs, table rows) out as text joined by blank
    lines, and says where each piece lands, so that spans get offsets."""

    def __init__(self) -> None:
        self.length = 0

    def add(self, text: str) -> tuple[int, int]:
        start = self.length + 2 if self.length else 0
        self.length = start + len(text)
        return start, self.length


def read_docx(path: Path) -> ReadResult:
    path = Path(path)
    try:
        document = _open(path)
        title, spans = _document_spans(document)
    except ReadFailure as failure:
        return failed(path, DOC_TYPE, failure)
    core_title = (document.core_properties.title or "").strip()
    return ReadResult(
        path=str(path),
        doc_type=DOC_TYPE,
        status=FileStatus.DONE,
        title=core_title or title or path.stem,
        date=date_from_name(path),
        paragraphs=to_drafts(spans),
    )


def _open(path: Path):
    import docx

    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_OLE_MAGIC))
    except OSError as exc:
        raise ReadFailure(FileStatus.UNREADABLE, os_error_reason(exc)) from exc
    if head.startswith(_OLE_MAGIC):
        raise _ole_failure(path)
    if not head.startswith(_ZIP_MAGIC):
        raise ReadFailure(FileStatus.INVALID, _INVALID_REASON)
    _check_unpacked_size(path)
    try:
        return docx.Document(str(path))
    except Exception as exc:
        # python-docx raises PackageNotFoundError, KeyError, lxml syntax errors and more for
        # damaged packages; all of them mean the same thing to the user.
        raise ReadFailure(FileStatus.INVALID, _INVALID_REASON) from exc


def _check_unpacked_size(path: Path) -> None:
    """A small .docx can unpack to gigabytes (a "zip bomb"); python-docx would try to hold
    it all in memory. zipfile never reads past a member's stated size (a member whose data
    runs on fails its CRC), so the stated sizes are safe to add up. XML parts are then
    scanned for a DTD."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(members)
            for member in members:
                if member.filename.lower().endswith(_XML_SUFFIXES):
                    _refuse_dtd(archive, member)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise ReadFailure(FileStatus.INVALID, _INVALID_REASON) from exc


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    unpacked = sum(member.file_size for member in members)
    largest_xml = max((m.file_size for m in members if m.filename.lower().endswith(_XML_SUFFIXES)), default=0)
    if unpacked > MAX_UNPACKED_BYTES or largest_xml > MAX_XML_PART_BYTES:
        size = unpacked // 2**20
        reason = f"This Word document unpacks to {size} MB, more than can be read safely."
        raise ReadFailure(FileStatus.TOO_LARGE, reason)


def _refuse_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    tail = b""
    with archive.open(member) as stream:
        for chunk in iter(lambda: stream.read(_SCAN_CHUNK), b""):
            window = tail + chunk
            if any(marker in window for marker in _DTD_MARKERS):
                reason = ("This Word document contains XML declarations (a DTD) that Word never "
                          "writes; it was not read, to be safe.")
                raise ReadFailure(FileStatus.INVALID, reason)
            tail = chunk[-16:]


def _ole_failure(path: Path) -> ReadFailure:
    """An OLE container named .docx is a password-protected document (Office wraps the
    encrypted package in one) or an old .doc file renamed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ReadFailure(FileStatus.UNREADABLE, os_error_reason(exc))
    if "EncryptedPackage".encode("utf-16-le") in data:
        return ReadFailure(FileStatus.ENCRYPTED, "This Word document is password-protected.")
    reason = "This is an old-style Word file (.doc), which is not supported; save it as .docx."
    return ReadFailure(FileStatus.INVALID, reason)


def _document_spans(document) -> tuple[str, list[Span]]:
    from docx.table import Table

    walker = _Walker()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            walker.table(block)
        else:
            walker.paragraph(block)
    return walker.finish()


class _Walker:
    """Walks the document body in order, keeping the heading path and the open list."""

    def __init__(self) -> None:
        self.layout = _Layout()
        self.path = HeadingPath()
        self.spans: list[Span] = []
        self.list_run: list[tuple[int, int, str]] = []
        self.title = ""
        self.title_style_first = False

    def table(self, table) -> None:
        self._close_list()
        self.spans.extend(_table_spans(table, self.layout, self.path.context()))

    def paragraph(self, paragraph) -> None:
        text = " ".join(paragraph.text.split())
        if not text:
            return
        start, end = self.layout.add(text)
        level = _heading_level(paragraph)
        if level is None and _is_list(paragraph):
            self.list_run.append((start, end, text))
            return
        self._close_list()
        if level is None:
            self._add_body(text, start)
            return
        if level == 0:  # the Title style names the document and heads no section
            self.title_style_first = self.title_style_first or not self.spans
            self.title = self.title or text
            self.spans.append(Span(text, start, end, ParagraphKind.HEADING))
            return
        self.title = self.title or (text if level == 1 else "")
        context = self.path.enter(level, text)
        self.spans.append(Span(text, start, end, ParagraphKind.HEADING, context))

    def _add_body(self, text: str, offset: int) -> None:
        context = self.path.context()
        for a, b in split_long(text, 0, len(text)):
            self.spans.append(Span(text[a:b], offset + a, offset + b, context=context))

    def _close_list(self) -> None:
        self.spans.extend(_flush_list(self.list_run, self.path.context()))

    def finish(self) -> tuple[str, list[Span]]:
        self._close_list()
        spans = finish_spans(self.spans)
        kept = drop_empty_headings(spans, keep_first=self.title_style_first)
        return self.title, kept or spans


def _heading_level(paragraph) -> int | None:
    """0 for the Title style, 1-9 for Heading 1-9, None for anything else."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name.lower() == "title":
        return 0
    match = _HEADING_STYLE.match(name)
    return int(match.group(1)) if match else None


def _is_list(paragraph) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if "list" in name.lower():
        return True
    properties = paragraph._p.pPr  # numbering set directly on the paragraph
    return properties is not None and properties.numPr is not None


def _flush_list(run: list[tuple[int, int, str]], context: str) -> list[Span]:
    """One paragraph per list, cut between items when it grows past TARGET_WORDS."""
    spans: list[Span] = []
    chunk: list[tuple[int, int, str]] = []
    for item in run:
        if chunk and word_count(" ".join(t for _, _, t in chunk + [item])) > TARGET_WORDS:
            spans.append(_list_span(chunk, context))
            chunk = []
        chunk.append(item)
    if chunk:
        spans.append(_list_span(chunk, context))
    run.clear()
    return spans


def _list_span(chunk: list[tuple[int, int, str]], context: str) -> Span:
    return Span("\n".join(t for _, _, t in chunk), chunk[0][0], chunk[-1][1], context=context)


def _table_spans(table, layout: _Layout, context: str) -> list[Span]:
    rows: list[tuple[int, int, str]] = []
    for row in table.rows:
        text = _row_text(row)
        if text:
            start, end = layout.add(text)
            rows.append((start, end, text))
    # Rows are grouped like list items, but never merged with the prose around them.
    spans = _flush_list(rows, context)
    return [Span(s.text, s.start, s.end, context=context, mergeable=False) for s in spans]


def _row_text(row) -> str:
    cells: list[str] = []
    previous = None
    for cell in row.cells:
        if cell._tc is previous:
            continue  # a merged cell appears once per grid column it spans
        previous = cell._tc
        text = " ".join(cell.text.split())
        if text:
            cells.append(text)
    return " | ".join(cells)


register(
    Reader(
        name="Word document",
        doc_type=DOC_TYPE,
        can_read=lambda path, head: has_suffix(path, DOCX_SUFFIXES),
        read=read_docx,
    )
)
