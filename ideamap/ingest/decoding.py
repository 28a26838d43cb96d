"""Reading text files whose encoding nobody wrote down, and telling text from binary junk.

Readers call :func:`read_text_file`; it raises :class:`ReadFailure` (status + plain-language
reason) for a file that cannot be read as text, which the reader turns into its ReadResult
with :func:`failed`.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ideamap.model import FileStatus, ReadResult

BINARY_REASON = "This file looks like binary data, not text."

# Sample of bytes inspected to decide whether a file is binary.
_SAMPLE_BYTES = 64 * 1024
# Control bytes that never occur in real text (tab, newline, form feed, CR and ESC are
# allowed: ESC appears in terminal logs).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1b") + b"\x7f"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class ReadFailure(Exception):
    """A file that a reader cannot turn into text; ``reason`` is shown to the user."""

    def __init__(self, status: FileStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def failed(path: Path, doc_type: str, failure: ReadFailure) -> ReadResult:
    return ReadResult(
        path=str(path), doc_type=doc_type, status=failure.status, reason=failure.reason
    )


def read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ReadFailure(FileStatus.UNREADABLE, os_error_reason(exc)) from exc


def os_error_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "You do not have permission to read this file."
    if isinstance(exc, FileNotFoundError):
        return "The file was not found (it may have been moved or deleted)."
    if isinstance(exc, IsADirectoryError):
        return "This is a folder, not a file."
    return f"The file could not be read: {exc.strerror or exc.__class__.__name__}."


def read_text_file(path: Path) -> str:
    """The decoded text of a file, line endings normalised to "\\n"."""
    return decode_text(read_bytes(path))


def decode_text(data: bytes, *, declared: str | None = None) -> str:
    """Decode bytes of unknown encoding: a byte-order mark wins, then the ``declared``
    encoding (an HTML meta charset), then UTF-8, then UTF-16 without BOM (detected by its
    NUL bytes), then cp1252 (Windows text), then Latin-1, which never fails.

    Raises ReadFailure(INVALID) for data that looks binary. Line endings become "\\n", so
    character offsets are the same whichever system wrote the file."""
    text = _decode(data, declared)
    if text is None or _looks_binary_text(text):
        raise ReadFailure(FileStatus.INVALID, BINARY_REASON)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, declared: str | None) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    if _looks_binary_bytes(data):
        return None
    for encoding in filter(None, (declared, "utf-8", "cp1252")):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of mostly ASCII characters has a NUL in every other byte."""
    sample = data[:_SAMPLE_BYTES]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_nuls > 0.6 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.6 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _looks_binary_bytes(data: bytes) -> bool:
    sample = data[:_SAMPLE_BYTES]
    if not sample:
        return False
    if sample.count(0) > max(1, len(sample) // 1000):
        return True
    controls = sum(sample.count(b) for b in _CONTROL_BYTES)
    return controls / len(sample) > 0.05


def _looks_binary_text(text: str) -> bool:
    """After decoding: mostly replacement characters or control characters means junk."""
    sample = text[:_SAMPLE_BYTES]
    if not sample:
        return False
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b"))
    return bad / len(sample) > 0.1
