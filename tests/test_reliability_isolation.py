"""Reading in child processes: a file that hangs, crashes or eats memory costs only its reader
process, ends in a stated outcome, and the build goes on with the other files."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ideamap.cli import main as cli
from ideamap.ingest import read_document
from ideamap.ingest.isolation import IsolatedReader, ReadLimits
from ideamap.model import FileStatus
from ideamap.store.mapfile import MapStore

HANG_BOUND_S = 60  # catches hangs; speed is measured in benchmarks, not asserted here
REPO = Path(__file__).resolve().parents[1]


def misbehaving_reader(path, max_bytes):
    """Stands in for read_document in the reader processes: files named for a failure fail
    that way, the others are read for real."""
    name = path.name
    if "hang" in name:
        time.sleep(3600)
    if "segfault" in name:
        ctypes.string_at(0)  # a read through a null pointer, as a buggy parser would
    if "abort" in name:
        os.abort()
    if "hog" in name:
        bytearray(64 * 2**30)
    if "exit" in name:
        os._exit(3)
    return read_document(path, max_bytes=max_bytes)


def write_notes(folder: Path, names) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, name in enumerate(names):
        path = folder / name
        topic = ["rivers and their deltas", "bread and ovens", "stars and galaxies"][i % 3]
        path.write_text(f"# Note {i}\n\nThis note is about {topic}, written as note number {i} of the set.\n")
        paths.append(path)
    return paths


def reader_processes() -> list[int]:
    """Process ids of ideamap reader processes that are children of this process."""
    import multiprocessing

    return [p.pid for p in multiprocessing.active_children() if p.name == "ideamap-reader"]


def test_hang_crash_and_memory_hog_cost_only_their_file(tmp_path):
    names = ["a.md", "hang.md", "b.md", "segfault.md", "abort.md", "hog.md", "exit.md", "c.md"]
    paths = write_notes(tmp_path, names)
    start = time.monotonic()
    with IsolatedReader(ReadLimits(timeout_s=2, memory_bytes=2**30), read_fn=misbehaving_reader) as reader:
        results = dict(reader.read_many([(p.name, p) for p in paths]))
    assert time.monotonic() - start < HANG_BOUND_S
    assert list(results) == names  # in the order given
    status = {name: r.status for name, r in results.items()}
    assert status == {
        "a.md": FileStatus.DONE, "hang.md": FileStatus.TIMED_OUT, "b.md": FileStatus.DONE,
        "segfault.md": FileStatus.CRASHED, "abort.md": FileStatus.CRASHED, "hog.md": FileStatus.TOO_LARGE,
        "exit.md": FileStatus.CRASHED, "c.md": FileStatus.DONE,
    }  # fmt: skip
    assert "2 s limit" in results["hang.md"].reason
    assert "Markdown reader crashed on this file (SIGSEGV)" in results["segfault.md"].reason
    assert "memory" in results["hog.md"].reason
    assert all(r.paragraphs for n, r in results.items() if status[n] is FileStatus.DONE)
    assert reader_processes() == []  # every reader stopped on close


def test_unchanged_files_pass_through_unread_and_in_order(tmp_path):
    paths = write_notes(tmp_path, [f"n{i}.md" for i in range(40)])
    items = [(i, None if i % 3 == 0 else p) for i, p in enumerate(paths)]
    with IsolatedReader(ReadLimits(workers=2)) as reader:
        got = list(reader.read_many(items))
    assert [key for key, _ in got] == list(range(40))
    assert all((result is None) == (key % 3 == 0) for key, result in got)
    assert all(r.status is FileStatus.DONE for _, r in got if r is not None)


def test_stopping_early_stops_the_readers(tmp_path):
    paths = write_notes(tmp_path, [f"n{i}.md" for i in range(30)] + ["hang-1.md", "hang-2.md"])
    reader = IsolatedReader(ReadLimits(timeout_s=600), read_fn=misbehaving_reader)
    results = reader.read_many([(p.name, p) for p in paths])
    next(results)
    start = time.monotonic()
    results.close()  # what a cancelled build does
    assert time.monotonic() - start < 15
    assert reader_processes() == []


READERS_OF_A_KILLED_PARENT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from tests.test_reliability_isolation import misbehaving_reader
    from ideamap.ingest.isolation import IsolatedReader, ReadLimits
    if __name__ == "__main__":
        reader = IsolatedReader(ReadLimits(timeout_s=600), read_fn=misbehaving_reader)
        for _ in reader.read_many([(0, Path({hang!r})), (1, Path({hang2!r}))]):
            pass
""")


def test_readers_die_with_a_parent_killed_by_sigkill(tmp_path):
    """kill -9 of the build alone (not its process group) leaves no reader running."""
    hang, hang2 = write_notes(tmp_path, ["hang-a.md", "hang-b.md"])
    script = tmp_path / "parent.py"
    script.write_text(READERS_OF_A_KILLED_PARENT.format(repo=str(REPO), hang=str(hang), hang2=str(hang2)))
    parent = subprocess.Popen([sys.executable, str(script)])
    try:
        children = _wait_for_children(parent.pid, 2)
        assert len(children) == 2, "the readers did not start"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 60  # a hang bound: a loaded machine may be slow to end them
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in children if _alive(pid)]
    finally:
        if parent.poll() is None:
            parent.kill()


def _wait_for_children(pid: int, count: int, timeout: float = 90) -> list[int]:
    deadline = time.monotonic() + timeout
    children: list[int] = []
    while time.monotonic() < deadline:
        children = _children_of(pid)
        if len(children) >= count:
            time.sleep(0.5)  # let them reach their files
            return _children_of(pid)
        time.sleep(0.05)
    return children


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and "resource_tracker" not in _cmdline(entry):
                found.append(int(entry.name))
    return found


def _cmdline(entry: Path) -> str:
    try:
        return (entry / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- through the build ---------------------------------------------------------------------------


@pytest.fixture
def misbehaving_build(monkeypatch):
    """Builds in this test read with misbehaving_reader."""
    from ideamap.ingest import isolation

    monkeypatch.setattr(isolation, "make_reader", lambda limits, isolate=True: IsolatedReader(
        limits, read_fn=misbehaving_reader))


@pytest.mark.slow
def test_build_survives_bad_files_and_info_says_why(tmp_path, misbehaving_build):
    docs = tmp_path / "docs"
    write_notes(docs, [f"good-{i}.md" for i in range(9)] + ["hang.md", "segfault.md"])
    with open(docs / "huge.txt", "wb") as big:  # sparse: no disk used
        big.truncate(300 * 2**20)
    out = tmp_path / "m.ideamap"
    result = CliRunner().invoke(cli, ["build", str(docs), "-o", str(out), "--file-timeout", "2", "--json"])
    assert result.exit_code == 0, result.output
    info = CliRunner().invoke(cli, ["info", str(out), "--json"])
    failed = {Path(p).name: (status, reason) for p, status, reason in json.loads(info.output)["failed"]}
    assert {n: s for n, (s, _) in failed.items()} == {
        "hang.md": "timed_out", "segfault.md": "crashed", "huge.txt": "too_large"}
    assert all(reason for _, reason in failed.values())
    text = CliRunner().invoke(cli, ["info", str(out)]).output
    assert "hang.md [timed_out]: Reading this file took longer than the 2 s limit" in text
    with MapStore.open(out, readonly=True) as store:
        assert len(store.documents()) == 12  # every file has its one outcome
        assert len(store.coords()[0]) == 9  # the good files are on the map


@pytest.mark.slow
@pytest.mark.corpora
def test_build_over_the_bad_pdfs_with_good_files(corpora, tmp_path):
    from ideamap.pipeline import build

    bad = sorted((corpora / "pdfs_bad").glob("*.pdf"))
    good = sorted((corpora / "papers_open").glob("*.pdf"))[:2] + sorted((corpora / "meeting_notes").glob("*.md"))[:3]
    out = tmp_path / "m.ideamap"
    report = build(bad + good, out)
    assert report.files_seen == len(bad) + len(good) and not report.cancelled
    with MapStore.open(out, readonly=True) as store:
        docs = {d.path: d for d in store.documents()}
        assert set(docs) == {str(p) for p in bad + good}  # every file in a stated outcome
        assert all(d.reason for d in docs.values() if d.status is not FileStatus.DONE)
        assert not [d for d in docs.values() if d.status in (FileStatus.CRASHED, FileStatus.TIMED_OUT)]
        mapped = {store.paragraph(pid).document_id for pid in store.coords()[0]}
        assert {docs[str(p)].id for p in good} <= mapped  # the good files are on the map
