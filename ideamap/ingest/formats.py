"""File suffixes each reader accepts. Kept apart from the readers so that the app's file
dialogs and folder scanning can know them without importing any parser."""

from __future__ import annotations

TEXT_SUFFIXES = (".txt",)
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
TRANSCRIPT_SUFFIXES = (".vtt", ".srt")
DOCX_SUFFIXES = (".docx",)
PDF_SUFFIXES = (".pdf",)

SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        TEXT_SUFFIXES
        + MARKDOWN_SUFFIXES
        + HTML_SUFFIXES
        + TRANSCRIPT_SUFFIXES
        + DOCX_SUFFIXES
        + PDF_SUFFIXES
    )
)


def has_suffix(path, suffixes: tuple[str, ...]) -> bool:
    return path.suffix.lower() in suffixes
