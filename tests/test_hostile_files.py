"""Hostile files: bombs, entity tricks and junk are rejected or cut short with a reason, in
bounded time and memory, by the isolated readers a build uses.

The time bound asserted here is a loose one that only catches hangs; how long each bomb
takes is a figure for the notes, not a goal tested here.
"""

import random
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from ideamap.ingest.isolation import IsolatedReader, ReadLimits
from ideamap.model import FileStatus

HANG_BOUND_S = 60
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CHUNK = 16 * 2**20


# --- making bombs ------------------------------------------------------------------------


def zero_deflate(n_chunks: int) -> bytes:
    """Raw deflate data that inflates to n_chunks × 16 MB of zero bytes, made without ever
    holding that much: one fully-flushed block of zeros repeated (each block stands alone)."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = block.compress(bytes(CHUNK)) + block.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15)
    return body * n_chunks + end.compress(b"") + end.flush(zlib.Z_FINISH)


def zlib_zeros(n_chunks: int) -> bytes:
    """zlib-wrapped zero_deflate, with its correct checksum (Adler-32 of n zero bytes is
    n mod 65521 in the high half, 1 in the low)."""
    total = n_chunks * CHUNK
    adler = ((total % 65521) << 16) | 1
    return b"\x78\xda" + zero_deflate(n_chunks) + adler.to_bytes(4, "big")


def pdf_with_stream(stream: bytes, *, filters: bytes = b"/FlateDecode") -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(stream), filters) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zip_with_raw_member(path: Path, base: Path, name: str, deflated: bytes, crc: int, size: int) -> None:
    """Copy the package ``base`` to ``path`` with member ``name`` replaced by raw deflate data
    and the stated CRC and size, whatever the data really holds (zipfile cannot write that)."""
    with zipfile.ZipFile(base) as source:
        others = [(m.filename, source.read(m)) for m in source.infolist() if m.filename != name]
    entries = [(n, _deflate(d), zlib.crc32(d), len(d)) for n, d in others] + [(name, deflated, crc, size)]
    out, central = bytearray(), bytearray()
    for filename, data, member_crc, member_size in entries:
        raw_name = filename.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, member_crc,
                               len(data), member_size, len(raw_name), 0, 0, 0, 0, 0, len(out)) + raw_name
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, member_crc, len(data),
                           member_size, len(raw_name), 0) + raw_name + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def plain_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("An ordinary paragraph of an ordinary report, long enough to keep.")
    document.save(path)
    return path


def docx_with_document_xml(path: Path, base: Path, xml: str) -> Path:
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = xml.encode() if member.filename == "word/document.xml" else source.read(member)
            target.writestr(member.filename, data)
    return path


def laughs_dtd(root: str, extra: str = "") -> str:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [\n{chr(10).join(levels)}\n{extra}\n]>"


def word_xml(dtd: str, body: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{dtd}\n'
            f'<w:document xmlns:w="{W_NS}"><w:body>{body}'
            "<w:p><w:r><w:t>A real paragraph that follows the trick, long enough to keep.</w:t></w:r></w:p>"
            "</w:body></w:document>")


# --- the files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """name → (path, statuses accepted). Built once; the 1 GB text file is deleted after."""
    root = tmp_path_factory.mktemp("bombs")
    secret = root / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    base = plain_docx(root / "base.docx")
    files = {}

    def add(name, statuses):
        files[name] = (root / name, statuses)
        return root / name

    # A 4 MB PDF whose page content inflates to 4 GB.
    add("deflate-bomb.pdf", {FileStatus.CRASHED, FileStatus.TOO_LARGE, FileStatus.INVALID,
                             FileStatus.EMPTY, FileStatus.NO_TEXT}).write_bytes(pdf_with_stream(zlib_zeros(256)))
    # A .docx that states its 1 GB document part honestly…
    zip_with_raw_member(add("zip-bomb.docx", {FileStatus.TOO_LARGE}), base, "word/document.xml",
                        zero_deflate(64), _crc_of_zeros(64), 64 * CHUNK)
    # …and one that lies: 1 KB stated, 1 GB inside.
    zip_with_raw_member(add("zip-bomb-lying.docx", {FileStatus.INVALID}), base, "word/document.xml",
                        zero_deflate(64), 0, 1024)
    laughs = word_xml(laughs_dtd("w:document"), "<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>")
    docx_with_document_xml(add("billion-laughs.docx", {FileStatus.INVALID}), base, laughs)
    external = word_xml(f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
                        "<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>")
    docx_with_document_xml(add("external-entity.docx", {FileStatus.INVALID}), base, external)
    page = "<html><body><p>&lol9;</p><p>A real paragraph of the page, long enough to be kept as text.</p></body></html>"
    add("billion-laughs.html", {FileStatus.DONE, FileStatus.EMPTY}).write_text(laughs_dtd("html") + page)
    page = "<html><body><p>&xxe;</p><p>A real paragraph of the page, long enough to be kept as text.</p></body></html>"
    add("external-entity.html", {FileStatus.DONE, FileStatus.EMPTY}).write_text(
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>' + page)
    add("junk.txt", {FileStatus.INVALID}).write_bytes(bytes(range(256)) * 4096)
    add("junk.md", {FileStatus.INVALID}).write_bytes(random.Random(5).randbytes(3 * 2**20))
    _write_one_line(add("one-line-1gb.txt", {FileStatus.TOO_LARGE}), 2**30)
    yield files
    (root / "one-line-1gb.txt").unlink()


def _crc_of_zeros(n_chunks: int) -> int:
    crc, zeros = 0, bytes(CHUNK)
    for _ in range(n_chunks):
        crc = zlib.crc32(zeros, crc)
    return crc


def _write_one_line(path: Path, size: int) -> None:
    """One line of words and no newline, written in pieces (it never sits in memory)."""
    piece = b"lorem ipsum dolor sit amet " * 40_000
    with open(path, "wb") as out:
        for _ in range(size // len(piece) + 1):
            out.write(piece)


@pytest.fixture(scope="module")
def outcomes(bombs):
    """Every bomb read once, each by itself, with the build's default limits."""
    results = {}
    for name, (path, _) in bombs.items():
        start = time.monotonic()
        with IsolatedReader(ReadLimits()) as reader:
            result = reader.read(path)
        results[name] = (result, time.monotonic() - start)
    return results


NAMES = ["deflate-bomb.pdf", "zip-bomb.docx", "zip-bomb-lying.docx", "billion-laughs.docx",
         "external-entity.docx", "billion-laughs.html", "external-entity.html", "junk.txt", "junk.md",
         "one-line-1gb.txt"]


@pytest.mark.parametrize("name", NAMES)
def test_each_bomb_ends_in_a_stated_outcome(name, bombs, outcomes):
    result, seconds = outcomes[name]
    _, statuses = bombs[name]
    assert result.status in statuses, (result.status, result.reason)
    assert result.status is FileStatus.DONE or result.reason
    assert seconds < HANG_BOUND_S
    text = " ".join(p.text for p in result.paragraphs)
    assert "TOP-SECRET" not in text  # no external entity was fetched
    assert "lollollollollol" not in text  # no entity was expanded
    assert len(text) < 10_000


def test_no_reader_grew_past_its_memory_cap(bombs):
    """The PDF bomb inflates to 4 GB; the reader's 2 GiB address-space cap stops it well before.
    Read in a fresh process whose only children are the readers: this process's own children
    (a Ray cluster, tesseract, earlier builds) would otherwise count in the peak."""
    script = (
        "import resource, sys\n"
        "from ideamap.ingest.isolation import IsolatedReader, ReadLimits\n"
        "for path in sys.argv[1:]:\n"
        "    with IsolatedReader(ReadLimits()) as reader:\n"
        "        reader.read(path)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    paths = [str(path) for path, _ in bombs.values()]
    done = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True,
                          timeout=20 * 60, check=True)
    peak_kib = int(done.stdout.split()[-1])
    assert 0 < peak_kib * 1024 < 3 * 2**30


def test_pages_with_entity_tricks_keep_their_real_text(outcomes):
    for name in ("billion-laughs.html", "external-entity.html"):
        result, _ = outcomes[name]
        assert any("real paragraph" in p.text for p in result.paragraphs), name
