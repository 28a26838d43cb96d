"""What the map's veil keeps: paragraphs with a tag, paragraphs of a period, or both. Qt-free.

The Notes panel sets a :class:`MapFilter`; :func:`kept_ids` turns it into the paragraph ids the
canvas leaves clear (everything else is veiled). A tag and a period combine (both must hold),
so one can see, say, what the "decision" paragraphs of March were about.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MapFilter:
    tag: str | None = None  # keep paragraphs carrying this tag
    since: str | None = None  # keep paragraphs of documents dated in [since, until] (ISO days)
    until: str | None = None

    @property
    def active(self) -> bool:
        return self.tag is not None or self.has_period

    @property
    def has_period(self) -> bool:
        return self.since is not None or self.until is not None


def kept_ids(store, f: MapFilter) -> set[int] | None:
    """Ids of the paragraphs the filter keeps clear, or None when it keeps everything.
    Undated documents fall outside any period (timeline.Period says why)."""
    if not f.active:
        return None
    from ideamap.reading import annotations, timeline  # not at window start (see notes_flow)

    keep: set[int] | None = None
    if f.tag is not None:
        keep = annotations.paragraph_ids_with_tag(store, f.tag)
    if f.has_period:
        span = timeline.period(f.since, f.until)
        in_span = set(timeline.paragraph_ids_in(store, span, on_map_only=True))
        keep = in_span if keep is None else keep & in_span
    return keep


def describe(f: MapFilter, n_kept: int, n_total: int) -> str:
    """One line for the panel: what is shown clear, and how much of the map that is."""
    if not f.active:
        return "The whole map is shown. Choose a tag or a period to veil the rest."
    parts = []
    if f.tag is not None:
        parts.append(f"tagged “{f.tag}”")
    if f.has_period:
        parts.append(f"from {f.since or '…'} to {f.until or '…'}")
    return f"Clear on the map: {n_kept:,} of {n_total:,} paragraphs ({' and '.join(parts)})."
