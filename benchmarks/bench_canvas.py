"""Canvas benchmark: frame times while panning and zooming at 1920x1080, at 100k and 1M
paragraphs, against a naive QPainter draw of every point in the same run. Prints and saves
JSON to benchmarks/results/canvas.json.

A *frame* paints the view with tiles already cached (tiles are rendered by workers in the
app) as the app does while the camera moves (tiles scaled without smoothing); a *still*
frame is the smooth repaint once the camera stops; the *cold* frame also renders every
missing tile on the spot. *First frame* is the
time from opening a saved map file to a complete first picture (100k: a real map file
written once through MapStore and reused; 1M: the synthetic scene, as writing 1M rows
takes minutes). Goals (issue): first frame < 2 s at 100k; frame p95 < 16 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_canvas.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ideamap.app.canvas import tiles as tiles_mod  # noqa: E402
from ideamap.app.canvas.camera import Camera  # noqa: E402
from ideamap.app.canvas.scene import MapScene  # noqa: E402
from ideamap.app.canvas.widget import MapCanvas  # noqa: E402

W, H = 1920, 1080


def camera_path(scene: MapScene) -> list[tuple[float, float, float]]:
    """Fit all, zoom into the biggest island (x1.08 a frame, about x50), pan across, zoom
    back out: 150 frames, like a user exploring."""
    cam = Camera(width=W, height=H)
    cam.fit(scene.bounds())
    target = scene.islands[1][0] if scene.islands.get(1) else None
    tx, ty = (target.x, target.y) if target else (0.5, 0.5)
    frames = []
    cx, cy, zoom = cam.cx, cam.cy, cam.zoom
    for i in range(50):
        t = (i + 1) / 50
        frames.append((cx + (tx - cx) * t, cy + (ty - cy) * t, zoom * 1.08 ** (i + 1)))
    cx, cy, zoom = frames[-1]
    for i in range(50):
        frames.append((cx + (i + 1) * 25 / (min(W, H) * zoom), cy, zoom))  # 25 px a frame
    cx, cy, zoom = frames[-1]
    for i in range(50):
        frames.append((cx, cy, zoom / 1.08 ** (i + 1)))
    return frames


def paint_frames(canvas: MapCanvas, frames, *, cold: bool, moving: bool = True) -> list[float]:
    image = QImage(W, H, QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for cx, cy, zoom in frames:
        cam = Camera(cx=cx, cy=cy, zoom=zoom, width=W, height=H)
        if not cold:  # make sure every tile is cached; time only the paint
            p = QPainter(image)
            canvas.paint_view(p, cam, 1.0, sync=True)
            p.end()
        t0 = time.perf_counter()
        p = QPainter(image)
        canvas.paint_view(p, cam, 1.0, sync=True, moving=moving)
        p.end()
        times.append(time.perf_counter() - t0)
    return times


def naive_frames(scene: MapScene, frames) -> list[float]:
    """The obvious approach: every point drawn every frame, world-to-screen done by Qt."""
    poly = QPolygonF([QPointF(float(x), float(y)) for x, y in scene.xy])
    image = QImage(W, H, QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for cx, cy, zoom in frames:
        cam = Camera(cx=cx, cy=cy, zoom=zoom, width=W, height=H)
        t0 = time.perf_counter()
        p = QPainter(image)
        p.fillRect(0, 0, W, H, QColor(170, 211, 236))
        s = cam.scale
        p.translate(W / 2 - cam.cx * s, H / 2 - cam.cy * s)
        p.scale(s, s)
        pen = QPen(QColor(60, 90, 120), 3.0 / s)
        pen.setCapStyle(Qt.PenCapStyle.SquareCap)
        p.setPen(pen)
        p.drawPoints(poly)
        p.end()
        times.append(time.perf_counter() - t0)
    return times


def tile_times(scene: MapScene, frames, limit: int = 120) -> list[float]:
    """Render time of distinct tiles met along the path (what a worker spends per tile)."""
    seen, times = set(), []
    for cx, cy, zoom in frames:
        for key in Camera(cx=cx, cy=cy, zoom=zoom, width=W, height=H).visible_tiles():
            if key in seen or len(times) >= limit:
                continue
            seen.add(key)
            t0 = time.perf_counter()
            tiles_mod.render_tile(scene, *key)
            times.append(time.perf_counter() - t0)
    return times


def first_frame_from_file(n: int) -> dict:
    """Open a saved map of ``n`` paragraphs and paint the first complete frame."""
    from ideamap.store.mapfile import MapStore

    path = Path(tempfile.gettempdir()) / f"ideamap_bench_canvas_{n}.ideamap"
    if not path.exists():
        write_map(path, n)
    t0 = time.perf_counter()
    store = MapStore.open(path, readonly=True)
    scene = MapScene.from_store(store)
    t_load = time.perf_counter() - t0
    canvas = MapCanvas()
    canvas.resize(W, H)
    canvas.set_scene(scene)
    canvas.render_offscreen(W, H)
    total = time.perf_counter() - t0
    store.close()
    return {"load_s": round(t_load, 3), "first_frame_s": round(total, 3),
            "heavy_modules_loaded": sorted(m for m in ("torch", "umap") if m in sys.modules)}


def write_map(path: Path, n: int) -> None:
    """A saved map like a real one (documents of 100 paragraphs, layout, islands)."""
    from types import SimpleNamespace

    from ideamap.model import FileStatus, ParagraphDraft, ReadResult
    from ideamap.store.mapfile import MapStore

    scene = MapScene.synthetic(n, seed=7)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    store = MapStore.create(tmp)
    run = store.start_run("bench", {})
    ids = []
    for d in range(0, n, 100):
        paras = [ParagraphDraft(text=f"paragraph {i} of document {d}", order=i) for i in range(min(100, n - d))]
        result = ReadResult(path=f"/bench/doc{d}.txt", doc_type="text", status=FileStatus.DONE, paragraphs=paras)
        doc_id = store.write_document(result, f"h{d}", None, model_id="m", run_id=run)
        ids.extend(store.document_paragraph_ids(doc_id))
    specs = [SimpleNamespace(level=i.level, key=i.key, parent_key=i.parent_key, label=i.label, terms=[],
                             exemplars=[], size=i.size, x=i.x, y=i.y) for lv in scene.islands.values() for i in lv]
    store.save_layout(ids, scene.xy, scene.levels, specs, None, replace=True)
    store.close()
    tmp.rename(path)


def stats(times: list[float]) -> dict:
    ms = np.asarray(times) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2), "frames": len(ms)}


def bench_size(n: int) -> dict:
    t0 = time.perf_counter()
    scene = MapScene.synthetic(n, seed=7)
    canvas = MapCanvas()
    canvas.resize(W, H)
    canvas.set_scene(scene)
    canvas.render_offscreen(W, H)
    first_synthetic = time.perf_counter() - t0
    frames = camera_path(scene)
    cold = paint_frames(canvas, frames, cold=True)
    warm = paint_frames(canvas, frames, cold=False)
    still = paint_frames(canvas, frames[::5], cold=False, moving=False)
    naive = naive_frames(scene, frames[::5])
    tiles = tile_times(scene, frames)
    out = {
        "n": n,
        "first_frame_synthetic_s": round(first_synthetic, 3),
        "frame": stats(warm),
        "still_frame_smooth": stats(still),
        "cold_frame": stats(cold),
        "tile_render": stats(tiles),
        "naive_all_points": stats(naive),
        "speedup_p50_vs_naive": round(float(np.median(naive) / np.median(warm)), 1),
        "goal_p95_under_16ms": bool(np.percentile(np.asarray(warm) * 1000, 95) < 16),
    }
    canvas._loader.shutdown()
    canvas.deleteLater()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--no-file", action="store_true", help="skip the saved-map first-frame test")
    args = parser.parse_args()
    results = {"viewport": [W, H], "cpu_count": os.cpu_count(), "sizes": []}
    if not args.no_file:
        results["open_saved_100k"] = first_frame_from_file(100_000)
        print("open saved 100k:", results["open_saved_100k"], flush=True)
    for n in args.sizes:
        r = bench_size(n)
        results["sizes"].append(r)
        print(json.dumps(r), flush=True)
    out = ROOT / "benchmarks" / "results" / "canvas.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    # Module level, so the application outlives every widget (a QApplication destroyed
    # before its widgets crashes the interpreter at exit).
    APP = QApplication.instance() or QApplication([])
    main()
