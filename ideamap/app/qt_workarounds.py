"""Guards against known bugs of the Qt bindings, each limited to the versions that have it.

PySide6 6.12.0 on Python < 3.12 drops one reference to None each time a wrapped C++ method that
returns nothing (QLabel.setText, processEvents, …) is called: the bindings assume an immortal
None, which only Python 3.12+ has. After some thousands of calls None's count reaches zero and
the interpreter aborts ("Fatal Python error: none_dealloc"). Measured here: 1,000 setText calls
take 1,000 references; PySide6 6.11.3 takes none. The real fix is a PySide6 version without the
bug (pyproject should exclude 6.12.0 on Python 3.11); until then the app keeps None's count high
by holding spare references (never released), topped up by a timer; 8 bytes per reference.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6
from PySide6.QtCore import QCoreApplication, QTimer

TOP_UP = 2_000_000  # references added at a time (16 MB); far more than a second of calls
LOW_WATER = 1_000_000
CHECK_MS = 500


def has_none_refcount_bug() -> bool:
    return sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12.")


class _NoneReserve:
    def top_up(self) -> None:
        if sys.getrefcount(None) < LOW_WATER:
            block = [None] * TOP_UP
            # Never freed, not even at interpreter exit: freeing it would hand back references
            # the bindings already took, and None would be deallocated during shutdown.
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(block))


def install_none_refcount_guard() -> None:
    """Keep None alive under the buggy bindings; does nothing elsewhere or if already done."""
    app = QCoreApplication.instance()
    if app is None or not has_none_refcount_bug() or getattr(app, "_ideamap_none_reserve", None):
        return
    reserve = _NoneReserve()
    reserve.top_up()
    timer = QTimer(app)
    timer.setInterval(CHECK_MS)
    timer.timeout.connect(reserve.top_up)
    timer.start()
    app._ideamap_none_reserve = (reserve, timer)  # lives as long as the application
