"""Real-data check of ideamap.layout on the meeting-notes corpus (not a test).

Prints the sea share, islands per level, labels and stage times, saves the run as JSON and draws
the map to /tmp/layout_meeting_notes.png (and a bay-level view). Vectors are cached by
layout_embed.py in /tmp, so iterating on the layout does not re-encode.

    .venv/bin/python benchmarks/layout_check.py [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layout_embed import load_or_embed  # noqa: E402

from ideamap.layout import (  # noqa: E402
    LEVEL_NAMES,
    SEA,
    compute_layout,
    place_new_points,
    relabel_islands,
)

OUT_PNG = Path("/tmp/layout_meeting_notes.png")
OUT_JSON = Path("/tmp/layout_meeting_notes.json")


def map_coherence(result, k: int = 10) -> list[float]:
    """Per level: share of each land point's k nearest map neighbours (on land) in its island."""
    from sklearn.neighbors import NearestNeighbors

    out = []
    for keys in result.levels:
        land = np.flatnonzero(keys != SEA)
        nn = NearestNeighbors(n_neighbors=k + 1).fit(result.coords[land])
        neigh = nn.kneighbors(result.coords[land], return_distance=False)[:, 1:]
        out.append(round(float((keys[land][neigh] == keys[land][:, None]).mean()), 3))
    return out


def report(result, texts: list[str], total_s: float) -> dict:
    levels = result.levels
    summary = {
        "n": int(levels.shape[1]),
        "sea_share": round(float(np.mean(levels[-1] == SEA)), 4),
        "islands_per_level": [int(lv.max()) + 1 for lv in levels],
        "map_coherence_per_level": map_coherence(result),
        "timings_s": result.params["timings_s"],
        "total_s": round(total_s, 2),
        "params": result.params,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "params"}, indent=1))
    for level in range(levels.shape[0]):
        specs = sorted((s for s in result.islands if s.level == level), key=lambda s: -s.size)
        print(f"\n== {LEVEL_NAMES[level]}s ({len(specs)}) ==")
        for s in specs[: 40 if level < 2 else 60]:
            print(f"  [{s.key:3d}<{s.parent_key}] {s.size:4d}  {s.label:32s} | {', '.join(s.terms[3:8])}")
    ex = max((s for s in result.islands if s.level == 1), key=lambda s: s.size)
    print(f"\nexemplars of '{ex.label}':")
    for i in ex.exemplars:
        print("   -", texts[i][:140])
    return summary


def draw(result, path: Path, label_level: int, size: int = 1600) -> None:
    """Points coloured by island, labels of one level (bigger for regions), via Qt offscreen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (fonts need it)
    img = QImage(size, size, QImage.Format.Format_RGB32)
    img.fill(QColor(232, 240, 248))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pad = 40
    xy = pad + result.coords * (size - 2 * pad)
    colour_keys = result.levels[1]
    for (x, y), key in zip(xy, colour_keys):
        c = QColor(150, 160, 170) if key == SEA else QColor.fromHsv((key * 47) % 360, 150, 190)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        p.drawEllipse(QPointF(x, size - y), 2.2, 2.2)
    for level, pt in ((label_level, 11), (0, 20)):
        p.setFont(QFont("Sans", pt, QFont.Weight.Bold if level == 0 else QFont.Weight.Normal))
        p.setPen(QColor(20, 20, 60) if level == 0 else QColor(0, 0, 0))
        for s in result.islands:
            if s.level == level:
                x, y = pad + s.x * (size - 2 * pad), size - (pad + s.y * (size - 2 * pad))
                p.drawText(QRectF(x - 150, y - 20, 300, 40), Qt.AlignmentFlag.AlignCenter, s.label)
    p.end()
    img.save(str(path))


def check_adds(vectors: np.ndarray, texts: list[str], seed: int) -> dict:
    """Lay out 90% of the paragraphs, place the other 10% (every tenth) and relabel."""
    held = np.arange(len(texts)) % 10 == 9
    base = compute_layout(vectors[~held], [t for t, h in zip(texts, held) if not h], seed=seed)
    t0 = time.perf_counter()
    coords, levels = place_new_points(vectors[~held], base.coords, base.levels, vectors[held])
    t_place = time.perf_counter() - t0
    all_levels = np.hstack([base.levels, levels])
    t0 = time.perf_counter()
    relabel_islands(
        [t for t, h in zip(texts, held) if not h] + [t for t, h in zip(texts, held) if h],
        all_levels, np.vstack([base.coords, coords]), np.vstack([vectors[~held], vectors[held]]),
    )
    out = {
        "placed": int(held.sum()),
        "place_s": round(t_place, 3),
        "relabel_s": round(time.perf_counter() - t0, 3),
        "sea_share_of_placed": round(float(np.mean(levels[-1] == SEA)), 4),
        "sea_share_of_base": round(float(np.mean(base.levels[-1] == SEA)), 4),
    }
    print("\nadds:", json.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    vectors, texts = load_or_embed()
    t0 = time.perf_counter()
    result = compute_layout(vectors, texts, seed=args.seed, progress=lambda m: print("..", m))
    summary = report(result, texts, time.perf_counter() - t0)
    summary["adds"] = check_adds(vectors, texts, args.seed)
    OUT_JSON.write_text(json.dumps(summary, indent=1, default=str))
    draw(result, OUT_PNG, label_level=1)
    draw(result, OUT_PNG.with_name("layout_meeting_notes_bays.png"), label_level=2)
    print(f"\nwrote {OUT_PNG}, {OUT_JSON}")


if __name__ == "__main__":
    main()
