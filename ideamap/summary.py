"""Read-only views of a map for people and scripts: info, the island tree, export rows.

Only the map file is touched (no torch, no umap), so these are instant even on big maps.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ideamap.model import READABLE_STATUSES, FileStatus, MapInfo
from ideamap.store.schema import SCHEMA_VERSION


def map_info(store) -> MapInfo:
    docs = store.documents()
    ids, levels = store.memberships()
    finest = levels[-1] if levels.size else np.zeros(0)
    sea = float((finest == -1).mean()) if finest.size else 0.0
    per_level = [len(store.islands(level)) for level in range(store.n_levels())]
    failed = [(d.path, d.status.value, d.reason) for d in docs if d.status not in READABLE_STATUSES]
    partial = [(d.path, d.status.value, d.reason) for d in docs if d.status == FileStatus.PARTIAL]
    model_ids = store.vector_model_ids()
    return MapInfo(
        path=str(store.path),
        n_documents=len(docs),
        n_paragraphs=store.count_paragraphs(),
        n_mapped=len(store.coords()[0]),
        n_islands_per_level=per_level,
        sea_share=sea,
        failed=failed + partial,
        model_id=", ".join(model_ids) if model_ids else "",
        schema_version=SCHEMA_VERSION,
    )


LEVEL_NAMES = ("region", "island", "bay")


def level_name(level: int) -> str:
    return LEVEL_NAMES[level] if level < len(LEVEL_NAMES) else f"level {level}"


def island_tree(store) -> list[dict]:
    """Nested islands, broadest first, each with its label, evidence and children."""
    by_level: dict[int, list[dict]] = {}
    for isl in store.islands():
        node = {
            "id": isl.id, "level": isl.level, "kind": level_name(isl.level), "key": isl.key, "label": isl.label,
            "size": isl.size, "terms": isl.terms, "parent_key": isl.parent_key,
            "exemplars": [{"id": p.id, "text": p.text} for p in store.paragraphs(isl.exemplar_ids)],
            "children": [],
        }
        by_level.setdefault(isl.level, []).append(node)
    for level in sorted(by_level)[1:]:
        parents = {n["key"]: n for n in by_level.get(level - 1, [])}
        for node in by_level[level]:
            if node["parent_key"] in parents:
                parents[node["parent_key"]]["children"].append(node)
    return by_level.get(0, [])


def export_rows(store) -> Iterator[dict]:
    """One row per paragraph: id, document path, page, text, x, y, kind, islands (labels from
    the broadest level to the finest; null at a level where the paragraph is in the sea)."""
    labels = {(i.level, i.key): i.label for i in store.islands()}
    member_ids, levels = store.memberships()
    member_pos = {int(pid): j for j, pid in enumerate(member_ids)}
    docs = {d.id: d.path for d in store.documents()}
    rows = store.db.execute(
        "SELECT id, document_id, page, text, x, y, kind FROM paragraphs ORDER BY document_id, ord"
    )
    for pid, doc_id, page, text, x, y, kind in rows:
        j = member_pos.get(pid)
        islands = None
        if j is not None:
            islands = [labels.get((lvl, int(levels[lvl, j]))) for lvl in range(levels.shape[0])]
        yield {"id": pid, "document": docs.get(doc_id), "page": page, "text": text, "x": x, "y": y,
               "kind": kind, "islands": islands}
