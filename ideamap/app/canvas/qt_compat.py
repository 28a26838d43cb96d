"""A guard for a reference-counting bug in PySide6 6.12 on Python 3.11. The canvas's Qt
modules call ``pin_singletons()`` when imported; it belongs at the app's entry point too.

Every wrapped C++ method returning void gives back ``None`` without a new reference
(correct only on Python 3.12+, where None is immortal). On 3.11 each call drops None's
reference count by one, and after some tens of thousands of calls (a few seconds of
painting) the interpreter aborts with "none_dealloc: deallocating None". Measured here:
``QPainter.fillRect``, ``drawImage``, ``QWidget.update``, ``QPen.setWidthF`` ... all -1 per
call. The fix gives None (and True/False, which showed the same abort at exit) a reference
count so large it cannot reach zero, which is what 3.12 does by design.
"""

from __future__ import annotations

import ctypes
import sys

_PINNED = False
_LARGE = 1 << 48


def pin_singletons() -> None:
    """Make None, True and False effectively immortal on Python < 3.12 (once)."""
    global _PINNED
    if _PINNED or sys.version_info >= (3, 12):
        return
    for obj in (None, True, False):
        # ob_refcnt is the first field of every object in CPython's release builds.
        ctypes.c_ssize_t.from_address(id(obj)).value += _LARGE
    _PINNED = True

