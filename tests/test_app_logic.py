"""Qt-free parts of the app: history, progress wording and ETA, map naming, wording."""

from __future__ import annotations


from ideamap.app.build_flow import default_map_path
from ideamap.app.history import History
from ideamap.app.progress_state import ProgressState
from ideamap.app.text import citation, duration_words, source_label
from ideamap.model import Document, FileStatus, Paragraph, ParagraphKind


def test_history_behaves_like_a_browser():
    h = History()
    for item in "abc":
        h.visit(item)
    h.visit("c")  # the same place twice is one entry
    assert h.back() == "b" and h.back() == "a" and h.back() is None
    assert h.forward() == "b"
    h.visit("d")  # a new place drops the forward entries
    assert not h.can_forward() and h.back() == "b"


def test_progress_counts_files_paragraphs_and_estimates_time():
    s = ProgressState()
    s.update("read", 1, 10, "a.pdf", now=100.0)
    assert s.eta_seconds(now=101.0) is None  # one file says too little
    s.update("read", 5, 10, "e.pdf", now=108.0)
    assert s.eta_seconds(now=108.0) == 10.0  # 2 s a file, 5 files left
    s.update("embed", 256, 512, "300 paragraphs")
    assert s.paragraphs_embedded == 150
    s.update("embed", 512, 512, "300 paragraphs")
    s.update("embed", 10, 100, "40 paragraphs")  # the next batch
    assert s.paragraphs_embedded == 304
    lines = s.lines(now=108.0)
    assert lines["files"] == "Files read: 5 of 10" and lines["paragraphs"] == "Paragraphs embedded: 304"
    s.update("layout", 0, 1, "laying out")
    assert s.fraction() is None and s.lines()["eta"] == ""


def test_default_map_path_sits_beside_the_folder_and_never_overwrites(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    assert default_map_path([folder]) == tmp_path / "papers.ideamap"
    (tmp_path / "papers.ideamap").write_text("x")
    assert default_map_path([folder]) == tmp_path / "papers 2.ideamap"
    loose = folder / "a.md"
    loose.write_text("x")
    assert default_map_path([loose]) == folder / "papers.ideamap"


def test_citation_and_source_wording():
    doc = Document(1, "/x/paper.pdf", "h", "pdf", "A Paper", None, FileStatus.DONE, "")
    para = Paragraph(1, 1, "  Some text. ", 0, ParagraphKind.BODY, 4, 0, 10)
    assert citation(para, doc) == "Some text.\n— paper.pdf, p. 4"
    assert source_label(doc, 4) == "A Paper (paper.pdf), p. 4"
    same = Document(2, "/x/notes.md", "h", "markdown", "notes", None, FileStatus.DONE, "")
    assert source_label(same) == "notes.md"
    assert duration_words(42) == "about 40 s" and duration_words(3600 + 20 * 60) == "about 1 h 20 min"
