"""Can Qt open a window on this Linux desktop? Checked before the QApplication is made.

When Qt's X11 plugin cannot load, Qt aborts the whole process with "Could not load the Qt
platform plugin xcb ... libxcb-cursor0 is needed", even when another library is the one
missing (seen here: libxcb-icccm4 and libxcb-keysyms1 on a fresh Debian). Loading the plugin
library ourselves first gives the real missing library and a readable message instead.
No Qt is imported here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import sys
from pathlib import Path

# The X11 libraries Qt 6 wheels expect from the system (Debian/Ubuntu package names).
X11_PACKAGES = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
                "libxcb-render-util0", "libxkbcommon-x11-0", "libxcb-shape0", "libxcb-xkb1")


def window_problem() -> str | None:
    """A sentence saying why no window can open, or None when nothing is known to be wrong."""
    if not _uses_xcb():
        return None
    plugin = _xcb_plugin()
    if plugin is None:
        return None  # a Qt laid out differently from the PyPI wheels: let Qt try
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        return _message(_missing_name(str(exc)))
    # Qt looks for xcb-cursor only when the plugin starts, so loading the plugin cannot tell.
    if ctypes.util.find_library("xcb-cursor") is None:
        return _message("libxcb-cursor.so.0")
    return None


def _uses_xcb() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    chosen = os.environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.startswith("xcb")
    # Without a choice Qt prefers Wayland where a Wayland session runs.
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


def _xcb_plugin() -> Path | None:
    try:
        import PySide6  # the package alone: no Qt library is loaded by this
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def _missing_name(error: str) -> str:
    found = re.search(r"(lib[\w.+-]+\.so[\w.]*): cannot open shared object", error)
    return found.group(1) if found else "an X11 library"


def _message(missing: str) -> str:
    return (f"The app cannot open a window: Qt's X11 support needs the system library {missing}, "
            "which is not installed. On Debian or Ubuntu install the X11 libraries Qt uses with\n"
            f"  sudo apt install {' '.join(X11_PACKAGES)}\n"
            "The command-line tools work without them: try 'ideamap --help'.")
