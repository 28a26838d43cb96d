"""Scale benchmark: layout of N paragraphs, seconds and peak RSS per stage.

How the N paragraphs are made: the first ``--base`` paragraphs (>= 80 chars) of
../shared/corpora/meeting_notes with all-MiniLM-L6-v2 vectors: those ideamap's own vector cache
already holds when it holds at least 1000 of them (on a busy machine embedding is slow),
else embedded here once and cached in /tmp; the
map is those real vectors plus noisy copies of them (Gaussian noise of ``--noise`` per dimension,
renormalised: cosine ~0.98 to their original) up to N, each copy carrying its original's text.
So the map has the topic structure of real prose, but N/base near-copies per paragraph.

    nice .venv/bin/python benchmarks/bench_scale.py --n 100000 [--sample 50000] [--layout-only]
        [--json benchmarks/results/scale_100k.json]

Peak RSS per stage comes from a thread sampling /proc/self/statm every 50 ms (Linux only) and
the stage marks of compute_layout's progress messages; the process peak is ru_maxrss.
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
    rng = np.random.default_rng(seed)
    src = np.concatenate([np.arange(min(n, len(base))), rng.integers(0, len(base), max(0, n - len(base)))])
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 65_536):
        block = base[src[start : start + 65_536]].astype(np.float32)
        if start + len(block) > len(base):
            copy = np.arange(start, start + len(block)) >= len(base)
            block[copy] += rng.normal(scale=noise, size=(int(copy.sum()), base.shape[1])).astype(np.float32)
        out[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out, [texts[i] for i in src]


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--base", type=int, default=3000)
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--sample", type=int, default=None, help="landmark sample (default LANDMARK_SAMPLE)")
    parser.add_argument("--layout-only", action="store_true", help="only the 2-D projection stage")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--note", default="", help="what else ran on the machine meanwhile (recorded as said)")
    args = parser.parse_args()

    from ideamap.layout.landmarks import LANDMARK_SAMPLE, project_with_landmarks

    sample = args.sample or LANDMARK_SAMPLE
    rss = RssByStage()
    t0 = time.perf_counter()
    base, base_texts = base_corpus(args.base)
    vectors, texts = make_map(args.n, base, base_texts, args.noise)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if args.layout_only:
        rss.mark("projection")
        _, info = project_with_landmarks(vectors, 42, sample=sample)
        timings = {"projection": time.perf_counter() - t0}
    else:
        from ideamap.layout.build import compute_layout

        def progress(msg: str) -> None:
            rss.mark(next((v for k, v in STAGES.items() if msg.startswith(k)), msg))

        result = compute_layout(vectors, texts, seed=42, progress=progress, landmark_sample=sample)
        info, timings = result.params["projection"], result.params["timings_s"]
    layout_s = time.perf_counter() - t0
    peaks = rss.stop()
    out = {
        "n": args.n,
        "how": f"{len(base)} real MiniLM vectors of shared/corpora/meeting_notes + noisy copies "
               f"(sigma {args.noise}/dim, renormalised) to n; texts copied with their vector",
        "landmark_sample": sample,
        "layout_only": args.layout_only,
        "setup_s": round(setup_s, 2),
        "layout_s": round(layout_s, 2),
        "stage_s": {k: round(v, 2) for k, v in timings.items()},
        "peak_rss_mb_by_stage": peaks,
        # wall seconds on a shared machine mostly measure the queue: CPU seconds say the work
        "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "projection": {k: v for k, v in info.items() if k != "versions"},
        "cpus": os.cpu_count(),
        "load_avg_at_end": os.getloadavg(),
        "note": args.note,
    }
    text = json.dumps(out, indent=2, default=str)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
