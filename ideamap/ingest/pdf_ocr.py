"""Text for PDF pages that have none worth reading: scans, and pages whose fonts carry no
Unicode mapping (old Ghostscript/dvips Type 3 or custom-encoded fonts, whose text layer is
control characters and symbol soup).

:func:`usable_layer` tells such a layer from real text; :func:`ocr_page` renders the page
with PDFium and reads it with Tesseract (the OS package, called as a program with TSV
output so no Python binding is needed), giving a :class:`PageText` with lines placed in PDF
points, so that the usual layout analysis rebuilds paragraphs from it.

Tesseract runs as a child of the reader process: it inherits that process's memory cap, and
each page has its own time limit so that a reader killed for time leaves no long-lived child.
OCR is turned off with ``IDEAMAP_OCR=0`` (``ideamap build --no-ocr`` sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata

from ideamap.ingest.pdf_layout import Line, PageText

# Rendering resolution: 300 dpi is what Tesseract is trained for; very large pages are scaled
# down so that one page image stays under MAX_PIXELS (about 25 MB in grey).
DPI = 300
MAX_PIXELS = 25_000_000
# Seconds Tesseract may spend on one page.
PAGE_TIMEOUT_S = 60.0
# Words Tesseract is less sure of than this (0-100) are dropped: they are mostly specks.
MIN_CONFIDENCE = 30

INSTALL_HINT = (
    "install Tesseract to have it read by OCR (Debian/Ubuntu: sudo apt install tesseract-ocr; "
    "macOS: brew install tesseract; Windows: the UB Mannheim Tesseract installer, then put "
    "tesseract.exe on PATH)"
)

# Punctuation of ordinary prose; other punctuation (†‡§¶ and the like) is what a font
# without a Unicode map often decodes to, so it counts against the layer.
_COMMON_PUNCT = set(".,;:!?'\"()[]{}-\u2010\u2011\u2013\u2014/\\\u2026\u2018\u2019\u201c\u201d\u00ab\u00bb%&*#@_\u00b7\u2022")
_VOWELS = set("aeiouyAEIOUY")


def ocr_enabled() -> bool:
    return os.environ.get("IDEAMAP_OCR", "1").strip().lower() not in ("0", "no", "off", "false")


def tesseract_path() -> str | None:
    return os.environ.get("IDEAMAP_TESSERACT") or shutil.which("tesseract")


# --- is the text layer real text? ------------------------------------------------------------


def usable_layer(page: PageText) -> bool:
    """False for a page whose text is noise: many characters that are not letters, digits,
    punctuation or spaces (control, private-use, unassigned, replacement, symbols), or Latin
    "words" that mostly have no vowel, as text set in a font whose codes map to wrong letters.
    A page with only a few characters is judged usable (there is too little to judge)."""
    chars = [c for c in page.text if not c.isspace()]
    if len(chars) < 20:
        return True
    bad = sum(1 for c in chars if not _good_char(c))
    if bad > 0.25 * len(chars):
        return False
    return _vowelless_share(page.text) <= 0.5


def _good_char(ch: str) -> bool:
    if ch in _COMMON_PUNCT:
        return True
    category = unicodedata.category(ch)
    # Letters (any script), digits, maths and currency signs; not controls, private-use,
    # unassigned or replacement characters, nor odd symbols and punctuation.
    return category[0] in ("L", "N") or category == "Sm" or (category == "Sc" and ch != "\u00a4")


def _vowelless_share(text: str) -> float:
    """Share of Latin words of 3+ letters with no vowel (real prose: a few percent, as
    "nth" or "TCP"; a wrongly mapped font: most)."""
    words = [w for w in text.split() if len(w) >= 3 and w.isalpha() and w.isascii()]
    if len(words) < 10:
        return 0.0
    vowelless = sum(1 for w in words if not _VOWELS.intersection(w))
    return vowelless / len(words)


# --- OCR ---------------------------------------------------------------------------------------


def ocr_page(pdf, index: int, tesseract: str, language: str = "eng") -> PageText:
    """The page read by OCR. Raises on failure (the caller keeps the page as it was)."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = _scale(width, height)
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            image = _pgm(bitmap)
        finally:
            bitmap.close()
    finally:
        page.close()
    tsv = _run_tesseract(tesseract, image, language)
    return _page_from_tsv(tsv, index + 1, width, height, scale)


def _scale(width: float, height: float) -> float:
    scale = DPI / 72.0
    pixels = width * height * scale * scale
    if pixels > MAX_PIXELS:
        scale *= (MAX_PIXELS / pixels) ** 0.5
    return scale


def _pgm(bitmap) -> bytes:
    """The grey bitmap as a binary PGM, which Tesseract reads from its standard input."""
    array = bitmap.to_numpy()
    if array.ndim == 3:
        array = array[:, :, 0]
    rows, cols = array.shape[:2]
    return b"P5 %d %d 255\n" % (cols, rows) + array.astype("uint8").tobytes()


def _run_tesseract(tesseract: str, image: bytes, language: str) -> str:
    # One thread: reader processes already run side by side, one per core.
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    done = subprocess.run(
        [tesseract, "stdin", "stdout", "-l", language, "--psm", "3", "tsv"],
        input=image, capture_output=True, timeout=PAGE_TIMEOUT_S, env=env, check=False,
    )
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise RuntimeError(f"tesseract failed: {detail[0][:200]}")
    return done.stdout.decode("utf-8", "replace")


def _page_from_tsv(tsv: str, number: int, width: float, height: float,
                   scale: float) -> PageText:
    """Lines from Tesseract's words (grouped by block, paragraph and line), in PDF points.
    The page's text is the lines joined by newlines; offsets index into it."""
    groups: dict[tuple[int, int, int], list[tuple[int, int, int, int, str]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        try:
            confidence = float(cells[10])
            left, top, w, h = (int(v) for v in cells[6:10])
        except ValueError:
            continue
        if confidence < MIN_CONFIDENCE:
            continue
        key = (int(cells[2]), int(cells[3]), int(cells[4]))
        groups.setdefault(key, []).append((left, top, w, h, cells[11].strip()))
    text, lines = "", []
    for words in groups.values():
        line = _line(words, number, scale, len(text))
        lines.append(line)
        text += line.text + "\n"
    _even_out_sizes(lines)
    return PageText(number, width, height, text, lines, n_objects=1)


# A line's size comes from its word boxes, which grow with descenders ("p", "y"): lines of one
# paragraph then differ by ~15% and the paragraph builder, which splits on a change of size,
# would cut the paragraph and interleave its lines. Sizes this close to the page's usual size
# are taken as that size; headings (usually ≥ 1.2× the body) keep theirs.
SAME_SIZE_TOLERANCE = 0.2


def _even_out_sizes(lines: list[Line]) -> None:
    if not lines:
        return
    sizes = sorted(line.size for line in lines)
    usual = sizes[len(sizes) // 2]
    for line in lines:
        if abs(line.size / usual - 1.0) < SAME_SIZE_TOLERANCE:
            line.size = usual


def _line(words, number: int, scale: float, start: int) -> Line:
    line_text = " ".join(w[4] for w in words)
    heights = sorted(w[3] for w in words)
    top = min(w[1] for w in words) / scale
    bottom = max(w[1] + w[3] for w in words) / scale
    return Line(
        text=line_text, page=number,
        x0=min(w[0] for w in words) / scale, x1=max(w[0] + w[2] for w in words) / scale,
        top=top, bottom=bottom,
        # A word box spans ascenders to descenders: about the font height.
        size=heights[len(heights) // 2] / scale,
        bold=False, char_start=start, char_end=start + len(line_text),
    )
