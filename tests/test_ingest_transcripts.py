"""WebVTT and SRT transcripts: cues merged into paragraphs by speaker turn."""

from pathlib import Path

from ideamap.ingest import read_document
from ideamap.model import FileStatus

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Alice>I think we should start with the budget for the river survey.

00:00:04.500 --> 00:00:07.000
<v Alice>We have three boats and only two crews this summer.

00:00:07.500 --> 00:00:10.000
<v Bob Smith>Then we hire a third crew, or we leave one boat in the shed.

00:00:10.500 --> 00:00:13.000
<v.loud Bob Smith>I would rather <i>hire</i> than leave a boat idle all season.</v>

00:00:13.500 --> 00:00:16.000
<v Alice>Fine, let us put a third crew in the draft budget then.
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
ALICE: I think we should start with
the budget for the river survey.

2
00:00:04,500 --> 00:00:07,000
We have three boats and only two crews.

3
00:00:07,500 --> 00:00:10,000
BOB: Then we hire a third crew, or we leave one boat in the shed.

4
00:00:10,500 --> 00:00:13,000
[laughs]

5
00:00:13,500 --> 00:00:16,000
ALICE: Fine, a third crew goes into the draft budget.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_vtt_paragraphs_follow_speaker_turns(tmp_path):
    path = write(tmp_path, "meeting 2023-04-05.vtt", VTT)
    result = read_document(path)
    assert result.status is FileStatus.DONE
    assert (result.doc_type, result.date, result.title) == ("transcript", "2023-04-05", "meeting 2023-04-05")
    assert [(p.context, p.text) for p in result.paragraphs] == [
        ("Alice", "I think we should start with the budget for the river survey. "
                  "We have three boats and only two crews this summer."),
        ("Bob Smith", "Then we hire a third crew, or we leave one boat in the shed. "
                      "I would rather hire than leave a boat idle all season."),
        ("Alice", "Fine, let us put a third crew in the draft budget then."),
    ]
    text = path.read_text()
    first = result.paragraphs[0]
    assert text[first.char_start : first.char_end].startswith("<v Alice>I think")
    assert text[first.char_start : first.char_end].endswith("crews this summer.")


def test_srt_speaker_prefixes_and_sound_cues(tmp_path):
    result = read_document(write(tmp_path, "call.srt", SRT))
    assert result.status is FileStatus.DONE
    assert [(p.context, p.text) for p in result.paragraphs] == [
        ("Alice", "I think we should start with the budget for the river survey. "
                  "We have three boats and only two crews."),
        ("Bob", "Then we hire a third crew, or we leave one boat in the shed."),
        ("Alice", "Fine, a third crew goes into the draft budget."),
    ]


def test_long_turn_is_split_at_sentence_ends(tmp_path):
    cues = []
    for i in range(80):
        start, end = f"00:{i // 60:02d}:{i % 60:02d}.000", f"00:{i // 60:02d}:{i % 60:02d}.900"
        cues.append(f"{start} --> {end}\n<v Alice>This is sentence number {i} of a long talk.")
    result = read_document(write(tmp_path, "talk.vtt", "WEBVTT\n\n" + "\n\n".join(cues) + "\n"))
    paragraphs = result.paragraphs
    assert len(paragraphs) >= 3
    assert all(p.context == "Alice" for p in paragraphs)
    assert all(len(p.text.split()) <= 250 for p in paragraphs)
    assert all(p.text.endswith("long talk.") for p in paragraphs)
    assert " ".join(p.text for p in paragraphs).count("This is sentence") == 80


def test_capitalised_word_before_a_colon_is_not_a_speaker_once(tmp_path):
    srt = "1\n00:00:01,000 --> 00:00:03,000\nSo: the plan for the survey is simple and it is cheap.\n"
    result = read_document(write(tmp_path, "one.srt", srt))
    assert [(p.context, p.text) for p in result.paragraphs] == [
        ("", "So: the plan for the survey is simple and it is cheap.")
    ]


def test_malformed_subtitles_are_invalid(tmp_path):
    result = read_document(write(tmp_path, "bad.vtt", "this is not\na subtitle file\n"))
    assert result.status is FileStatus.INVALID
    assert "WebVTT" in result.reason
    result = read_document(write(tmp_path, "bad.srt", "1\nnot a time line\nhello\n"))
    assert result.status is FileStatus.INVALID


def test_subtitles_with_only_sounds_are_empty(tmp_path):
    result = read_document(write(tmp_path, "music.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n[Music]\n"))
    assert result.status is FileStatus.EMPTY


def test_rolling_auto_captions_are_not_repeated(tmp_path):
    vtt = """WEBVTT

00:00:01.000 --> 00:00:03.000
welcome everyone to the survey meeting

00:00:03.000 --> 00:00:05.000
welcome everyone to the survey meeting
today we plan the boats for summer
"""
    result = read_document(write(tmp_path, "auto.vtt", vtt))
    assert [p.text for p in result.paragraphs] == [
        "welcome everyone to the survey meeting today we plan the boats for summer"
    ]
