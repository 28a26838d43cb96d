"""Document metadata found in text: YAML front matter, dates in file names and fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

_FRONT_MATTER_OPEN = re.compile(r"\A\ufeff?---[ \t]*\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
# Front matter longer than this is probably a document that merely starts with a rule.
_MAX_FRONT_MATTER_CHARS = 8000

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-_/.](\d{1,2})[-_/.](\d{1,2})(?!\d)")
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_WRITTEN_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y")


@dataclass(frozen=True)
class FrontMatter:
    """Top-level ``key: value`` fields of a YAML front-matter block, and where the body
    after it starts. Nested YAML is ignored: only title and date are needed here, and a
    small parser cannot be tricked into running anything."""

    fields: dict[str, str] = field(default_factory=dict)
    body_start: int = 0

    @property
    def title(self) -> str:
        return self.fields.get("title", "")

    @property
    def date(self) -> str | None:
        return parse_date(self.fields.get("date", ""))


def parse_front_matter(text: str) -> FrontMatter:
    opening = _FRONT_MATTER_OPEN.match(text)
    if not opening:
        return FrontMatter()
    closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
    if not closing or closing.start() - opening.end() > _MAX_FRONT_MATTER_CHARS:
        return FrontMatter()
    fields = {}
    for line in text[opening.end() : closing.start()].split("\n"):
        match = _FIELD.match(line)
        if match:
            fields[match.group(1).lower()] = _unquote(match.group(2))
    if not fields:
        return FrontMatter()  # "---" then prose then "---": two rules, not front matter
    body_start = closing.end() + 1 if closing.end() < len(text) else closing.end()
    return FrontMatter(fields=fields, body_start=body_start)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_date(value: str) -> str | None:
    """An ISO date (YYYY-MM-DD) from a field such as "2021-03-03", "2021-03-03T10:00Z",
    "2021/03/03" or "March 3, 2021"; None when there is no valid date."""
    value = value.strip()
    if not value:
        return None
    match = _ISO_DATE.search(value)
    if match:
        return _valid_iso(*match.groups())
    for fmt in _WRITTEN_DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def date_from_name(path: Path) -> str | None:
    """The date written in a file name as YYYY-MM-DD ("minutes_2021-03-03-triage.md")."""
    for match in _NAME_DATE.finditer(Path(path).name):
        found = _valid_iso(*match.groups())
        if found:
            return found
    return None


def _valid_iso(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None
