"""Progress inside a long file: a reader that keeps reporting steps (pages read by OCR) is
working, so it is not given up at the per-file limit, and its steps reach the caller."""

import time
from pathlib import Path

from ideamap.ingest import progress, read_document
from ideamap.ingest.isolation import InProcessReader, IsolatedReader, ReadLimits
from ideamap.model import FileStatus

STEPS = 6
STEP_S = 0.6  # six steps take 3.6 s, longer than the 2 s limit below


def paged_reader(path, max_bytes):
    """Stands in for read_document in the reader processes: "slow" files report a step every
    STEP_S, "stall" files report two steps and then hang."""
    if "slow" in path.name or "stall" in path.name:
        for done in range(STEPS + 1):
            progress.report(done, STEPS, "ocr")
            if "stall" in path.name and done == 2:
                time.sleep(3600)
            time.sleep(STEP_S if done < STEPS else 0)
    return read_document(path, max_bytes=max_bytes)


def _notes(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(f"# {name}\n\nA paragraph about rivers and their deltas in {name}.\n")
    return [folder / name for name in names]


def test_a_reader_that_keeps_reporting_pages_is_not_given_up(tmp_path):
    paths = _notes(tmp_path, ["a.md", "slow.md", "stall.md", "b.md"])
    heard = []
    with IsolatedReader(ReadLimits(timeout_s=2), read_fn=paged_reader) as reader:
        results = dict(reader.read_many([(p.name, p) for p in paths], on_progress=heard.append))
    status = {name: r.status for name, r in results.items()}
    assert status == {"a.md": FileStatus.DONE, "slow.md": FileStatus.DONE,
                      "stall.md": FileStatus.TIMED_OUT, "b.md": FileStatus.DONE}
    # The stalled one says how far it got, not that the whole file took too long.
    assert "after it: page 2 of 6 read by OCR" in results["stall.md"].reason
    slow = [(n.done, n.total) for n in heard if n.path.endswith("slow.md")]
    assert slow == [(d, STEPS) for d in range(STEPS + 1)]
    assert {n.stage for n in heard} == {"ocr"}


def test_in_process_reading_reports_the_same_steps(tmp_path):
    paths = _notes(tmp_path, ["slow.md"])
    heard = []
    reader = InProcessReader()
    reader.read = lambda path: paged_reader(Path(path), max_bytes=10**6)
    results = list(reader.read_many([("k", paths[0])], on_progress=heard.append))
    assert results[0][1].status is FileStatus.DONE
    assert [n.done for n in heard] == list(range(STEPS + 1))
    assert progress.set_sink(None) is None  # the sink was taken down after the file


def test_describe_names_the_file_and_the_page():
    note = progress.ReadProgress("/x/scan.pdf", 3, 20, "ocr")
    assert note.describe("scan.pdf") == "scan.pdf: page 3 of 20 read by OCR"


def test_the_cli_keeps_both_ends_of_a_long_progress_line():
    from ideamap.cli_progress import shorten

    line = "a_very_long_paper_name_from_the_library_1967.pdf: page 3 of 20 read by OCR"
    short = shorten(line)
    assert len(short) == 48 and short.startswith("a_very_long") and short.endswith("page 3 of 20 read by OCR")
    assert shorten("notes.md") == "notes.md"
