"""The shared paragraph helpers: splitting, merging and sizing never lose text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ideamap.ingest.paragraphs import (
    MAX_WORDS,
    HeadingPath,
    Span,
    drop_empty_headings,
    finish_spans,
    merge_short,
    normalise_whitespace,
    split_long,
    split_paragraphs,
)
from ideamap.model import ParagraphKind


def non_space(text: str) -> str:
    return "".join(text.split())


# Text built from words, sentence ends and assorted whitespace (blank lines included), so
# that splitting and merging paths are all exercised, plus arbitrary unicode text.
_words = st.sampled_from(["alpha", "Beta.", "gamma!", "x", "Delta?", "e.g.", "—", "über", "https://a.b/c"])
_spaces = st.sampled_from([" ", "\n", "\n\n", "\n \t\n", "\u00a0", "\r\n\r\n", "  "])
_structured = st.lists(st.tuples(_words, _spaces), max_size=400).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_structured, st.text(max_size=2000)))
def test_split_paragraphs_never_loses_text(text):
    spans = split_paragraphs(text)
    assert non_space("".join(s.text for s in spans)) == non_space(text)


@settings(max_examples=200, deadline=None)
@given(_structured)
def test_spans_point_at_their_source_in_order(text):
    spans = split_paragraphs(text)
    for span in spans:
        assert non_space(span.text) == non_space(text[span.start : span.end])
    starts = [s.start for s in spans]
    assert starts == sorted(starts)


@settings(max_examples=200, deadline=None)
@given(_structured)
def test_split_long_keeps_pieces_short_and_whole(text):
    ranges = split_long(text, 0, len(text), max_words=40, target_words=25)
    assert non_space("".join(text[a:b] for a, b in ranges)) == non_space(text)
    assert all(len(text[a:b].split()) <= 40 for a, b in ranges)


def test_normalise_whitespace():
    assert normalise_whitespace("  a \t b\n\n c ") == "a b c"
    assert normalise_whitespace(" a  b \n\n\n c\u00a0d ", keep_newlines=True) == "a b\nc d"


def test_tiny_fragment_merges_into_previous_paragraph():
    text = "A paragraph about rivers and how they meander.\n\nThanks!\n\nAnother paragraph about lakes."
    spans = split_paragraphs(text)
    assert [s.text for s in spans] == [
        "A paragraph about rivers and how they meander.\nThanks!",
        "Another paragraph about lakes.",
    ]


def test_fragment_ending_with_colon_merges_forward():
    spans = [
        Span("A long enough first paragraph here.", 0, 10),
        Span("Like this:", 11, 20),
        Span("the second paragraph, long enough too.", 21, 40),
    ]
    merged = merge_short(spans)
    assert [s.text for s in merged] == [
        "A long enough first paragraph here.",
        "Like this:\nthe second paragraph, long enough too.",
    ]
    assert (merged[1].start, merged[1].end) == (11, 40)


def test_headings_and_other_contexts_are_never_merged():
    spans = [
        Span("Intro", 0, 5, ParagraphKind.HEADING),
        Span("None.", 6, 11, context="Intro"),
        Span("Next", 12, 16, ParagraphKind.HEADING),
        Span("A paragraph long enough to stand alone.", 17, 50, context="Next"),
    ]
    finished = finish_spans(spans)
    assert [s.text for s in finished] == ["Intro", "Next", "A paragraph long enough to stand alone."]
    # and the heading left with nothing under it goes too
    assert [s.text for s in drop_empty_headings(finished)] == ["Next", "A paragraph long enough to stand alone."]


def test_a_short_note_alone_is_kept():
    assert [s.text for s in split_paragraphs("hello")] == ["hello"]
    assert [s.text for s in finish_spans(split_paragraphs("hello"))] == ["hello"]


def test_long_paragraph_is_split_at_sentences():
    sentence = "This sentence has exactly eight words in it. "
    text = sentence * 100  # 800 words
    spans = split_paragraphs(text)
    assert len(spans) >= 3
    for span in spans:
        assert len(span.text.split()) <= MAX_WORDS
        assert span.text.endswith("in it.")


def test_heading_path():
    path = HeadingPath()
    assert path.enter(1, "Design") == ""
    assert path.enter(2, "Open questions") == "Design"
    assert path.context() == "Design › Open questions"
    assert path.enter(2, "Decisions") == "Design"
    assert path.enter(1, "Appendix") == ""
    assert path.context() == "Appendix"
