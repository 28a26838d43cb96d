"""Qt-free parts of the app: history, progress wording and ETA, map naming, wording."""

from __future__ import annotations


from ideamap.app.flows.build_flow import default_map_path
from ideamap.app.history import History
from ideamap.app.jobs.progress_state import ProgressState
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


def test_a_missing_x11_library_is_named_instead_of_qt_aborting(monkeypatch):
    import ctypes

    from ideamap.app import platform_check

    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(platform_check, "_xcb_plugin", lambda: "libqxcb.so")

    def fail(path):
        raise OSError("libqxcb.so: libxcb-icccm.so.4: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(ctypes, "CDLL", fail)
    problem = platform_check.window_problem()
    assert "libxcb-icccm.so.4" in problem and "sudo apt install" in problem
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # the user's explicit choice: not our business
    assert platform_check.window_problem() is None


def test_make_run_falls_back_to_the_summary_when_no_window_can_open(monkeypatch, tmp_path, capsys):
    import ideamap.demo
    from ideamap import demo_run
    from ideamap.app import platform_check
    from tests.test_canvas import make_map

    path = tmp_path / "demo.ideamap"
    make_map(path).close()
    monkeypatch.setattr(demo_run, "has_display", lambda: True)
    monkeypatch.setattr(platform_check, "window_problem", lambda: "The app cannot open a window: no libxcb.")
    monkeypatch.setattr(ideamap.demo, "ensure_demo_map", lambda progress=None: path)
    assert demo_run.main() == 0
    out = capsys.readouterr()
    assert "no libxcb" in out.err and "summary instead" in out.err
    assert "paragraphs" in out.out.lower()


def test_the_demo_build_reports_what_the_map_holds(tmp_path):
    from ideamap.app.jobs.build_job import _demo_report
    from tests.test_canvas import make_map

    path = tmp_path / "demo.ideamap"
    make_map(path).close()
    report = _demo_report(path)
    assert report["files_read"] == 3 and report["paragraphs_added"] == 192
    assert report["map_path"] == str(path) and not report["cancelled"]
