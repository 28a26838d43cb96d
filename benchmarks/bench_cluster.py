"""Ray engine benchmark (issue 9): paragraphs/s of reading + embedding with 1 and 2 Ray
workers against the local engine, on the same folder, in the same run.

The folder: the Rust meeting notes of ../shared/corpora/meeting_notes (real prose, Markdown).
The vector cache is off, so every paragraph is embedded. Each engine builds a fresh map; the
figure is paragraphs embedded per second of the whole ingest stage (read+embed+write),
without the layout, which runs on the driver for both engines. Ray's start-up (ray.init) is
timed separately. On a 2-core machine expect no gain: the point is that the path is real.

    .venv/bin/python benchmarks/bench_cluster.py [--docs 40] [--workers 1 2] [--address HOST:PORT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import SHARED  # noqa: E402


def make_folder(folder: Path, n_docs: int) -> None:
    folder.mkdir(parents=True)
    for note in sorted((SHARED / "meeting_notes").glob("*.md"))[:n_docs]:
        shutil.copy(note, folder / note.name)


def ingest_rate(folder: Path, out: Path, **engine) -> dict:
    from ideamap.pipeline import BuildOptions, build

    start = time.perf_counter()
    report = build([folder], out, options=BuildOptions(use_cache=False, **engine))
    total = time.perf_counter() - start
    ingest = sum(v for k, v in report.stage_seconds.items() if k in ("read", "embed", "write"))
    return {"paragraphs": report.paragraphs_embedded, "files": report.files_read,
            "ingest_s": round(ingest, 2), "total_s": round(total, 2),
            "paragraphs_per_s": round(report.paragraphs_embedded / ingest, 1) if ingest else None,
            "encoder": report.encoder}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--address", default="", help="a Ray cluster; default: a local one")
    args = parser.parse_args()
    import ray

    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "docs": args.docs}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        make_folder(folder, args.docs)
        results["local"] = ingest_rate(folder, Path(tmp) / "local.ideamap")
        start = time.perf_counter()
        ray.init(address=args.address or None, include_dashboard=False, log_to_driver=False)
        results["ray_init_s"] = round(time.perf_counter() - start, 2)
        results["ray_resources"] = ray.cluster_resources()
        for n in args.workers:
            results[f"ray_{n}"] = ingest_rate(folder, Path(tmp) / f"ray{n}.ideamap", engine="ray", ray_workers=n)
            base = results["local"]["paragraphs_per_s"]
            results[f"ray_{n}"]["vs_local"] = round(results[f"ray_{n}"]["paragraphs_per_s"] / base, 2)
        ray.shutdown()
    print(json.dumps(results, indent=2))
    out = Path(__file__).resolve().parent / "results" / "cluster.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
