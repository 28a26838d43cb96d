"""Checks a map file passes before ideamap trusts it.

A map may come from a stranger. SQLite runs code stored in a database only through its
schema (triggers, views, generated columns, CHECK constraints, expression indexes), so the
schema is compared, entry by entry, with the one ideamap's own migrations make, before any
table is read; a map that differs in any way is refused. The file is opened read-only for this,
so a refused map is never changed. Then a few cheap aggregate queries bound what the tables
hold (vector sizes, text lengths, known status values), and every connection runs with SQLite's
untrusted-schema mode and a cap on the size of any one value.

SQLite's "defensive" flag (SQLITE_DBCONFIG_DEFENSIVE) is not set: Python 3.11's sqlite3 cannot
set it without poking at the interpreter's private structures. It guards against SQL that
corrupts a database on purpose (writable_schema and the like); ideamap runs only its own SQL,
and every map's schema has passed the check here first.
"""

from __future__ import annotations

import os
import re
import sqlite3
from functools import lru_cache
from pathlib import Path

from ideamap.errors import MapFileError

SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 100
# No single value in a map (a paragraph, a run's parameters) comes anywhere near this; a
# crafted map holding a gigabyte-long text is refused when the value is read.
MAX_VALUE_BYTES = 64 * 2**20
# Readers cut paragraphs at 10,000 characters; titles, paths and labels are far shorter.
MAX_TEXT_CHARS = 100_000
MAX_LIST_CHARS = 1_000_000  # an island's terms and exemplars, as JSON
MAX_DIM = 8192
MAX_COORD = 1e9
_INTERNAL_TABLES = {"sqlite_stat1": "CREATE TABLE sqlite_stat1(tbl,idx,stat)"}


def harden(conn: sqlite3.Connection, *, readonly: bool) -> None:
    """Settings for every connection to a map: schema code may not call functions with side
    effects, damaged pages are noticed early, no other database can be attached, no value
    may exceed MAX_VALUE_BYTES; a read-only connection refuses writes outright."""
    conn.execute("PRAGMA trusted_schema=OFF")
    conn.execute("PRAGMA cell_size_check=ON")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    if readonly:
        conn.execute("PRAGMA query_only=ON")


# --- the file, before SQLite sees it ----------------------------------------------------


def check_file(path: Path) -> None:
    """Refuse what is not a whole SQLite file: not there, a folder, another format, or cut
    short (fewer bytes than its header says it has)."""
    if not path.exists():
        raise MapFileError(f"{path} does not exist.")
    if path.is_dir():
        raise MapFileError(f"{path} is a folder, not a map file.")
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER_BYTES)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise MapFileError(f"Cannot read {path}: {exc.strerror}.") from exc
    if not header.startswith(SQLITE_MAGIC) or len(header) < _HEADER_BYTES:
        raise MapFileError(f"{path.name} is not an ideamap map (it is not an SQLite file).")
    page_size = _page_size(header)
    if page_size is None:
        raise MapFileError(f"{path.name} is damaged (its header names no valid page size).")
    if _has_wal(path):
        return  # pages may still sit in the write-ahead log (a build was killed mid-checkpoint)
    if size % page_size:
        raise MapFileError(f"{path.name} is damaged (its size does not fit its page size).")
    if size < _declared_pages(header) * page_size:
        raise MapFileError(f"{path.name} is cut short: it is smaller than it says it is (an interrupted copy?).")


def _has_wal(path: Path) -> bool:
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def _page_size(header: bytes) -> int | None:
    raw = int.from_bytes(header[16:18], "big")
    size = 65536 if raw == 1 else raw
    return size if 512 <= size <= 65536 and size & (size - 1) == 0 else None


def _declared_pages(header: bytes) -> int:
    # The page count in the header is valid only when the change counter matches the
    # "version valid for" field (older writers left it stale).
    if header[24:28] != header[92:96]:
        return 0
    return int.from_bytes(header[28:32], "big")


# --- the schema ----------------------------------------------------------------------------


def check_schema(conn: sqlite3.Connection, name: str) -> int:
    """Compare the map's schema with ideamap's and return the map's schema version. Reads
    sqlite_master, then (once the ``meta`` table is known to be a plain table) the version."""
    from ideamap.store.schema import SCHEMA_VERSION

    entries = _entries(conn)
    if ("table", "meta") not in {(kind, entry) for kind, entry, _ in entries}:
        raise MapFileError(f"{name} is an SQLite file but not an ideamap map.")
    _refuse_code(entries, name)
    version = _version(conn, entries, name)
    if version > SCHEMA_VERSION:
        raise MapFileError(
            f"{name} was made by a newer ideamap (map format {version}; this version reads up to "
            f"{SCHEMA_VERSION}). Update ideamap to open it."
        )
    _compare(entries, reference_schema(version), name)
    return version


def _entries(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return {(kind, entry, normalise_sql(sql)) for kind, entry, sql in rows}


def _refuse_code(entries, name: str) -> None:
    kinds = {kind for kind, _, _ in entries}
    if "trigger" in kinds:
        raise MapFileError(f"{name} contains triggers (code that runs when the map changes); "
                           "ideamap maps never do, so it was not opened.")
    if "view" in kinds:
        raise MapFileError(f"{name} contains views, which ideamap maps never do, so it was not opened.")


def _version(conn: sqlite3.Connection, entries, name: str) -> int:
    expected = {e for e in reference_schema(1) if e[1] == "meta"}
    if {e for e in entries if e[1] == "meta"} != expected:
        raise MapFileError(f"{name} is not laid out as an ideamap map (its meta table differs).")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        version = int(row[0]) if row else 0
    except (TypeError, ValueError):
        version = -1
    if version < 1:
        raise MapFileError(f"{name} is an SQLite file but not an ideamap map (no valid format version).")
    return version


def _compare(entries, expected, name: str) -> None:
    actual_names = {(kind, entry) for kind, entry, _ in entries}
    expected_names = {(kind, entry) for kind, entry, _ in expected}
    allowed_extra = {("table", t) for t, sql in _INTERNAL_TABLES.items()
                     if ("table", t, normalise_sql(sql)) in entries}
    extra = actual_names - expected_names - allowed_extra
    if extra:
        listed = ", ".join(sorted(_shown(entry) for _, entry in extra)[:5])
        raise MapFileError(f"{name} contains parts an ideamap map does not have ({listed}), so it was not opened.")
    missing = expected_names - actual_names
    if missing:
        listed = ", ".join(sorted(entry for _, entry in missing)[:5])
        raise MapFileError(f"{name} is missing parts of a map: {listed}.")
    changed = {e[1] for e in entries - expected if ("table", e[1]) not in allowed_extra}
    if changed:
        listed = ", ".join(sorted(_shown(entry) for entry in changed)[:5])
        raise MapFileError(f"{name} is not laid out as an ideamap map ({listed} differ), so it was not opened.")


def _shown(entry: str) -> str:
    """A name from the file, safe to print (no terminal escapes) and short."""
    return "".join(c if c.isprintable() else "?" for c in entry)[:40]


_QUOTES = re.compile(r"[\"'`\[\]]")
_SPACE = re.compile(r"\s+")
_AROUND_PUNCTUATION = re.compile(r"\s*([(),])\s*")


def normalise_sql(sql: str | None) -> str:
    """SQL of a schema entry with quoting, case and spacing made uniform, so maps written by
    other versions of sqlite-utils (brackets or double quotes) compare equal."""
    if sql is None:
        return ""
    text = _SPACE.sub(" ", _QUOTES.sub("", sql)).strip().lower()
    return _AROUND_PUNCTUATION.sub(r"\1", text)


@lru_cache(maxsize=None)
def reference_schema(version: int) -> frozenset[tuple[str, str, str]]:
    """The schema entries ideamap's migrations make for ``version``, in a scratch database."""
    from sqlite_utils import Database

    from ideamap.store.schema import migrate_to

    conn = sqlite3.connect(":memory:")
    try:
        db = Database(conn, execute_plugins=False)
        migrate_to(db, version)
        return frozenset(_entries(conn))
    finally:
        conn.close()


# --- what the tables hold -----------------------------------------------------------------


def check_contents(conn: sqlite3.Connection, name: str) -> None:
    """Cheap bounds on the data (one pass over each table, no values decoded): pages that
    are sound (SQLite's quick_check, ~0.2 s per 100k paragraphs), every vector the size its
    dimension says, one dimension, texts of sane length, statuses and kinds ideamap knows,
    coordinates that are numbers."""
    try:
        _check_pages(conn, name)
        _check_vectors(conn, name)
        _check_paragraphs(conn, name)
        _check_small_tables(conn, name)
    except sqlite3.DataError as exc:  # SQLITE_TOOBIG: a value over MAX_VALUE_BYTES
        raise MapFileError(f"{name} holds a value too large to be a real map's ({exc}).") from exc


def _check_pages(conn: sqlite3.Connection, name: str) -> None:
    problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    if problem != "ok":
        raise MapFileError(f"{name} is damaged ({problem}), so it was not opened.")


def _check_vectors(conn: sqlite3.Connection, name: str) -> None:
    dims, low, high, bad = conn.execute(
        "SELECT count(DISTINCT dim), min(dim), max(dim), "
        "count(*) FILTER (WHERE typeof(vector) != 'blob' OR length(vector) != dim * 4) FROM vectors"
    ).fetchone()
    if dims > 1 or bad or (low is not None and not 0 < low <= high <= MAX_DIM):
        raise MapFileError(f"{name} holds damaged vectors (wrong sizes), so it was not opened.")


def _check_paragraphs(conn: sqlite3.Connection, name: str) -> None:
    from ideamap.model import ParagraphKind

    kinds = ",".join(f"'{kind.value}'" for kind in ParagraphKind)
    longest, context, odd_kind, odd_xy = conn.execute(
        "SELECT max(length(text)), max(length(context)), "
        f"count(*) FILTER (WHERE kind NOT IN ({kinds}) OR typeof(text) != 'text'), "
        "count(*) FILTER (WHERE NOT (typeof(x) IN ('real','integer') AND typeof(y) IN ('real','integer') "
        f"AND abs(x) <= {MAX_COORD} AND abs(y) <= {MAX_COORD}) AND NOT (x IS NULL AND y IS NULL)) "
        "FROM paragraphs"
    ).fetchone()
    if max(longest or 0, context or 0) > MAX_TEXT_CHARS:
        raise MapFileError(f"{name} holds a paragraph of {longest:,} characters, far longer than ideamap "
                           "makes, so it was not opened.")
    if odd_kind or odd_xy:
        raise MapFileError(f"{name} holds paragraphs ideamap cannot have written (unknown kinds or "
                           "coordinates), so it was not opened.")


def version_has_annotation_targets(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'annotation_targets'")
    return row.fetchone() is not None


def _check_annotations(conn: sqlite3.Connection, name: str) -> None:
    longest, odd_scope = conn.execute(
        # coalesce: SQL's max() of several values is NULL as soon as one of them is
        "SELECT max(coalesce(max(length(tag)), 0), coalesce(max(length(note)), 0), coalesce(max(length(label)), 0)), "
        "count(*) FILTER (WHERE scope NOT IN ('paragraph', 'island', 'selection')) FROM annotations"
    ).fetchone()
    path = conn.execute("SELECT max(length(document_path)) FROM annotation_targets").fetchone()[0]
    if max(longest or 0, path or 0) > MAX_TEXT_CHARS or odd_scope:
        raise MapFileError(f"{name} holds annotations ideamap cannot have written, so it was not opened.")


def _check_small_tables(conn: sqlite3.Connection, name: str) -> None:
    from ideamap.model import FileStatus

    statuses = ",".join(f"'{status.value}'" for status in FileStatus)
    longest, odd_status = conn.execute(
        # Scalar max() is NULL when any argument is NULL (e.g. every title missing), so each
        # column's longest value is coalesced to 0 first: one empty column must not hide another.
        "SELECT max(coalesce(max(length(path)), 0), coalesce(max(length(title)), 0), "
        "coalesce(max(length(reason)), 0)), "
        f"count(*) FILTER (WHERE status NOT IN ({statuses})) FROM documents"
    ).fetchone()
    label, lists = conn.execute(
        "SELECT max(length(label)), "
        "max(coalesce(max(length(terms)), 0), coalesce(max(length(exemplars)), 0)) FROM islands"
    ).fetchone()
    # Read only so that a value over MAX_VALUE_BYTES fails here, not when first shown.
    conn.execute("SELECT max(length(value)) FROM meta").fetchone()
    conn.execute("SELECT max(length(params)) FROM runs").fetchone()
    conn.execute("SELECT max(length(note)) FROM annotations").fetchone()
    if version_has_annotation_targets(conn):
        _check_annotations(conn, name)
    if (longest or 0) > MAX_TEXT_CHARS or (label or 0) > MAX_TEXT_CHARS or (lists or 0) > MAX_LIST_CHARS:
        raise MapFileError(f"{name} holds texts far longer than ideamap makes, so it was not opened.")
    if odd_status:
        raise MapFileError(f"{name} holds documents with an unknown status, so it was not opened.")
