"""Writing a set of paragraphs (a lasso or rectangle selection) to JSONL, CSV or Markdown. No Qt.

Records come from the map file, in reading order (document, then position in it), so an
exported selection reads like excerpts rather than in the order points were hit. Each record:
``id, document (path), title, page, kind, text, x, y`` (x, y: the map's stored 2-D coordinates).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Iterable, Sequence

FORMATS = {"jsonl": "jsonl", "json": "jsonl", "csv": "csv", "md": "md", "markdown": "md"}
FIELDS = ("id", "document", "title", "page", "kind", "text", "x", "y")
CHUNK = 500  # SQLite's default limit on bound parameters is 999


def selection_records(store, paragraph_ids: Iterable[int]) -> list[dict]:
    """One dict per paragraph of ``paragraph_ids`` that is in the map, in reading order."""
    ids = sorted({int(i) for i in paragraph_ids})
    rows = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        rows += store.db.execute(
            "SELECT p.id, d.path, coalesce(d.title, ''), p.page, p.kind, p.text, p.x, p.y, d.id, p.ord "
            f"FROM paragraphs p JOIN documents d ON d.id = p.document_id WHERE p.id IN ({marks})", chunk).fetchall()
    rows.sort(key=lambda r: (r[1], r[8], r[9], r[0]))
    return [dict(zip(FIELDS, r[:8])) for r in rows]


def format_for(path, fmt: str | None = None) -> str:
    """"jsonl", "csv" or "md", from ``fmt`` or else the file's suffix."""
    key = (fmt or Path(path).suffix.lstrip(".")).lower()
    if key not in FORMATS:
        raise ValueError(f"Cannot tell the export format of '{Path(path).name}': use .jsonl, .csv or .md.")
    return FORMATS[key]


def write_selection(path, records: Sequence[dict], fmt: str | None = None, *, title: str = "Selection") -> Path:
    """Write ``records`` (from :func:`selection_records`) to ``path``; returns the path."""
    path = Path(path)
    kind = format_for(path, fmt)
    if kind == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        path.write_text(text, encoding="utf-8")
    elif kind == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(records)
    else:
        path.write_text(selection_markdown(records, title), encoding="utf-8")
    return path


def selection_markdown(records: Sequence[dict], title: str = "Selection") -> str:
    """A heading per document, each paragraph as a quote followed by its citation."""
    docs = len({r["document"] for r in records})
    lines = [f"# {title}", "", f"{len(records)} paragraph{'s' * (len(records) != 1)} "
             f"from {docs} document{'s' * (docs != 1)}.", ""]
    current = None
    for r in records:
        if r["document"] != current:
            current = r["document"]
            name = Path(current or "").name
            head = f"{r['title']} ({name})" if r["title"] and r["title"] != Path(name).stem else name
            lines += [f"## {head}", ""]
        body = " ".join(str(r["text"]).split())
        page = f", p. {r['page']}" if r["page"] is not None else ""
        lines += [f"> {body}", "", f"— {Path(current or '').name}{page} (paragraph {r['id']})", ""]
    return "\n".join(lines)
