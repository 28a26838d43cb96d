"""Smooth fields the tiles are cut from: land density and land colour on a fixed world grid.

No Qt. Built once per map (and once per colour mode) and shared by all tiles, so a tile only
samples them; this is what makes a tile of a 1M-point map cost milliseconds. Each field is a
small pyramid (1024, 512, 256 ... cells a side) so zoomed-out tiles sample a pre-averaged
level instead of aliasing the fine one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ideamap.app.canvas import colors

GRID = 512  # cells per world side at the finest field level
PYRAMID_LEVELS = 4
TRUNCATE = 4.0  # gaussian kernels stop at this many sigmas
MIN_SIGMA_CELLS = 2.0
COAST_FRACTION = 0.5  # the coast is where density falls to this share of a lone point's peak
EXTENT_GRID = 128  # cells a side of the coarse field that frames the whole map (fit all)


@dataclass(frozen=True)
class LandFields:
    log_density: tuple[np.ndarray, ...]  # pyramid of log(blurred land points per cell)
    coast: float  # log density at the coastline
    sigma_cells: float  # the blur, in finest-level cells
    point_density: np.ndarray  # (n,) points per world unit^2 around each point (all points)
    point_rank: np.ndarray  # (n,) in [0, 1): a fixed per-paragraph draw order for thinning dots
    occupied_area: float  # world area (units^2) of the coarse cells holding any point


def land_fields(scene) -> LandFields:
    return scene.memo("land_fields", lambda: _build_land(scene))


def map_extent(scene) -> tuple[float, float, float, float]:
    """The world rectangle (x0, y0, x1, y1) of all the map draws: every point and the land
    around them out to its coastline, which lies up to a few blur widths beyond the outermost
    points. "Fit all" frames this, so no coast is cut by the window. Estimated from a coarse
    field and rounded outwards by a coarse cell, so it does not wait for the full fields
    (built off the window's thread)."""
    return scene.memo("map_extent", lambda: _extent(scene))


def mean_color_field(scene, color_key, point_land_rgb_fn, level: int) -> tuple[np.ndarray, ...]:
    """Pyramid of (m, m, 3) uint8 land colours: the kernel-weighted mean colour of nearby
    land points. Used for document/folder/date colours, where the mix itself is informative
    (e.g. mostly old vs mostly recent); islands use the dominant colour instead."""
    def build():
        rgb = point_land_rgb_fn()
        return _build_color(scene, rgb, land_fields(scene).sigma_cells)

    return scene.memo(("color_field", color_key, level), build)


def kept_share_field(scene, token: int, keep: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pyramid of (m, m) float32: the kernel-weighted share of nearby land points that a
    filter keeps (1 = all kept). The tiles veil land by it; one blur pair per filter."""
    def build():
        w = scene.land.astype(np.float64)
        sigma = land_fields(scene).sigma_cells
        weight = pyramid(blur(counts(scene.xy, w), sigma))
        kept = pyramid(blur(counts(scene.xy, w * np.asarray(keep, np.float64)), sigma))
        # Far from land the weight is ~0: count it as kept (unseen there, and no veil at sea).
        return tuple(np.where(wk > 1e-9, kk / np.maximum(wk, 1e-12), 1.0).astype(np.float32)
                     for wk, kk in zip(weight, kept))

    return scene.memo_latest("kept_share", token, build)


# -- building ------------------------------------------------------------------------------------
def _extent(scene) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = scene.bounds()
    land_xy = scene.xy[scene.land]
    if len(land_xy) == 0:
        return x0, y0, x1, y1
    sigma = _bandwidth(scene)
    ratio = GRID // EXTENT_GRID
    # The same blurred density as the land field's, per finest cell, on coarse cells.
    coarse = blur(counts(land_xy, grid=EXTENT_GRID), sigma / ratio) / ratio**2
    land = coarse > COAST_FRACTION / (2 * math.pi * sigma**2)
    if not land.any():
        return x0, y0, x1, y1
    cols, rows = np.nonzero(land.any(axis=0))[0], np.nonzero(land.any(axis=1))[0]
    cell = 1.0 / EXTENT_GRID
    return (min(x0, (cols[0] - 1) * cell), min(y0, (rows[0] - 1) * cell),
            max(x1, (cols[-1] + 2) * cell), max(y1, (rows[-1] + 2) * cell))


def _build_land(scene) -> LandFields:
    sigma = _bandwidth(scene)
    land = blur(counts(scene.xy[scene.land]), sigma)
    peak = 1.0 / (2 * math.pi * sigma**2)  # a lone point's peak after the normalised blur
    # The floor flattens log density well before the kernel's truncation edge (4 sigma, where
    # it is 3e-4 of the peak), which would otherwise show as faint lines in the sea.
    floor = peak * 0.02
    log_levels = tuple(np.log(d + floor).astype(np.float32) for d in pyramid(land))
    every = blur(counts(scene.xy), sigma)
    ix, iy = cells(scene.xy, GRID)
    # Density around each point from the *other* points (its own kernel peak removed, so
    # a lone paragraph counts as sparse), in points per world unit^2: decides when its
    # dot becomes visible.
    others = np.maximum(every[iy, ix] - _self_weight(sigma), 0)
    per_point = (others * GRID * GRID).astype(np.float32)
    coast = float(math.log(peak * COAST_FRACTION + floor))
    return LandFields(log_levels, coast, sigma, per_point, _rank(scene.ids), _occupied(scene.xy))


def _occupied(xy: np.ndarray, grid: int = 64) -> float:
    if len(xy) == 0:
        return 1.0
    return float(max(1, np.count_nonzero(counts(xy, grid=grid))) / grid**2)


def _self_weight(sigma: float) -> float:
    """What one point adds to its own cell after ``blur``: the squared centre tap of the
    normalised 1-D kernel (same radius as ``blur``'s truncate)."""
    radius = int(TRUNCATE * sigma + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return float((1.0 / taps.sum()) ** 2)


def _rank(ids: np.ndarray) -> np.ndarray:
    """A pseudo-random number per paragraph id (Knuth's multiplicative hash), so the same
    paragraphs show first when dots thin out, in every session."""
    h = (ids.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    return (h.astype(np.float64) / 2**32).astype(np.float32)


def _build_color(scene, rgb: np.ndarray, sigma: float) -> tuple[np.ndarray, ...]:
    w = scene.land.astype(np.float64)
    xy = scene.xy
    weight = pyramid(blur(counts(xy, w), sigma))
    sums = [pyramid(blur(counts(xy, w * rgb[:, c]), sigma)) for c in range(3)]
    out = []
    for k, wk in enumerate(weight):
        mean = np.stack([s[k] for s in sums], axis=-1) / np.maximum(wk, 1e-12)[..., None]
        mean[wk < 1e-9] = colors.NEUTRAL_LAND  # far from land: unseen, but keep it tidy
        out.append(np.clip(mean, 0, 255).round().astype(np.uint8))
    return tuple(out)


def _bandwidth(scene) -> float:
    return scene.memo("bandwidth", lambda: _measure_bandwidth(scene))


def _measure_bandwidth(scene) -> float:
    """Blur width in cells. At least ~4 px when the whole map fills a screen, so land reads
    as soft masses rather than froth; wider for small maps, about 1.5x the distance to the
    5th neighbour, so a few hundred points still make continuous islands. The distance
    comes from the density around the median point on a 256-grid (no k-d tree: importing
    scipy.spatial alone costs ~0.4 s of the first frame)."""
    land_xy = scene.xy[scene.land]
    if len(land_xy) < 6:
        return 8.0
    grid = 256
    c = counts(land_xy, grid=grid)
    ix, iy = cells(land_xy, grid)
    density = np.median(c[iy, ix]) * grid * grid  # points per world unit^2
    d5 = math.sqrt(5 / (math.pi * density))
    return float(np.clip(d5 * GRID * 1.5, MIN_SIGMA_CELLS, 8.0))


def counts(xy: np.ndarray, weights=None, grid: int = GRID) -> np.ndarray:
    ix, iy = cells(xy, grid)
    flat = np.bincount(iy * grid + ix, weights, minlength=grid * grid)
    return flat.reshape(grid, grid).astype(np.float32)


def cells(xy: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray]:
    ix = np.clip((xy[:, 0] * grid).astype(np.int64), 0, grid - 1)
    iy = np.clip((xy[:, 1] * grid).astype(np.int64), 0, grid - 1)
    return ix, iy


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable gaussian (rows then columns), zero outside the world."""
    a = gaussian_filter1d(a, sigma, axis=0, mode="constant", truncate=TRUNCATE)
    return gaussian_filter1d(a, sigma, axis=1, mode="constant", truncate=TRUNCATE)


def pyramid(a: np.ndarray) -> list[np.ndarray]:
    """``a`` (h, w[, c]) and its 2x box-averaged reductions."""
    out = [a]
    for _ in range(PYRAMID_LEVELS - 1):
        h, w = out[-1].shape[:2]
        out.append(out[-1].reshape(h // 2, 2, w // 2, 2, *a.shape[2:]).mean(axis=(1, 3)))
    return out
