"""Plain text, Markdown and meeting-notes readers, and text decoding."""

import random
from pathlib import Path

import pytest

from ideamap.ingest import read_document
from ideamap.ingest.decoding import BINARY_REASON
from ideamap.model import FileStatus, ParagraphKind

PROSE = "Rivers rarely run straight; small disturbances grow into bends over the years."
MORE_PROSE = "Sediment deposited on the inner bank builds point bars that push the channel out."


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def bodies(result):
    return [p for p in result.paragraphs if p.kind is ParagraphKind.BODY]


def test_markdown_headings_give_context(tmp_path):
    text = f"""# Design

{PROSE}

## Open questions

{MORE_PROSE}

### Small details

{PROSE} Again.

## Decisions

{MORE_PROSE} Again.
"""
    result = read_document(write(tmp_path, "design.md", text))
    assert result.status is FileStatus.DONE
    assert result.doc_type == "markdown"
    assert result.title == "Design"
    by_text = {p.text: p for p in result.paragraphs}
    assert by_text[MORE_PROSE].context == "Open questions"
    assert by_text[PROSE + " Again."].context == "Open questions › Small details"
    assert by_text[MORE_PROSE + " Again."].context == "Decisions"
    headings = [p.text for p in result.paragraphs if p.kind is ParagraphKind.HEADING]
    assert headings == ["Design", "Open questions", "Small details", "Decisions"]
    assert [p.order for p in result.paragraphs] == list(range(len(result.paragraphs)))


def test_markdown_offsets_point_into_the_file(tmp_path):
    text = f"# Title\n\n{PROSE}\n\nSome **bold** and a [link](https://example.org) in prose here.\n"
    result = read_document(write(tmp_path, "a.md", text))
    first, second = bodies(result)
    assert text[first.char_start : first.char_end] == PROSE
    assert second.text == "Some bold and a link in prose here."
    assert text[second.char_start : second.char_end].startswith("Some **bold**")


def test_front_matter_gives_title_and_date_and_is_not_text(tmp_path):
    text = f"---\ntitle: \"Rivers\"\ndate: 2021-03-04\ntags: [a, b]\n---\n\n# Heading one\n\n{PROSE}\n"
    result = read_document(write(tmp_path, "rivers.md", text))
    assert result.title == "Rivers"
    assert result.date == "2021-03-04"
    assert all("tags" not in p.text and "2021" not in p.text for p in result.paragraphs)
    # a date in the front matter makes it meeting notes
    assert result.doc_type == "notes"


def test_title_falls_back_to_file_stem(tmp_path):
    result = read_document(write(tmp_path, "my-notes.md", f"{PROSE}\n"))
    assert result.title == "my-notes"


def test_lists_become_one_paragraph_and_code_fences_are_kept_or_dropped(tmp_path):
    text = f"""{PROSE}

- first item of the list
- second item
  continues on a wrapped line
    - a nested item

```
x = 1
```

```python
def meander(river):
    return [bend.grow() for bend in river.bends if bend.outer_bank_erodes()]
```
"""
    result = read_document(write(tmp_path, "list.md", text))
    texts = [p.text for p in bodies(result)]
    assert texts[1] == "first item of the list\nsecond item continues on a wrapped line\na nested item"
    assert texts[2].startswith("def meander(river):\n    return")
    assert len(texts) == 3  # the tiny "x = 1" block is dropped


def test_long_list_is_cut_between_items(tmp_path):
    items = "\n".join(f"- item {i}: " + "word " * 30 for i in range(20))  # ~640 words
    result = read_document(write(tmp_path, "long.md", items))
    paragraphs = bodies(result)
    assert len(paragraphs) >= 3
    assert all(len(p.text.split()) <= 300 for p in paragraphs)
    assert all(p.text.startswith("item ") for p in paragraphs)


def test_plain_text_paragraphs_and_heading_lines(tmp_path):
    text = f"Introduction\n\n{PROSE}\nwrapped onto a second line.\n\n\n{MORE_PROSE}\n"
    result = read_document(write(tmp_path, "plain.txt", text))
    assert result.doc_type == "text"
    assert [p.text for p in bodies(result)] == [f"{PROSE} wrapped onto a second line.", MORE_PROSE]
    assert all(p.context == "Introduction" for p in bodies(result))


def test_notes_date_from_file_name(tmp_path):
    text = f"# Triage\n\n## Attendance\n\n* Team members: Niko, Josh, Felix\n* Others: Tyler\n\n## Topic\n\n{PROSE}\n"
    result = read_document(write(tmp_path, "rustlang__minutes_2021-03-03-triage.md", text))
    assert result.doc_type == "notes"
    assert result.date == "2021-03-03"
    attendance = next(p for p in result.paragraphs if p.context == "Attendance")
    assert attendance.text == "Team members: Niko, Josh, Felix\nOthers: Tyler"


def test_notes_in_plain_text(tmp_path):
    result = read_document(write(tmp_path, "standup 2022-12-01.txt", f"{PROSE}\n\n{MORE_PROSE}\n"))
    assert (result.doc_type, result.date, len(result.paragraphs)) == ("notes", "2022-12-01", 2)


def test_impossible_date_in_name_is_not_a_date(tmp_path):
    result = read_document(write(tmp_path, "build-2021-13-45.md", f"{PROSE}\n"))
    assert result.doc_type == "markdown"
    assert result.date is None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_text_encodings(tmp_path, encoding):
    text = "Café au lait — naïve “quotes” cost 5 €, which is a fair price for coffee.\n"
    result = read_document(write(tmp_path, "enc.txt", text, encoding))
    assert result.status is FileStatus.DONE
    assert result.paragraphs[0].text == text.strip()


def test_crlf_line_endings(tmp_path):
    result = read_document(write(tmp_path, "crlf.txt", f"{PROSE}\r\n\r\n{MORE_PROSE}\r\n"))
    assert [p.text for p in result.paragraphs] == [PROSE, MORE_PROSE]


def test_binary_junk_is_invalid(tmp_path):
    rng = random.Random(0)
    junk = bytes(rng.randrange(256) for _ in range(5000))
    path = tmp_path / "junk.txt"
    path.write_bytes(junk)
    result = read_document(path)
    assert result.status is FileStatus.INVALID
    assert result.reason == BINARY_REASON
    png_like = tmp_path / "image.md"
    png_like.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" * 50)
    assert read_document(png_like).status is FileStatus.INVALID


def test_markdown_file_that_is_a_saved_web_page(tmp_path):
    page = f"""<!DOCTYPE html><html><head><title>Notes - HackMD</title></head><body>
<nav><a href="/">Home</a></nav>
<div id="doc" class="markdown-body">---
title: Planning 2021-11-09
---

# Planning

## Decisions

{PROSE} &amp; more.
</div></body></html>"""
    result = read_document(write(tmp_path, "planning.md", page))
    assert result.status is FileStatus.DONE
    assert result.title == "Planning 2021-11-09"
    assert [p.text for p in bodies(result)] == [f"{PROSE} & more."]
    assert bodies(result)[0].context == "Decisions"


def test_bold_line_heads_a_topic_and_paper_debris_is_not_code(tmp_path):
    text = f"""## Shepherded items

**safe transmute (Ryan, Josh)**

- {PROSE}
**const evaluation (ecstatic-morse)**
~~~~
- {MORE_PROSE}
"""
    result = read_document(write(tmp_path, "paper.md", text))
    assert [(p.context, p.text) for p in bodies(result)] == [
        ("Shepherded items › safe transmute (Ryan, Josh)", PROSE),
        ("Shepherded items › const evaluation (ecstatic-morse)", MORE_PROSE),
    ]


def test_quotes_and_tables(tmp_path):
    text = f"""> {PROSE}
> continued here.
>
> * [ ] @alice
> * [x] @bob

| Bend | Erosion |
|------|---------|
| North | 1.2 m |
"""
    texts = [p.text for p in bodies(read_document(write(tmp_path, "q.md", text)))]
    assert texts == [f"{PROSE} continued here.\n@alice\n@bob", "Bend | Erosion\nNorth | 1.2 m"]


@pytest.mark.parametrize(
    "text",
    ["*" * 20000, "[" * 20000, "[a " * 7000, "a`" * 10000, "_a" * 10000, "x\n" * 20000,
     "a\n---\n" * 4000, "- a\n" * 20000, "a" * 200000, "[[[a]]](" * 3000, "> " * 20000],
)
def test_pathological_markdown_is_read(tmp_path, text):
    result = read_document(write(tmp_path, "odd.md", text))
    assert result.status in (FileStatus.DONE, FileStatus.EMPTY)
