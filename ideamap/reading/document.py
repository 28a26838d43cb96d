"""A document in reading order: headings, paragraphs, captions, references, with their pages.

Everything a reader pane needs comes from the map file alone (no model, no vectors), so a
document opens instantly; ``on_map`` says which paragraphs have a point on the map (headings
and references do not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ideamap.errors import NotFoundError
from ideamap.model import Document, ParagraphKind


@dataclass(frozen=True)
class ReadingItem:
    """One paragraph of a document, as a reader shows it."""

    id: int
    order: int
    kind: ParagraphKind
    page: int | None  # 1-based, PDFs only
    text: str
    context: str  # heading path ("Methods › Data") or a transcript's speaker
    on_map: bool  # has a point on the map (and a vector: neighbours can be asked for)


@dataclass(frozen=True)
class DocumentText:
    """A whole document in reading order."""

    document: Document
    pages: int | None
    items: list[ReadingItem] = field(default_factory=list)

    @property
    def paragraph_ids_on_map(self) -> list[int]:
        return [item.id for item in self.items if item.on_map]

    def position_of(self, paragraph_id: int) -> int:
        """Index into ``items`` of a paragraph of this document."""
        for i, item in enumerate(self.items):
            if item.id == paragraph_id:
                return i
        raise NotFoundError(f"Paragraph {paragraph_id} is not in {Path(self.document.path).name}.")

    def items_on_page(self, page: int) -> list[ReadingItem]:
        return [item for item in self.items if item.page == page]


def read_document(store, document_id: int) -> DocumentText:
    """The document's paragraphs in reading order (its ``ord``)."""
    document = store.document(document_id)
    pages = store.db.execute("SELECT pages FROM documents WHERE id = ?", [document_id]).fetchone()[0]
    rows = store.db.execute(
        "SELECT id, ord, kind, page, text, context, x IS NOT NULL FROM paragraphs "
        "WHERE document_id = ? ORDER BY ord, id",
        [document_id],
    ).fetchall()
    items = [
        ReadingItem(id=r[0], order=r[1], kind=ParagraphKind(r[2]), page=r[3], text=r[4],
                    context=r[5] or "", on_map=bool(r[6]))
        for r in rows
    ]
    return DocumentText(document=document, pages=pages, items=items)


def document_of_paragraph(store, paragraph_id: int) -> Document:
    return store.document(store.paragraph(paragraph_id).document_id)


def find_document(store, path: str | Path) -> Document:
    """The map's document for ``path``: the path as stored, the same file by its absolute path,
    or a file name that only one document has. A clear error names near candidates otherwise."""
    docs = store.documents()
    text = str(path)
    by_path = {d.path: d for d in docs}
    if text in by_path:
        return by_path[text]
    resolved = str(Path(text).expanduser().resolve())
    if resolved in by_path:
        return by_path[resolved]
    name = Path(text).name
    same_name = [d for d in docs if Path(d.path).name == name]
    if len(same_name) == 1:
        return same_name[0]
    if len(same_name) > 1:
        listed = ", ".join(d.path for d in same_name[:4])
        raise NotFoundError(f"{len(same_name)} documents in this map are named {name} ({listed}); give the full path.")
    raise NotFoundError(f"No document {text} in this map ({len(docs)} documents; 'ideamap export' lists them).")
