"""Word documents made in the test with python-docx."""

from pathlib import Path

import docx

from ideamap.ingest import read_document
from ideamap.model import FileStatus, ParagraphKind

INTRO = "Rivers rarely run straight; small disturbances grow into bends over the years."
METHOD = "We surveyed forty bends of the river by boat and measured the bank erosion."


def make_docx(path: Path, *, title: str | None = None) -> Path:
    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_paragraph("River survey", style="Title")
    document.add_heading("Introduction", level=1)
    document.add_paragraph(INTRO)
    document.add_heading("Methods", level=1)
    document.add_heading("Boats", level=2)
    document.add_paragraph(METHOD)
    document.add_paragraph("Three boats with two crews", style="List Bullet")
    document.add_paragraph("One depth sounder per boat", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for row, (name, value) in zip(table.rows, [("Bend", "Erosion"), ("North", "1.2 m"), ("South", "0.4 m")]):
        row.cells[0].text, row.cells[1].text = name, value
    document.add_heading("Empty section", level=1)
    document.save(path)
    return path


def test_headings_lists_and_tables(tmp_path):
    result = read_document(make_docx(tmp_path / "survey.docx"))
    assert result.status is FileStatus.DONE
    assert result.doc_type == "docx"
    assert result.title == "River survey"
    got = [(p.kind, p.context, p.text) for p in result.paragraphs]
    heading, body = ParagraphKind.HEADING, ParagraphKind.BODY
    assert got == [
        (heading, "", "River survey"),
        (heading, "", "Introduction"),
        (body, "Introduction", INTRO),
        (heading, "", "Methods"),
        (heading, "Methods", "Boats"),
        (body, "Methods › Boats", METHOD),
        (body, "Methods › Boats", "Three boats with two crews\nOne depth sounder per boat"),
        (body, "Methods › Boats", "Bend | Erosion\nNorth | 1.2 m\nSouth | 0.4 m"),
    ]


def test_offsets_index_the_laid_out_text(tmp_path):
    result = read_document(make_docx(tmp_path / "survey.docx"))
    intro = next(p for p in result.paragraphs if p.text == INTRO)
    method = next(p for p in result.paragraphs if p.text == METHOD)
    assert intro.char_end - intro.char_start == len(INTRO)
    assert method.char_start > intro.char_end


def test_core_properties_title_wins(tmp_path):
    result = read_document(make_docx(tmp_path / "survey.docx", title="Survey report 2023"))
    assert result.title == "Survey report 2023"


def test_corrupt_docx_is_invalid(tmp_path):
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(make_docx(tmp_path / "whole.docx").read_bytes()[:2000])
    not_a_zip = tmp_path / "text.docx"
    not_a_zip.write_text("just some text pretending to be a Word document")
    for path in (truncated, not_a_zip):
        result = read_document(path)
        assert result.status is FileStatus.INVALID
        assert "Word document" in result.reason


def test_old_doc_and_encrypted_docx(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    old = tmp_path / "old.docx"
    old.write_bytes(ole)
    assert read_document(old).status is FileStatus.INVALID
    locked = tmp_path / "locked.docx"
    locked.write_bytes(ole + "EncryptedPackage".encode("utf-16-le"))
    result = read_document(locked)
    assert result.status is FileStatus.ENCRYPTED
    assert "password" in result.reason


def test_docx_without_text_is_empty(tmp_path):
    path = tmp_path / "blank.docx"
    docx.Document().save(path)
    assert read_document(path).status is FileStatus.EMPTY


def test_zip_bomb_is_refused(tmp_path, monkeypatch):
    from ideamap.ingest import docx_reader

    monkeypatch.setattr(docx_reader, "MAX_UNPACKED_BYTES", 1000)
    result = read_document(make_docx(tmp_path / "survey.docx"))
    assert result.status is FileStatus.TOO_LARGE
