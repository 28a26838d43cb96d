"""Transcripts and subtitles (.vtt, .srt): cues merged into paragraphs by speaker turn.

A speaker is named by a WebVTT voice tag ("<v Alice>") or a prefix ("ALICE:", "Alice:",
"Dr. Smith:"). Cues without a name continue the current turn. A long turn is cut at a cue
that ends a sentence once it has about TARGET_WORDS words, so paragraphs stay a few hundred
words and their offsets stay exact (each paragraph covers whole cues of the file).
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ideamap.ingest.base import Reader, register
from ideamap.ingest.decoding import ReadFailure, failed, read_text_file
from ideamap.ingest.formats import TRANSCRIPT_SUFFIXES, has_suffix
from ideamap.ingest.metadata import date_from_name
from ideamap.ingest.paragraphs import Span, finish_spans, to_drafts
from ideamap.model import FileStatus, ReadResult

DOC_TYPE = "transcript"
TARGET_WORDS = 150
MAX_WORDS = 250

_VOICE = re.compile(r"<v(?:\.[^\s>]+)?(?:\s+([^>]*))?>", re.I)
_TAG = re.compile(r"</?[^>]*>")
_SPEAKER_PREFIX = re.compile(
    r"^\s*(?:>>\s*|-\s*)?"
    r"((?:[A-Z][\w'.-]*|[A-Z]\.)(?: [A-Z][\w'.-]*){0,2}|[A-Z][A-Z0-9 '.-]{0,28}[A-Z0-9])"
    r"\s*:\s+"
)
_NOT_SPEAKERS = frozenset({"note", "warning", "example", "http", "https", "update", "edit"})
_SOUND_ONLY = re.compile(r"^\s*(?:[\[(♪][^\])]*[\])♪]\s*)+$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True)
class Cue:
    text: str
    speaker: str | None
    start: int  # character range of the cue's text in the file
    end: int


def read_transcript(path: Path) -> ReadResult:
    path = Path(path)
    try:
        text = read_text_file(path)
        captions = _parse_captions(text, path.suffix.lower())
    except ReadFailure as failure:
        return failed(path, DOC_TYPE, failure)
    spans = finish_spans(_turn_spans(_cues(captions, text)))
    return ReadResult(
        path=str(path),
        doc_type=DOC_TYPE,
        status=FileStatus.DONE,
        title=path.stem,
        date=date_from_name(path),
        paragraphs=to_drafts(spans),
    )


def _parse_captions(text: str, suffix: str):
    import webvtt
    from webvtt.errors import MalformedFileError

    kind = "SRT" if suffix == ".srt" else "WebVTT"
    try:
        if suffix == ".srt":
            return list(webvtt.from_buffer(io.StringIO(text), format="srt"))
        return list(webvtt.from_string(text))
    except (MalformedFileError, ValueError, IndexError, AttributeError) as exc:
        reason = f"This is not a valid {kind} subtitle file (it could not be parsed)."
        raise ReadFailure(FileStatus.INVALID, reason) from exc


def _cues(captions, source: str) -> list[Cue]:
    """Caption objects → cues with speaker, clean text and position in the source."""
    cues: list[Cue] = []
    cursor = 0
    previous_last_line = ""
    for caption in captions:
        start, end = _locate(source, caption.raw_text, cursor)
        cursor = max(cursor, end)
        for speaker, text in _voice_segments(caption.raw_text):
            lines = [line for line in text.split("\n") if line.strip()]
            # Auto-captions repeat the previous cue's last line at the top of the next.
            if lines and lines[0].strip() == previous_last_line:
                lines = lines[1:]
            if not lines:
                continue
            previous_last_line = lines[-1].strip()
            text = " ".join(" ".join(lines).split())
            if not _SOUND_ONLY.match(text):
                cues.append(Cue(text, speaker, start, end))
    return _name_speakers(cues)


def _name_speakers(cues: list[Cue]) -> list[Cue]:
    """Take "Name: …" prefixes as speakers. An ALL-CAPS name is a speaker by convention; a
    Capitalised one ("So: …" could be speech) only if it starts at least two cues."""
    prefixes = [_speaker_prefix(cue.text) if cue.speaker is None else None for cue in cues]
    counts: dict[str, int] = {}
    for match in filter(None, prefixes):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    named = []
    for cue, match in zip(cues, prefixes):
        if match and (match.group(1).isupper() or counts[match.group(1)] >= 2):
            text = cue.text[match.end() :].strip()
            cue = Cue(text, _display_name(match.group(1)), cue.start, cue.end)
        if cue.text:
            named.append(cue)
    return named


def _voice_segments(raw: str) -> list[tuple[str | None, str]]:
    """"<v Alice>Hi <v Bob>Hello" → [("Alice", "Hi "), ("Bob", "Hello")]; other tags are
    removed and entities decoded."""
    segments: list[tuple[str | None, str]] = []
    speaker, last = None, 0
    for match in _VOICE.finditer(raw):
        segments.append((speaker, raw[last : match.start()]))
        speaker, last = (match.group(1) or "").strip() or None, match.end()
    segments.append((speaker, raw[last:]))
    cleaned = [(who, html.unescape(_TAG.sub("", text))) for who, text in segments]
    return [(who, text) for who, text in cleaned if text.strip()]


def _speaker_prefix(text: str) -> re.Match | None:
    match = _SPEAKER_PREFIX.match(text)
    if not match or match.group(1).lower() in _NOT_SPEAKERS:
        return None
    return match


def _display_name(name: str) -> str:
    name = name.strip()
    if name.isupper() and len(name) > 1:
        return name.title()  # "ALICE SMITH" → "Alice Smith", for display as context
    return name


def _locate(source: str, raw: str, cursor: int) -> tuple[int, int]:
    """Where a cue's text sits in the source, searching forward from ``cursor``."""
    lines = [line for line in raw.split("\n") if line.strip()]
    if not lines:
        return cursor, cursor
    start = source.find(lines[0], cursor)
    if start < 0:
        return cursor, cursor
    last = source.find(lines[-1], start)
    end = last + len(lines[-1]) if last >= 0 else start + len(lines[0])
    return start, end


def _turn_spans(cues: list[Cue]) -> list[Span]:
    """Consecutive cues of one speaker form a turn; a long turn is cut after a cue that ends
    a sentence once it holds TARGET_WORDS words (or anywhere once it holds MAX_WORDS)."""
    spans: list[Span] = []
    turn: list[Cue] = []
    speaker: str | None = None
    for cue in cues:
        if cue.speaker is not None and cue.speaker != speaker:
            spans.extend(_flush(turn, speaker))
            turn, speaker = [], cue.speaker
        elif turn and _turn_full(turn):
            spans.extend(_flush(turn, speaker))
            turn = []
        turn.append(cue)
    spans.extend(_flush(turn, speaker))
    return spans


def _turn_full(turn: list[Cue]) -> bool:
    words = sum(len(cue.text.split()) for cue in turn)
    ends_sentence = bool(_SENTENCE_END.search(turn[-1].text))
    return words >= MAX_WORDS or (words >= TARGET_WORDS and ends_sentence)


def _flush(turn: list[Cue], speaker: str | None) -> list[Span]:
    if not turn:
        return []
    text = " ".join(cue.text for cue in turn)
    return [Span(text, turn[0].start, turn[-1].end, context=speaker or "")]


register(
    Reader(
        name="transcript",
        doc_type=DOC_TYPE,
        can_read=lambda path, head: has_suffix(path, TRANSCRIPT_SUFFIXES),
        read=read_transcript,
    )
)
