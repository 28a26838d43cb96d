"""How the window gets its canvas: the real one from ideamap.app.canvas, or one a test passes
in. Imported only when the first map opens, so the start screen never waits for it."""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class CanvasKit:
    scene_from_store: Callable[[Any], Any]  # MapScene.from_store
    make_canvas: Callable[[], Any]  # MapCanvas()
    # the overview for a canvas; one that the canvas parents itself stays in its corner
    make_minimap: Callable[[Any], Any] | None = None


def prefetch_canvas() -> None:
    """Import the canvas's numerical modules (scipy.ndimage alone takes ~0.4 s) in a background
    thread, so opening the first map reads the file meanwhile instead of waiting for imports.
    Only Qt-free modules: Qt classes are created in the GUI thread."""
    if "ideamap.app.canvas.tiles" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("ideamap.app.canvas.tiles",),
                         name="ideamap-prefetch", daemon=True).start()


def default_kit() -> CanvasKit:
    from ideamap.app.canvas.scene import MapScene
    from ideamap.app.canvas.widget import MapCanvas

    # show_minimap() makes the canvas own its minimap: it stays in the corner and is refreshed
    # when the map or the colours change.
    return CanvasKit(MapScene.from_store, MapCanvas, lambda canvas: canvas.show_minimap())
