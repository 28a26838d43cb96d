"""Tags and notes on a paragraph, an island or a selection, kept by content.

An annotation is stored with one target per paragraph it marks, each target being the
paragraph's text hash plus its document's content hash and path. Row ids change on add,
rebuild and adapt; content does not, so a tag finds its paragraphs again afterwards. A
target matches a paragraph with the same text in the same file content, or at the same path
(the file was edited elsewhere): a paragraph that was itself rewritten loses its tag, and
``missing`` counts such targets, so nothing is dropped silently.

Every write is one transaction. Removing returns what was removed, and :func:`restore` puts
it back unchanged (same id), which is all an undo stack needs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ideamap.errors import IdeamapError, MapFileError, NotFoundError

SCOPES = ("paragraph", "island", "selection")
MAX_TAG_CHARS = 200
MAX_NOTE_CHARS = 20_000


class BadAnnotationError(IdeamapError):
    pass


@dataclass(frozen=True)
class Annotation:
    id: int
    scope: str  # paragraph | island | selection
    tag: str | None
    note: str | None
    label: str  # what was marked, in words
    created_at: str
    paragraph_ids: list[int] = field(default_factory=list)  # the marked paragraphs in this map now
    missing: int = 0  # targets whose paragraph is no longer in the map (rewritten or removed)


@dataclass(frozen=True)
class Removed:
    """An annotation as it was before removal: pass it to :func:`restore` to undo."""

    row: dict
    targets: list[tuple]


def annotate(store, paragraph_ids: Sequence[int], *, tag: str | None = None, note: str | None = None,
             scope: str = "paragraph", label: str = "") -> Annotation:
    """Mark paragraphs with a tag, a note, or both. ``store`` must be open for writing."""
    from ideamap.store.mapfile import now_iso

    tag, note = _clean(tag, note, scope)
    targets = _targets(store, paragraph_ids)
    row = {"scope": scope, "tag": tag, "note": note, "label": label, "created_at": now_iso()}
    with _writing(store):
        cur = store.db.execute(
            "INSERT INTO annotations (scope, tag, note, label, created_at) VALUES (?,?,?,?,?)",
            [row["scope"], tag, note, label, row["created_at"]])
        annotation_id = int(cur.lastrowid)
        store.db.conn.executemany("INSERT OR IGNORE INTO annotation_targets VALUES (?,?,?,?)",
                                  [(annotation_id, *t) for t in targets])
    return get(store, annotation_id)


def tag(store, paragraph_ids: Sequence[int], name: str, **kwargs) -> Annotation:
    return annotate(store, paragraph_ids, tag=name, **kwargs)


def get(store, annotation_id: int) -> Annotation:
    found = list_annotations(store, annotation_ids=[annotation_id])
    if not found:
        raise NotFoundError(f"No annotation {annotation_id} in this map.")
    return found[0]


def list_annotations(store, *, tag: str | None = None, paragraph_id: int | None = None,
                     annotation_ids: Iterable[int] | None = None) -> list[Annotation]:
    """Annotations, oldest first, each with the paragraphs it marks now; filtered by tag
    (exact, case-insensitive), by a paragraph it marks, or by ids."""
    rows = store.db.execute("SELECT id, scope, tag, note, label, created_at FROM annotations ORDER BY id").fetchall()
    if tag is not None:
        rows = [r for r in rows if (r[2] or "").casefold() == tag.strip().casefold()]
    if annotation_ids is not None:
        wanted = {int(i) for i in annotation_ids}
        rows = [r for r in rows if r[0] in wanted]
    marked, missing = _resolve(store, [r[0] for r in rows])
    out = [Annotation(r[0], r[1], r[2], r[3], r[4] or "", r[5] or "", sorted(marked.get(r[0], ())),
                      missing.get(r[0], 0)) for r in rows]
    if paragraph_id is not None:
        out = [a for a in out if int(paragraph_id) in a.paragraph_ids]
    return out


def tag_counts(store) -> dict[str, int]:
    """Tag → number of annotations carrying it."""
    rows = store.db.execute("SELECT tag, count(*) FROM annotations WHERE tag IS NOT NULL GROUP BY tag ORDER BY tag")
    return dict(rows.fetchall())


def paragraph_ids_with_tag(store, name: str) -> set[int]:
    """Paragraphs in this map marked with a tag (for colouring or filtering the map)."""
    return {pid for a in list_annotations(store, tag=name) for pid in a.paragraph_ids}


def remove(store, annotation_id: int) -> Removed:
    """Delete one annotation (and its targets) in one transaction; returns it for undo."""
    row = store.db.execute("SELECT id, scope, tag, note, label, created_at FROM annotations WHERE id = ?",
                           [int(annotation_id)]).fetchone()
    if row is None:
        raise NotFoundError(f"No annotation {annotation_id} in this map ('ideamap notes MAP' lists them).")
    targets = store.db.execute("SELECT annotation_id, document_hash, document_path, text_hash FROM "
                               "annotation_targets WHERE annotation_id = ?", [int(annotation_id)]).fetchall()
    with _writing(store):
        store.db.execute("DELETE FROM annotation_targets WHERE annotation_id = ?", [int(annotation_id)])
        store.db.execute("DELETE FROM annotations WHERE id = ?", [int(annotation_id)])
    keys = ("id", "scope", "tag", "note", "label", "created_at")
    return Removed(dict(zip(keys, row)), [tuple(t) for t in targets])


def remove_tag(store, paragraph_id: int, name: str) -> list[Removed]:
    """Remove the tag ``name`` from every annotation marking this paragraph with it."""
    found = [a for a in list_annotations(store, tag=name, paragraph_id=paragraph_id)]
    if not found:
        raise NotFoundError(f"Paragraph {paragraph_id} has no tag '{name}'.")
    return [remove(store, a.id) for a in found]


def restore(store, removed: Removed) -> Annotation:
    """Put back a removed annotation exactly as it was (same id, same targets)."""
    r = removed.row
    with _writing(store):
        store.db.execute("INSERT INTO annotations (id, scope, tag, note, label, created_at) VALUES (?,?,?,?,?,?)",
                         [r["id"], r["scope"], r["tag"], r["note"], r["label"], r["created_at"]])
        store.db.conn.executemany("INSERT OR IGNORE INTO annotation_targets VALUES (?,?,?,?)", removed.targets)
    return get(store, r["id"])


def _clean(tag, note, scope) -> tuple[str | None, str | None]:
    if scope not in SCOPES:
        raise BadAnnotationError(f"Unknown scope '{scope}'; use one of {', '.join(SCOPES)}.")
    tag = " ".join(tag.split()) if tag else None
    note = note.strip() if note else None
    if not tag and not note:
        raise BadAnnotationError("An annotation needs a tag or a note (both are empty).")
    if tag and len(tag) > MAX_TAG_CHARS:
        raise BadAnnotationError(f"A tag is at most {MAX_TAG_CHARS} characters (this one has {len(tag)}).")
    if note and len(note) > MAX_NOTE_CHARS:
        raise BadAnnotationError(f"A note is at most {MAX_NOTE_CHARS:,} characters (this one has {len(note):,}).")
    return tag, note


def _targets(store, paragraph_ids: Sequence[int]) -> list[tuple[str, str, str]]:
    """(document hash, document path, text hash) of each paragraph; unknown ids are an error."""
    ids = sorted({int(i) for i in paragraph_ids})
    if not ids:
        raise BadAnnotationError("Nothing to annotate: no paragraphs were given.")
    found: dict[int, tuple] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        sql = ("SELECT p.id, coalesce(d.content_hash, ''), d.path, p.text_hash FROM paragraphs p "
               f"JOIN documents d ON d.id = p.document_id WHERE p.id IN ({marks})")
        found.update({r[0]: tuple(r[1:]) for r in store.db.execute(sql, chunk)})
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise NotFoundError(f"No paragraph {unknown[0]} in this map" + (f" (nor {len(unknown) - 1} more)." if len(unknown) > 1 else "."))
    return [found[i] for i in ids]


def _resolve(store, annotation_ids: list[int]) -> tuple[dict[int, set[int]], dict[int, int]]:
    """Annotation id → ids of the paragraphs its targets match now, and → unmatched targets."""
    if not annotation_ids:
        return {}, {}
    marked: dict[int, set[int]] = {}
    matched_targets: dict[int, set[tuple]] = {}
    for aid, pid, doc_hash, text_hash in store.db.execute(
        "SELECT t.annotation_id, p.id, t.document_hash, t.text_hash FROM annotation_targets t "
        "JOIN paragraphs p ON p.text_hash = t.text_hash JOIN documents d ON d.id = p.document_id "
        "WHERE d.content_hash = t.document_hash OR d.path = t.document_path"
    ):
        marked.setdefault(aid, set()).add(pid)
        matched_targets.setdefault(aid, set()).add((doc_hash, text_hash))
    totals = dict(store.db.execute("SELECT annotation_id, count(*) FROM annotation_targets GROUP BY annotation_id"))
    wanted = set(annotation_ids)
    missing = {aid: n - len(matched_targets.get(aid, ())) for aid, n in totals.items() if aid in wanted}
    return {a: s for a, s in marked.items() if a in wanted}, missing


class _writing:
    """A transaction that turns "the map is open read-only" into a clear message."""

    def __init__(self, store):
        self.store = store
        self._atomic = None

    def __enter__(self):
        self._atomic = self.store.db.atomic()
        return self._atomic.__enter__()

    def __exit__(self, kind, exc, tb):
        handled = self._atomic.__exit__(kind, exc, tb)
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).replace("-", "").replace(" ", ""):
            raise MapFileError("This map was opened read-only; open it for writing to change tags and notes.") from exc
        return handled
