"""Area selection on big maps: how long a lasso takes to find its paragraphs, and what drawing a
large selection adds to a frame.

Baselines measured in the same run (ratios, since these machines are noisy):
- ``full_scan``: the same band-sorted even-odd test over every point (no bucket-grid narrowing);
- ``edge_loop``: the textbook vectorised test, every candidate against every edge (N x M);
- ``per_point``: QPolygonF.containsPoint in a Python loop (what a naive version does), on the
  first 20k candidate points only, scaled to the candidates' count (stated as such).

    nice python benchmarks/bench_select.py [--sizes 100000 300000]

Writes benchmarks/results/select.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _best(fn, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _edge_loop(xy, poly) -> np.ndarray:
    """Every point against every edge, vectorised over points (the simple version)."""
    x, y = xy[:, 0].astype(np.float64), xy[:, 1].astype(np.float64)
    inside = np.zeros(len(xy), dtype=bool)
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, axis=0)):
        if ay != by:
            inside ^= ((ay > y) != (by > y)) & (x < ax + (y - ay) * (bx - ax) / (by - ay))
    return inside


def _lasso(cx, cy, rx, ry, n=400) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    wobble = 1 + 0.25 * np.sin(4 * t)
    return np.stack([cx + rx * wobble * np.cos(t), cy + ry * wobble * np.sin(t)], axis=1)


def run(sizes) -> dict:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPolygonF

    from ideamap.app.canvas.area import AreaSelection, points_in_polygon, rows_in_polygon
    from ideamap.app.canvas.area_paint import draw_area
    from ideamap.app.canvas.camera import Camera
    from ideamap.app.canvas.scene import MapScene

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter needs it
    out = {"sizes": {}}
    for n in sizes:
        scene = MapScene.synthetic(n, seed=1)
        res = {}
        for name, loop in (("small_lasso", _lasso(0.45, 0.5, 0.06, 0.05)), ("big_lasso", _lasso(0.5, 0.5, 0.3, 0.28))):
            rows = rows_in_polygon(scene, loop)
            ours = _best(lambda: rows_in_polygon(scene, loop))
            full = _best(lambda: points_in_polygon(scene.xy, loop))
            (x0, y0), (x1, y1) = loop.min(axis=0), loop.max(axis=0)
            cand = scene.rows_in_rect((x0, y0, x1, y1))
            assert int(_edge_loop(scene.xy[cand], loop).sum()) == len(rows)  # same answer
            simple = _best(lambda: _edge_loop(scene.xy[cand], loop), 2)
            sample = scene.xy[cand[:20_000]].astype(float)
            poly = QPolygonF([QPointF(float(x), float(y)) for x, y in loop])
            t0 = time.perf_counter()
            for x, y in sample:
                poly.containsPoint(QPointF(x, y), Qt.OddEvenFill)
            naive = (time.perf_counter() - t0) * len(cand) / max(1, len(sample))
            res[name] = {"selected": int(len(rows)), "candidates": int(len(cand)), "ours_s": ours,
                         "full_scan_s": full, "edge_loop_s": simple, "per_point_scaled_s": naive,
                         "edge_loop_over_ours": simple / ours,
                         "full_scan_over_ours": full / ours, "per_point_over_ours": naive / ours}
            # Drawing: one frame's area overlay (outline, tint, dots) for this selection.
            camera = Camera(width=1280, height=800)
            camera.fit(scene.bounds())
            image = QImage(1280, 800, QImage.Format.Format_ARGB32_Premultiplied)
            area = AreaSelection("lasso", loop, rows)

            def frame(a=area):
                painter = QPainter(image)
                draw_area(painter, camera, scene, a)
                painter.end()

            res[name]["draw_s"] = _best(frame, 3)
        out["sizes"][str(n)] = res
        print(n, json.dumps(res, indent=1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    args = ap.parse_args()
    result = run(args.sizes)
    path = Path(__file__).parent / "results" / "select.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
