"""Real prose for benchmarks: the Rust meeting notes from ../shared/corpora when present, else
the demo corpus (Python's own documentation), split at blank lines."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def prose_paragraphs(limit: int, *, min_chars: int = 80) -> tuple[list[str], str]:
    notes = SHARED / "meeting_notes"
    if notes.is_dir():
        files, source = sorted(notes.glob("*.md")), "shared/corpora/meeting_notes"
    else:
        from ideamap.demo import write_demo_corpus

        files = write_demo_corpus(Path(tempfile.mkdtemp()) / "demo")
        source = "demo corpus (pydoc_data + stdlib docstrings)"
    out: list[str] = []
    for path in files:
        for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8", errors="replace")):
            text = " ".join(block.split())
            if len(text) >= min_chars:
                out.append(text)
    return out[:limit], source
