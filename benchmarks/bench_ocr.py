"""OCR benchmark: word recall, pages per second and Tesseract's peak memory on scans made from
real text, on the same text set in a font without a Unicode map, and the cost of the text-layer check on
text PDFs.

Scans: the paragraphs of the first pages of a shared paper (text known from its text layer)
are drawn as page images at --dpi and wrapped as an image-only PDF, which ideamap reads by
OCR. Word recall = share of the known words (lower-cased letters runs, as a multiset) found
on the same page of the OCR reading. The layer check is timed as the text PDFs' read with it
against the same read with the check replaced by a no-op (ratio, same run).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_ocr.py [--pages 4] [--dpi 150]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "ocr.json"
PAPERS = ROOT.parent / "shared" / "corpora" / "papers_open"


def known_pages(paper: Path, n: int) -> list[str]:
    from ideamap.ingest.pdf import read_pdf

    result = read_pdf(paper)
    pages = {}
    for p in result.paragraphs:
        pages.setdefault(p.page, []).append(p.text)
    # About one page of 11 pt text fits on a scan page: keep up to 1800 characters of each,
    # cut after a full stop, so that no paragraph runs on to the next scan page (it would be
    # joined to this page's paragraph and counted as missing from the next).
    texts = [" ".join(pages[k])[:1800] for k in sorted(pages)[:n]]
    return [t[: t.rfind(". ") + 1] if ". " in t else t for t in texts]


def scans(texts: list[str], dpi: int, folder: Path) -> dict:
    from PySide6.QtGui import QGuiApplication

    from ideamap.ingest.pdf import read_pdf
    from tests import test_ingest_ocr as helpers

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - Qt needs it
    helpers.DPI = dpi
    path = helpers._image_pdf(folder / "scan.pdf", texts)
    start = time.perf_counter()
    result = read_pdf(path)
    elapsed = time.perf_counter() - start
    recalls = [helpers._recall(t, helpers._page_text(result, i + 1)) for i, t in enumerate(texts)]
    return {
        "pages": len(texts), "dpi": dpi, "status": result.status.value,
        "word_recall_per_page": [round(r, 3) for r in recalls],
        "word_recall": round(sum(recalls) / len(recalls), 3),
        "seconds": round(elapsed, 2), "pages_per_s": round(len(texts) / elapsed, 3),
        "tesseract_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def font_without_unicode_map(texts: list[str], folder: Path) -> dict:
    """The same known pages as real text in an embedded font whose /ToUnicode map is made
    unreadable (its text layer is control characters): read by OCR, word recall and order."""
    from PySide6.QtGui import QGuiApplication

    from ideamap.ingest.pdf import read_pdf
    from tests import test_ingest_ocr as helpers

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - Qt needs it
    path = helpers._font_pdf_without_tounicode(folder / "no-tounicode.pdf", texts)
    start = time.perf_counter()
    result = read_pdf(path)
    elapsed = time.perf_counter() - start
    recalls = [helpers._recall(t, helpers._page_text(result, i + 1)) for i, t in enumerate(texts)]
    in_order = [" ".join(helpers._words(t)[:40]) in " ".join(helpers._words(helpers._page_text(result, i + 1)))
                for i, t in enumerate(texts)]
    return {"pages": len(texts), "status": result.status.value, "reason": result.reason,
            "word_recall_per_page": [round(r, 3) for r in recalls],
            "word_recall": round(sum(recalls) / len(recalls), 3),
            "first_40_words_in_order": in_order, "pages_per_s": round(len(texts) / elapsed, 3)}


def layer_check_cost(papers: list[Path]) -> dict:
    from ideamap.ingest import pdf_ocr
    from ideamap.ingest.pdf import read_pdf

    def run() -> float:
        start = time.perf_counter()
        for paper in papers:
            read_pdf(paper)
        return time.perf_counter() - start

    real = pdf_ocr.usable_layer
    with_check = min(run(), run())
    pdf_ocr.usable_layer = lambda page: True
    try:
        without = min(run(), run())
    finally:
        pdf_ocr.usable_layer = real
    return {"papers": len(papers), "read_s_with_check": round(with_check, 2),
            "read_s_without_check": round(without, 2), "ratio": round(with_check / without, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--dpi", type=int, nargs="+", default=[150, 300])
    parser.add_argument("--paper", default="acl__2020_acl_main_207_specter.pdf")
    parser.add_argument("--check-papers", type=int, default=8)
    args = parser.parse_args()
    texts = known_pages(PAPERS / args.paper, args.pages)
    out = {"paper": args.paper, "scans": []}
    with tempfile.TemporaryDirectory() as tmp:
        for dpi in args.dpi:
            out["scans"].append(scans(texts, dpi, Path(tmp)))
            print(json.dumps(out["scans"][-1]))
        out["font_without_unicode_map"] = font_without_unicode_map(texts, Path(tmp))
        print(json.dumps(out["font_without_unicode_map"]))
    out["layer_check"] = layer_check_cost(sorted(PAPERS.glob("*.pdf"))[: args.check_papers])
    print(json.dumps(out["layer_check"]))
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
