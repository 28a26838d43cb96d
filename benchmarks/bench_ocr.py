"""OCR benchmark: word recall, pages per second and Tesseract's peak memory on scans made from
real text, on the same text set in a font without a Unicode map, on a scan longer than a file's time
limit (read by a reader process, as a build does), on the shared corpus's scanned PDFs, and the cost of the
text-layer check on text PDFs.

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
BAD_PDFS = ROOT.parent / "shared" / "corpora" / "pdfs_bad"


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


def long_scan(texts: list[str], pages: int, folder: Path) -> dict:
    """A scan longer than one file's time limit takes to OCR, read as a build reads it (a
    reader process, default limits): it must end DONE, with a progress step per page."""
    from PySide6.QtGui import QGuiApplication

    from ideamap.ingest.isolation import IsolatedReader, ReadLimits
    from tests import test_ingest_ocr as helpers

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - Qt needs it
    helpers.DPI = 150
    path = helpers._image_pdf(folder / "long-scan.pdf", [texts[i % len(texts)] for i in range(pages)])
    limits = ReadLimits()
    steps = []
    start = time.perf_counter()
    with IsolatedReader(limits) as reader:
        ((_, result),) = list(reader.read_many([("scan", path)], on_progress=steps.append))
    elapsed = time.perf_counter() - start
    return {"pages": pages, "file_time_limit_s": limits.timeout_s, "seconds": round(elapsed, 1),
            "status": result.status.value, "progress_steps": len(steps),
            "pages_with_text": len({p.page for p in result.paragraphs})}


def shared_odd_scans() -> list[dict]:
    """The shared corpus's scanned PDFs: what the reader makes of each, and for a scan that
    carries its own (noisy) OCR layer, how far our OCR of its pages agrees with that layer."""
    import pypdfium2 as pdfium

    from ideamap.ingest import pdf_ocr
    from ideamap.ingest.pdf import read_pdf
    from ideamap.ingest.pdf_text import read_page
    from tests import test_ingest_ocr as helpers

    out = []
    for name in ("pypdf__Seige_of_Vicksburg_Sample_OCR.pdf", "pypdf__imagemagick-CCITTFaxDecode.pdf"):
        path = BAD_PDFS / name
        if not path.exists():
            continue
        result = read_pdf(path)
        row = {"file": name, "status": result.status.value, "reason": result.reason,
               "paragraphs": len(result.paragraphs)}
        pdf = pdfium.PdfDocument(str(path))
        try:
            layers = [read_page(pdf, i).text for i in range(len(pdf))]
            if any(t.strip() for t in layers):
                start = time.perf_counter()
                ours = [pdf_ocr.ocr_page(pdf, i, pdf_ocr.tesseract_path()).text for i in range(len(pdf))]
                row["ocr_pages_per_s"] = round(len(ours) / (time.perf_counter() - start), 3)
                row["agreement_with_its_layer"] = round(
                    sum(helpers._recall(a, b) for a, b in zip(layers, ours) if helpers._words(a))
                    / sum(1 for a in layers if helpers._words(a)), 3)
        finally:
            pdf.close()
        out.append(row)
    return out


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
    parser.add_argument("--long-scan-pages", type=int, default=24, help="0: skip")
    args = parser.parse_args()
    texts = known_pages(PAPERS / args.paper, args.pages)
    out = {"paper": args.paper, "scans": []}
    with tempfile.TemporaryDirectory() as tmp:
        for dpi in args.dpi:
            out["scans"].append(scans(texts, dpi, Path(tmp)))
            print(json.dumps(out["scans"][-1]))
        out["font_without_unicode_map"] = font_without_unicode_map(texts, Path(tmp))
        print(json.dumps(out["font_without_unicode_map"]))
        if args.long_scan_pages:
            out["long_scan"] = long_scan(texts, args.long_scan_pages, Path(tmp))
            print(json.dumps(out["long_scan"]))
    out["shared_scans"] = shared_odd_scans()
    print(json.dumps(out["shared_scans"]))
    out["layer_check"] = layer_check_cost(sorted(PAPERS.glob("*.pdf"))[: args.check_papers])
    print(json.dumps(out["layer_check"]))
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
