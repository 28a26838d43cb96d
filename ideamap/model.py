"""Small dataclasses shared by every layer. No behaviour beyond trivial helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class FileStatus(str, Enum):
    """The outcome of reading one file. Every file ends in exactly one of these."""

    DONE = "done"
    PARTIAL = "partial"  # some pages/parts read, others failed (reason says which)
    ENCRYPTED = "encrypted"  # password needed
    NO_TEXT = "no_text"  # e.g. a scanned PDF without a text layer; OCR is not done
    INVALID = "invalid"  # not a valid file of its type (corrupt, truncated, mislabelled)
    EMPTY = "empty"  # valid but holds no usable text
    TOO_LARGE = "too_large"
    TIMED_OUT = "timed_out"
    CRASHED = "crashed"  # the parser crashed
    UNSUPPORTED = "unsupported"  # no reader for this type
    UNREADABLE = "unreadable"  # permissions, I/O error


# Files in these states contribute paragraphs to the map.
READABLE_STATUSES = frozenset({FileStatus.DONE, FileStatus.PARTIAL})


class ParagraphKind(str, Enum):
    BODY = "body"
    HEADING = "heading"
    REFERENCE = "reference"  # bibliography entries; left off the map by default
    CAPTION = "caption"


@dataclass(frozen=True)
class ParagraphDraft:
    """A paragraph as a reader produced it, before it is stored or embedded.

    ``char_start``/``char_end`` index into the text of the paragraph's source unit: the
    extracted text of its page for PDFs, the whole decoded file for other formats.
    ``context`` is the heading path above the paragraph ("Methods › Data"), or the speaker
    of a transcript turn; it helps a reader place the paragraph and is shown in the app.
    """

    text: str
    order: int
    kind: ParagraphKind = ParagraphKind.BODY
    page: int | None = None  # 1-based page number, PDFs only
    char_start: int = 0
    char_end: int = 0
    context: str = ""


@dataclass
class ReadResult:
    """What a reader returns for one file. Readers never raise for a bad file: they set
    ``status`` and a plain-language ``reason`` instead."""

    path: str
    doc_type: str  # "pdf", "markdown", "text", "html", "notes", "transcript", "docx"
    status: FileStatus
    reason: str = ""
    title: str = ""
    date: str | None = None  # ISO date (YYYY-MM-DD) when the file states one
    paragraphs: list[ParagraphDraft] = field(default_factory=list)
    pages: int | None = None


@dataclass(frozen=True)
class Document:
    id: int
    path: str
    content_hash: str
    doc_type: str
    title: str
    date: str | None
    status: FileStatus
    reason: str
    n_paragraphs: int = 0


@dataclass(frozen=True)
class Paragraph:
    id: int
    document_id: int
    text: str
    order: int
    kind: ParagraphKind
    page: int | None
    char_start: int
    char_end: int
    context: str = ""


@dataclass(frozen=True)
class Island:
    """A cluster at one level of the hierarchy (0 = broadest region, higher = finer)."""

    id: int  # row id in the map file
    level: int
    key: int  # unique within its level; memberships refer to it
    parent_key: int | None  # key of the containing island one level up
    label: str
    terms: list[str]
    exemplar_ids: list[int]
    size: int
    x: float
    y: float


@dataclass(frozen=True)
class Neighbor:
    paragraph_id: int
    similarity: float


@dataclass(frozen=True)
class SearchHit:
    paragraph_id: int
    score: float
    semantic: float | None
    keyword: bool


@dataclass(frozen=True)
class MapInfo:
    path: str
    n_documents: int
    n_paragraphs: int
    n_mapped: int
    n_islands_per_level: list[int]
    sea_share: float
    failed: list[tuple[str, str, str]]  # (path, status, reason)
    model_id: str
    schema_version: int
