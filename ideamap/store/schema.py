"""The map file's schema, built by registered migrations (one transaction each).

A map records its schema version in ``meta``. Opening a map from a newer ideamap is refused
rather than guessed at; an older map is migrated forward in place.
"""

from __future__ import annotations

from typing import Callable

from sqlite_utils import Database

SCHEMA_VERSION = 3

# Tables ideamap itself creates (safety.py checks a map's whole schema, these and their
# indexes and FTS5 shadow tables, against what the migrations make).
EXPECTED_TABLES = frozenset(
    {
        "meta",
        "documents",
        "paragraphs",
        "vectors",
        "islands",
        "memberships",
        "runs",
        "annotations",
        "annotation_targets",
        "paragraphs_fts",
        "layout_arrays",
    }
)

_MIGRATIONS: dict[int, Callable[[Database], None]] = {}


def migration(version: int):
    """Register the function that brings a map from ``version - 1`` to ``version``."""

    def decorate(fn: Callable[[Database], None]) -> Callable[[Database], None]:
        _MIGRATIONS[version] = fn
        return fn

    return decorate


@migration(1)
def _initial_schema(db: Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["runs"].create(
        {
            "id": int,
            "kind": str,  # build | add | rebuild | adapt
            "parent_id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | done | cancelled | failed
            "model_id": str,
            "params": str,  # JSON: parameters, seeds, library versions
        },
        pk="id",
    )
    db["documents"].create(
        {
            "id": int,
            "path": str,
            "content_hash": str,
            "doc_type": str,
            "title": str,
            "date": str,
            "status": str,
            "reason": str,
            "pages": int,
            "n_paragraphs": int,
            "run_id": int,
            "added_at": str,
        },
        pk="id",
        not_null={"path", "status"},
    )
    db["documents"].create_index(["path"], unique=True)
    db["paragraphs"].create(
        {
            "id": int,
            "document_id": int,
            "ord": int,
            "text": str,
            "text_hash": str,
            "kind": str,
            "page": int,
            "char_start": int,
            "char_end": int,
            "context": str,
            "x": float,  # NULL when the paragraph is not on the map (headings, references)
            "y": float,
            "sea_hint": int,  # finest-level island key nearest a sea paragraph
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
        not_null={"document_id", "text", "kind"},
    )
    db["paragraphs"].create_index(["document_id", "ord"])
    db["vectors"].create(
        {"paragraph_id": int, "model_id": str, "dim": int, "vector": bytes},
        pk="paragraph_id",
        foreign_keys=[("paragraph_id", "paragraphs", "id")],
    )
    db["islands"].create(
        {
            "id": int,
            "level": int,
            "key": int,
            "parent_key": int,
            "label": str,
            "terms": str,  # JSON list
            "exemplars": str,  # JSON list of paragraph ids
            "size": int,
            "x": float,
            "y": float,
        },
        pk="id",
    )
    db["islands"].create_index(["level", "key"], unique=True)
    db["memberships"].create(
        {"paragraph_id": int, "level": int, "island_key": int},  # island_key -1 = sea
        pk=("paragraph_id", "level"),
    )
    db["annotations"].create(
        {"id": int, "paragraph_id": int, "note": str, "created_at": str}, pk="id"
    )
    # External-content FTS5 table kept in step by the store (no triggers: a map must not carry
    # code that runs on writes, so hostile triggers can be refused outright).
    db.execute(
        "CREATE VIRTUAL TABLE paragraphs_fts USING fts5("
        "text, content='paragraphs', content_rowid='id', tokenize='porter unicode61')"
    )


@migration(2)
def _annotations_keyed_by_content(db: Database) -> None:
    """Tags and notes keyed by what they mark (document content hash + path, paragraph text
    hash), not by row ids, which change on add, rebuild and adapt. One annotation marks one
    paragraph or many (an island, a selection): one target row per paragraph."""
    old = db.execute(
        "SELECT a.note, a.created_at, p.text_hash, d.content_hash, d.path FROM annotations a "
        "JOIN paragraphs p ON p.id = a.paragraph_id JOIN documents d ON d.id = p.document_id"
    ).fetchall()
    db.execute("DROP TABLE annotations")
    db["annotations"].create(
        {
            "id": int,
            "scope": str,  # paragraph | island | selection
            "tag": str,  # NULL for a note without a tag
            "note": str,
            "label": str,  # what the user marked, in words ("island «Borrow checker»")
            "created_at": str,
        },
        pk="id",
        not_null={"scope"},
    )
    db["annotation_targets"].create(
        {"annotation_id": int, "document_hash": str, "document_path": str, "text_hash": str},
        pk=("annotation_id", "document_hash", "text_hash"),
        foreign_keys=[("annotation_id", "annotations", "id")],
    )
    db["annotation_targets"].create_index(["text_hash"])
    db["paragraphs"].create_index(["text_hash"])
    for note, created_at, text_hash, doc_hash, path in old:
        cur = db.execute(
            "INSERT INTO annotations (scope, note, label, created_at) VALUES ('paragraph', ?, '', ?)",
            [note, created_at],
        )
        db.execute(
            "INSERT OR IGNORE INTO annotation_targets VALUES (?, ?, ?, ?)",
            [cur.lastrowid, doc_hash or "", path, text_hash],
        )


@migration(3)
def _packed_layout(db: Database) -> None:
    """A copy of the layout as three arrays (paragraph ids, coordinates, island keys per
    level), which the app reads when it opens a map: 1M rows of coordinates and 3M of
    memberships took ~7 s to read here, the arrays a fraction of a second. The tables stay the
    truth: every write of the layout, and every removal of a document, drops the copy in the
    same transaction, and only a complete layout just written is copied again."""
    db["layout_arrays"].create({"name": str, "data": bytes}, pk="name")


def current_version(db: Database) -> int:
    if "meta" not in db.table_names():
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: Database) -> None:
    """Apply every registered migration above the map's version, each in its own transaction."""
    migrate_to(db, SCHEMA_VERSION)


def migrate_to(db: Database, version: int) -> None:
    """Bring the map to ``version`` (also used to make the reference schema a map is checked
    against, see safety.py)."""
    for target in range(current_version(db) + 1, version + 1):
        with db.conn:
            _MIGRATIONS[target](db)
            db["meta"].upsert({"key": "schema_version", "value": str(target)}, pk="key")
