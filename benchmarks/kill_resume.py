"""Kill-and-resume benchmark: SIGKILL builds and adds at many random points and check that
nothing is ever lost or half-written.

Each cycle builds a folder of notes and then adds a second folder, in subprocesses that are
killed again and again (when the map holds a random number of documents, or a random time
after starting: while loading the model, reading, writing or laying out; sometimes the whole
process group, sometimes the build alone so its readers must notice by themselves). After
every kill the map must pass SQLite's integrity check, FTS5's, and hold no document without
all its paragraphs and vectors, and no reader may outlive the build. Each cycle then runs to
the end and must match an uninterrupted build + add: same paragraphs, vectors within 1e-5.

    .venv/bin/python benchmarks/kill_resume.py [--kills 40] [--docs 24] [--seed 1]

Results: benchmarks/results/kill_resume.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.test_reliability_kill import (  # noqa: E402 - the harness the test uses
    check_sound,
    differences,
    document_count,
    kill_when,
    laid_out,
    run_to_end,
    start,
    write_corpus,
)


def add_papers(folder: Path, count: int) -> int:
    papers = sorted((REPO.parent / "shared" / "corpora" / "papers_open").glob("*.pdf"))[:count]
    for paper in papers:
        shutil.copy(paper, folder / paper.name)
    return len(papers)


def kill_point(rng: random.Random, done: int, total: int) -> dict:
    """Where to kill next: at a document count ahead of ``done``, or at a random moment."""
    whole_group = rng.random() < 0.7
    if rng.random() < 0.3 or done >= total:
        return {"documents": None, "delay": rng.uniform(0.2, 6.0), "whole_group": whole_group}
    return {"documents": rng.randint(done + 1, total), "delay": rng.choice([0.0, 0.0, rng.uniform(0, 0.5)]),
            "whole_group": whole_group}


def run_stage(mode: str, out: Path, source: Path, total: int, rng: random.Random, budget: int, log: list) -> int:
    """Kill ``mode`` runs until one finishes by itself or ``budget`` kills are spent, then run it
    to the end. Returns the kills made."""
    kills = 0
    while kills < budget:
        done = max(document_count(out), 0)
        how = kill_point(rng, done, total)
        outcome = kill_when(start(mode, out, [source]), out, **how)
        problems = check_sound(out)
        log.append({"mode": mode, "kill_at": how["documents"], "delay": how["delay"],
                    "whole_group": how["whole_group"], **outcome, "problems": problems})
        print(f"  {mode:5} kill at {how} -> {outcome['documents']} docs, "
              f"{'killed' if outcome['killed'] else 'finished'}, problems: {problems or 'none'}", flush=True)
        if not outcome["killed"]:
            return kills
        kills += 1
    run_to_end(mode, out, [source])
    return kills


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--docs", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pdfs", type=int, default=6,
                        help="real papers from ../shared/corpora added to the build (slow to read, so "
                             "kills often land while readers are busy); none when it is absent")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="ideamap-kill-"))
    started = time.perf_counter()
    try:
        write_corpus(work / "first", args.docs)
        args.pdfs_used = add_papers(work / "first", args.pdfs)
        args.docs += args.pdfs_used
        write_corpus(work / "second", max(4, args.docs // 3), seed=1)
        total_first, total = args.docs, total_docs(args)
        reference = work / "reference.ideamap"
        run_to_end("build", reference, [work / "first"])
        run_to_end("add", reference, [work / "second"])
        log: list[dict] = []
        cycles, mismatches, kills = 0, [], 0
        while kills < args.kills:
            cycles += 1
            out = work / f"cycle-{cycles}.ideamap"
            print(f"cycle {cycles}", flush=True)
            budget = max(1, (args.kills - kills) // 2)
            kills += run_stage("build", out, work / "first", total_first, rng, budget, log)
            kills += run_stage("add", out, work / "second", total, rng, max(1, args.kills - kills), log)
            problems = differences(out, reference) + ([] if laid_out(out) else ["not laid out"])
            mismatches.extend(problems)
            print(f"cycle {cycles} finished: {problems or 'same as the uninterrupted run'}", flush=True)
        report(args, log, cycles, kills, mismatches, time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def total_docs(args) -> int:
    return args.docs + max(4, args.docs // 3)


def report(args, log: list[dict], cycles: int, kills: int, mismatches: list[str], seconds: float) -> None:
    killed = [entry for entry in log if entry["killed"]]
    result = {
        "kills": kills,
        "cycles": cycles,
        "docs_per_cycle": total_docs(args),
        "real_pdfs_per_cycle": args.pdfs_used,
        "kills_of_the_build_alone": sum(1 for e in killed if not e["whole_group"]),
        # children besides multiprocessing's resource tracker: reader processes at work
        "kills_while_readers_ran": sum(1 for e in killed if e["children"] >= 2),
        "kills_at_random_moments": sum(1 for e in killed if e["kill_at"] is None),
        "kills_after_every_document_was_in": sum(1 for e in killed if e["documents"] in (args.docs, total_docs(args))),
        "maps_with_problems_after_a_kill": sum(1 for e in log if e["problems"]),
        "orphaned_readers": sum(len(e["orphans"]) for e in log),
        "resumed_maps_differing_from_reference": len(mismatches),
        "problems": sorted({p for e in log for p in e["problems"]} | set(mismatches)),
        "seconds": round(seconds, 1),
    }
    out = Path(__file__).resolve().parent / "results" / "kill_resume.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
