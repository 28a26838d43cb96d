"""The real meeting notes in ../shared/corpora/meeting_notes (130 Rust lang-team minutes)."""

import re
import statistics

import pytest

from ideamap.ingest import discover_files, read_document
from ideamap.ingest.metadata import date_from_name
from ideamap.model import FileStatus, ParagraphKind

pytestmark = pytest.mark.corpora


@pytest.fixture(scope="module")
def notes(corpora):
    files = discover_files([corpora / "meeting_notes"])
    return {path: read_document(path) for path in files}


def body(result):
    return [p for p in result.paragraphs if p.kind is ParagraphKind.BODY]


def test_every_file_reads_as_dated_notes(notes):
    assert len(notes) == 130  # index.csv is not a supported type and is skipped
    for path, result in notes.items():
        assert result.status is FileStatus.DONE, (path.name, result.reason)
        assert result.doc_type == "notes"
        assert result.date == date_from_name(path)
        assert result.title
        assert body(result), path.name


def test_paragraphs_have_sensible_lengths(notes):
    words = [len(p.text.split()) for result in notes.values() for p in body(result)]
    assert 10 <= statistics.median(words) <= 100
    # Only code blocks, kept whole, may run past the split limit.
    assert sum(w > 300 for w in words) <= len(words) * 0.005
    tiny = [p for result in notes.values() for p in body(result) if len(p.text) < 25]
    assert len(tiny) <= len(words) * 0.02


def test_markup_is_gone_and_context_is_set(notes):
    for path, result in notes.items():
        for paragraph in result.paragraphs:
            assert not re.search(r"\]\((?:https?:|#)", paragraph.text), (path.name, paragraph.text[:200])
            assert "<div" not in paragraph.text and "&#39;" not in paragraph.text
    with_context = [p for r in notes.values() for p in body(r) if p.context]
    assert len(with_context) >= 0.9 * sum(len(body(r)) for r in notes.values())


def test_saved_hackmd_page_reads_as_its_markdown(notes, corpora):
    result = notes[corpora / "meeting_notes" / "rustlang__minutes_2021-11-09.md"]
    assert result.title == "Triage meeting 2021-11-09"
    attendance = [p for p in result.paragraphs if p.context == "Attendance"]
    assert [p.text for p in attendance] == ["Team members: nikomatsakis, cramertj\nOthers: lokathor"]


def test_offsets_point_at_the_paragraph_in_the_file(notes):
    for path, result in notes.items():
        if result.title == "Triage meeting 2021-11-09":
            continue  # a saved web page: offsets index into the Markdown taken out of it
        source = path.read_text(encoding="utf-8")
        for paragraph in result.paragraphs:
            chunk = re.sub(r"[`*~]", "", source[paragraph.char_start : paragraph.char_end])
            words = re.findall(r"\w{3,}", paragraph.text)
            found = sum(word in chunk for word in words)
            assert found >= 0.9 * len(words), (path.name, paragraph.text[:100])
