"""Keyword search over the map's FTS5 index (porter-stemmed)."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str, *, any_word: bool) -> str:
    """Turn free text into a safe FTS5 query: every word quoted (so user input can never be
    parsed as FTS syntax), joined by AND or OR."""
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    joiner = " OR " if any_word else " AND "
    return joiner.join(f'"{w}"' for w in words)


def keyword_search(store, text: str, *, limit: int = 20) -> list[tuple[int, float]]:
    """(paragraph id, bm25 score where higher is better). All words first; if nothing matches
    every word, paragraphs matching any word."""
    for any_word in (False, True):
        query = fts_query(text, any_word=any_word)
        if not query:
            return []
        rows = store.db.execute(
            "SELECT rowid, -bm25(paragraphs_fts) FROM paragraphs_fts WHERE paragraphs_fts MATCH ? "
            "ORDER BY bm25(paragraphs_fts) LIMIT ?",
            [query, limit],
        ).fetchall()
        if rows:
            return [(int(r[0]), float(r[1])) for r in rows]
    return []
