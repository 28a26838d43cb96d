"""PDF read stage, this tree against a baseline, on the shared papers (issue 11, points 5-6).

The baseline is ideamap/ as committed at --base (default: where this branch left main),
unpacked with ``git archive`` into a temporary folder. Each round reads every paper of
../shared/corpora/papers_open once with the baseline and once with this tree, in fresh
processes, in alternating order; the time is the sum of the ``read_pdf`` calls (imports left
out), as wall-clock and as the process's CPU time, and as the sum over the papers of each
paper's fastest read over the rounds (the least disturbed by other work on a busy machine); the
running-header and footnote steps are also timed on their own (``header_steps_seconds``:
drop_running_lines, and in the new tree margin_lines, which it calls first, and
drop_running_headings and strip_footnote_marker). The ratio
after/before is of the medians over the rounds (the goal is <= 1.10).

Also counted, per tree: headings whose text (digits normalised) stands on 3 or more pages of
one document (running headers kept as headings), and paragraphs that start with a footnote
marker glued to a word ("1This work …", "∗Corresponding …").

    nice .venv/bin/python benchmarks/bench_pdf_read.py [--rounds 5] [--base REF]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pdf_read.json"
PAPERS = ROOT.parent / "shared" / "corpora" / "papers_open"
GLUED = re.compile(r"^(\d{1,3}(?=[^\W\d_]{2,})|[*∗†‡§¶])")


def worker(folder: Path) -> dict:
    """Read every paper; time and count (runs in a child with PYTHONPATH set to a tree)."""
    from ideamap.ingest.pdf import read_pdf
    from ideamap.model import ParagraphKind

    steps = _time_header_steps()
    seconds, cpu, repeated, glued, examples, per_file = 0.0, 0.0, {}, {}, [], {}
    for path in sorted(folder.glob("*.pdf")):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = read_pdf(path)
        per_file[path.name] = time.perf_counter() - start
        seconds += per_file[path.name]
        cpu += time.process_time() - start_cpu
        pages = defaultdict(set)
        for para in result.paragraphs:
            if para.kind is ParagraphKind.HEADING:
                key = re.sub(r"\d+", "#", " ".join(para.text.lower().split()))
                pages[key].add(para.page)
        repeated[path.name] = sum(1 for found in pages.values() if len(found) >= 3)
        marked = [p.text for p in result.paragraphs if GLUED.match(p.text)]
        glued[path.name] = len(marked)
        examples += [f"{path.name[:24]}: {text[:60]}" for text in marked[:2]]
    return {"seconds": seconds, "per_file": per_file, "cpu_seconds": cpu, "header_steps_seconds": steps[0],
            "repeated_headings": repeated, "glued_markers": glued,
            "examples": examples[:12]}


def _time_header_steps() -> list[float]:
    """Wrap the running-header and footnote-marker steps (those the tree has) with a timer:
    their own cost, steadier than the whole read on a busy machine."""
    from ideamap.ingest import pdf_paragraphs

    total = [0.0]

    def timed(step):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                total[0] += time.perf_counter() - start
        return run

    names = ("margin_lines", "drop_running_lines", "drop_running_headings", "strip_footnote_marker")
    for name in names:
        if hasattr(pdf_paragraphs, name):
            setattr(pdf_paragraphs, name, timed(getattr(pdf_paragraphs, name)))
    return total


def unpack(ref: str, into: Path) -> str:
    commit = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "ideamap"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def run_tree(tree: Path, folder: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(folder)],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", default="")
    parser.add_argument("--papers", default=str(PAPERS))
    parser.add_argument("--worker", default="")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker))))
        return
    base_ref = args.base or subprocess.run(
        ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True,
        check=True).stdout.strip()
    folder = Path(args.papers)
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp)
        base_commit = unpack(base_ref, base_tree)
        trees = {"before": base_tree, "after": ROOT}
        times = {"before": [], "after": []}
        cpu = {"before": [], "after": []}
        steps = {"before": [], "after": []}
        last = {}
        fastest: dict[str, dict[str, float]] = {"before": {}, "after": {}}
        for round_ in range(args.rounds):
            order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
            for name in order:
                last[name] = run_tree(trees[name], folder)
                times[name].append(round(last[name]["seconds"], 3))
                cpu[name].append(round(last[name]["cpu_seconds"], 3))
                steps[name].append(round(last[name]["header_steps_seconds"], 4))
                for file, spent in last[name]["per_file"].items():
                    fastest[name][file] = min(spent, fastest[name].get(file, spent))
                print(f"round {round_ + 1} {name}: {times[name][-1]:.2f} s, "
                      f"cpu {cpu[name][-1]:.2f} s", file=sys.stderr)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    report = {
        "papers": str(folder), "n_papers": len(list(folder.glob("*.pdf"))),
        "base_commit": base_commit, "rounds": args.rounds, "read_seconds": times,
        "median_seconds": medians,
        "ratio_after_before": round(medians["after"] / medians["before"], 3),
        "cpu_seconds": cpu, "median_cpu_seconds": cpu_medians,
        "cpu_ratio_after_before": round(cpu_medians["after"] / cpu_medians["before"], 3),
        "sum_of_fastest_per_file": {n: round(sum(v.values()), 3) for n, v in fastest.items()},
        "fastest_ratio_after_before": round(
            sum(fastest["after"].values()) / sum(fastest["before"].values()), 3),
        "header_steps_seconds": steps,
        "header_steps_added_share_of_read": round(
            (statistics.median(steps["after"]) - statistics.median(steps["before"]))
            / medians["before"], 5),
        "goal": "ratio <= 1.10",
        "repeated_headings_total": {n: sum(last[n]["repeated_headings"].values()) for n in last},
        "docs_with_repeated_headings": {
            n: sum(1 for v in last[n]["repeated_headings"].values() if v) for n in last},
        "glued_marker_paragraphs_total": {
            n: sum(last[n]["glued_markers"].values()) for n in last},
        "docs_with_glued_markers": {
            n: sum(1 for v in last[n]["glued_markers"].values() if v) for n in last},
        "glued_markers_per_doc": {n: last[n]["glued_markers"] for n in last},
        "glued_examples": {n: last[n]["examples"] for n in last},
        "note": ("read_pdf summed over the papers, one process per tree and round, order "
                 "alternating; 'nice' on a shared 2-core machine, so compare the ratio."),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in (
        "median_seconds", "ratio_after_before", "median_cpu_seconds",
        "cpu_ratio_after_before", "sum_of_fastest_per_file", "fastest_ratio_after_before",
        "header_steps_added_share_of_read", "repeated_headings_total",
        "glued_marker_paragraphs_total", "docs_with_glued_markers")}, indent=1))


if __name__ == "__main__":
    main()
