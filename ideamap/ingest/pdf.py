"""The PDF reader (PDFium through pypdfium2).

Paragraphs are rebuilt from the positions of the text on each page rather than taken from
PDFium's plain text, which has one line per layout line: lines wrapped by the layout are
joined, hyphenation at line ends undone, two-column pages read column by column, running
headers, footers and page numbers dropped, and headings, captions and references tagged.
The work is split over: :mod:`pdf_text` (PDFium characters → lines), :mod:`pdf_layout`
(running headers, columns, reading order), :mod:`pdf_blocks` (lines → paragraph-sized
blocks), :mod:`pdf_kinds` (heading, caption, reference, title) and :mod:`pdf_paragraphs`
(the whole pipeline, joined text and the repairs across columns and pages).

Character offsets (``char_start``/``char_end``) index PDFium's text for the page, one
position per PDFium character, as ``PdfTextPage.get_text_range()`` returns it; a paragraph
that goes on to the next page keeps its start page and offsets of its part on that page.

pypdfium2 is imported inside the functions: importing it loads the PDFium library, and
opening a saved map must not pay for that.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from ideamap.ingest.base import Reader, register
from ideamap.model import FileStatus, ReadResult

# Only this many pages of a PDF are read; the rest are reported as left out.
MAX_PAGES = 2000
# PDFium is not thread-safe: readers running in threads take turns with it. (The layout
# analysis after the pages are read runs outside the lock.)
_PDFIUM_LOCK = threading.Lock()

_PDFIUM_ERRORS = {
    0: "PDFium gave no detail",
    1: "PDFium: Unknown error",
    2: "PDFium: File access error",
    3: "PDFium: Data format error",
    4: "PDFium: Incorrect password error",
    5: "PDFium: Unsupported security scheme error",
    6: "PDFium: Page not found or content error",
}
_ERR_FILE, _ERR_PASSWORD, _ERR_SECURITY = 2, 4, 5

ENCRYPTED_REASON = "This PDF is password-protected; ideamap cannot read it without the password."
NO_TEXT_REASON = (
    "This PDF has no text layer: its pages are probably scanned images, and ideamap does not "
    "do OCR (text recognition), so there is nothing to read."
)


def can_read(path: Path, head: bytes) -> bool:
    # A PDF may carry junk before its header, but only files without a text suffix are
    # sniffed: a note that merely mentions "%PDF" near its start stays a note.
    suffix = Path(path).suffix.lower()
    if suffix == ".pdf":
        return True
    if suffix in (".md", ".markdown", ".txt", ".html", ".htm", ".vtt", ".srt", ".docx"):
        return False
    return b"%PDF" in head[:1024]


def read_pdf(path: Path) -> ReadResult:
    """Read a PDF into paragraphs. Never raises for a bad file: the result's status and reason
    say what went wrong."""
    path = Path(path)
    result = ReadResult(path=str(path), doc_type="pdf", status=FileStatus.DONE, title=path.stem)
    try:
        _read_into(path, result)
    except MemoryError:
        raise  # read_document turns it into TOO_LARGE: the memory cap on readers was hit
    except Exception as exc:  # noqa: BLE001 - a reader must not raise for a bad file
        result.status = FileStatus.CRASHED
        result.reason = (
            "ideamap failed while reading this PDF "
            f"({type(exc).__name__}: {str(exc)[:200]})."
        )
        result.paragraphs = []
    return result


def _read_into(path: Path, result: ReadResult) -> None:
    import pypdfium2.raw as raw

    from ideamap.ingest.pdf_paragraphs import paragraphs_from_pages

    with _PDFIUM_LOCK:
        pdf = _open(path, result)
        if pdf is None:
            return
        try:
            n_pages = result.pages = len(pdf)
            pages, failed = _read_pages(pdf, min(n_pages, MAX_PAGES))
            ocr = _ocr_pages(pdf, pages)
            metadata = _metadata(pdf)
            encrypted = raw.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1
        finally:
            pdf.close()
    if n_pages < 1:
        _fail(result, FileStatus.EMPTY, "This PDF has no pages.")
        return
    if not pages:
        _fail(result, FileStatus.INVALID, f"None of its {n_pages} pages could be read; "
              "the file is probably damaged.")
        return
    paragraphs, layout_title = paragraphs_from_pages(pages)
    result.paragraphs = paragraphs
    result.title = _choose_title(metadata.get("Title", ""), layout_title, path, pages)
    result.date = _pdf_date(metadata.get("CreationDate", ""))
    _set_status(result, pages, failed, n_pages, encrypted, ocr)


def _ocr_pages(pdf, pages) -> "OcrOutcome":
    """Replace the pages without a usable text layer by their OCR reading (in place)."""
    from ideamap.ingest import pdf_ocr, progress

    outcome = OcrOutcome()
    for i, page in enumerate(pages):
        has_text = bool(page.text.strip())
        garbage = has_text and not pdf_ocr.usable_layer(page)
        if garbage:
            outcome.garbage.append(page.number)
            page.lines, page.text = [], ""  # noise must not become paragraphs
        elif has_text or page.n_objects == 0:
            continue
        outcome.wanted.append(page.number)
    if not outcome.wanted:
        return outcome
    outcome.engine = pdf_ocr.tesseract_path() if pdf_ocr.ocr_enabled() else None
    if not pdf_ocr.ocr_enabled():
        outcome.off = True
        return outcome
    if outcome.engine is None:
        return outcome
    by_number = {page.number: i for i, page in enumerate(pages)}
    total = len(outcome.wanted)
    progress.report(0, total, "ocr")
    for done, number in enumerate(outcome.wanted, 1):
        try:
            read = pdf_ocr.ocr_page(pdf, number - 1, outcome.engine)
        except Exception:  # noqa: BLE001 - a page OCR fails on stays unread, the rest go on
            outcome.failed.append(number)
            read = None
        if read is not None and read.text.strip():
            pages[by_number[number]] = read
            outcome.read.append(number)
        progress.report(done, total, "ocr")
    return outcome


class OcrOutcome:
    """Which pages needed OCR (``wanted``; ``garbage``: those whose text layer was noise),
    which it read, and why it could not run."""

    def __init__(self) -> None:
        self.wanted: list[int] = []
        self.garbage: list[int] = []
        self.read: list[int] = []
        self.failed: list[int] = []
        self.engine: str | None = None
        self.off = False

    def why_unread(self) -> str:
        """How the pages not read came to be so, in plain words ("" when OCR ran)."""
        from ideamap.ingest.pdf_ocr import INSTALL_HINT

        if self.off:
            return "OCR (text recognition) is off, so they were not read."
        if self.engine is None:
            return f"OCR needs Tesseract, which is not installed: {INSTALL_HINT}."
        return ""

    def note(self) -> str:
        if not self.read:
            return ""
        what = ("the fonts of this PDF carry no readable text" if self.garbage
                else "this PDF has no text layer (scanned pages)")
        return (f"{_pages_phrase(self.read)} read by OCR (text recognition): {what}; "
                "expect some misread words.")


def _read_pages(pdf, n_pages: int):
    """The pages that could be read, and the numbers of those that could not."""
    from ideamap.ingest import pdf_text

    pages, failed = [], []
    for index in range(n_pages):
        try:
            pages.append(pdf_text.read_page(pdf, index))
        except Exception:  # noqa: BLE001 - one damaged page must not lose the others
            failed.append(index + 1)
    return pages, failed


def _open(path: Path, result: ReadResult):
    """The open ``PdfDocument``, or None with the result's status and reason set."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    if not path.is_file():
        _fail(result, FileStatus.UNREADABLE, "The file does not exist or is not a regular file.")
        return None
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        _fail(result, FileStatus.UNREADABLE, f"The file could not be opened ({exc.strerror}).")
        return None
    # Opened through the raw call (not PdfDocument(path)) so that a valid file with zero
    # pages can be told from a failure: PDFium reports no error for it, and its last-error
    # value would still hold an earlier file's error.
    encoded = str(path).encode("utf-8") if os.name == "nt" else os.fsencode(path)
    handle = raw.FPDF_LoadDocument(encoded + b"\0", None)
    if not handle:
        _fail_open(result, raw.FPDF_GetLastError())
        return None
    return pdfium.PdfDocument(handle)


def _fail_open(result: ReadResult, code: int) -> None:
    detail = _PDFIUM_ERRORS.get(code, f"PDFium error {code}")
    if code == _ERR_PASSWORD:
        _fail(result, FileStatus.ENCRYPTED, ENCRYPTED_REASON)
    elif code == _ERR_SECURITY:
        _fail(result, FileStatus.ENCRYPTED, "This PDF is protected by a security scheme "
              f"ideamap cannot open ({detail}).")
    elif code == _ERR_FILE:
        _fail(result, FileStatus.UNREADABLE, f"The file could not be opened ({detail}).")
    else:
        _fail(result, FileStatus.INVALID, "This file is not a valid PDF or is damaged, so it "
              f"cannot be read ({detail}).")


def _fail(result: ReadResult, status: FileStatus, reason: str) -> None:
    result.status = status
    result.reason = reason
    result.paragraphs = []


def _set_status(result: ReadResult, pages, failed: list[int], n_pages: int,
                encrypted: bool, ocr: "OcrOutcome | None" = None) -> None:
    ocr = ocr or OcrOutcome()
    n_chars = sum(len(page.text.strip()) for page in pages)
    if n_chars == 0 or not result.paragraphs:
        if ocr.garbage and not ocr.read:
            status, reason = FileStatus.NO_TEXT, (
                "The fonts of this PDF carry no readable text (its text layer is control "
                "characters and symbols). " + (ocr.why_unread() or "OCR found no text either."))
        elif n_chars == 0 and ocr.wanted and not ocr.read:
            status, reason = FileStatus.NO_TEXT, (
                "This PDF has no text layer: its pages are probably scanned images. "
                + (ocr.why_unread() or "OCR (text recognition) found no text on them."))
        elif n_chars == 0 and all(page.n_objects == 0 for page in pages):
            status, reason = FileStatus.EMPTY, "The pages of this PDF are blank."
        elif n_chars == 0:
            status, reason = FileStatus.NO_TEXT, NO_TEXT_REASON
        else:
            status, reason = FileStatus.EMPTY, (
                f"This PDF holds only {n_chars} character{'s' if n_chars != 1 else ''} of "
                "text, too little to make a paragraph.")
        if encrypted:
            reason += " The file is also encrypted, which may be why no text could be read."
        _fail(result, status, reason)
        return
    notes = _partial_notes(pages, failed, n_pages, ocr)
    if notes:
        result.status = FileStatus.PARTIAL
        result.reason = " ".join(notes)
    if ocr.note():
        # Read by OCR is still read: the status stays, the reason says how.
        result.reason = " ".join(filter(None, [ocr.note(), result.reason]))


def _partial_notes(pages, failed: list[int], n_pages: int,
                   ocr: "OcrOutcome | None" = None) -> list[str]:
    """What was left unread, in plain words."""
    notes = []
    if failed:
        notes.append(f"{_pages_phrase(failed)} could not be read (damaged); the rest was read.")
    if n_pages > MAX_PAGES:
        notes.append(f"Only the first {MAX_PAGES} of its {n_pages} pages were read "
                     "(ideamap's limit for one PDF).")
    no_text = [page.number for page in pages if not page.text.strip()]
    if len(no_text) >= 2 and len(no_text) >= 0.25 * len(pages):
        why = (ocr.why_unread() if ocr else "") or "OCR found no text on them."
        notes.append(f"{_pages_phrase(no_text)} have no text layer (probably scanned) or "
                     f"an unreadable one, so only the other pages were read. {why}")
    return notes


def _pages_phrase(numbers: list[int]) -> str:
    """ "Page 3", "Pages 3, 7 and 10–14"."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [str(r[0]) if len(r) == 1 else f"{r[0]}\u2013{r[-1]}" for r in runs]
    if len(numbers) == 1:
        return f"Page {parts[0]}"
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Pages {listed}"


# --- metadata --------------------------------------------------------------------------------


def _metadata(pdf) -> dict[str, str]:
    try:
        metadata = pdf.get_metadata_dict(skip_empty=True)
        return {key: value for key, value in metadata.items() if isinstance(value, str)}
    except Exception:  # noqa: BLE001 - metadata is optional
        return {}


def _choose_title(meta_title: str, layout_title: str, path: Path, pages=()) -> str:
    """The metadata title if it looks like a real title, else the largest text of the first
    page (not a banner), else the first page's title heading, else the file name."""
    from ideamap.ingest.pdf_title import largest_text_title

    return (_sensible_title(meta_title) or _sensible_title(largest_text_title(list(pages)))
            or _sensible_title(layout_title) or path.stem)


_JUNK_TITLES = {"untitled", "title", "no title", "document", "powerpoint presentation", "slide 1"}


def _sensible_title(value: str) -> str:
    title = _undo_mojibake(" ".join(value.split()))
    title = re.sub(r"^microsoft (word|powerpoint|excel) - ", "", title, flags=re.IGNORECASE)
    lowered = title.lower()
    if not 4 <= len(title) <= 300 or lowered in _JUNK_TITLES:
        return ""
    if not re.search(r"[^\W\d_]{3}", title) or re.match(r"^(pii|doi)\b", lowered):
        return ""
    if re.search(r"\.(docx?|pdf|tex|dvi|indd|qxd|fm|rtf|odt|pptx?|xlsx?|e?ps)$", lowered):
        return ""  # a file name, not a title
    if re.search(r"\d\s*\.\.\s*\d+$", title) or "template" in lowered:
        return ""  # a print job name ("pone.0115884 1..14") or an unfilled template
    if " " not in title and re.search(r"[\d_]", title):
        return ""  # an identifier such as "1-s2.0-S0370269313009179-main"
    return title


def _undo_mojibake(text: str) -> str:
    """Repair UTF-8 read as Windows-1252 ("receptorâ€“lacking" → "receptor–lacking")."""
    if "â€" not in text and "Ã" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def _pdf_date(value: str) -> str | None:
    """ISO date from a PDF date string such as "D:20200519234246Z"."""
    match = re.match(r"^(D:)?(\d{4})(\d{2})(\d{2})", value.strip())
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups()[1:])
    if 1980 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


register(Reader(name="pdf", doc_type="pdf", can_read=can_read, read=read_pdf, priority=10))
