"""Islands and regions that follow the map: bays merged only with the land they touch, and only
while they are about the same thing.

Why not Ward on island centroids (islands.build_levels, the default before issue 12): it joins
islands from opposite ends of the map into one region, and its fixed target of ~sqrt(islands)
regions forces unlike neighbours together. Measured on the shared labelled corpora
(benchmarks/map_quality.py, README "Map quality"): with it every region of both corpora was in
several pieces of land, and 3 of 4 (papers) and 4 of 4 (meeting notes) regions holding >= 5% of
the map were below 0.85 purity. Here:

- two keys touch when a paragraph of one has a paragraph of the other among its nearest land
  neighbours on the 2-D map (adjacency.key_adjacency); keys on separate land never merge, so every
  island and region is one connected area of land;
- the similarity of two groups is the mean cosine between their paragraphs (average linkage on
  paragraphs, exactly the dot product of the groups' mean vectors), on a scale set by the map
  itself: 0 is two random paragraphs of the map, 1 a typical bay's own paragraphs. So the
  thresholds mean the same for any encoder or collection;
- neighbours merge, most similar pair first, while that pair is at least ISLAND_SIMILARITY
  (islands) or REGION_SIMILARITY (regions) alike: how many regions a map has follows its data;
- a group smaller than SMALL_ISLAND / SMALL_REGION of the land joins its most similar neighbour,
  so the overview is not strewn with specks. A small group on a piece of land of its own (an
  islet: nothing touches it) keeps its own only while the level has at most MOST_ISLANDS /
  MOST_REGIONS groups; beyond, islets join (smallest first) the most similar of the
  NEAREST_ON_MAP groups nearest to them on the map, so such an island or region is a main piece
  of land with islets off its coast. Without that, a map made of many separate clumps kept one
  region per clump: 2,725 regions for 2,728 bays on the 1M benchmark map
  (benchmarks/bench_scale.py), whose overview took 13 s to draw and could not be read.

Cost: one kNN pass over the land (on a sample above bay_sample.CLUSTER_SAMPLE paragraphs), one
pass over the vectors for the bays' mean vectors, then O(E log E) heap work on the bay graph
(E: touching pairs, a few per bay). The same input gives the same levels (ties broken by key).
"""

from __future__ import annotations

import heapq

import numpy as np

from ideamap.layout import bay_sample
from ideamap.layout.adjacency import key_adjacency
from ideamap.layout.islands import by_size, key_sums
from ideamap.layout.types import SEA

# Similarity thresholds on the map's own scale (0: random paragraphs, 1: a typical bay), from a
# sweep on both shared corpora (benchmarks/map_quality_sweep.py): regions at 0.4-0.5 left no
# papers region >= 5% of the map below 0.85 purity, 0.3 let a mixed one form and let one notes
# region take 27% of the map; 0.5 only added regions (34 -> 39 on the papers) for no purity.
# Islands at 0.5-0.8 changed little; 0.7 puts them about midway between bays and regions.
ISLAND_SIMILARITY = 0.7
REGION_SIMILARITY = 0.4
# Below these shares of the land a group is a speck at its level's zoom: it joins a neighbour.
SMALL_ISLAND = 0.005
SMALL_REGION = 0.01
NEAREST_ON_MAP = 4  # an islet joins the most similar of this many groups nearest to it on the map
# Above this many groups a level's islets join nearby land (papers_open: 34 regions, 60 islands,
# all kept as they are; the 1M benchmark map: 2,725 before).
MOST_ISLANDS = 200
MOST_REGIONS = 50


def build_levels(vectors: np.ndarray, bays: np.ndarray, coords: np.ndarray, seed: int = 42) -> np.ndarray:
    """(3, n) keys: regions, islands, bays; each level merges whole keys of the level below."""
    bays = by_size(bays)
    if not (bays != SEA).any():
        return np.full((3, bays.size), SEA, dtype=np.int32)
    k = int(bays.max()) + 1
    sums, sizes = key_sums(vectors, bays, k)
    places = _place_sums(coords, bays, k)
    scale = _similarity_scale(sums, sizes)
    adj = _adjacency(coords, bays, k, seed)
    land = float(sizes.sum())
    island_of_bay = _merge_level(sums, sizes, places, adj, scale, ISLAND_SIMILARITY, SMALL_ISLAND * land,
                                 MOST_ISLANDS)
    island_sums, island_sizes = _group(sums, island_of_bay), _group(sizes, island_of_bay)
    island_adj = _group_adjacency(adj, island_of_bay)
    region_of_island = _merge_level(island_sums, island_sizes, _group(places, island_of_bay), island_adj, scale,
                                    REGION_SIMILARITY, SMALL_REGION * land, MOST_REGIONS)
    islands = by_size(np.where(bays == SEA, SEA, island_of_bay[np.maximum(bays, 0)]))
    regions_raw = region_of_island[island_of_bay]
    regions = by_size(np.where(bays == SEA, SEA, regions_raw[np.maximum(bays, 0)]))
    return np.stack([regions, islands, bays]).astype(np.int32)


def params() -> dict:
    """What the merges did, for the map's record of its run."""
    return {"method": "average linkage of touching land, on the map's similarity scale",
            "island_similarity": ISLAND_SIMILARITY, "region_similarity": REGION_SIMILARITY,
            "small_island_share": SMALL_ISLAND, "small_region_share": SMALL_REGION,
            "islets_join_one_of_the_nearest": NEAREST_ON_MAP,
            "islets_join_above": {"islands": MOST_ISLANDS, "regions": MOST_REGIONS}}


def _place_sums(coords: np.ndarray, bays: np.ndarray, k: int) -> np.ndarray:
    """(k, 2) per bay the sum of its paragraphs' map coordinates (its centre times its size)."""
    land = bays != SEA
    return np.stack([np.bincount(bays[land], np.asarray(coords, np.float64)[land, d], minlength=k)
                     for d in (0, 1)], axis=1)


def _similarity_scale(sums: np.ndarray, sizes: np.ndarray) -> tuple[float, float]:
    """(random, bay): the mean cosine of two random land paragraphs, and the median over bays
    of the mean cosine between a bay's own paragraphs (self-pairs left out)."""
    total = sums.sum(axis=0) / sizes.sum()
    random_pair = float(total @ total)
    many = sizes > 1
    sq = (sums[many] ** 2).sum(axis=1)
    within = (sq - sizes[many]) / (sizes[many] * (sizes[many] - 1))
    bay = float(np.median(within)) if within.size else 1.0
    return random_pair, max(bay, random_pair + 1e-6)


def _adjacency(coords: np.ndarray, bays: np.ndarray, k: int, seed: int):
    """Bay adjacency from map neighbours; large maps read it from the clustering's sample."""
    if bays.size > bay_sample.CLUSTER_SAMPLE:
        rows = bay_sample.sample_rows(bays.size, bay_sample.CLUSTER_SAMPLE, seed)
        return key_adjacency(coords[rows], bays[rows], k)
    return key_adjacency(coords, bays, k)


def _group(values: np.ndarray, group_of: np.ndarray) -> np.ndarray:
    out = np.zeros((int(group_of.max()) + 1,) + values.shape[1:], dtype=np.float64)
    np.add.at(out, group_of, values)
    return out


def _group_adjacency(adj, group_of: np.ndarray):
    """Adjacency of groups of keys: the kNN edges between keys of different groups."""
    from scipy import sparse

    m = int(group_of.max()) + 1
    member = sparse.csr_matrix((np.ones(group_of.size), (np.arange(group_of.size), group_of)),
                               shape=(group_of.size, m))
    grouped = (member.T @ adj @ member).tolil()
    grouped.setdiag(0)
    return grouped.tocsr()


def _merge_level(sums, sizes, places, adj, scale, threshold: float, small: float, most: int) -> np.ndarray:
    """Group of each key (0..m-1, in key order of each group's first key) after the merges."""
    graph = _Graph(sums, sizes, places, adj, scale)
    graph.merge_while_similar(threshold)
    graph.absorb_small(small, most)
    return graph.groups()


class _Graph:
    """Groups of keys on the touching graph, with their vector sums and sizes."""

    def __init__(self, sums, sizes, places, adj, scale):
        self.sums = np.array(sums, dtype=np.float64)
        self.sizes = np.array(sizes, dtype=np.float64)
        self.places = np.array(places, dtype=np.float64)  # sums of map coordinates
        self.random, self.bay = scale
        self.parent = np.arange(len(self.sizes))
        coo = adj.tocoo()
        self.nbrs: list[set[int]] = [set() for _ in range(len(self.sizes))]
        for a, b in zip(coo.row.tolist(), coo.col.tolist()):
            if a != b:
                self.nbrs[a].add(b)
                self.nbrs[b].add(a)

    def similarity(self, a: int, b: int) -> float:
        """Mean cosine between the paragraphs of a and b, 0 = random pair, 1 = a typical bay."""
        mean = float(self.sums[a] @ self.sums[b]) / (self.sizes[a] * self.sizes[b])
        return (mean - self.random) / (self.bay - self.random)

    def join(self, a: int, b: int) -> int:
        """Merge the groups a and b (both alive) into the lower key; returns it."""
        a, b = min(a, b), max(a, b)
        self.sums[a] += self.sums[b]
        self.places[a] += self.places[b]
        self.sizes[a] += self.sizes[b]
        self.sizes[b] = 0
        self.parent[b] = a
        for c in self.nbrs[b]:
            self.nbrs[c].discard(b)
            if c != a:
                self.nbrs[c].add(a)
        self.nbrs[a] = (self.nbrs[a] | self.nbrs[b]) - {a, b}
        self.nbrs[b] = set()
        return a

    def merge_while_similar(self, threshold: float) -> None:
        """Merge the most similar touching pair while it is at least ``threshold`` alike.
        A heap of pairs; an entry is stale once either group has changed (its stamp)."""
        stamp = np.zeros(len(self.sizes), dtype=np.int64)
        heap: list = []

        def push(a: int, b: int) -> None:
            s = self.similarity(a, b)
            if s >= threshold:
                heapq.heappush(heap, (-s, min(a, b), max(a, b), stamp[a], stamp[b]))

        for a in range(len(self.sizes)):
            for b in self.nbrs[a]:
                if a < b:
                    push(a, b)
        while heap:
            _, a, b, sa, sb = heapq.heappop(heap)
            if self.sizes[a] == 0 or self.sizes[b] == 0 or stamp[a] != sa or stamp[b] != sb:
                continue
            kept = self.join(a, b)
            stamp[kept] += 1
            for c in sorted(self.nbrs[kept]):
                push(kept, c)

    def absorb_small(self, small: float, most: int) -> None:
        """Groups below ``small`` paragraphs join their most similar neighbour, smallest first;
        then, while more than ``most`` groups are left, small islets (no neighbour) join the
        most similar of the groups nearest to them on the map."""
        while True:
            alive = np.flatnonzero(self.sizes > 0)
            tiny = alive[self.sizes[alive] < small]
            tiny = tiny[np.lexsort((tiny, self.sizes[tiny]))]  # smallest first, then lowest key
            touching = [int(g) for g in tiny if self.nbrs[g]]
            if touching:
                g = touching[0]
                options = sorted(self.nbrs[g])
            elif tiny.size and alive.size > max(most, 1):
                g = int(tiny[0])
                options = self._nearest_on_map(g, alive)
            else:
                return
            self.join(g, max(options, key=lambda c: self.similarity(g, c)))

    def _nearest_on_map(self, g: int, alive: np.ndarray) -> list[int]:
        others = alive[alive != g]
        centres = self.places[others] / self.sizes[others, None]
        d = ((centres - self.places[g] / self.sizes[g]) ** 2).sum(axis=1)
        near = np.argsort(d, kind="stable")[:NEAREST_ON_MAP]
        return sorted(int(c) for c in others[near])

    def groups(self) -> np.ndarray:
        root = self.parent.copy()
        while True:
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        return np.unique(root, return_inverse=True)[1].astype(np.int32)
