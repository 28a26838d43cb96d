"""The Ray engine builds the same map as the local engine (issue 9).

A local Ray cluster on 127.0.0.1 only (ray.init with 2 CPUs, no dashboard); skipped with a
reason where Ray is not installed (`pip install 'ideamap[cluster]'`; `make test` installs it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'ideamap[cluster]' to test the ray engine")

FILES = 6  # small: a real folder, a few seconds of embedding on 2 cores


@pytest.fixture(scope="module")
def ray_local():
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
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


def test_ray_build_equals_local_build(ray_local, folder, tmp_path):
    from ideamap.pipeline import BuildOptions, build

    local = build([folder], tmp_path / "local.ideamap", options=BuildOptions(use_cache=False))
    on_ray = build([folder], tmp_path / "ray.ideamap", options=BuildOptions(engine="ray", ray_workers=2))
    assert on_ray.files_read == local.files_read == FILES + 1
    assert on_ray.paragraphs_embedded == local.paragraphs_embedded > 0
    assert [f[1] for f in on_ray.files_failed] == [f[1] for f in local.files_failed] != []
    a, b = _snapshot(tmp_path / "local.ideamap"), _snapshot(tmp_path / "ray.ideamap")
    assert a["docs"] == b["docs"]  # same documents, ids, hashes and outcomes
    assert a["paragraphs"] == b["paragraphs"]  # same paragraphs and ids
    np.testing.assert_array_equal(a["ids"], b["ids"])
    cos = np.sum(a["vectors"] * b["vectors"], axis=1) / (
        np.linalg.norm(a["vectors"], axis=1) * np.linalg.norm(b["vectors"], axis=1))
    assert cos.min() >= 0.9999
    np.testing.assert_array_equal(a["coord_ids"], b["coord_ids"])
    np.testing.assert_allclose(a["xy"], b["xy"], atol=1e-4)


def test_ray_build_resumes_without_embedding_twice(ray_local, folder, tmp_path):
    """A build stopped part-way (here: cancelled after 3 documents) resumes on Ray with only
    the documents it had not committed."""
    from ideamap.pipeline import BuildOptions, build

    out = tmp_path / "resumed.ideamap"
    seen = []
    first = build([folder], out, options=BuildOptions(engine="ray"),
                  progress=lambda stage, done, total, detail: seen.append(done), cancel=lambda: len(seen) >= 3)
    assert first.cancelled and first.files_read == 3
    second = build([folder], out, options=BuildOptions(engine="ray"))
    assert second.files_unchanged == 3 and second.files_read == FILES + 1 - 3
    snap = _snapshot(out)
    assert len(snap["docs"]) == FILES + 1 == len({d[0] for d in snap["docs"]})
    assert len(snap["coord_ids"]) == len(snap["ids"]) > 0
