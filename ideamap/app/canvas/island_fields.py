"""Island colours on the map: per-island tables, per-point colours and the land colour field
coloured by the dominant island. No Qt.

"Dominant" means: each island's points are counted and blurred on their own (only inside
the island's bounding box, so this stays cheap), and every cell takes the colour of the
island with the most blurred weight there. Islands then meet along crisp borders instead of
blending into muddy mixtures.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

from ideamap.app.canvas import colors
from ideamap.app.canvas.fields import GRID, TRUNCATE, blur, cells, land_fields, pyramid
from ideamap.app.canvas.scene import stable_order

BORDER_SOFTNESS = 0.6  # cells
NEAR_REGIONS = 0.3  # regions closer than this (world units) avoid sharing a colour
BOX_GROUPS_PER_PASS = 2048  # islands whose boxes are found together (2048 x 512 x 8 B = 8 MB)


def island_color_tables(scene) -> list[np.ndarray]:
    """Per level, a (max key + 1, 3) uint8 table of island colours."""
    return scene.memo("island_tables", lambda: _island_tables(scene))


def _island_tables(scene) -> list[np.ndarray]:
    tables: list[np.ndarray] = []
    for lv in range(scene.n_levels):
        keys = scene.levels[lv]
        top = int(keys.max()) + 1 if len(keys) and keys.max() >= 0 else 1
        table = np.tile(np.array(colors.NEUTRAL_LAND, np.uint8), (top, 1))
        # bincount, not unique: one pass instead of a sort of every point (1M at scale)
        land = keys[keys >= 0]
        present = np.flatnonzero(np.bincount(land, minlength=top)) if land.size else np.zeros(0, np.int64)
        if lv == 0:
            for key, rgb in _region_colors(scene, present).items():
                table[key] = rgb
        else:
            for key in present:
                island = scene.island(lv, key)
                parent = _parent_rgb(scene, tables, lv, key, island)
                table[key] = colors.island_color(island.label if island else "", int(key), lv, parent)
        tables.append(table)
    return tables


def _region_colors(scene, keys) -> dict[int, tuple[int, int, int]]:
    """Colours of the broadest regions: each takes the palette entry its label hashes to,
    unless a nearby region already took it; then the next free one. Regions are visited in
    hash order, so the result depends on the labels and layout, never on listing order."""
    pal = colors.LAND_PALETTE
    info = []
    centres = _centres(scene, 0)
    for key in keys:
        island = scene.island(0, key)
        label = island.label if island else ""
        centre = centres[key]
        info.append((colors.stable_hash(label.strip().lower() or f"0:{key}"), label, int(key), centre))
    taken: list[tuple[int, np.ndarray]] = []
    out = {}
    for h, _, key, centre in sorted(info, key=lambda t: (t[0], t[1], t[2])):
        near = {i for i, c in taken if np.linalg.norm(c - centre) < NEAR_REGIONS}
        choice = next((((h + step) % len(pal)) for step in range(len(pal))
                       if (h + step) % len(pal) not in near), h % len(pal))
        taken.append((choice, centre))
        out[key] = pal[choice]
    return out


def _centres(scene, level: int) -> np.ndarray:
    """(max key + 1, 2) mean position of each island at ``level`` (zeros for empty keys), in
    one pass over the points rather than one per island."""
    keys = scene.levels[level]
    ok = keys >= 0
    if not ok.any():
        return np.zeros((1, 2))
    k = keys[ok]
    n = np.maximum(np.bincount(k), 1).astype(np.float64)
    return np.stack([np.bincount(k, scene.xy[ok, d].astype(np.float64)) / n for d in (0, 1)], axis=1)


def _parent_rgb(scene, tables, lv, key, island):
    parent_key = island.parent_key if island is not None else None
    if parent_key is None:
        parents = scene.levels[lv - 1][scene.levels[lv] == key]
        parent_key = int(parents[0]) if len(parents) else -1
    table = tables[lv - 1]
    if parent_key < 0 or parent_key >= len(table):
        return None
    return tuple(int(c) for c in table[parent_key])


def _effective_ids(scene, level: int) -> tuple[np.ndarray, np.ndarray]:
    """(per-point index into the combined table or -1, combined (k, 3) table): a point takes
    its island at ``level``, else its island at the nearest coarser level."""
    tables = island_color_tables(scene)
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in tables])])
    eff = np.full(len(scene), -1, dtype=np.int64)
    for lv in range(min(level, scene.n_levels - 1) + 1):
        keys = scene.levels[lv]
        ok = keys >= 0
        eff[ok] = offsets[lv] + keys[ok]
    combined = np.concatenate(tables) if tables else np.zeros((0, 3), np.uint8)
    return eff, combined


def island_point_colors(scene, level: int) -> np.ndarray:
    """(n, 3) uint8 land colour of each point at ``level``; neutral for points in no island."""
    def build():
        eff, table = _effective_ids(scene, level)
        out = np.tile(np.array(colors.NEUTRAL_LAND, np.uint8), (len(scene), 1))
        out[eff >= 0] = table[eff[eff >= 0]]
        return out

    return scene.memo(("island_point_colors", level), build)


def island_color_field(scene, level: int) -> tuple[np.ndarray, ...]:
    """Pyramid of (m, m, 3) uint8: the colour of the dominant island in each cell."""
    return scene.memo(("island_field", level), lambda: _build_dominant(scene, level))


def _build_dominant(scene, level: int) -> tuple[np.ndarray, ...]:
    eff, table = _effective_ids(scene, level)
    sigma = land_fields(scene).sigma_cells
    best_w = np.zeros((GRID, GRID), np.float32)
    best = np.full((GRID, GRID), -1, np.int64)
    ix, iy = cells(scene.xy, GRID)
    group = eff + 1  # 0 = in no island
    order = stable_order(group)  # each island's rows contiguous
    sizes = np.bincount(group, minlength=1)
    ends = np.cumsum(sizes)
    boxes = _boxes(group, ix, iy, sizes, margin=int(TRUNCATE * sigma) + 2)
    gx, gy = ix[order], iy[order]
    for g in np.flatnonzero(sizes[1:]) + 1:
        a, b = ends[g] - sizes[g], ends[g]
        _stamp_island(gx[a:b], gy[a:b], int(g - 1), boxes[g], sigma, best_w, best)
    if not (best >= 0).any():
        rgb = np.tile(np.array(colors.NEUTRAL_LAND, np.float32), (GRID, GRID, 1))
    else:
        # Cells no island reached (strays outside every box) take the nearest claimed colour.
        nearest = distance_transform_edt(best < 0, return_distances=False, return_indices=True)
        rgb = table[best[nearest[0], nearest[1]]].astype(np.float32)
    # A slight blur hides the cell staircase along borders when zoomed in.
    rgb = np.stack([blur(rgb[..., c], BORDER_SOFTNESS) for c in range(3)], axis=-1)
    return tuple(np.clip(lv, 0, 255).round().astype(np.uint8) for lv in pyramid(rgb))


def _boxes(group: np.ndarray, gx: np.ndarray, gy: np.ndarray, sizes: np.ndarray, margin: int) -> np.ndarray:
    """(k, 4) cell box (x0, x1, y0, y1) of each group 0..k-1 (``group``: each point's, any
    order; ``sizes``: points per group) plus a margin. If a few strays make a group's box
    more than four times the area of its 1%-99% box, the smaller box is used (their cells
    are filled later). The ranks come from per-group histograms of the 512 columns and rows,
    with no sort (a quantile per island cost 0.4 s at 2,700 islands)."""
    k = len(sizes)
    lo_rank = ((sizes - 1) * 0.01).astype(np.int64)
    hi_rank = np.ceil((sizes - 1) * 0.99).astype(np.int64)
    ranks = np.stack([np.zeros(k, np.int64), sizes - 1, lo_rank, hi_rank], axis=1)
    edges = np.zeros((k, 2, 4), np.int64)  # per group, per axis: min, max, 1%, 99%
    for g0 in range(0, k, BOX_GROUPS_PER_PASS):  # bounded memory for maps with many islands
        g1 = min(k, g0 + BOX_GROUPS_PER_PASS)
        mine = (group >= g0) & (group < g1) if k > BOX_GROUPS_PER_PASS else slice(None)
        local = group[mine] - g0
        for axis, v in enumerate((gx[mine], gy[mine])):
            hist = np.bincount(local * GRID + v, minlength=(g1 - g0) * GRID).reshape(g1 - g0, GRID)
            cum = np.cumsum(hist, axis=1)
            # The value of rank r is the first cell whose running count exceeds r.
            edges[g0:g1, axis] = (cum[:, None, :] > ranks[g0:g1, :, None]).argmax(axis=2)
    full = np.stack([edges[:, 0, 0], edges[:, 0, 1], edges[:, 1, 0], edges[:, 1, 1]], axis=1)
    trimmed = np.stack([edges[:, 0, 2], edges[:, 0, 3], edges[:, 1, 2], edges[:, 1, 3]], axis=1)
    use_trimmed = (sizes > 200) & (_areas(full) > 4 * _areas(trimmed))
    box = np.where(use_trimmed[:, None], trimmed, full)
    return np.clip(box + np.array([-margin, margin, -margin, margin]), 0, GRID - 1)


def _areas(boxes: np.ndarray) -> np.ndarray:
    return ((boxes[:, 1] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 2] + 1)).astype(np.float64)


def _stamp_island(gx, gy, gid, box, sigma, best_w, best) -> None:
    """Blur one island's counts (its points' cells ``gx``, ``gy``) inside its box and claim
    the cells where it leads."""
    x0, x1, y0, y1 = (int(v) for v in box)
    inside = (gx >= x0) & (gx <= x1) & (gy >= y0) & (gy <= y1)
    w, h = x1 - x0 + 1, y1 - y0 + 1
    flat = np.bincount((gy[inside] - y0) * w + (gx[inside] - x0), minlength=w * h)
    patch = blur(flat.reshape(h, w).astype(np.float32), sigma)
    region_w = best_w[y0:y1 + 1, x0:x1 + 1]
    region = best[y0:y1 + 1, x0:x1 + 1]
    lead = patch > region_w
    region_w[lead] = patch[lead]
    region[lead] = gid
