"""The public ingest API: finding files, reading any file to exactly one status, hashing."""

import hashlib
import os
from pathlib import Path

import pytest

import ideamap.ingest as ingest
from ideamap.ingest import SUPPORTED_SUFFIXES, content_hash, discover_files, read_document
from ideamap.ingest.base import Reader, reader_for
from ideamap.model import FileStatus, ParagraphDraft, ReadResult

PROSE = "Rivers rarely run straight; small disturbances grow into bends over the years."


def touch(path: Path, text: str = PROSE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_supported_suffix_has_a_reader():
    heads = {".pdf": b"%PDF-1.7\n"}
    for suffix in SUPPORTED_SUFFIXES:
        assert reader_for(Path("x" + suffix), heads.get(suffix, b"")) is not None, suffix


def test_discover_files_walks_nested_folders(tmp_path):
    root = tmp_path / "docs"
    expected = [
        touch(root / "a.md"),
        touch(root / "b" / "c.txt"),
        touch(root / "b" / "d" / "e.HTML"),
        touch(root / "z.vtt"),
    ]
    touch(root / "notes.xyz")  # unsupported: skipped when walking
    touch(root / ".hidden.md")
    touch(root / ".git" / "config.md")
    touch(root / "b" / "~$lock.docx")
    assert discover_files([root]) == expected


def test_discover_files_keeps_explicit_files_and_removes_duplicates(tmp_path):
    odd = touch(tmp_path / "data.xyz")
    note = touch(tmp_path / "dir" / "n.md")
    found = discover_files([odd, tmp_path / "dir", note])
    assert found == [odd, note]
    assert read_document(odd).status is FileStatus.UNSUPPORTED


def test_discover_files_survives_symlink_loops(tmp_path):
    root = tmp_path / "loop"
    note = touch(root / "sub" / "n.md")
    os.symlink(root, root / "sub" / "back")
    assert discover_files([root]) == [note]


def test_unsupported_file_names_its_type(tmp_path):
    result = read_document(touch(tmp_path / "table.xyz"))
    assert result.status is FileStatus.UNSUPPORTED
    assert '".xyz"' in result.reason
    assert ".md" in result.reason and ".pdf" in result.reason
    no_suffix = read_document(touch(tmp_path / "README"))
    assert no_suffix.status is FileStatus.UNSUPPORTED
    assert "no extension" in no_suffix.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission")
def test_unreadable_file(tmp_path):
    path = touch(tmp_path / "secret.md")
    path.chmod(0)
    try:
        result = read_document(path)
    finally:
        path.chmod(0o644)
    assert result.status is FileStatus.UNREADABLE
    assert "permission" in result.reason


def test_permission_error_while_reading(tmp_path, monkeypatch):
    """The same path as above, for machines where tests run as root."""
    path = touch(tmp_path / "secret.md")
    real_open = open

    def deny(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    result = read_document(path)
    assert result.status is FileStatus.UNREADABLE
    assert result.reason == "You do not have permission to read this file."


def test_missing_file_and_folder(tmp_path):
    assert read_document(tmp_path / "gone.md").status is FileStatus.UNREADABLE
    folder = read_document(tmp_path)
    assert (folder.status, folder.reason) == (FileStatus.UNREADABLE, "This is a folder, not a file.")


def test_empty_file(tmp_path):
    for name in ("empty.txt", "blank.md"):
        result = read_document(touch(tmp_path / name, "" if name == "empty.txt" else "\n\n  \n"))
        assert result.status is FileStatus.EMPTY
        assert result.reason == "No text found in this file."


def test_too_large(tmp_path):
    result = read_document(touch(tmp_path / "big.txt", PROSE * 100), max_bytes=1000)
    assert result.status is FileStatus.TOO_LARGE
    assert result.doc_type == "text"
    assert "limit" in result.reason


def crashing_reader(path):
    raise ZeroDivisionError("boom")


def test_a_crashing_reader_gives_crashed(tmp_path, monkeypatch):
    reader = Reader(name="test", doc_type="test", can_read=lambda p, h: True, read=crashing_reader)
    monkeypatch.setattr(ingest, "reader_for", lambda path, head: reader)
    result = read_document(touch(tmp_path / "a.md"))
    assert result.status is FileStatus.CRASHED
    assert "ZeroDivisionError" in result.reason
    assert "Traceback" not in result.reason


def test_empty_paragraphs_are_dropped_and_order_renumbered(tmp_path, monkeypatch):
    def read(path):
        drafts = [ParagraphDraft("first", 5), ParagraphDraft("  ", 6), ParagraphDraft("second", 9)]
        return ReadResult(path="elsewhere", doc_type="test", status=FileStatus.DONE, paragraphs=drafts)

    reader = Reader(name="test", doc_type="test", can_read=lambda p, h: True, read=read)
    monkeypatch.setattr(ingest, "reader_for", lambda path, head: reader)
    path = touch(tmp_path / "a.md")
    result = read_document(path)
    assert [(p.order, p.text) for p in result.paragraphs] == [(0, "first"), (1, "second")]
    assert result.path == str(path)


def test_content_hash(tmp_path):
    path = tmp_path / "blob.bin"
    data = os.urandom(3 * 2**20 + 17)
    path.write_bytes(data)
    assert content_hash(path) == hashlib.sha256(data).hexdigest()


def test_importing_ingest_loads_no_parser():
    import subprocess
    import sys

    code = (
        "import sys, ideamap.ingest; "
        "print(sorted(m for m in ('trafilatura', 'docx', 'webvtt', 'pypdfium2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_threads_share_one_fully_loaded_registry():
    import subprocess
    import sys

    code = """
import threading
from pathlib import Path
from ideamap.ingest.base import reader_for
found = []
def look():
    found.append(reader_for(Path("a.docx"), b"") is not None)
threads = [threading.Thread(target=look) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(all(found), len(found))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "16"]


def test_named_pipe_neither_blocks_nor_reads(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        content_hash(fifo)
    assert read_document(fifo).status is FileStatus.UNREADABLE
