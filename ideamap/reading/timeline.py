"""Time: documents' dates and the paragraphs of a period.

Dates come from the documents themselves (a meeting's date, an article's date line) as the
readers found them: ISO ``YYYY-MM-DD``. Undated documents fall outside any period that has a
bound, and are counted so a view can say how many it left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ideamap.errors import IdeamapError

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class BadDateError(IdeamapError):
    pass


@dataclass(frozen=True)
class Period:
    """Inclusive bounds as ISO dates; None is open-ended."""

    since: str | None = None
    until: str | None = None

    def contains(self, date: str | None) -> bool:
        if self.since is None and self.until is None:
            return True
        if not date:
            return False
        day = date[:10]
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


def parse_bound(text: str | None, *, end: bool) -> str | None:
    """'2024', '2024-03' or '2024-03-05' as a full ISO day: the first day of the year/month
    for a start, the last possible one for an end (string comparison needs no calendar)."""
    if text is None or text == "":
        return None
    match = _ISO.match(text.strip())
    if not match:
        raise BadDateError(f"'{text}' is not a date; write it as YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2024-03-05).")
    year, month, day = match.groups()
    if month and not 1 <= int(month) <= 12 or day and not 1 <= int(day) <= 31:
        raise BadDateError(f"'{text}' is not a real date (month 01-12, day 01-31).")
    return f"{year}-{month or ('12' if end else '01')}-{day or ('31' if end else '01')}"


def period(since: str | None = None, until: str | None = None) -> Period:
    """A checked period; since after until is refused rather than giving an empty result."""
    p = Period(parse_bound(since, end=False), parse_bound(until, end=True))
    if p.since and p.until and p.since > p.until:
        raise BadDateError(f"The period starts ({since}) after it ends ({until}).")
    return p


def document_dates(store) -> dict[int, str | None]:
    """Document id → its date (None when the document states none)."""
    return {r[0]: r[1] for r in store.db.execute("SELECT id, date FROM documents")}


def date_range(store) -> tuple[str, str] | None:
    """(earliest, latest) date of the map's documents, or None when none is dated."""
    low, high = store.db.execute("SELECT min(date), max(date) FROM documents WHERE date IS NOT NULL").fetchone()
    return (low[:10], high[:10]) if low else None


def document_ids_in(store, span: Period) -> set[int]:
    return {doc_id for doc_id, date in document_dates(store).items() if span.contains(date)}


def paragraph_ids_in(store, span: Period, *, on_map_only: bool = False) -> list[int]:
    """Ids of paragraphs whose document's date is in the period (ordered by id)."""
    docs = document_ids_in(store, span)
    where = " WHERE x IS NOT NULL" if on_map_only else ""
    rows = store.db.execute(f"SELECT id, document_id FROM paragraphs{where} ORDER BY id")
    return [pid for pid, doc in rows if doc in docs]
