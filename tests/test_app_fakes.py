"""Helpers for the app tests (no tests here): small maps written through MapStore, a stand-in
canvas with the real canvas's API, scripted answers to dialogs, and stand-in worker jobs."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from ideamap.model import FileStatus, ParagraphDraft, ParagraphKind, ReadResult
from ideamap.store.mapfile import MapStore

TOPICS = {
    "rivers": ["Rivers carry water and sediment to the sea.", "A river delta forms where sediment settles.",
               "Floods spread river water over the plain.", "Dams hold back river water for farming."],
    "stars": ["Stars burn hydrogen in their cores.", "A supernova ends the life of a massive star.",
              "Telescopes collect the faint light of distant stars.", "Star clusters are born from gas clouds."],
    "bread": ["Bread dough rises as yeast ferments sugar.", "Sourdough bread uses a wild yeast starter.",
              "Kneading builds gluten so the bread holds gas.", "An oven spring lifts bread in the first minutes."],
}


def _unit(v):
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def make_small_map(path: Path, *, with_failed: bool = True, dated: bool = True) -> Path:
    """Three documents (one per topic) plus a failed file; vectors and 2-D coordinates clustered
    by topic; a region level and an island level."""
    rng = np.random.default_rng(0)
    store = MapStore.create(path)
    run = store.start_run("build", {"seed": 0}, model_id="test-model")
    centres = {name: _unit(rng.normal(size=16)) for name in TOPICS}
    for i, (name, texts) in enumerate(TOPICS.items()):
        paras = [ParagraphDraft(text=t, order=j, page=j + 1) for j, t in enumerate(texts)]
        paras.append(ParagraphDraft(text=f"{name.title()} heading", order=len(texts), kind=ParagraphKind.HEADING))
        result = ReadResult(path=str(path.parent / f"{name}.pdf"), doc_type="pdf", status=FileStatus.DONE,
                            title=f"All about {name}", date=f"2024-0{i + 1}-15" if dated else None, paragraphs=paras)
        vecs = _unit(centres[name] + 0.15 * rng.normal(size=(len(texts), 16)))
        store.write_document(result, f"hash-{name}", vecs, model_id="test-model", run_id=run)
    if with_failed:
        bad = ReadResult(path=str(path.parent / "locked.pdf"), doc_type="pdf", status=FileStatus.ENCRYPTED,
                         reason="The PDF is password-protected.")
        store.write_document(bad, "hash-bad", None, model_id="test-model", run_id=run)
    _write_layout(store, rng)
    store.finish_run(run)
    store.close()
    return path


def _write_layout(store: MapStore, rng) -> None:
    ids, _ = store.vectors()
    topic_of = np.repeat(np.arange(len(TOPICS)), 4)
    anchors = np.array([[0.2, 0.3], [0.7, 0.25], [0.5, 0.8]])
    coords = anchors[topic_of] + 0.04 * rng.normal(size=(len(ids), 2))
    region = np.where(topic_of == 2, 1, 0)  # rivers+stars in region 0, bread in region 1
    levels = np.vstack([region, topic_of])
    islands = [_spec(0, 0, None, "Nature", [0, 4]), _spec(0, 1, None, "Kitchen", [8]),
               _spec(1, 0, 0, "Rivers", [0, 1]), _spec(1, 1, 0, "Stars", [4, 5]), _spec(1, 2, 1, "Bread", [8, 9])]
    for spec in islands:
        rows = np.flatnonzero(levels[spec.level] == spec.key)
        spec.size = len(rows)
        spec.x, spec.y = coords[rows].mean(axis=0)
    store.save_layout(ids, coords, levels, islands, [-1] * len(ids), replace=True)


def _spec(level, key, parent, label, exemplars):
    return SimpleNamespace(level=level, key=key, parent_key=parent, label=label, terms=[label.lower(), "water"],
                           exemplars=exemplars, size=0, x=0.0, y=0.0)


class FakeCanvas(QWidget):
    """Records what the window asks of the canvas; same signals and methods as MapCanvas."""

    paragraphClicked = Signal(int)
    islandClicked = Signal(int, int)
    hovered = Signal(int)
    cameraChanged = Signal()

    def __init__(self):
        super().__init__()
        self.scene = None
        self.camera = (0.5, 0.5, 1.0)
        self.selected = None
        self.neighbors, self.pins, self.highlight = [], [], []
        self.color_mode = ("island", None)
        self.tooltip_provider = None

    def set_scene(self, scene):
        self.scene = scene

    def fit_all(self):
        self._move(0.5, 0.5, 1.0)

    def zoom_in(self):
        self._move(self.camera[0], self.camera[1], self.camera[2] * 2)

    def zoom_out(self):
        self._move(self.camera[0], self.camera[1], self.camera[2] / 2)

    def fly_to(self, x, y, zoom=None):
        self._move(x, y, zoom or max(self.camera[2], 4.0))

    def fly_to_fit(self, ids):
        self.fitted = list(ids)
        if self.fitted:
            self._move(0.5, 0.5, 1.0)

    def fly_to_island(self, level, key):
        island = next(i for i in self.scene.islands[level] if i.key == key)
        self._move(island.x, island.y, max(self.camera[2], 4.0))

    def _move(self, x, y, zoom):
        self.camera = (float(x), float(y), float(zoom))
        self.cameraChanged.emit()

    def select(self, pid):
        self.selected = pid

    def set_neighbors(self, ids):
        self.neighbors = list(ids)

    def set_pins(self, ids):
        self.pins = list(ids)

    def set_highlight(self, ids):
        self.highlight = list(ids)

    def set_color_mode(self, mode, values=None):
        self.color_mode = (mode, values)

    def paintEvent(self, event):
        # Dots only, so screenshots taken before the real canvas lands still show the map area.
        from PySide6.QtGui import QColor, QPainter

        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#cfe3f3"))
        if self.scene is not None and len(self.scene.ids):
            xy = np.asarray(self.scene.xy, dtype=float)
            lo, span = xy.min(axis=0), np.ptp(xy, axis=0) + 1e-9
            for pid, (x, y) in zip(self.scene.ids, (xy - lo) / span):
                colour = "#e8443a" if pid == self.selected else "#3f7f3a"
                painter.setBrush(QColor(colour))
                painter.drawEllipse(int(40 + x * (self.width() - 80)), int(40 + y * (self.height() - 80)), 8, 8)
        painter.end()

    def render_offscreen(self, w, h):
        image = QImage(w, h, QImage.Format_ARGB32)
        image.fill(0xFF336699)
        return image

    def export_png(self, path, size=None):
        self.render_offscreen(400, 300).save(str(path))

    def export_svg(self, path):
        Path(path).write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")


class FakeMinimap(QWidget):
    def __init__(self, canvas):
        super().__init__()
        self.canvas = canvas


def fake_kit():
    from ideamap.app.canvas_kit import CanvasKit

    return CanvasKit(_scene_from_store, FakeCanvas, FakeMinimap)


def _scene_from_store(store):
    try:
        from ideamap.app.canvas.scene import MapScene
    except ImportError:  # the canvas package is not there: a bare stand-in
        ids, xy = store.coords()
        return SimpleNamespace(ids=ids, xy=xy, levels=store.memberships()[1])
    return MapScene.from_store(store)


class ScriptedAsker:
    """Answers the window's questions from attributes a test sets."""

    def __init__(self):
        self.save_path = None
        self.new_or_add_answer = "new"
        self.export_to = None
        self.folder = None
        self.minutes = 1.0  # the answer to "how many minutes of training?"; None cancels
        self.minutes_asked: list[float] = []  # the defaults offered
        self.errors: list[tuple[str, str]] = []
        self.infos: list[tuple[str, str]] = []

    def folder_to_map(self):
        return self.folder

    def map_to_open(self, start=None):
        return None

    def where_to_save_map(self, default):
        return self.save_path or default

    def files_to_add(self):
        return []

    def export_path(self, fmt, default):
        return self.export_to or default

    def new_or_add(self, map_name):
        return self.new_or_add_answer

    def adapt_minutes(self, default):
        self.minutes_asked.append(default)
        return self.minutes

    def confirm(self, title, text):
        return True

    def error(self, title, text):
        self.errors.append((title, text))

    def info(self, title, text):
        self.infos.append((title, text))


# -- stand-in worker jobs (module level: the spawned process imports them by name) ------------
def stubborn_job(spec, queue, cancel_event):
    """Reports progress and ignores cancel, like a worker stuck inside a long step."""
    for n in range(1, 1000):
        queue.put(("progress", "read", n, 1000, f"file {n}"))
        time.sleep(0.05)


def polite_job(spec, queue, cancel_event):
    """Stops at the next file once cancelled, and reports that."""
    for n in range(1, 1000):
        if cancel_event.is_set():
            queue.put(("done", {"map_path": spec.map_path, "cancelled": True, "files_failed": []}))
            return
        queue.put(("progress", "read", n, 1000, f"file {n}"))
        time.sleep(0.02)


def failing_job(spec, queue, cancel_event):
    queue.put(("failed", "No files found in the paths given."))


# -- stand-in adapt jobs ------------------------------------------------------------------------
def _train_steps(spec, queue, cancel_event, steps: int, pause: float) -> bool:
    """Training progress as adapt_map reports it; False when cancelled (after saying so)."""
    for n in range(1, steps + 1):
        if cancel_event.is_set():
            queue.put(("done", {"map_path": spec.map_path, "cancelled": True, "files_failed": []}))
            return False
        left = int((steps - n) * pause)
        queue.put(("progress", "train", n, steps, f"loss {6 - n / steps:.2f}, {left // 60}:{left % 60:02d} left"))
        time.sleep(pause)
    return True


ADAPT_CHECK = {"paragraphs": 40, "documents": 3, "halved": 10, "baseline_id": "test-model",
               "baseline_document_agreement": 0.5, "adapted_document_agreement": 0.625,
               "baseline_split_half_mrr": 0.3, "adapted_split_half_mrr": 0.35}


def adapt_kept_job(spec, queue, cancel_event):
    """A short adaptation that helped (the map file itself is left alone)."""
    if _train_steps(spec, queue, cancel_event, 5, 0.02):
        queue.put(("done", {"map_path": spec.map_path, "kept": True, "model_id": "adapted-abc123",
                            "paragraphs_embedded": 12, "check": ADAPT_CHECK, "minutes": spec.minutes,
                            "message": "The map now uses the adapted encoder adapted-abc123."}))


def adapt_not_kept_job(spec, queue, cancel_event):
    if _train_steps(spec, queue, cancel_event, 3, 0.02):
        queue.put(("done", {"map_path": spec.map_path, "kept": False, "check": ADAPT_CHECK,
                            "message": "Adaptation did not help on held-out documents (…); the map keeps "
                                       "its encoder (test-model)."}))


def adapt_slow_job(spec, queue, cancel_event):
    """Trains for a long time, stopping politely once cancelled."""
    _train_steps(spec, queue, cancel_event, 1000, 0.05)


def adapt_too_little_text_job(spec, queue, cancel_event):
    queue.put(("failed", "This map has 12 distinct sentences to learn from; adapting the encoder needs "
                         "at least 200. The map is unchanged."))


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Importing this fixture into a test module keeps the app's caches and maps per test."""
    monkeypatch.setenv("IDEAMAP_HOME", str(tmp_path / "home"))


def shown_window(qtbot, tmp_path, kit=None, size=None):
    """A shown MainWindow with scripted dialog answers and its own settings file; a stand-in
    canvas unless ``kit`` says otherwise (e.g. the real one, default_kit())."""
    from ideamap.app.settings import AppSettings
    from ideamap.app.shell.main_window import MainWindow

    w = MainWindow(AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)), kit=kit or fake_kit())
    w.ask = ScriptedAsker()
    qtbot.addWidget(w)
    if size is not None:
        w.resize(*size)
    w.show()
    return w


@pytest.fixture
def window(qtbot, tmp_path):
    """shown_window with a stand-in canvas; closing it also shuts its build worker down."""
    w = shown_window(qtbot, tmp_path)
    yield w
    w.close()


def adapt_rejected_on_disk_job(spec, queue, cancel_event):
    """Did not help; the worker left the new encoder on disk for "Keep Anyway"."""
    if _train_steps(spec, queue, cancel_event, 3, 0.02):
        queue.put(("done", {"map_path": spec.map_path, "kept": False, "check": ADAPT_CHECK,
                            "adapted_id": "adapted-rejected1", "adapted_is_new": True,
                            "message": "Adaptation did not help on held-out documents (…); the map keeps "
                                       "its encoder (test-model)."}))


def apply_encoder_job(spec, queue, cancel_event):
    """Stands in for apply-encoder, or for the adapt before it."""
    if spec.kind == "adapt":
        return adapt_rejected_on_disk_job(spec, queue, cancel_event)
    queue.put(("done", {"map_path": spec.map_path, "kept": True, "kept_on_request": True,
                        "model_id": spec.model_id, "message": f"The map now uses the adapted encoder "
                        f"{spec.model_id}, kept on request although it did not measure better."}))
