"""Text helpers shared by the readers: whitespace, splitting text into paragraphs, merging
fragments too short to mean anything, splitting paragraphs too long to read as one idea,
and turning the result into :class:`ParagraphDraft` objects.

Readers work with :class:`Span` objects: a piece of display text plus the character range
of the source it came from. The text may be cleaned (markup removed, whitespace collapsed);
the range always points at the raw source, so the app can show where a paragraph came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable

from ideamap.model import ParagraphDraft, ParagraphKind

# A paragraph with fewer meaningful characters than this ("None.", "Link: https://…",
# "Thanks!") says too little to place on a map; it is merged into a neighbour.
MIN_MEANINGFUL_CHARS = 25
# Paragraphs longer than this many words are split at sentence boundaries into pieces of
# about TARGET_WORDS words, so that one paragraph stays one idea on the map.
MAX_WORDS = 300
TARGET_WORDS = 200

CONTEXT_SEPARATOR = " › "

_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+")
# A line that says nothing once its URL is gone: "Link:", "Video :", or nothing at all.
_BARE_LABEL = re.compile(r"^(?:[\w'-]+(?: [\w'-]+){0,2} ?:)?$")
_INLINE_SPACE = re.compile(r"[^\S\n]+")
_NON_BLANK_LINES = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")
_WORD = re.compile(r"\S+")
# A sentence ends at . ! ? … (or CJK equivalents), maybe followed by closing quotes or
# brackets, then whitespace. Abbreviations ("e.g. foo") cause extra cut points; that only
# matters when a paragraph is split, and then only shifts the cut by a sentence.
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*\s+")


@dataclass(frozen=True)
class Span:
    """A paragraph in the making: display ``text`` and the ``start``/``end`` range of the
    source it came from. ``mergeable`` is False for blocks (code, tables) that must not be
    glued to prose."""

    text: str
    start: int
    end: int
    kind: ParagraphKind = ParagraphKind.BODY
    context: str = ""
    mergeable: bool = True


# --- whitespace and measuring ---------------------------------------------------------


def normalise_whitespace(text: str, *, keep_newlines: bool = False) -> str:
    """Collapse runs of whitespace to one space and trim the ends. With ``keep_newlines``,
    line breaks survive (one per run of breaks) so list items stay on their own lines."""
    if not keep_newlines:
        return " ".join(text.split())
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def word_count(text: str) -> int:
    return len(text.split())


def meaningful_length(text: str) -> int:
    """Characters that carry meaning: whitespace collapsed, URLs left out and lines that are
    then only a label ("Link:") dropped, since a bare link tells a reader of the map nothing."""
    lines = (_URL.sub("", line).strip() for line in text.split("\n"))
    kept = [line for line in lines if not _BARE_LABEL.match(line)]
    return len(normalise_whitespace(" ".join(kept)))


def is_tiny(text: str, min_chars: int = MIN_MEANINGFUL_CHARS) -> bool:
    return meaningful_length(text) < min_chars


# --- splitting -------------------------------------------------------------------------


def split_blocks(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Ranges of ``text[start:end]`` separated by blank lines (lines of only whitespace),
    each trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    ranges = []
    for match in _NON_BLANK_LINES.finditer(text, start, end):
        ranges.append(_trim(text, match.start(), match.end()))
    return [r for r in ranges if r[0] < r[1]]


def split_long(
    text: str,
    start: int,
    end: int,
    *,
    max_words: int = MAX_WORDS,
    target_words: int = TARGET_WORDS,
) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into ranges of about ``target_words`` words, cutting at
    sentence ends; a sentence longer than ``max_words`` is cut between words. Ranges that
    are short enough come back whole. Every non-whitespace character lands in one range."""
    if word_count(text[start:end]) <= max_words:
        return [_trim(text, start, end)]
    units = _sentence_units(text, start, end, max_words, target_words)
    return _pack_units(units, max_words, target_words)


def _sentence_units(text, start, end, max_words, target_words):
    """(start, end, words) for each sentence, with over-long sentences cut into word runs."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(text, start, end)]
    bounds = [start, *[c for c in cuts if start < c < end], end]
    units = []
    for a, b in zip(bounds, bounds[1:]):
        words = list(_WORD.finditer(text, a, b))
        if len(words) <= max_words:
            units.append((a, b, len(words)))
            continue
        for i in range(0, len(words), target_words):
            run = words[i : i + target_words]
            units.append((run[0].start(), run[-1].end(), len(run)))
    return [u for u in units if u[2] > 0]


def _pack_units(units, max_words, target_words):
    pieces: list[list[int]] = []  # [start, end, words]
    for a, b, n in units:
        if pieces and pieces[-1][2] + n <= target_words:
            pieces[-1][1:] = [b, pieces[-1][2] + n]
        else:
            pieces.append([a, b, n])
    # A short tail reads better as the end of the piece before it.
    if len(pieces) > 1 and pieces[-1][2] < target_words // 4:
        if pieces[-2][2] + pieces[-1][2] <= max_words:
            tail = pieces.pop()
            pieces[-1][1:] = [tail[1], pieces[-1][2] + tail[2]]
    return [(a, b) for a, b, _ in pieces]


def split_paragraphs(text: str, *, min_chars: int = MIN_MEANINGFUL_CHARS) -> list[Span]:
    """Plain text → paragraphs: split at blank lines, split over-long blocks at sentence
    ends, collapse whitespace, merge tiny fragments into a neighbour. Loses no text."""
    spans = []
    for block_start, block_end in split_blocks(text):
        for a, b in split_long(text, block_start, block_end):
            spans.append(Span(normalise_whitespace(text[a:b]), a, b))
    return merge_short(spans, min_chars=min_chars)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- merging ---------------------------------------------------------------------------


def merge_short(spans: Iterable[Span], *, min_chars: int = MIN_MEANINGFUL_CHARS) -> list[Span]:
    """Merge each tiny BODY span into a neighbour of the same context: backwards by default
    (a trailing "Thanks." belongs to what it follows), forwards when it ends with a colon or
    starts a section (a "Link: …" line introduces what follows). Headings, code and spans of
    another context are never merged. A tiny span with no neighbour to join stays as it is."""
    out: list[Span] = []
    pending: Span | None = None  # a tiny span waiting to be joined to the next one
    for span in spans:
        if pending is not None:
            if _can_join(pending, span):
                span = _join(pending, span)
            else:
                _append_or_join(out, pending)
            pending = None
        if not (_is_mergeable(span) and is_tiny(span.text, min_chars)):
            out.append(span)
        elif out and _can_join(out[-1], span) and not span.text.rstrip().endswith(":"):
            out[-1] = _join(out[-1], span)
        else:
            pending = span
    if pending is not None:
        _append_or_join(out, pending)
    return out


def _append_or_join(out: list[Span], tiny: Span) -> None:
    """Place a tiny span that could not join what follows: after what precedes, if it can."""
    if out and _can_join(out[-1], tiny):
        out[-1] = _join(out[-1], tiny)
    else:
        out.append(tiny)


def _is_mergeable(span: Span) -> bool:
    return span.mergeable and span.kind is ParagraphKind.BODY


def _can_join(a: Span, b: Span) -> bool:
    return _is_mergeable(a) and _is_mergeable(b) and a.context == b.context


def _join(a: Span, b: Span) -> Span:
    return replace(a, text=f"{a.text}\n{b.text}", end=max(a.end, b.end))


def finish_spans(spans: Iterable[Span], *, min_chars: int = MIN_MEANINGFUL_CHARS) -> list[Span]:
    """The last step every reader shares: merge tiny fragments, then drop the tiny ones left
    alone in their section ("None.", "TBD") — unless nothing else has text, so that a short
    note still shows up on the map."""
    merged = [s for s in merge_short(spans, min_chars=min_chars) if s.text.strip()]
    has_substance = any(
        s.kind is ParagraphKind.BODY and not is_tiny(s.text, min_chars) for s in merged
    )
    if not has_substance:
        return merged
    return [
        s for s in merged if not (s.kind is ParagraphKind.BODY and is_tiny(s.text, min_chars))
    ]


def drop_empty_headings(spans: list[Span], *, keep_first: bool = False) -> list[Span]:
    """Drop headings with no text under them (template sections such as "Agenda" left
    unfilled). ``keep_first`` keeps a leading heading that titles the whole document.

    Spans come in document order, so the first paragraph after a heading is inside its
    section (context = the heading's path or deeper) or the section was empty."""
    next_body_context: list[str | None] = [None] * len(spans)
    following: str | None = None
    for index in range(len(spans) - 1, -1, -1):  # one backward pass: linear in the spans
        next_body_context[index] = following
        if spans[index].kind is not ParagraphKind.HEADING:
            following = spans[index].context
    kept = []
    for index, span in enumerate(spans):
        if span.kind is not ParagraphKind.HEADING or (keep_first and index == 0):
            kept.append(span)
        elif _inside(next_body_context[index], span):
            kept.append(span)
    return kept


def _inside(context: str | None, heading: Span) -> bool:
    if context is None:
        return False
    path = CONTEXT_SEPARATOR.join(filter(None, (heading.context, heading.text)))
    return context == path or context.startswith(path + CONTEXT_SEPARATOR)


# --- context and output ------------------------------------------------------------------


class HeadingPath:
    """The headings above the current point of a document, as a context string
    ("Design › Open questions")."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def context(self) -> str:
        return CONTEXT_SEPARATOR.join(text for _, text in self._stack)

    def enter(self, level: int, text: str) -> str:
        """Record a heading at ``level``; return the context the heading itself sits in."""
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        parent = self.context()
        self._stack.append((level, text))
        return parent


def to_drafts(spans: Iterable[Span], *, page: int | None = None) -> list[ParagraphDraft]:
    return [
        ParagraphDraft(
            text=span.text,
            order=order,
            kind=span.kind,
            page=page,
            char_start=span.start,
            char_end=span.end,
            context=span.context,
        )
        for order, span in enumerate(spans)
    ]
