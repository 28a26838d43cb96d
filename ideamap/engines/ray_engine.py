"""The Ray engine: reading and embedding as a Ray Data pipeline, writing on the driver.

    files (listed and hashed on the driver; unchanged ones skipped, as locally)
      → map_batches(read_files)            tasks: the same readers, limits and outcomes
      → map_batches(EmbedActor, concurrency=N[, num_gpus=G])
                                            an actor pool; each actor loads the encoder once
      → driver: one transaction per document (store.write_document), in file order

Order is preserved, so documents and paragraphs get the same ids as a local build, and the
layout (run afterwards on the driver by ideamap.pipeline) is the same for the same seed. A
document is committed only with its vectors, so a killed driver resumes with the next
``ideamap build`` and embeds nothing twice; a lost worker is retried by Ray.

Rows carry JSON and float32 bytes, not Python objects: the same wire format the reader
processes use (isolation_child.result_to_dict), and nothing of ours is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ideamap.errors import Cancelled, IdeamapError
from ideamap.model import READABLE_STATUSES

# Files per read task: enough to amortise starting a reader process (~0.5 s), few enough to
# spread a small folder over every worker.
FILES_PER_READ_TASK = 8
# Documents per embedding call of an actor (the local engine's batch size).
DOCUMENTS_PER_EMBED_BATCH = 32
# How long a first worker may take to start and import ideamap. Ray retries a worker that
# dies at start-up for ever, so without this bound a node lacking ideamap hangs the build.
WORKER_START_TIMEOUT_S = 180.0


class RayUnavailableError(IdeamapError):
    pass


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayUnavailableError("The ray engine needs Ray: pip install 'ideamap[cluster]'.") from exc
    return ray


def _connect(ray, options) -> bool:
    """Join the cluster at ``options.ray_address`` (or the one RAY_ADDRESS / `ray start`
    names; else a local one). True when this call started Ray and must shut it down."""
    if ray.is_initialized():
        return False
    ray.init(address=options.ray_address or None, include_dashboard=False,
             log_to_driver=False, ignore_reinit_error=True)
    return True


def ingest(store, files: list[Path], run_id: int, options, report, progress, cancel) -> None:
    """Read and embed ``files`` on Ray, committing each document on the driver."""
    from ideamap.pipeline import _file_key

    ray = _import_ray()
    known = store.document_hashes()
    todo = []
    for path in files:
        key = _file_key(path, options.max_file_bytes)
        previous = known.get(str(path))
        if previous is not None and previous[1] == key:
            report.files_unchanged += 1
        else:
            todo.append({"path": str(path), "key": key})
    if not todo:
        return
    started = _connect(ray, options)
    try:
        _check_workers_start(ray)
        _run(ray, store, todo, len(files), run_id, options, report, progress, cancel)
    finally:
        if started:
            ray.shutdown()


def _check_workers_start(ray, timeout_s: float | None = None) -> None:
    """Fail with a stated reason when no worker can start and import ideamap in time."""
    timeout_s = WORKER_START_TIMEOUT_S if timeout_s is None else timeout_s
    probe = ray.remote(num_cpus=0)(_worker_probe).remote()
    try:
        ray.get(probe, timeout=timeout_s)
    except ray.exceptions.GetTimeoutError:
        ray.cancel(probe, force=True)
        raise RayUnavailableError(
            f"No Ray worker started within {timeout_s:.0f} s. Each node needs ideamap and its "
            "reader extras installed (pip install 'ideamap[cluster]') in the Python Ray runs; "
            "the Ray logs (/tmp/ray/session_latest/logs) say why workers exit.") from None
    except ray.exceptions.RayError as exc:
        raise RayUnavailableError(
            f"Ray workers fail before they can read a file ({_first_line(exc)}). Each node needs "
            "ideamap installed in the Python Ray runs; the Ray logs "
            "(/tmp/ray/session_latest/logs) say why workers exit.") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _worker_probe() -> str:
    import ideamap.ingest.isolation  # noqa: F401  (what read_files needs first)

    return "ok"


def _dataset(ray, todo: list[dict], options):
    from ray.data import ActorPoolStrategy, DataContext

    DataContext.get_current().execution_options.preserve_order = True  # same ids as local
    limits = {"timeout_s": options.file_timeout_s, "memory_bytes": options.reader_memory_bytes,
              "max_file_bytes": options.max_file_bytes, "isolate": options.isolate_readers}
    workers = max(1, options.ray_workers)
    gpu_args = {"num_gpus": options.gpus_per_worker} if options.gpus_per_worker else {}
    ds = ray.data.from_items(todo, override_num_blocks=max(1, -(-len(todo) // FILES_PER_READ_TASK)))
    ds = ds.map_batches(read_files, fn_kwargs={"limits": limits}, batch_size=FILES_PER_READ_TASK,
                        batch_format="pandas")
    return ds.map_batches(EmbedActor, fn_constructor_kwargs={"model_id": _model_id(options)},
                          batch_size=DOCUMENTS_PER_EMBED_BATCH, batch_format="pandas",
                          compute=ActorPoolStrategy(min_size=1, max_size=workers), **gpu_args)


def _run(ray, store, todo, total, run_id, options, report, progress, cancel) -> None:
    from ideamap.pipeline import _timed

    model_id = _model_id(options)
    # Reading and embedding overlap on the cluster: the wait for each result counts as "read".
    rows = iter(_dataset(ray, todo, options).iter_rows())
    try:
        _write_rows(_timed(rows, report), store, total, run_id, model_id, report, progress, cancel,
                    workers=max(1, options.ray_workers))
    finally:
        if hasattr(rows, "close"):
            rows.close()  # a cancel stops the pipeline at once, not when it is collected


def _write_rows(rows, store, total, run_id, model_id, report, progress, cancel, workers: int = 1) -> None:
    import time

    from ideamap.ingest.isolation_child import result_from_dict

    done = report.files_unchanged
    started, done_at_start = time.monotonic(), done
    for row in rows:
        if cancel():
            raise Cancelled("Cancelled; the files finished so far are kept.")
        result = result_from_dict(json.loads(row["result"]))
        vectors = _vectors(row)
        report.files_read += 1
        if result.status not in READABLE_STATUSES:
            report.files_failed.append((result.path, result.status.value, result.reason))
        with report.time("write"):
            store.write_document(result, row["key"], vectors, model_id=model_id, run_id=run_id)
        report.paragraphs_added += len(result.paragraphs)
        report.paragraphs_embedded += 0 if vectors is None else len(vectors)
        report.encoder = report.encoder or row["encoder"]
        done += 1
        eta = _eta(time.monotonic() - started, done - done_at_start, total - done)
        progress("read", done, total, f"{Path(result.path).name} · {report.paragraphs_embedded} paragraphs embedded"
                                      f" · up to {workers} embedding worker{'s' if workers > 1 else ''}{eta}")


def _eta(elapsed_s: float, done_here: int, left: int) -> str:
    """' · about N min left' from this run's pace (files done since it started), or ''."""
    if done_here < 2 or left <= 0:
        return ""  # the first result carries the cluster's start-up, not its pace
    seconds = elapsed_s / done_here * left
    return f" · about {seconds / 60:.0f} min left" if seconds >= 90 else f" · about {seconds:.0f} s left"


def _vectors(row) -> np.ndarray | None:
    if not row["n_vectors"]:
        return None
    flat = np.frombuffer(row["vectors"], dtype=np.float32)
    return flat.reshape(int(row["n_vectors"]), -1)


def _model_id(options) -> str:
    from ideamap.embed.encoder import DEFAULT_MODEL_ID

    return options.model_id or DEFAULT_MODEL_ID


# --- on the workers ---------------------------------------------------------------------


def read_files(batch, limits: dict):
    """A Ray task: read a batch of files with the local engine's readers, in reader
    processes under the same time and memory limits (a hang or crash ends that file's
    outcome, not the task)."""
    from ideamap.ingest.isolation import ReadLimits, make_reader
    from ideamap.ingest.isolation_child import result_to_dict

    read_limits = ReadLimits(timeout_s=limits["timeout_s"], memory_bytes=limits["memory_bytes"],
                             max_file_bytes=limits["max_file_bytes"], workers=1)
    jobs = [((p, k), Path(p)) for p, k in zip(batch["path"], batch["key"])]
    out = {"path": [], "key": [], "result": []}
    with make_reader(read_limits, isolate=limits["isolate"]) as reader:
        for (path, key), result in reader.read_many(jobs):
            out["path"].append(path)
            out["key"].append(key)
            out["result"].append(json.dumps(result_to_dict(result)))
    import pandas as pd

    return pd.DataFrame(out)


def actor_device() -> str:
    """"cuda" when Ray assigned this actor a GPU, else "cpu". Not auto: an actor Ray gave no
    GPU must not use one, since the node's GPUs belong to the actors Ray reserved them for."""
    import ray

    return "cuda" if ray.get_gpu_ids() else "cpu"


class EmbedActor:
    """An actor of the embedding pool: loads the encoder once, then embeds the mapped
    paragraphs of each batch of documents. On the GPU Ray gave it (--gpus-per-worker), in the
    precision the local engine chooses on a GPU (fp16); without one, on the CPU as locally."""

    def __init__(self, model_id: str):
        from ideamap.embed.encoder import load_encoder

        self.device = actor_device()
        self.encoder = load_encoder(model_id, device=self.device)
        self.label = f"{self.encoder.model_id} ({self.encoder.version})"

    def __call__(self, batch):
        from ideamap.embed import embed_texts
        from ideamap.store.mapfile import MAPPED_KINDS

        docs = [json.loads(r) for r in batch["result"]]
        per_doc = [[p[0] for p in d["paragraphs"] if p[2] in MAPPED_KINDS] for d in docs]  # as pipeline._mapped_texts
        texts = [t for ts in per_doc for t in ts]
        vectors = embed_texts(self.encoder, texts) if texts else np.zeros((0, self.encoder.dim), np.float32)
        blobs, counts, offset = [], [], 0
        for ts in per_doc:
            blobs.append(np.ascontiguousarray(vectors[offset : offset + len(ts)], dtype=np.float32).tobytes())
            counts.append(len(ts))
            offset += len(ts)
        out = batch.copy()
        out["vectors"] = blobs
        out["n_vectors"] = counts
        out["encoder"] = self.label
        return out

