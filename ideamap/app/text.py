"""Wording shown to users: sources, citations, island paths, statuses, times. Qt-free."""

from __future__ import annotations

from pathlib import Path

from ideamap.model import Document, FileStatus, Paragraph

# What each file status means, in the words a user would use.
STATUS_WORDS = {
    FileStatus.DONE: "Read",
    FileStatus.PARTIAL: "Partly read",
    FileStatus.ENCRYPTED: "Needs a password",
    FileStatus.NO_TEXT: "No text layer (scanned?)",
    FileStatus.INVALID: "Damaged or not what its name says",
    FileStatus.EMPTY: "No usable text",
    FileStatus.TOO_LARGE: "Too large",
    FileStatus.TIMED_OUT: "Took too long to read",
    FileStatus.CRASHED: "The reader failed on it",
    FileStatus.UNSUPPORTED: "Format not supported",
    FileStatus.UNREADABLE: "Cannot be opened",
}

STAGE_WORDS = {
    "starting": "Starting…",
    "read": "Reading files",
    "embed": "Understanding paragraphs",
    "layout": "Drawing the map",
    "write": "Saving",
    "index": "Preparing nearest-paragraph search",
    "train": "Adapting the encoder to this map’s text",
    "check": "Comparing encoders on documents kept aside",
}


def clip(text: str, n: int) -> str:
    """One line, at most ``n`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def file_name(document: Document) -> str:
    return Path(document.path).name


def page_suffix(page: int | None) -> str:
    return f", p. {page}" if page else ""


def source_label(document: Document, page: int | None = None) -> str:
    """"title (file.pdf), p. 3", or just the file name when the title adds nothing."""
    name = file_name(document)
    title = document.title.strip()
    head = f"{title} ({name})" if title and title != Path(name).stem else name
    return head + page_suffix(page)


def citation(paragraph: Paragraph, document: Document) -> str:
    """The paragraph followed by where it comes from, ready to paste into notes."""
    return f"{paragraph.text.strip()}\n— {file_name(document)}{page_suffix(paragraph.page)}"


def island_path_text(labels: list[str]) -> str:
    return " › ".join(labels) if labels else "Open sea (not in an island)"


def status_words(status: FileStatus) -> str:
    return STATUS_WORDS.get(status, status.value)


def stage_words(stage: str) -> str:
    return STAGE_WORDS.get(stage, stage.capitalize())


def duration_words(seconds: float) -> str:
    """"about 40 s" / "about 3 min" / "about 1 h 20 min" (rounded: an ETA is a guess)."""
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    return f"about {minutes // 60} h {minutes % 60:02d} min"


def count_words(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"
