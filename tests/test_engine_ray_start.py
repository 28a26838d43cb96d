"""A cluster whose workers cannot start: the ray engine says so instead of waiting for ever.

Ray retries a worker that dies at start-up without end; a node without ideamap installed
looked like a build that hung (it hung CI once). Real local cluster on 127.0.0.1.
"""

from __future__ import annotations

import time

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'ideamap[cluster]' to test the ray engine")


@pytest.fixture
def broken_workers():
    # Every worker runs this hook first; the module does not exist, so every worker dies.
    ray.init(num_cpus=1, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
             runtime_env={"worker_process_setup_hook": "ideamap_no_such_module.setup"})
    yield
    ray.shutdown()


def test_workers_that_never_start_end_in_a_stated_error(broken_workers):
    from ideamap.engines.ray_engine import RayUnavailableError, _check_workers_start

    started = time.monotonic()
    with pytest.raises(RayUnavailableError) as caught:
        _check_workers_start(ray, timeout_s=30)
    assert time.monotonic() - started < 120  # bounded: not Ray's endless retries
    message = str(caught.value)
    assert "ideamap" in message and ("install" in message or "import" in message)


def test_a_healthy_cluster_passes_the_check():
    from ideamap.engines.ray_engine import _check_workers_start

    ray.init(num_cpus=1, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    try:
        _check_workers_start(ray, timeout_s=120)
    finally:
        ray.shutdown()


def test_eta_follows_this_runs_pace_and_waits_for_a_second_result():
    from ideamap.engines.ray_engine import _eta

    assert _eta(30.0, 1, 10) == ""  # one result: mostly the cluster's start-up
    assert _eta(10.0, 2, 5) == " · about 25 s left"
    assert _eta(100.0, 2, 50) == " · about 42 min left"
    assert _eta(10.0, 4, 0) == ""  # nothing left
