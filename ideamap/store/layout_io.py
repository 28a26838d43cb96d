"""Reading and writing the layout part of a map: coordinates, island memberships and islands.

Kept apart from mapfile.py so each file stays about one thing. Callers hold the transaction.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
from sqlite_utils import Database

from ideamap.model import Island
from ideamap.store.safety import MAX_COORD


PACKED_NAMES = ("ids", "xy", "levels")
MAX_PACKED_LEVELS = 64  # real maps have 1-4 levels


def write_layout(db: Database, ids, coords, levels, islands, sea_hint, *, replace: bool) -> None:
    drop_packed(db)
    ids = [int(i) for i in ids]
    coords = np.asarray(coords, dtype=np.float64)
    levels = np.asarray(levels, dtype=np.int64).reshape(-1, len(ids))
    if replace:
        db.execute("UPDATE paragraphs SET x = NULL, y = NULL, sea_hint = NULL")
        db.execute("DELETE FROM memberships")
        db.execute("DELETE FROM islands")
    hints = np.full(len(ids), -1) if sea_hint is None else np.asarray(sea_hint)
    db.conn.executemany(
        "UPDATE paragraphs SET x = ?, y = ?, sea_hint = ? WHERE id = ?",
        [(float(x), float(y), int(h), pid) for pid, (x, y), h in zip(ids, coords, hints)],
    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO memberships (paragraph_id, level, island_key) VALUES (?,?,?)",
        [(pid, lvl, int(levels[lvl, j])) for lvl in range(levels.shape[0]) for j, pid in enumerate(ids)],
    )
    if islands is not None:
        write_islands(db, islands, row_ids=ids if replace else None)


def drop_packed(db: Database) -> None:
    """Forget the packed copy of the layout (see schema migration 3); a map of an older schema
    opened for writing has been migrated, so the table is there."""
    db.execute("DELETE FROM layout_arrays")


def write_packed(db: Database, ids, coords, levels) -> None:
    """The packed copy of a complete layout: every paragraph on the map, by ascending id."""
    ids = np.asarray(ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    xy = np.asarray(coords, dtype=np.float32).reshape(-1, 2)[order]
    keys = np.asarray(levels, dtype=np.int32).reshape(-1, len(ids))[:, order]
    drop_packed(db)
    db.conn.executemany(
        "INSERT INTO layout_arrays (name, data) VALUES (?, ?)",
        [("ids", ids[order].astype("<i8").tobytes()), ("xy", xy.astype("<f4").tobytes()),
         ("levels", np.ascontiguousarray(keys).astype("<i4").tobytes())],
    )


def read_packed(db: Database) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(ids, (n, 2) coordinates, (n_levels, n) island keys) from the packed copy, or None when
    there is none or it is not a sound one (then the tables are read, as they are the truth)."""
    try:
        rows = dict(db.execute("SELECT name, data FROM layout_arrays").fetchall())
    except sqlite3.OperationalError:  # a map of an older schema, opened read-only
        return None
    if set(rows) != set(PACKED_NAMES) or not all(isinstance(v, bytes) for v in rows.values()):
        return None
    if len(rows["ids"]) % 8 or len(rows["xy"]) != len(rows["ids"]):  # 8 bytes a point in each
        return None
    ids = np.frombuffer(rows["ids"], dtype="<i8").astype(np.int64)
    n = len(ids)
    if n == 0 or len(rows["levels"]) % (4 * n) or not 1 <= len(rows["levels"]) // (4 * n) <= MAX_PACKED_LEVELS:
        return None
    xy = np.frombuffer(rows["xy"], dtype="<f4").astype(np.float32).reshape(n, 2)
    levels = np.frombuffer(rows["levels"], dtype="<i4").astype(np.int32).reshape(-1, n)
    if np.any(ids[1:] <= ids[:-1]) or not np.isfinite(xy).all() or np.abs(xy).max() > MAX_COORD or levels.min() < -1:
        return None
    return ids, xy, levels


def grow_islands(db: Database, levels) -> None:
    """Add the paragraphs placed into each island (``levels``: (n_levels, m) keys, -1 = sea) to
    its size, keeping its name, terms and exemplars."""
    levels = np.asarray(levels, dtype=np.int64)
    rows = []
    for level, keys in enumerate(levels):
        uniq, counts = np.unique(keys[keys >= 0], return_counts=True)
        rows += [(int(c), level, int(k)) for k, c in zip(uniq, counts)]
    db.conn.executemany("UPDATE islands SET size = size + ? WHERE level = ? AND key = ?", rows)


def write_islands(db: Database, islands, *, row_ids=None) -> None:
    """Replace all island specs. ``exemplars`` in a spec are row indices into ``row_ids`` when
    given (fresh layout), else already paragraph ids."""
    db.execute("DELETE FROM islands")
    rows = []
    for spec in islands:
        exemplars = [int(row_ids[i]) for i in spec.exemplars] if row_ids is not None else [
            int(i) for i in spec.exemplars
        ]
        rows.append(
            (spec.level, spec.key, spec.parent_key, spec.label, json.dumps(list(spec.terms)),
             json.dumps(exemplars), int(spec.size), float(spec.x), float(spec.y))
        )
    db.conn.executemany(
        "INSERT INTO islands (level, key, parent_key, label, terms, exemplars, size, x, y) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )


def read_memberships(db: Database) -> tuple[np.ndarray, np.ndarray]:
    rows = db.execute(
        "SELECT m.paragraph_id, m.level, m.island_key FROM memberships m "
        "JOIN paragraphs p ON p.id = m.paragraph_id WHERE p.x IS NOT NULL "
        "ORDER BY m.paragraph_id, m.level"
    ).fetchall()
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.int32)
    arr = np.array(rows, dtype=np.int64)
    n_levels = int(arr[:, 1].max()) + 1
    ids = np.unique(arr[:, 0])
    levels = np.full((n_levels, len(ids)), -1, dtype=np.int32)
    col = np.searchsorted(ids, arr[:, 0])
    levels[arr[:, 1], col] = arr[:, 2]
    return ids, levels


def read_islands(db: Database, level: int | None = None) -> list[Island]:
    sql = "SELECT id, level, key, parent_key, label, terms, exemplars, size, x, y FROM islands"
    args: list = []
    if level is not None:
        sql += " WHERE level = ?"
        args.append(level)
    sql += " ORDER BY level, size DESC"
    return [_island(r) for r in db.execute(sql, args).fetchall()]


def island_path(db: Database, paragraph_id: int) -> list[Island]:
    rows = db.execute(
        "SELECT i.id, i.level, i.key, i.parent_key, i.label, i.terms, i.exemplars, i.size, i.x, i.y "
        "FROM memberships m JOIN islands i ON i.level = m.level AND i.key = m.island_key "
        "WHERE m.paragraph_id = ? ORDER BY i.level",
        [int(paragraph_id)],
    ).fetchall()
    return [_island(r) for r in rows]


def _island(row) -> Island:
    return Island(
        id=row[0], level=row[1], key=row[2], parent_key=row[3], label=row[4] or "",
        terms=json.loads(row[5] or "[]"), exemplar_ids=json.loads(row[6] or "[]"),
        size=row[7], x=row[8], y=row[9],
    )
