"""Files → documents → paragraphs. One reader per format behind a registry (see base.py).

    >>> from ideamap.ingest import discover_files, read_document
    >>> for path in discover_files([Path("~/notes").expanduser()]):
    ...     result = read_document(path)
    ...     print(result.status, len(result.paragraphs), result.title)

:func:`read_document` never raises for a bad file: every file ends with one FileStatus and,
when it was not read, a reason a user can act on.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import Iterable

from ideamap.ingest.base import SNIFF_BYTES, Reader, reader_for
from ideamap.ingest.decoding import os_error_reason
from ideamap.ingest.formats import SUPPORTED_SUFFIXES
from ideamap.model import FileStatus, ParagraphDraft, ReadResult

__all__ = ["SUPPORTED_SUFFIXES", "content_hash", "discover_files", "guess_doc_type", "read_document"]

DEFAULT_MAX_BYTES = 200 * 2**20
# Longest paragraph kept whole. Readers cut paragraphs at about 300 words; a longer run is a
# line without spaces (base64, a minified script, a crafted file), which would otherwise reach
# the encoder as one enormous paragraph.
MAX_PARAGRAPH_CHARS = 10_000
# Text kept from one file (~3 million words, thousands of pages). Beyond it the file ends
# PARTIAL: one huge file must not turn a build into hours of embedding.
MAX_DOCUMENT_CHARS = 20_000_000
# Text formats are read whole into memory and parsed in one go; past this size a file is
# a log or a data dump (or a crafted one-line file), and reading it would take minutes.
MAX_TEXT_FILE_BYTES = 50 * 2**20
_TEXT_DOC_TYPES = frozenset({"text", "markdown", "html", "notes", "transcript"})
_HASH_CHUNK = 2**20
_UNKNOWN_TYPE = "unknown"


# --- finding files ---------------------------------------------------------------------


def discover_files(paths: Iterable[Path]) -> list[Path]:
    """The files to read for ``paths``. Folders are walked recursively in sorted order,
    keeping files of a supported type and skipping hidden files and folders (".git") and
    symlink loops. A file named explicitly is always kept, supported or not, so that the
    user hears why it was not read. Each file appears once."""
    found: list[Path] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        candidates = _walk(path) if path.is_dir() else [path]
        for candidate in candidates:
            key = _identity(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    visited: set[tuple[int, int]] = set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        try:
            info = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in visited:  # reached again through a symlink
            dirs[:] = []
            continue
        visited.add((info.st_dev, info.st_ino))
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(names):
            path = Path(root, name)
            if not _hidden(name) and path.suffix.lower() in SUPPORTED_SUFFIXES and path.is_file():
                files.append(path)
    # Tree order, as a file manager lists it: "a.md", "b/c.txt", "z.vtt".
    return sorted(files, key=lambda path: path.relative_to(folder).parts)


def _hidden(name: str) -> bool:
    # "~$report.docx" is the lock file Word keeps beside an open document.
    return name.startswith(".") or name.startswith("~$")


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
        return path.absolute()


# --- reading one file ------------------------------------------------------------------


def read_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read one file with the reader registered for it.

    ``max_bytes`` is the largest file read at all; larger files end as TOO_LARGE, so one
    huge file cannot stall a build. Paragraphs come back non-empty and numbered 0, 1, 2 …
    """
    path = Path(path)
    problem = _check_file(path, max_bytes)
    if problem:
        return problem
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return _result(path, guess_doc_type(path), FileStatus.UNREADABLE, os_error_reason(exc))
    reader = reader_for(path, head)
    if reader is None:
        return _result(path, _UNKNOWN_TYPE, FileStatus.UNSUPPORTED, _unsupported_reason(path))
    if reader.doc_type in _TEXT_DOC_TYPES and max_bytes > MAX_TEXT_FILE_BYTES:
        problem = _check_file(path, MAX_TEXT_FILE_BYTES)
        if problem:
            return problem
    return _tidy(path, _run_reader(reader, path))


def _check_file(path: Path, max_bytes: int) -> ReadResult | None:
    try:
        info = path.stat()
    except OSError as exc:
        return _result(path, guess_doc_type(path), FileStatus.UNREADABLE, os_error_reason(exc))
    if stat.S_ISDIR(info.st_mode):
        return _result(path, _UNKNOWN_TYPE, FileStatus.UNREADABLE, "This is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        # A pipe or device could block forever when read.
        reason = "This is not a regular file (it may be a pipe or a device)."
        return _result(path, _UNKNOWN_TYPE, FileStatus.UNREADABLE, reason)
    if info.st_size > max_bytes:
        reason = (
            f"This file is {_megabytes(info.st_size)}, larger than the "
            f"{_megabytes(max_bytes)} limit for one file of its type."
        )
        return _result(path, guess_doc_type(path), FileStatus.TOO_LARGE, reason)
    return None


def _run_reader(reader: Reader, path: Path) -> ReadResult:
    try:
        return reader.read(path)
    except MemoryError:
        return too_large_for_memory(path)
    except Exception as exc:  # a reader bug must not stop a build of thousands of files
        reason = (
            f"The {reader.name} reader failed on this file ({type(exc).__name__}). "
            "The file may be unusual or damaged."
        )
        return _result(path, reader.doc_type, FileStatus.CRASHED, reason)


def too_large_for_memory(path: Path) -> ReadResult:
    """The result for a file whose reading ran out of the memory a reader may use."""
    reason = "Reading this file needed more memory than ideamap allows one file; it may be a decompression bomb."
    return _result(path, guess_doc_type(path), FileStatus.TOO_LARGE, reason)


def _tidy(path: Path, result: ReadResult) -> ReadResult:
    """Drop empty paragraphs, cut overlong ones, keep at most MAX_DOCUMENT_CHARS of text,
    number the paragraphs 0, 1, 2 …, and call a file with no text EMPTY rather than DONE."""
    kept = [piece for p in result.paragraphs if p.text.strip() for piece in _cut_overlong(p)]
    kept, truncated = _within_document_limit(kept)
    result.paragraphs = [dataclasses.replace(p, order=i) for i, p in enumerate(kept)]
    result.path = str(path)
    if truncated and result.status is FileStatus.DONE:
        result.status = FileStatus.PARTIAL
        result.reason = (f"Only the first {MAX_DOCUMENT_CHARS // 1_000_000} million characters of this "
                         "file were read; the rest was left out.")
    if result.status is FileStatus.DONE and not result.paragraphs:
        result.status = FileStatus.EMPTY
        result.reason = result.reason or "No text found in this file."
    if result.status is not FileStatus.DONE and not result.reason:
        result.reason = _FALLBACK_REASONS.get(result.status, "This file could not be read.")
    return result


# Every outcome but DONE carries a reason; these stand in where a reader gave none.
_FALLBACK_REASONS = {
    FileStatus.PARTIAL: "Only part of this file could be read.",
    FileStatus.ENCRYPTED: "This file is password-protected.",
    FileStatus.NO_TEXT: "This file has no text to read (it may be scanned images).",
    FileStatus.INVALID: "This is not a valid file of its type (it may be damaged).",
    FileStatus.EMPTY: "No text found in this file.",
    FileStatus.TOO_LARGE: "This file is too large to read.",
    FileStatus.CRASHED: "The reader failed on this file.",
}


def _cut_overlong(paragraph: ParagraphDraft) -> list[ParagraphDraft]:
    text = paragraph.text
    if len(text) <= MAX_PARAGRAPH_CHARS:
        return [paragraph]
    pieces = []
    for start in range(0, len(text), MAX_PARAGRAPH_CHARS):
        piece = text[start : start + MAX_PARAGRAPH_CHARS]
        # Offsets stay inside the source range; exact only when the text was not rejoined.
        begin = min(paragraph.char_start + start, paragraph.char_end)
        end = min(begin + len(piece), paragraph.char_end)
        pieces.append(dataclasses.replace(paragraph, text=piece, char_start=begin, char_end=end))
    return pieces


def _within_document_limit(paragraphs: list[ParagraphDraft]) -> tuple[list[ParagraphDraft], bool]:
    total = 0
    for index, paragraph in enumerate(paragraphs):
        total += len(paragraph.text)
        if total > MAX_DOCUMENT_CHARS:
            return paragraphs[:index], True
    return paragraphs, False


def _result(path: Path, doc_type: str, status: FileStatus, reason: str) -> ReadResult:
    return ReadResult(path=str(path), doc_type=doc_type, status=status, reason=reason)


def guess_doc_type(path: Path) -> str:
    """The document type a file's name suggests, for files failed before being opened."""
    reader = reader_for(path, b"")
    return reader.doc_type if reader else _UNKNOWN_TYPE


def _unsupported_reason(path: Path) -> str:
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if not path.suffix:
        return f"This file has no extension, so its type is unknown. Supported types: {supported}."
    return f'Files of type "{path.suffix}" are not supported. Supported types: {supported}.'


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (hex), read in chunks so large files use little memory.

    Raises OSError for what is not a regular file: opening a named pipe would block."""
    if not stat.S_ISREG(Path(path).stat().st_mode):
        raise OSError(errno.EINVAL, "Not a regular file", str(path))
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
