"""Crashes lose nothing: a build or add killed with SIGKILL at any point leaves a sound map with
no half-written document, and running it again finishes with the same paragraphs and vectors
as a run that was never interrupted.

The harness here (a build in a subprocess, killed when the map holds N documents) is also used
by benchmarks/kill_resume.py, which kills many more times than this test does.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MAPPED_KINDS = ("body", "caption")

# Runs a build or add; commits one document at a time, so there are many points to die at.
DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from tests.conftest import block_network
    block_network()
    from pathlib import Path
    import ideamap.pipeline as pipeline
    pipeline.EMBED_BATCH_DOCUMENTS = 1
    mode, out, *sources = sys.argv[1:]
    options = pipeline.BuildOptions(use_cache=False)  # every vector computed, none recalled
    paths = [Path(s) for s in sources]
    if mode == "build":
        pipeline.build(paths, Path(out), options=options)
    else:
        pipeline.add(Path(out), paths, options=options)
""").format(repo=str(REPO))

TOPICS = {
    "rivers": "Rivers carry silt to their deltas, where the current slows and the land grows into the sea.",
    "bread": "Bread dough rises as yeast ferments the sugars, and a hot oven sets the crumb and browns the crust.",
    "stars": "Stars fuse hydrogen into helium in their cores, and the most massive ones end as supernovae.",
    "markets": "Markets set prices where buyers and sellers meet, and interest rates move what money costs.",
}


def write_corpus(folder: Path, n_docs: int, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_docs):
        topic = list(TOPICS)[i % len(TOPICS)]
        paragraphs = [f"{TOPICS[topic]} Note {i}.{j}: {' '.join(rng.sample(TOPICS[topic].split(), 8))}."
                      for j in range(5)]
        path = folder / f"{topic}-{i:02d}.md"
        path.write_text(f"# {topic.title()} {i}\n\n" + "\n\n".join(paragraphs) + "\n")
        paths.append(path)
    return paths


# --- running and killing ------------------------------------------------------------------------


def start(mode: str, map_path: Path, sources: list[Path]) -> subprocess.Popen:
    """A build/add in its own process group, so that a kill can take its readers too."""
    return subprocess.Popen([sys.executable, "-c", DRIVER, mode, str(map_path), *map(str, sources)],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run_to_end(mode: str, map_path: Path, sources: list[Path], timeout: float = 300) -> None:
    process = start(mode, map_path, sources)
    _, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err.decode(errors="replace")[-3000:]


def document_count(map_path: Path) -> int:
    """Documents committed so far (-1 while the map does not exist yet), read without locking."""
    if not map_path.exists():
        return -1
    try:
        conn = sqlite3.connect(f"{map_path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
        try:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return -1


def kill_when(process: subprocess.Popen, map_path: Path, documents: int | None, *, delay: float = 0.0,
              whole_group: bool = True, timeout: float = 120) -> dict:
    """SIGKILL the run once the map holds ``documents`` documents (None: at once), then
    ``delay`` s more. ``whole_group`` False kills the build alone, leaving its readers to
    notice by themselves. Returns what happened: the count at the kill, how many child
    processes the build had, and those left running after it."""
    deadline = time.monotonic() + timeout
    while (documents is not None and process.poll() is None and document_count(map_path) < documents
           and time.monotonic() < deadline):
        time.sleep(0.01)
    time.sleep(delay)
    if process.poll() is not None:
        return {"killed": False, "documents": document_count(map_path), "children": 0, "orphans": []}
    children = children_of(process.pid)
    if whole_group:
        os.killpg(process.pid, signal.SIGKILL)
    else:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    return {"killed": True, "documents": document_count(map_path), "children": len(children),
            "orphans": survivors(children)}


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def survivors(pids: list[int], wait: float = 10) -> list[int]:
    """Those of ``pids`` still running after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        time.sleep(0.05)
    return alive


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- what a sound map looks like ----------------------------------------------------------------


def check_sound(map_path: Path) -> list[str]:
    """Problems with a map left by a killed run: SQLite damage, FTS out of step, documents
    whose paragraphs or vectors are not all there. Empty when sound."""
    if not map_path.exists():
        return []  # killed before the map was made: nothing to lose
    from ideamap.store.mapfile import MapStore

    MapStore.open(map_path, readonly=True).close()  # passes every check on opening
    conn = sqlite3.connect(map_path)
    try:
        problems = [] if conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok" else ["integrity"]
        try:
            conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"fts: {exc}")
        return problems + _half_written(conn)
    finally:
        conn.rollback()
        conn.close()


def _half_written(conn: sqlite3.Connection) -> list[str]:
    problems = []
    rows = conn.execute(
        "SELECT d.path, d.status, d.n_paragraphs, count(p.id), "
        f"count(p.id) FILTER (WHERE p.kind IN {MAPPED_KINDS}), count(v.paragraph_id) "
        "FROM documents d LEFT JOIN paragraphs p ON p.document_id = d.id "
        "LEFT JOIN vectors v ON v.paragraph_id = p.id GROUP BY d.id"
    ).fetchall()
    for path, status, expected, paragraphs, mapped, vectors in rows:
        if paragraphs != expected or vectors != mapped:
            problems.append(f"{Path(path).name} [{status}]: {paragraphs}/{expected} paragraphs, {vectors}/{mapped} vectors")
    orphans = conn.execute("SELECT count(*) FROM paragraphs WHERE document_id NOT IN (SELECT id FROM documents)").fetchone()[0]
    stray = conn.execute("SELECT count(*) FROM vectors WHERE paragraph_id NOT IN (SELECT id FROM paragraphs)").fetchone()[0]
    return problems + ([f"{orphans} orphan paragraphs"] if orphans else []) + ([f"{stray} stray vectors"] if stray else [])


def contents(map_path: Path) -> tuple[dict, dict]:
    """(paragraphs by (document path, order) → (text, kind, status), vectors by the same key)."""
    conn = sqlite3.connect(f"{map_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT d.path, p.ord, p.text, p.kind, d.status, v.vector FROM paragraphs p "
            "JOIN documents d ON d.id = p.document_id LEFT JOIN vectors v ON v.paragraph_id = p.id"
        ).fetchall()
    finally:
        conn.close()
    paragraphs = {(path, order): (text, kind, status) for path, order, text, kind, status, _ in rows}
    vectors = {(path, order): np.frombuffer(blob, np.float32) for path, order, *_, blob in rows if blob}
    return paragraphs, vectors


def differences(a: Path, b: Path, atol: float = 1e-5) -> list[str]:
    paragraphs_a, vectors_a = contents(a)
    paragraphs_b, vectors_b = contents(b)
    problems = []
    if paragraphs_a != paragraphs_b:
        problems.append(f"paragraphs differ ({len(paragraphs_a)} vs {len(paragraphs_b)})")
    if vectors_a.keys() != vectors_b.keys():
        problems.append(f"vectors differ in which paragraphs have them ({len(vectors_a)} vs {len(vectors_b)})")
    far = [k for k in vectors_a.keys() & vectors_b.keys() if not np.allclose(vectors_a[k], vectors_b[k], atol=atol, rtol=0)]
    return problems + ([f"{len(far)} vectors differ by more than {atol}"] if far else [])


def laid_out(map_path: Path) -> bool:
    from ideamap.store.mapfile import MapStore

    with MapStore.open(map_path, readonly=True) as store:
        return len(store.coords()[0]) == len(store.vectors()[0]) > 0


# --- the test -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_killed_build_and_add_resume_to_the_same_map(tmp_path):
    first = write_corpus(tmp_path / "first", 14)
    write_corpus(tmp_path / "second", 6, seed=1)
    reference = tmp_path / "reference.ideamap"
    run_to_end("build", reference, [tmp_path / "first"])
    run_to_end("add", reference, [tmp_path / "second"])

    out = tmp_path / "killed.ideamap"
    kills = [
        (dict(documents=2), True),  # mid-way, the whole process group
        (dict(documents=7, whole_group=False), True),  # the build alone: no child may outlive it
        (dict(documents=len(first), delay=0.3), False),  # after the last document: in the layout,
    ]  # unless the layout is done by then (a fast machine)
    for how, must_kill in kills:
        outcome = kill_when(start("build", out, [tmp_path / "first"]), out, **how)
        assert outcome["killed"] or not must_kill, f"the run finished before the kill point {how}"
        assert outcome["orphans"] == [], "reader processes outlived the killed build"
        assert check_sound(out) == []
    run_to_end("build", out, [tmp_path / "first"])
    assert laid_out(out)

    outcome = kill_when(start("add", out, [tmp_path / "second"]), out, len(first) + 2)
    assert outcome["killed"] and check_sound(out) == []
    run_to_end("add", out, [tmp_path / "second"])
    assert differences(out, reference) == []
    assert laid_out(out)
