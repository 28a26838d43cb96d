"""bench_scale's whole-build stages, each through ideamap's own code (no re-implementations):

- writes: ``MapStore.write_document`` per document of DOC_PARAGRAPHS paragraphs with their
  vectors, as pipeline._flush does once a batch is embedded; the vectors are made block by
  block (``map_blocks``), so the benchmark never holds all N of them;
- layout: ``pipeline._full_layout`` itself (compute_layout, then save_layout + layout_params),
  with ``landmark_sample`` bound when --sample is given;
- add: new documents written as _flush writes them (vectors given: the embedding seam), then
  ``pipeline._update_layout``, which is what ``pipeline.add`` runs after ingesting (it places
  the unplaced paragraphs with _place_new and relabels the islands).
"""

from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"  # the real encoder of the base vectors
DOC_PARAGRAPHS = 100
BLOCK = 65_536  # rows made at a time (as bench_scale's make_map always did: same vectors)


_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
TAG_WORDS = [a + b + c for a in _SYLLABLES[:10] for b in _SYLLABLES for c in _SYLLABLES][:1000]


def tag(row: int) -> str:
    """Made-up words naming a row (two per million rows): a copy's text plus its tag is
    distinct, so copies are not taken for boilerplate (a text repeated across many documents
    goes to the sea: 19,948 of 20,000 points did with verbatim copies). Each word tags every
    island alike, so it never wins a label."""
    words = [TAG_WORDS[row % 1000], TAG_WORDS[(row // 1000) % 1000]]
    if row >= 1_000_000:
        words.append(TAG_WORDS[(row // 1_000_000) % 1000])
    return " ".join(words)


def map_blocks(n: int, base: np.ndarray, texts: list[str], noise: float, seed: int = 0, *,
               tags: bool = True):
    """(vectors, texts) blocks: the base vectors, then noisy renormalised copies up to n rows,
    each copy carrying its original's text (with its row's ``tag`` appended unless ``tags`` is
    False). Concatenated, the vectors are make_map's output."""
    rng = np.random.default_rng(seed)
    src = np.concatenate([np.arange(min(n, len(base))), rng.integers(0, len(base), max(0, n - len(base)))])
    for start in range(0, n, BLOCK):
        block = base[src[start : start + BLOCK]].astype(np.float32)
        if start + len(block) > len(base):
            copy = np.arange(start, start + len(block)) >= len(base)
            block[copy] += rng.normal(scale=noise, size=(int(copy.sum()), base.shape[1])).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        rows = range(start, start + len(block))
        yield block, [f"{texts[i]} {tag(r)}" if tags and r >= len(base) else texts[i]
                      for i, r in zip(src[start : start + BLOCK], rows)]


def documents(blocks, size: int = DOC_PARAGRAPHS):
    """Re-cut blocks into documents of ``size`` paragraphs (the last may be shorter)."""
    carry_v, carry_t = None, []
    for vecs, texts in blocks:
        if carry_t:
            vecs, texts = np.concatenate([carry_v, vecs]), carry_t + texts
        full = len(texts) - len(texts) % size
        for s in range(0, full, size):
            yield vecs[s : s + size], texts[s : s + size]
        carry_v, carry_t = vecs[full:], texts[full:]
    if carry_t:
        yield carry_v, carry_t


def _read_result(path: str, texts: list[str], title: str):
    from ideamap.model import FileStatus, ParagraphDraft, ReadResult

    paras, offset = [], 0
    for j, text in enumerate(texts):
        paras.append(ParagraphDraft(text=text, order=j, char_start=offset, char_end=offset + len(text)))
        offset += len(text) + 2
    return ReadResult(path=path, doc_type="text", status=FileStatus.DONE, title=title, paragraphs=paras)


def write_documents(store, docs, run_id: int, prefix: str) -> int:
    """Each document committed with its paragraphs and vectors, as pipeline._flush does."""
    count = 0
    for d, (vecs, texts) in enumerate(docs):
        result = _read_result(f"/bench/scale/{prefix}{d:06d}.txt", texts, f"{prefix} {d}")
        store.write_document(result, f"bench-{prefix}-{d}", vecs, model_id=MODEL_ID, run_id=run_id)
        count += len(texts)
    return count


def write_map(path: Path, blocks, mark) -> tuple[dict, object, int]:
    """A new map file holding every block's documents; returns (figures, open store, run id)."""
    from ideamap.store.mapfile import MapStore

    mark("writes")
    t0 = time.perf_counter()
    store = MapStore.create(path)
    run_id = store.start_run("build", {"bench": "bench_scale"}, model_id=MODEL_ID)
    n = write_documents(store, documents(blocks), run_id, "doc")
    return {"writes_s": round(time.perf_counter() - t0, 2), "paragraphs": n,
            "documents": -(-n // DOC_PARAGRAPHS)}, store, run_id


@contextmanager
def landmark_sample(sample: int | None):
    """pipeline._full_layout calls ``ideamap.layout.compute_layout`` with its default sample;
    --sample binds another one for the duration (the same function, one argument given)."""
    import ideamap.layout as layout

    original = layout.compute_layout
    if sample is not None:
        layout.compute_layout = functools.partial(original, landmark_sample=sample)
    try:
        yield
    finally:
        layout.compute_layout = original


def full_layout(store, run_id: int, sample: int | None, mark, stages: dict) -> dict:
    """pipeline._full_layout on the map (layout, layout writes and, for a map above the
    approximate-search threshold, the neighbour index into the cache), with RSS stage marks
    from its progress messages and around its save_layout (the layout writes)."""
    from ideamap import pipeline

    def progress(stage: str, done: int, total: int, detail: str = "") -> None:
        hit = next((v for k, v in stages.items() if detail.startswith(k)), None)
        if hit:
            mark(hit)

    save = store.save_layout

    def marked_save(*args, **kwargs):
        mark("layout writes")
        return save(*args, **kwargs)

    store.save_layout = marked_save  # instrumentation only: the store's own method runs
    report = pipeline.BuildReport(map_path=str(store.path))
    try:
        with landmark_sample(sample):
            pipeline._full_layout(store, pipeline.BuildOptions(), report, progress)
    finally:
        del store.save_layout
    store.finish_run(run_id, extra={"stage_seconds": report.stage_seconds, "laid_out": report.laid_out})
    import json

    params = json.loads(store.meta("layout_params") or "{}")
    return {"layout_s": round(report.stage_seconds["layout"], 2),
            "layout_writes_s": round(report.stage_seconds["write"], 2),
            "index_s": round(report.stage_seconds.get("index", 0.0), 2), "index_fact": report.index_fact,
            "stage_s": {k.split(".", 1)[1]: round(v, 2) for k, v in report.stage_seconds.items() if "." in k},
            "laid_out": report.laid_out,
            "projection": {k: v for k, v in params.get("projection", {}).items() if k != "versions"},
            "boilerplate": params.get("boilerplate"),
            "islands_per_level": params.get("clustering", {}).get("islands_per_level")}


def noisy_copies(base: np.ndarray, texts: list[str], k: int, noise: float, seed: int, *,
                 first_row: int, tags: bool = True):
    """k more copies made like map_blocks's, tagged as rows first_row, first_row + 1, ..."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, len(base), k)
    v = base[src].astype(np.float32) + rng.normal(scale=noise, size=(k, base.shape[1])).astype(np.float32)
    out = [f"{texts[i]} {tag(first_row + j)}" if tags else texts[i] for j, i in enumerate(src)]
    return v / np.linalg.norm(v, axis=1, keepdims=True), out


ADD_HOW = ("new documents written with their vectors given, as pipeline._flush writes them once the "
           "embedder returns (no file reading, no embedding), then pipeline._update_layout, which "
           "pipeline.add runs after ingesting: _place_new places them, keeps or re-reads the names and "
           "grows the map's neighbour index by them; timed from MapStore.open to the index key "
           "recorded for the new version")


def add(path: Path, base: np.ndarray, texts: list[str], k: int, noise: float, mark, *, tags: bool = True,
        prefix: str = "add") -> dict:
    """Add ``k`` noisy copies as new documents to the map; time it and measure how far the
    points already there moved (must be 0)."""
    from ideamap import pipeline
    from ideamap.store.mapfile import MapStore

    with MapStore.open(path, readonly=True) as store:
        old_ids, old_xy = store.coords()
    vecs, new_texts = noisy_copies(base, texts, k, noise, seed=12345, first_row=len(old_ids), tags=tags)
    from ideamap.search.index import INDEX_KEY_FACT
    from ideamap.store import verified

    mark("add")
    t0 = time.perf_counter()
    with MapStore.open(path) as store:
        prior = (verified.facts(path) or {}).get(INDEX_KEY_FACT)  # as pipeline.add does
        run_id = store.start_run("add", {"bench": "bench_scale"}, model_id=MODEL_ID)
        n = write_documents(store, documents([(vecs, new_texts)]), run_id, prefix)
        writes = time.perf_counter() - t0
        report = pipeline.BuildReport(map_path=str(path))
        pipeline._update_layout(store, pipeline.BuildOptions(), report, pipeline._noop_progress, prior)
        store.finish_run(run_id, extra={"stage_seconds": report.stage_seconds, "laid_out": report.laid_out})
    recorded = pipeline._record_written(path, report)
    seconds = time.perf_counter() - t0
    with MapStore.open(path, readonly=True) as store:
        ids, xy = store.coords()
    pos = np.searchsorted(ids, old_ids)
    kept = bool(len(ids) == len(old_ids) + n and np.array_equal(ids[np.minimum(pos, len(ids) - 1)], old_ids))
    move = float(np.abs(xy[pos] - old_xy).max()) if kept and len(old_ids) else float("nan")
    return {"add_s": round(seconds, 2), "paragraphs": n, "writes_s": round(writes, 2),
            "place_and_relabel_s": round(report.stage_seconds.get("layout", 0.0), 2),
            "index_grow_s": round(report.stage_seconds.get("index", 0.0), 2), "index_grown": bool(report.index_fact),
            "index_key_recorded": recorded,
            "laid_out": report.laid_out, "all_old_points_kept": kept, "max_move_existing": move,
            "how": ADD_HOW}


def app_open(path: Path) -> dict:
    """bench_app's "open" measurement: a fresh process, the real MainWindow, open_map to the
    first complete frame (every visible tile drawn), then until neighbours are ready. Twice:
    with this user's cache, as the app opens a map built here (checked and its index key
    recorded by the build), and with an empty one, as a map copied from elsewhere first opens
    (the file's checks run and the vectors are read and hashed for the index key)."""
    import bench_app

    out = {}
    for name, own in (("recorded", True), ("never_seen", False)):
        launched, r = bench_app._spawn("--child-open", str(path), own_home=own)
        out[name] = {
            "open_to_first_frame_s": round(r["t_frame"] - r["t_open"], 3) if r["t_frame"] else None,
            "launch_to_first_frame_s": round(r["t_frame"] - launched, 3) if r["t_frame"] else None,
            "open_to_neighbours_ready_s": r["open_to_index_s"],
            "torch_or_umap_imported": any(r["heavy_at_first_frame"].values()) or any(r["heavy_after_index"].values())}
    return {**out["recorded"], "never_seen_map": out["never_seen"]}
