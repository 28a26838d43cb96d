"""OCR of PDF pages without a usable text layer: scans (image-only pages drawn here from known
text) and text layers that are noise; OCR off or Tesseract missing gives an honest reason."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ideamap.ingest import pdf_ocr
from ideamap.ingest.pdf import read_pdf
from ideamap.ingest.pdf_layout import PageText
from ideamap.model import FileStatus

pytest.importorskip("PySide6.QtGui")
from PySide6.QtCore import QPointF, QRectF  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPdfWriter  # noqa: E402

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract is not installed (make setup installs it)")

PAGE_1 = (
    "Glaciers carve valleys into a characteristic shape as they grind slowly downhill over "
    "many thousands of years. The ice carries boulders far from their source and drops them "
    "where it melts, leaving erratics scattered across the plains."
)
PAGE_2 = (
    "Coral reefs grow only in warm shallow water where sunlight reaches the symbiotic algae "
    "living inside the polyps. A rise of a single degree for a few weeks can make the polyps "
    "expel their algae and turn white."
)
DPI = 150  # the scan's resolution; the reader renders at 300 dpi whatever the image has


def _scan(text: str) -> QImage:
    """An A4 page image at DPI with ``text`` wrapped in 11 pt serif, as a scanner gives."""
    scale = DPI / 72.0
    image = QImage(int(595 * scale), int(842 * scale), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    font = QFont("DejaVu Serif")
    font.setPixelSize(int(11 * scale))
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    x, y, width = 72 * scale, 100 * scale, 450 * scale
    line = ""
    for word in text.split():
        if line and metrics.horizontalAdvance(f"{line} {word}") > width:
            painter.drawText(QPointF(x, y), line)
            y, line = y + 15 * scale, word
        else:
            line = f"{line} {word}".strip()
    painter.drawText(QPointF(x, y), line)
    painter.end()
    return image


def _image_pdf(path: Path, texts: list[str], layer: str | None = None) -> Path:
    """A PDF whose pages are images of ``texts``; with ``layer``, each page also carries that
    text as its (useless) text layer, as PDFs with unmapped fonts do."""
    writer = QPdfWriter(str(path))
    writer.setResolution(72)
    painter = QPainter(writer)
    for i, text in enumerate(texts):
        if i:
            writer.newPage()
        rect = painter.viewport()
        painter.drawImage(QRectF(0, 0, rect.width(), rect.height()), _scan(text))
        if layer:
            font = QFont("DejaVu Sans")
            font.setPointSizeF(6)
            painter.setFont(font)
            for row in range(5):
                painter.drawText(QPointF(40, 700 + 8 * row), layer)
    painter.end()
    return path


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _recall(expected: str, got: str) -> float:
    """Share of the expected words found, in order-free multiset terms."""
    pool = _words(got)
    hits = 0
    for word in _words(expected):
        if word in pool:
            pool.remove(word)
            hits += 1
    return hits / len(_words(expected))


def _page_text(result, number: int) -> str:
    return " ".join(p.text for p in result.paragraphs if p.page == number)


@needs_tesseract
def test_scanned_pages_are_read_by_ocr_with_pages_kept(qapp, tmp_path):
    result = read_pdf(_image_pdf(tmp_path / "scan.pdf", [PAGE_1, PAGE_2]))
    assert result.status is FileStatus.DONE, result.reason
    assert "read by OCR" in result.reason
    assert _recall(PAGE_1, _page_text(result, 1)) >= 0.8
    assert _recall(PAGE_2, _page_text(result, 2)) >= 0.8


@needs_tesseract
def test_garbage_text_layer_is_replaced_by_ocr(qapp, tmp_path):
    soup = "\u2020\u2021\u00a7\u00b6\u00a4" * 12
    result = read_pdf(_image_pdf(tmp_path / "type3.pdf", [PAGE_1], layer=soup))
    assert result.status is FileStatus.DONE, result.reason
    assert "fonts of this PDF carry no readable text" in result.reason
    assert "\u2020" not in _page_text(result, 1)
    assert _recall(PAGE_1, _page_text(result, 1)) >= 0.8


def _font_pdf_without_tounicode(path: Path, texts: list[str]) -> Path:
    """Real text in an embedded font, then the font's /ToUnicode map made unreadable by a
    same-length rename (offsets stay valid): the text layer becomes control characters, as
    in PDFs from old dvips or Ghostscript."""
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    painter = QPainter(writer)
    font = QFont("DejaVu Serif")
    font.setPointSize(11)
    painter.setFont(font)
    for i, text in enumerate(texts):
        if i:
            writer.newPage()
        painter.drawText(QRectF(250, 250, 2000, 3000), 0x1000, text)  # Qt.TextWordWrap
    painter.end()
    data = path.read_bytes()
    assert b"/ToUnicode" in data
    path.write_bytes(data.replace(b"/ToUnicode", b"/ToUnicodX"))
    return path


@needs_tesseract
def test_a_font_without_unicode_map_is_read_by_ocr_in_order(qapp, tmp_path):
    # Ten lines a paragraph, some rich in descenders (p, y, g) whose word boxes are taller:
    # the lines of one paragraph must stay together and in order.
    pages = [
        ("Distributed consensus protocols let a group of machines agree on a single value even "
         "when some of them fail. The classic result shows that agreement is impossible in a "
         "fully asynchronous system with one faulty process, so practical systems rely on timeouts. ") * 3,
        ("Replication keeps copies of data on several machines. A leader orders the writes and "
         "followers apply them in the same order; when the leader is lost, an election picks another. ") * 3,
    ]
    result = read_pdf(_font_pdf_without_tounicode(tmp_path / "dvips.pdf", pages))
    assert result.status is FileStatus.DONE, result.reason
    assert "fonts of this PDF carry no readable text" in result.reason
    for number, page in enumerate(pages, start=1):
        got = " ".join(_words(_page_text(result, number)))
        assert _recall(page, got) >= 0.9
        assert " ".join(_words(page)[:40]) in got  # the lines in reading order, not interleaved


def test_ocr_off_gives_an_honest_reason(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("IDEAMAP_OCR", "0")
    result = read_pdf(_image_pdf(tmp_path / "scan.pdf", [PAGE_1]))
    assert result.status is FileStatus.NO_TEXT
    assert "OCR (text recognition) is off" in result.reason


def test_garbage_layer_with_ocr_off_is_not_called_too_little_text(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("IDEAMAP_OCR", "0")
    soup = "\u2020\u2021\u00a7\u00b6\u00a4" * 12
    result = read_pdf(_image_pdf(tmp_path / "type3.pdf", [PAGE_1], layer=soup))
    assert result.status is FileStatus.NO_TEXT
    assert "fonts of this PDF carry no readable text" in result.reason
    assert "too little" not in result.reason


def test_missing_tesseract_names_what_to_install(qapp, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_ocr, "tesseract_path", lambda: None)
    result = read_pdf(_image_pdf(tmp_path / "scan.pdf", [PAGE_1]))
    assert result.status is FileStatus.NO_TEXT
    assert "apt install tesseract-ocr" in result.reason
    assert "brew install tesseract" in result.reason


def _page(text: str) -> PageText:
    return PageText(1, 595, 842, text)


def test_usable_layer_tells_noise_from_text():
    assert pdf_ocr.usable_layer(_page(PAGE_1))
    assert pdf_ocr.usable_layer(_page("Die Gletscher formen Täler; Ледники формируют долины. " * 3))
    assert pdf_ocr.usable_layer(_page("x = α + β ≤ 2∑ f(i), for i ∈ {1, …, n}; see §3. " * 3))
    control = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r")
    assert not pdf_ocr.usable_layer(_page((control + "ab ") * 4))
    assert not pdf_ocr.usable_layer(_page("\ue000\ue001\ue002 \ufffd\ufffd " * 10))
    # A font whose codes map to wrong letters: words without vowels.
    assert not pdf_ocr.usable_layer(_page("Tkr qwrt bcdf ghjk lmnp strv xzcv bnmk wrtz pldk " * 3))


# --- titles --------------------------------------------------------------------------------


def test_title_is_the_largest_text_not_a_banner_nor_the_authors(qapp, tmp_path):
    from tests.test_ingest_pdf import PdfMaker

    maker = PdfMaker(tmp_path / "paper.pdf")
    maker.set_font(24, bold=True)
    maker.line(72, 50, "Research")  # a banner, larger than the title
    maker.set_font(18)
    maker.line(72, 120, "Glacial erratics and the slow")
    maker.line(72, 142, "grinding of valleys")
    maker.set_font(12)
    maker.line(72, 170, "Ann Smith, Bob Jones and Carol White")
    maker.set_font(10)
    maker.wrap(PAGE_1 + " " + PAGE_2, 72, 220, 450)
    maker.wrap("2. Material and methods", 72, 320, 450)
    maker.close()
    result = read_pdf(tmp_path / "paper.pdf")
    assert result.title == "Glacial erratics and the slow grinding of valleys"


@needs_tesseract
def test_a_build_shows_each_page_read_by_ocr(qapp, tmp_path):
    from ideamap.pipeline import build

    folder = tmp_path / "scans"
    folder.mkdir()
    _image_pdf(folder / "scan.pdf", [PAGE_1, PAGE_2, PAGE_1 + " " + PAGE_2])
    details = []
    report = build([folder], tmp_path / "m.ideamap",
                   progress=lambda stage, done, total, detail="": details.append((stage, detail)))
    assert not report.files_failed
    pages = [d for s, d in details if s == "read" and "by OCR" in d]
    assert pages == [f"scan.pdf: page {k} of 3 read by OCR" for k in range(4)]
