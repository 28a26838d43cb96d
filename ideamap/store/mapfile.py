"""The map file: one SQLite database (suffix ``.ideamap``) written through sqlite-utils.

Every write that must be all-or-nothing goes through ``Database.atomic()``: a document's row,
its paragraphs, their vectors and their keyword-index entries land together or not at all, so a
build killed at any moment resumes without half-written documents.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from sqlite_utils import Database

from ideamap.errors import MapFileError, NotFoundError
from ideamap.model import (
    Document,
    FileStatus,
    Island,
    Paragraph,
    ParagraphKind,
    ReadResult,
)
from ideamap.store import safety, schema, verified


# Paragraph kinds placed on the map by default; headings and references stay searchable by
# keyword but would crowd the map with fragments and citation lists.
MAPPED_KINDS = (ParagraphKind.BODY.value, ParagraphKind.CAPTION.value)
VECTOR_READ_ROWS = 8192  # rows fetched at a time when reading all vectors (~12 MB at 384-d)

MAX_VECTOR_DIM = 16_384  # larger than any sentence encoder's; a bigger dim is a damaged map


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class MapStore:
    """Read and write one map file. Use :meth:`create` or :meth:`open`."""

    def __init__(self, db: Database, path: Path):
        self.db = db
        self.path = path

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path | str) -> "MapStore":
        path = Path(path)
        if path.exists():
            raise MapFileError(f"{path} already exists; choose another name or use 'add'.")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Made under a temporary name and renamed once whole: a build killed in its first
        # moment leaves no half-made map that running the build again would refuse.
        partial = path.with_name(f".{path.name}.creating")
        _remove_database(partial)
        db = _connect(partial)
        try:
            schema.migrate(db)
            db["meta"].upsert({"key": "created_at", "value": now_iso()}, pk="key")
        finally:
            db.close()
        os.replace(partial, path)
        _remove_database(partial)
        return cls.open(path)

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> "MapStore":
        """Open a map after checking it (see safety.py) through a read-only connection, so a
        map that is refused is never written to. ``readonly`` keeps that connection for
        viewing; otherwise the map is reopened for writing (and migrated if it is older)."""
        path = Path(path)
        db, version = _open_checked(path)
        if readonly:
            return cls(db, path)
        db.close()
        db = _connect(path)
        if version < schema.SCHEMA_VERSION:
            schema.migrate(db)
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "MapStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- meta and runs ---------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self.db.atomic():
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def start_run(self, kind: str, params: dict, *, model_id: str = "") -> int:
        parent = self.db.execute("SELECT max(id) FROM runs WHERE status = 'done'").fetchone()[0]
        with self.db.atomic():
            table = self.db["runs"].insert(
                {
                    "kind": kind,
                    "parent_id": parent,
                    "started_at": now_iso(),
                    "status": "running",
                    "model_id": model_id,
                    "params": json.dumps(params, sort_keys=True, default=str),
                }
            )
        return int(table.last_pk)

    def finish_run(self, run_id: int, status: str = "done", extra: dict | None = None) -> None:
        row = self.db["runs"].get(run_id)
        params = json.loads(row["params"] or "{}")
        params.update(extra or {})
        with self.db.atomic():
            self.db["runs"].update(
                run_id,
                {"status": status, "finished_at": now_iso(), "params": json.dumps(params, default=str)},
            )

    def runs(self) -> list[dict]:
        rows = list(self.db["runs"].rows_where(order_by="id"))
        for row in rows:
            row["params"] = json.loads(row["params"] or "{}")
        return rows

    # -- documents -----------------------------------------------------------------------------
    def document_hashes(self) -> dict[str, tuple[int, str, str]]:
        """path → (document id, content hash, status)."""
        sql = "SELECT path, id, content_hash, status FROM documents"
        return {p: (i, h, s) for p, i, h, s in self.db.execute(sql).fetchall()}

    def write_document(
        self,
        result: ReadResult,
        content_hash: str,
        vectors: np.ndarray | None,
        *,
        model_id: str,
        run_id: int,
    ) -> int:
        """Store one read document, its paragraphs and the vectors of its mapped paragraphs, in
        one transaction. ``vectors`` rows follow the order of :func:`mapped_paragraphs`.
        Replaces an earlier version of the same path."""
        mapped = [p for p in result.paragraphs if p.kind.value in MAPPED_KINDS]
        if vectors is not None and len(vectors) != len(mapped):
            raise ValueError("one vector per mapped paragraph is required")
        with self.db.atomic():
            self._delete_document_rows(result.path)
            doc_id = self._insert_document_row(result, content_hash, run_id)
            para_ids = self._insert_paragraphs(doc_id, result)
            if vectors is not None:
                ids = [pid for pid, p in zip(para_ids, result.paragraphs) if p.kind.value in MAPPED_KINDS]
                self._insert_vectors(ids, vectors, model_id)
        return doc_id

    def _insert_document_row(self, result: ReadResult, content_hash: str, run_id: int) -> int:
        row = {
            "path": result.path,
            "content_hash": content_hash,
            "doc_type": result.doc_type,
            "title": result.title,
            "date": result.date,
            "status": result.status.value,
            "reason": result.reason,
            "pages": result.pages,
            "n_paragraphs": len(result.paragraphs),
            "run_id": run_id,
            "added_at": now_iso(),
        }
        return int(self.db["documents"].insert(row).last_pk)

    def _insert_paragraphs(self, doc_id: int, result: ReadResult) -> list[int]:
        from ideamap.embed.cache import text_hash

        ids = []
        for p in result.paragraphs:
            cur = self.db.execute(
                "INSERT INTO paragraphs (document_id, ord, text, text_hash, kind, page, "
                "char_start, char_end, context) VALUES (?,?,?,?,?,?,?,?,?)",
                [doc_id, p.order, p.text, text_hash(p.text), p.kind.value, p.page,
                 p.char_start, p.char_end, p.context],
            )
            ids.append(int(cur.lastrowid))
            self.db.execute(
                "INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)", [cur.lastrowid, p.text]
            )
        return ids

    def _insert_vectors(self, ids: Sequence[int], vectors: np.ndarray, model_id: str) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.db.conn.executemany(
            "INSERT INTO vectors (paragraph_id, model_id, dim, vector) VALUES (?,?,?,?)",
            [(pid, model_id, vectors.shape[1], vec.tobytes()) for pid, vec in zip(ids, vectors)],
        )

    def _delete_document_rows(self, path: str) -> None:
        row = self.db.execute("SELECT id FROM documents WHERE path = ?", [path]).fetchone()
        if row is None:
            return
        doc_id = row[0]
        old = self.db.execute(
            "SELECT id, text FROM paragraphs WHERE document_id = ?", [doc_id]
        ).fetchall()
        self.db.conn.executemany(
            "INSERT INTO paragraphs_fts (paragraphs_fts, rowid, text) VALUES ('delete', ?, ?)", old
        )
        ids = [(pid,) for pid, _ in old]
        if ids:
            self.db.execute("DELETE FROM layout_arrays")  # the packed layout would list them
        self.db.conn.executemany("DELETE FROM vectors WHERE paragraph_id = ?", ids)
        self.db.conn.executemany("DELETE FROM memberships WHERE paragraph_id = ?", ids)
        # Annotations stay: they are keyed by content and find the re-read paragraphs again.
        self.db.execute("DELETE FROM paragraphs WHERE document_id = ?", [doc_id])
        self.db.execute("DELETE FROM documents WHERE id = ?", [doc_id])

    def documents(self) -> list[Document]:
        rows = self.db.execute(
            "SELECT id, path, content_hash, doc_type, title, date, status, reason, n_paragraphs "
            "FROM documents ORDER BY path"
        ).fetchall()
        return [_document(r) for r in rows]

    def document(self, doc_id: int) -> Document:
        row = self.db.execute(
            "SELECT id, path, content_hash, doc_type, title, date, status, reason, n_paragraphs "
            "FROM documents WHERE id = ?",
            [doc_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"No document {doc_id} in this map.")
        return _document(row)

    # -- paragraphs ----------------------------------------------------------------------------
    _PARAGRAPH_COLUMNS = "id, document_id, text, ord, kind, page, char_start, char_end, context"

    def paragraph(self, paragraph_id: int) -> Paragraph:
        row = self.db.execute(
            f"SELECT {self._PARAGRAPH_COLUMNS} FROM paragraphs WHERE id = ?", [int(paragraph_id)]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"No paragraph {paragraph_id} in this map.")
        return _paragraph(row)

    def paragraphs(self, ids: Iterable[int]) -> list[Paragraph]:
        """Paragraphs for ``ids``, in the order given (unknown ids are skipped)."""
        ids = [int(i) for i in ids]
        found: dict[int, Paragraph] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {self._PARAGRAPH_COLUMNS} FROM paragraphs WHERE id IN ({marks})"
            for row in self.db.execute(sql, chunk).fetchall():
                found[row[0]] = _paragraph(row)
        return [found[i] for i in ids if i in found]

    def document_paragraph_ids(self, doc_id: int) -> list[int]:
        sql = "SELECT id FROM paragraphs WHERE document_id = ? ORDER BY ord"
        return [r[0] for r in self.db.execute(sql, [doc_id]).fetchall()]

    def count_paragraphs(self) -> int:
        return self.db.execute("SELECT count(*) FROM paragraphs").fetchone()[0]

    # -- vectors -------------------------------------------------------------------------------
    def vectors(self, *, after: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(paragraph ids, float32 matrix) of every stored vector, ordered by id; with ``after``,
        only those of paragraph ids above it (the rows an add appended).

        Read in chunks into one preallocated matrix: fetching all rows first held the blobs,
        their join and the copy at once (~3x the matrix: 4.5 GB for 1M paragraphs)."""
        since = -(2**63) if after is None else int(after)
        n, dim = self.db.execute("SELECT count(*), max(dim) FROM vectors WHERE paragraph_id > ?", [since]).fetchone()
        if not n:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        if not isinstance(dim, int) or not 0 < dim <= MAX_VECTOR_DIM:
            raise MapFileError(f"{self.path.name} holds damaged vectors (wrong sizes).")
        ids = np.empty(n, dtype=np.int64)
        matrix = np.empty((n, int(dim)), dtype=np.float32)
        cursor = self.db.conn.execute(
            "SELECT paragraph_id, vector FROM vectors WHERE paragraph_id > ? ORDER BY paragraph_id", [since])
        done, row_bytes = 0, int(dim) * 4
        while rows := cursor.fetchmany(VECTOR_READ_ROWS):
            if done + len(rows) > n:  # a writer added rows since the count: read again
                return self.vectors(after=after)
            # Every row's size was checked with the map (safety.check_contents, one dimension,
            # length = dim * 4); the joined size catches a row changed since, cheaply.
            try:
                blob = b"".join([r[1] for r in rows])
            except TypeError:  # a value that is not bytes at all
                raise MapFileError(f"{self.path.name} holds damaged vectors (not stored as bytes).") from None
            if len(blob) != len(rows) * row_bytes:
                raise MapFileError(f"{self.path.name} holds damaged vectors (wrong sizes).")
            block = np.frombuffer(blob, dtype=np.float32).reshape(len(rows), dim)
            if not np.isfinite(block).all():
                raise MapFileError(f"{self.path.name} holds damaged vectors (values that are not numbers).")
            ids[done : done + len(rows)] = [r[0] for r in rows]
            matrix[done : done + len(rows)] = block
            done += len(rows)
        return ids[:done], matrix[:done]

    def vector_ids(self) -> np.ndarray:
        """Ids of the paragraphs that have a vector, ascending (without reading the vectors'
        values into Python: ~0.5 s at 1M instead of ~5 s)."""
        rows = self.db.conn.execute("SELECT paragraph_id FROM vectors ORDER BY paragraph_id")
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def vector_model_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT model_id FROM vectors")]

    def texts_for(self, ids: Sequence[int]) -> list[str]:
        return [p.text for p in self.paragraphs(ids)]

    # -- layout --------------------------------------------------------------------------------
    def save_layout(self, ids, coords, levels, islands, sea_hint, *, replace: bool, complete=None) -> None:
        """Write coordinates, memberships and island specs. ``replace`` drops the previous layout
        (a rebuild); otherwise only the given paragraphs are updated (an add), and ``complete``,
        when given, is the whole map's (ids, coordinates, levels) afterwards, kept packed."""
        from ideamap.store.layout_io import write_layout, write_packed

        with self.db.atomic():
            write_layout(self.db, ids, coords, levels, islands, sea_hint, replace=replace)
            whole = (ids, coords, levels) if replace else complete
            if whole is not None:
                write_packed(self.db, *whole)

    def place_keeping_names(self, ids, coords, levels, *, complete=None) -> None:
        """Write placed paragraphs and add them to their islands' sizes, in one transaction;
        the islands keep their names (an add too small to change them). ``complete``: as in
        save_layout."""
        from ideamap.store.layout_io import grow_islands, write_layout, write_packed

        with self.db.atomic():
            write_layout(self.db, ids, coords, levels, None, None, replace=False)
            grow_islands(self.db, levels)
            if complete is not None:
                write_packed(self.db, *complete)

    def whole_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, (n, 2) coordinates, (n_levels, n) island keys aligned to the ids, -1 = sea) of
        every paragraph on the map: from the packed copy when the map has a sound one, else
        from the tables (a paragraph without memberships is sea at every level)."""
        packed = self.layout_arrays()
        if packed is not None:
            return packed
        ids, xy = self.coords()
        member_ids, levels = self.memberships()
        out = np.full((max(1, levels.shape[0]), len(ids)), -1, dtype=np.int32)
        if len(member_ids) and len(ids):
            pos = np.minimum(np.searchsorted(member_ids, ids), len(member_ids) - 1)
            hit = member_ids[pos] == ids
            out[:, hit] = levels[:, pos[hit]]
        return ids, xy, out

    def layout_arrays(self):
        """(ids, coordinates, levels) of the whole map from its packed copy, or None when the
        map has none (then read coords() and memberships())."""
        from ideamap.store.layout_io import read_packed

        return read_packed(self.db)

    def replace_islands(self, islands, row_ids) -> None:
        """Replace the island specs (e.g. relabelled after an add); exemplars are row indices
        into ``row_ids``."""
        from ideamap.store.layout_io import write_islands

        with self.db.atomic():
            write_islands(self.db, islands, row_ids=[int(i) for i in row_ids])

    def coords(self) -> tuple[np.ndarray, np.ndarray]:
        """(paragraph ids, (n, 2) float32 coordinates) of every paragraph on the map."""
        rows = self.db.execute(
            "SELECT id, x, y FROM paragraphs WHERE x IS NOT NULL ORDER BY id"
        ).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        xy = np.array([(r[1], r[2]) for r in rows], dtype=np.float32).reshape(-1, 2)
        if not np.isfinite(xy).all():
            raise MapFileError(f"{self.path.name} holds damaged coordinates.")
        return ids, xy

    def memberships(self) -> tuple[np.ndarray, np.ndarray]:
        """(paragraph ids, (n_levels, n) island keys, -1 = sea) for paragraphs on the map."""
        from ideamap.store.layout_io import read_memberships

        return read_memberships(self.db)

    def islands(self, level: int | None = None) -> list[Island]:
        from ideamap.store.layout_io import read_islands

        return read_islands(self.db, level)

    def n_levels(self) -> int:
        row = self.db.execute("SELECT max(level) FROM islands").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def island_path(self, paragraph_id: int) -> list[Island]:
        """The islands containing a paragraph, broadest first (sea levels are skipped)."""
        from ideamap.store.layout_io import island_path

        return island_path(self.db, paragraph_id)


def _connect(path: Path, *, readonly: bool = False) -> Database:
    if readonly:
        # A URI, so that "?" or "#" in a file name cannot be read as URI syntax.
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(str(path))
    safety.harden(conn, readonly=readonly)
    db = Database(conn, execute_plugins=False, recursive_triggers=False)
    if not readonly:
        # WAL keeps readers (the app) unblocked while a build writes; synchronous=NORMAL is
        # still crash-safe in WAL mode (a power cut may lose the last commit, never corrupt).
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def _open_checked(path: Path) -> tuple[Database, int]:
    """A read-only connection to a map that passed every check, and its schema version."""
    safety.check_file(path)
    db = None
    stamp, started = verified.version(path), time.time()
    try:
        db = _connect(path, readonly=True)
        version = safety.check_schema(db.conn, path.name)
        # The schema is compared at every open (it is what decides whether SQL may run); the
        # page and table scans only when this version of the file has not passed them before.
        if verified.facts(path, stamp) is None:
            safety.check_contents(db.conn, path.name)
            verified.remember(path, stamp, started)
        return db, version
    except sqlite3.DatabaseError as exc:
        _close_quietly(db)
        raise MapFileError(f"{path.name} is damaged or not an ideamap map ({exc}).") from exc
    except BaseException:
        _close_quietly(db)
        raise


def _close_quietly(db: Database | None) -> None:
    if db is not None:
        db.close()


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _document(row) -> Document:
    return Document(
        id=row[0], path=row[1], content_hash=row[2] or "", doc_type=row[3] or "",
        title=row[4] or "", date=row[5], status=FileStatus(row[6]), reason=row[7] or "",
        n_paragraphs=row[8] or 0,
    )


def _paragraph(row) -> Paragraph:
    return Paragraph(
        id=row[0], document_id=row[1], text=row[2], order=row[3], kind=ParagraphKind(row[4]),
        page=row[5], char_start=row[6] or 0, char_end=row[7] or 0, context=row[8] or "",
    )


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
