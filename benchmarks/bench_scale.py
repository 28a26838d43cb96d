"""Scale benchmark: a whole map build of N paragraphs, excluding embedding, stage by stage.

How the N paragraphs are made: the first ``--base`` paragraphs (>= 80 chars) of
../shared/corpora/meeting_notes with all-MiniLM-L6-v2 vectors: those ideamap's own vector cache
already holds when it holds at least 1000 of them (on a busy machine embedding is slow),
else embedded here once and cached in /tmp; the
map is those real vectors plus noisy copies of them (Gaussian noise of ``--noise`` per dimension,
renormalised: cosine ~0.98 to their original) up to N, each copy carrying its original's text
and, in a full build, two made-up tag words naming its row (see _scale_build.tag: without them
the copies are boilerplate to the layout and go to the sea; --same-texts keeps them verbatim).
So the map has the topic structure of real prose, but N/base near-copies per paragraph.

Stages (each through ideamap's own code, see _scale_build.py and _scale_index.py):
writes (a real map file, documents of 100 paragraphs with their vectors), layout (the pipeline's
full layout: projection, islands, labels) and its writes, the neighbour index as the app builds
it at first open (build + cache write); then, in fresh processes, the reopen (until neighbours
are ready, recall@10 against exact search, click p95) and the app opening the map to its first
frame; last, ``add`` of --add paragraphs (no embedding) and how far existing points moved.

    nice .venv/bin/python benchmarks/bench_scale.py --n 100000 [--sample 50000] [--layout-only]
        [--json benchmarks/results/scale_100k.json]

Peak RSS per stage comes from a thread sampling /proc/self/statm every 50 ms (Linux only) and
stage marks (compute_layout's progress messages); the build's peak is ru_maxrss after the index.
The index cache goes to a throwaway folder (IDEAMAP_CACHE_DIR), the map to --workdir.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

BASE_VEC = Path("/tmp/ideamap_scale_base_vecs.npy")
BASE_TXT = Path("/tmp/ideamap_scale_base_texts.json")


def base_corpus(limit: int) -> tuple[np.ndarray, list[str]]:
    """Real vectors of up to ``limit`` shared-corpus paragraphs (embedded once, then cached)."""
    if BASE_VEC.exists() and BASE_TXT.exists():
        v, t = np.load(BASE_VEC), json.loads(BASE_TXT.read_text())
        if len(t) >= limit:
            return v[:limit], t[:limit]
    from layout_embed import CORPUS, embed, read_paragraphs

    texts = read_paragraphs(CORPUS)
    cached, hit = from_vector_cache(texts)
    if len(hit) >= min(limit, 1000):  # vectors ideamap's own builds already computed
        return cached[:limit], hit[:limit]
    texts = texts[:limit]
    vecs = embed(texts)
    np.save(BASE_VEC, vecs)
    BASE_TXT.write_text(json.dumps(texts))
    return vecs, texts


def from_vector_cache(texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """The paragraphs whose MiniLM vectors ideamap's per-user vector cache holds (read-only)."""
    import sqlite3

    from ideamap.embed.cache import text_hash
    from ideamap.layout._heavy import user_cache_dir

    path = user_cache_dir() / "vectors.sqlite"
    if not path.exists():
        return np.zeros((0, 384), np.float32), []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = dict(conn.execute("SELECT text_hash, vector FROM vectors WHERE model_id = ?",
                             ("sentence-transformers/all-MiniLM-L6-v2",)).fetchall())
    conn.close()
    hit = [t for t in texts if text_hash(t) in rows]
    vecs = np.stack([np.frombuffer(rows[text_hash(t)], np.float32) for t in hit]) if hit else None
    return (vecs if hit else np.zeros((0, 384), np.float32)), hit


def make_map(n: int, base: np.ndarray, texts: list[str], noise: float, seed: int = 0):
    """The base vectors followed by noisy, renormalised copies up to n rows (float32)."""
    from _scale_build import map_blocks

    out, out_texts, start = np.empty((n, base.shape[1]), dtype=np.float32), [], 0
    for block, block_texts in map_blocks(n, base, texts, noise, seed):
        out[start : start + len(block)] = block
        out_texts += block_texts
        start += len(block)
    return out, out_texts


class RssByStage:
    """Samples this process's RSS; ``mark(stage)`` starts a new stage's peak."""

    def __init__(self) -> None:
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.stage, self.peaks = "setup", {"setup": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def rss_mb(self) -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page / 2**20

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), self.rss_mb())

    def mark(self, stage: str) -> None:
        self.peaks[stage] = self.rss_mb()
        self.stage = stage

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return {k: round(v, 1) for k, v in self.peaks.items()}


STAGES = {"Projecting": "projection", "Finding islands": "clustering", "Labelling": "labelling"}


NOTES = {
    "build_excluding_embedding_s": "writes + layout + layout writes + index build (the pipeline's index "
                                   "stage, with the cache write)",
    "peak_rss_mb": "this process's ru_maxrss after the index build (before reopen, app open and add)",
    "reopen": "a fresh process: MapStore.open(readonly) + NeighborIndex.from_store, as the app's "
              "_build_index, the first open after the build; the OS page cache still holds the map "
              "file and the index just written",
    "click_p95_ms": "NeighborIndex.neighbors(pid, 10), what MapSession.neighbors asks; the panel's "
                    "copy-collapsing (reading.neighbours_without_repetition) is not included",
    "recall_at_10": "against exact inner-product search over all vectors (numpy, chunked), "
                    "each query paragraph itself excluded",
    "app_open": "benchmarks/bench_app.py's open measurement, once, in a fresh process",
}


def full_build(n: int, base: np.ndarray, texts: list[str], *, noise: float = 0.01, sample: int | None = None,
               add: int = 1000, queries: int = 200, workdir: Path | None = None, threshold: int | None = None,
               app: bool = True, keep: bool = False, tags: bool = True, rss: RssByStage | None = None) -> dict:
    """Every stage of a build of n paragraphs (see the module docstring); the figures as a dict."""
    import shutil
    import tempfile

    import _scale_build as sb
    import _scale_index as si

    from ideamap.search import index as index_mod

    rss = rss or RssByStage()
    work = Path(tempfile.mkdtemp(prefix="ideamap-scale-", dir=workdir))
    saved = os.environ.get("IDEAMAP_CACHE_DIR"), index_mod.APPROX_THRESHOLD
    os.environ["IDEAMAP_CACHE_DIR"] = str(work / "cache")  # a throwaway index cache, children too
    si.set_threshold(threshold)
    path = work / f"scale_{n}.ideamap"
    try:
        writes, store, run_id = sb.write_map(path, sb.map_blocks(n, base, texts, noise, tags=tags), rss.mark)
        try:
            layout = sb.full_layout(store, run_id, sample, rss.mark, STAGES)
        finally:
            store.close()
        # As pipeline.build does once the map is closed: write down this version's index key.
        from ideamap import pipeline

        recorded = pipeline._record_written(path, pipeline.BuildReport(map_path=str(path), index_fact=layout["index_fact"]))
        index = si.built_index(n, layout["index_s"], recorded)
        build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss.mark("after build")
        reopen = si.reopen(path, queries, threshold)
        app_open = sb.app_open(path) if app else None
        added = sb.add(path, base, texts, add, noise, rss.mark, tags=tags) if add else None
        if added:  # the next open after the add: the grown index, found by its recorded key
            added["reopen_after"] = si.reopen(path, min(queries, 50), threshold)
        map_mb = path.stat().st_size / 2**20
    finally:
        _restore_env("IDEAMAP_CACHE_DIR", saved[0])
        index_mod.APPROX_THRESHOLD = saved[1]
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    build_s = writes["writes_s"] + layout["layout_s"] + layout["layout_writes_s"] + index["build_s"]
    layout.pop("index_fact", None)
    return {
        "n": n, "layout_s": layout["layout_s"], "build_excluding_embedding_s": round(build_s, 2),
        "peak_rss_mb": round(build_peak, 1),
        "reopen_neighbours_ready_s": reopen["ready_s"], "click_p95_ms": reopen["click_p95_ms"],
        "recall_at_10": reopen["recall_at_10"], "add_1000_s": added["add_s"] if added else None,
        "add_paragraphs": add, "max_move_existing": added["max_move_existing"] if added else None,
        "app_open_to_first_frame_s": app_open["open_to_first_frame_s"] if app_open else None,
        "stages_s": {"writes": writes["writes_s"], **{f"layout.{k}": v for k, v in layout["stage_s"].items()},
                     "layout_writes": layout["layout_writes_s"], "index_build_and_cache": index["build_s"]},
        "writes": writes, "layout": layout, "index_first_open": index, "reopen": reopen,
        "app_open": app_open, "add": added, "map_file_mb": round(map_mb, 1),
        "peak_rss_mb_by_stage": rss.stop(), "map": str(path) if keep else "deleted",
        "notes": NOTES,
    }


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int)
    parser.add_argument("--base", type=int, default=3000)
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--sample", type=int, default=None, help="landmark sample (default LANDMARK_SAMPLE)")
    parser.add_argument("--layout-only", action="store_true", help="only the 2-D projection stage")
    parser.add_argument("--add", type=int, default=1000, help="paragraphs added to the built map (0: skip)")
    parser.add_argument("--queries", type=int, default=200, help="random paragraphs for recall and clicks")
    parser.add_argument("--approx-threshold", type=int, default=None,
                        help="map size where the IVF index starts (default: ideamap's APPROX_THRESHOLD)")
    parser.add_argument("--no-app", action="store_true", help="skip the app opening the map")
    parser.add_argument("--workdir", type=Path, default=None, help="where the map file is written (default /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the map file and index cache")
    parser.add_argument("--same-texts", action="store_true",
                        help="copies keep their original's text verbatim (then most are boilerplate, in the sea)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--note", default="", help="what else ran on the machine meanwhile (recorded as said)")
    parser.add_argument("--child-reopen", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_reopen:
        import _scale_index as si

        si.set_threshold(args.approx_threshold)
        print(json.dumps(si.child_reopen(args.child_reopen, args.queries)))
        return
    if args.n is None:
        parser.error("--n is required")

    from ideamap.layout.landmarks import LANDMARK_SAMPLE

    rss = RssByStage()
    t0 = time.perf_counter()
    base, base_texts = base_corpus(args.base)
    head = {"n": args.n,
            "how": f"{len(base)} real MiniLM vectors of shared/corpora/meeting_notes + noisy copies "
                   f"(sigma {args.noise}/dim, renormalised) to n; texts copied with their vector"
                   + ("" if args.layout_only or args.same_texts else
                      ", plus two made-up tag words per copy so copies are distinct texts, not boilerplate"),
            "landmark_sample": args.sample or LANDMARK_SAMPLE, "layout_only": args.layout_only}
    if args.layout_only:
        out = {**head, **layout_only(args, base, base_texts, rss, t0)}
    else:
        head["setup_s"] = round(time.perf_counter() - t0, 2)
        out = {**head, **full_build(args.n, base, base_texts, noise=args.noise, sample=args.sample, add=args.add,
                                    queries=args.queries, workdir=args.workdir, threshold=args.approx_threshold,
                                    app=not args.no_app, keep=args.keep, tags=not args.same_texts, rss=rss)}
    out.update({
        # wall seconds on a shared machine mostly measure the queue: CPU seconds say the work
        "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
        "cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg(), "note": args.note,
    })
    text = json.dumps(out, indent=2, default=str)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


def layout_only(args, base: np.ndarray, base_texts: list[str], rss: RssByStage, t0: float) -> dict:
    """Only the 2-D projection of N in-memory vectors, as before the full build existed."""
    from ideamap.layout.landmarks import LANDMARK_SAMPLE, project_with_landmarks

    vectors, _ = make_map(args.n, base, base_texts, args.noise)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rss.mark("projection")
    _, info = project_with_landmarks(vectors, 42, sample=args.sample or LANDMARK_SAMPLE)
    layout_s = time.perf_counter() - t0
    return {"setup_s": round(setup_s, 2), "layout_s": round(layout_s, 2),
            "stage_s": {"projection": round(layout_s, 2)}, "peak_rss_mb_by_stage": rss.stop(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "projection": {k: v for k, v in info.items() if k != "versions"}}


if __name__ == "__main__":
    main()
