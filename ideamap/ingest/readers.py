"""Imports every reader module so that each registers its reader (see base.py)."""

from ideamap.ingest import (  # noqa: F401
    docx_reader,
    html_reader,
    notes_reader,
    pdf,
    text_readers,
    transcript_reader,
)

__all__ = ["docx_reader", "html_reader", "notes_reader", "pdf", "text_readers", "transcript_reader"]
