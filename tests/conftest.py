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
