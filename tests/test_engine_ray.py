"""The Ray engine builds the same map as the local engine (issue 9).

A local Ray cluster on 127.0.0.1 only (ray.init with 2 CPUs, no dashboard); skipped with a
reason where Ray is not installed (`pip install 'ideamap[cluster]'`; `make test` installs it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'ideamap[cluster]' to test the ray engine")

FILES = 4  # small: a real folder, a few seconds of embedding on 2 cores


def kill_one_embedding_worker() -> None:
    """Run in every Ray worker process at start-up (worker_process_setup_hook): once the test
    arms it, the first embedding actor to take a batch dies with it, as a lost node would."""
    from ideamap.engines import ray_engine

    original = ray_engine.EmbedActor.__call__

    def call(self, batch):
        folder = Path(os.environ["IDEAMAP_TEST_FAULTS"])
        try:
            (folder / "armed").unlink()  # only one process wins the file
        except FileNotFoundError:
            return original(self, batch)
        (folder / "fired").write_text(str(os.getpid()))
        os._exit(1)

    ray_engine.EmbedActor.__call__ = call


@pytest.fixture(scope="module")
def faults(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def ray_local(faults):
    # Ray workers do not inherit pytest's sys.path: without the repository root on PYTHONPATH
    # the setup hook cannot be imported, every worker dies at start and Ray retries for ever.
    repo_root = str(Path(__file__).resolve().parents[1])
    python_path = os.pathsep.join(p for p in (repo_root, os.environ.get("PYTHONPATH", "")) if p)
    runtime_env = {"worker_process_setup_hook": "tests.test_engine_ray.kill_one_embedding_worker",
                   "env_vars": {"IDEAMAP_TEST_FAULTS": str(faults), "PYTHONPATH": python_path}}
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
             runtime_env=runtime_env)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def folder(tmp_path_factory, corpora) -> Path:
    """A few real meeting notes, the smallest ones, plus a file no reader can take."""
    notes = sorted((corpora / "meeting_notes").glob("*.md"), key=lambda p: p.stat().st_size)[:FILES]
    out = tmp_path_factory.mktemp("ray-corpus")
    for path in notes:
        shutil.copy(path, out / path.name)
    (out / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    return out


def _snapshot(map_path: Path) -> dict:
    from ideamap.store.mapfile import MapStore

    with MapStore.open(map_path, readonly=True) as store:
        ids, vectors = store.vectors()
        coord_ids, xy = store.coords()
        docs = sorted((p, v[0], v[1], v[2]) for p, v in store.document_hashes().items())
        paragraphs = [(p.id, p.document_id, p.text, p.order, p.kind.value) for p in store.paragraphs(ids)]
    return {"ids": ids, "vectors": vectors, "coord_ids": coord_ids, "xy": xy, "docs": docs,
            "paragraphs": paragraphs}


def test_ray_build_equals_local_build_and_resumes(ray_local, folder, faults, tmp_path):
    """A Ray build stopped part-way (cancelled after 2 documents, as a killed driver would
    leave it) resumes on Ray with only the documents it had not committed, survives an
    embedding worker killed mid-build, and ends with the map the local engine makes: same
    documents, paragraphs and ids, vectors, coordinates. (One test: each Ray build costs an
    actor start and an encoder load, ~10-20 s on 2 busy cores.)"""
    from ideamap.pipeline import BuildOptions, build

    local = build([folder], tmp_path / "local.ideamap", options=BuildOptions(use_cache=False))
    out = tmp_path / "ray.ideamap"
    seen = []
    first = build([folder], out, options=BuildOptions(engine="ray", ray_workers=1),
                  progress=lambda stage, done, total, detail: seen.append((done, detail)),
                  cancel=lambda: len(seen) >= 2)
    assert first.cancelled and first.files_read == 2
    assert all("up to 1 embedding worker" in detail for _, detail in seen)  # files, paragraphs, workers
    (faults / "armed").write_text("")
    on_ray = build([folder], out, options=BuildOptions(engine="ray", ray_workers=1))
    assert (faults / "fired").exists()  # a worker did die during the resumed build
    assert on_ray.files_unchanged == 2 and on_ray.files_read == local.files_read - 2 == FILES + 1 - 2
    a, b = _snapshot(tmp_path / "local.ideamap"), _snapshot(out)
    assert a["docs"] == b["docs"]  # same documents, ids, hashes and outcomes: none lost or doubled
    assert "invalid" in {d[3] for d in b["docs"]}  # the broken file's outcome, as the reader gives it
    assert a["paragraphs"] == b["paragraphs"]  # same paragraphs and ids
    np.testing.assert_array_equal(a["ids"], b["ids"])
    cos = np.sum(a["vectors"] * b["vectors"], axis=1) / (
        np.linalg.norm(a["vectors"], axis=1) * np.linalg.norm(b["vectors"], axis=1))
    assert cos.min() >= 0.9999
    np.testing.assert_array_equal(a["coord_ids"], b["coord_ids"])
    np.testing.assert_allclose(a["xy"], b["xy"], atol=1e-4)
