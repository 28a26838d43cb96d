import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The real files in ../shared/corpora; tests using them skip where it is absent."""
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is absent (only developer machines have it)")
    return CORPORA
