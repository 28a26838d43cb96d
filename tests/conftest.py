import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the tests' caches (ONNX export, numba, vectors, demo map) out of the user's home, but
# persistent between local runs so numba's compile cache stays warm.
os.environ.setdefault("IDEAMAP_HOME", str(Path(__file__).resolve().parents[1] / ".pytest_cache" / "ideamap-home"))

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The real files in ../shared/corpora; tests using them skip where it is absent."""
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is absent (only developer machines have it)")
    return CORPORA


# --- no network -------------------------------------------------------------------------------
# Tests and the builds they start run with the network blocked: a connection to anything but
# a local (AF_UNIX) socket raises, and is recorded so the test that made it fails. Pipes and
# AF_UNIX sockets, which multiprocessing uses, keep working.
_LOCAL_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}


class NetworkBlocked(OSError):
    pass


def block_network(attempts: list | None = None) -> None:
    """Make this process unable to reach a network. Subprocesses started by tests call it
    too (``from tests.conftest import block_network``)."""
    import socket

    def refuse(what: str):
        if attempts is not None:
            attempts.append(what)
        raise NetworkBlocked(f"network access is blocked in tests ({what})")

    def guard(method):
        def guarded(self, address, *args):
            if self.family != socket.AF_UNIX:
                refuse(f"{method.__name__} {address!r}")
            return method(self, address, *args)

        return guarded

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in _LOCAL_HOSTS:
            refuse(f"getaddrinfo {host!r}")
        return original_getaddrinfo(host, *args, **kwargs)

    original_getaddrinfo = socket.getaddrinfo
    socket.socket.connect = guard(socket.socket.connect)
    socket.socket.connect_ex = guard(socket.socket.connect_ex)
    socket.getaddrinfo = guarded_getaddrinfo


_NETWORK_ATTEMPTS: list[str] = []
block_network(_NETWORK_ATTEMPTS)


@pytest.fixture(autouse=True)
def _no_network_attempts():
    """Fail any test during which something tried to reach the network."""
    del _NETWORK_ATTEMPTS[:]
    yield
    assert not _NETWORK_ATTEMPTS, f"tried to use the network: {_NETWORK_ATTEMPTS}"
