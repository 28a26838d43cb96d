"""How much of a layout is numba compiling: cold cache vs warm cache (not a test).

Runs three fresh processes on the same small synthetic input: (1) with an empty NUMBA_CACHE_DIR,
(2) again with the cache that run filled, (3) importing ideamap.layout only, to check that it
stays cheap and pulls in neither umap nor numba. Prints and saves JSON to
/tmp/layout_compile.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from ideamap.layout import compute_layout
t_pkg = time.perf_counter() - t0
heavy = [m for m in ("umap", "numba", "hdbscan", "torch") if m in sys.modules]
if sys.argv[1] == "import-only":
    print(json.dumps({"import_s": round(t_pkg, 3), "heavy_modules_after_import": heavy}))
    raise SystemExit
rng = np.random.default_rng(0)
v = rng.normal(size=(600, 384)).astype(np.float32)
v[:300] += 3 * rng.normal(size=384).astype(np.float32)
texts = ["alpha beta gamma"] * 300 + ["delta epsilon zeta"] * 300
t0 = time.perf_counter(); import umap; t_umap = time.perf_counter() - t0
t0 = time.perf_counter(); compute_layout(v, texts); first = time.perf_counter() - t0
t0 = time.perf_counter(); compute_layout(v, texts, seed=1); second = time.perf_counter() - t0
print(json.dumps({"import_umap_s": round(t_umap, 2), "first_layout_s": round(first, 2),
                  "second_layout_s": round(second, 2),
                  "compile_in_first_layout_s": round(first - second, 2)}))
"""


def child(mode: str, cache: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        result = {
            "cold_cache": child("layout", cache),
            "warm_cache": child("layout", cache),
            "import_only": child("import-only", cache),
        }
    print(json.dumps(result, indent=1))
    Path("/tmp/layout_compile.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
