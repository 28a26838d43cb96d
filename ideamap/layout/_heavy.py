"""Lazy imports of the numba-based libraries.

``import umap`` costs ~18 s cold because numba compiles its kernels; with NUMBA_CACHE_DIR set to
a writable per-user folder the compiled kernels are cached and later imports take ~2 s. Numba
reads the variable once, when it is first imported, so it must be set before anything imports
numba: that is why these imports live in functions and never at module top level (opening a
saved map must not import umap at all).

umap-learn also compiles ~100 kernels that it does not mark ``cache=True`` (smooth_knn_dist,
the layout optimiser, ...): ~5.7 s at the first fit of every process even with a warm cache.
Turning numba's on-disk cache on for them cuts a warm first layout from ~6.5 s to ~1 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_dir() -> Path:
    """The per-user cache folder of ideamap (platformdirs when present, else the OS default)."""
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("ideamap"))
    except ImportError:  # platformdirs is a declared dependency, but don't fail without it
        if sys.platform == "win32":
            base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
            return Path(base) / "ideamap" / "Cache"
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Caches" / "ideamap"
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ideamap"


def ensure_numba_cache() -> str:
    """Point numba's cache at the per-user folder unless the user chose one; returns the folder."""
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if not folder:
        folder = str(user_cache_dir() / "numba")
        os.environ["NUMBA_CACHE_DIR"] = folder
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # numba then falls back to compiling without a cache: slower, still correct
    return folder


def import_umap():
    ensure_numba_cache()
    import umap

    _cache_umap_kernels()
    return umap


def _cache_umap_kernels() -> None:
    """Enable numba's disk cache on umap's module-level kernels that were defined without it.

    Safe: numba keys each cache entry by the source file's timestamp and the CPU, so an upgrade
    of umap or another machine recompiles. Idempotent: kernels already caching are skipped.
    """
    try:
        import importlib

        from numba.core.caching import NullCache
        from numba.core.dispatcher import Dispatcher
    except ImportError:  # numba moved its internals: run uncached rather than fail
        return
    for name in ("umap_", "layouts", "utils", "spectral", "distances", "sparse"):
        try:
            module = importlib.import_module(f"umap.{name}")
        except ImportError:
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, Dispatcher) and isinstance(getattr(obj, "_cache", None), NullCache):
                try:
                    obj.enable_caching()
                except Exception:  # noqa: BLE001 - a kernel that cannot be cached just compiles
                    pass


def import_hdbscan():
    ensure_numba_cache()  # hdbscan may pull numba-using modules in future versions
    import hdbscan

    return hdbscan
