"""`make run`: open the desktop app on the demo map; with no display, build the demo map and
print its summary instead."""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") in ("offscreen", "minimal"):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _why_no_window() -> str | None:
    if not has_display():
        return "No display found (e.g. over SSH)."
    from importlib.util import find_spec

    if find_spec("PySide6") is None:
        return "The desktop app is not installed (PySide6 is missing)."
    from ideamap.app.platform_check import window_problem

    return window_problem()


def main() -> int:
    from ideamap.cli import main as cli

    reason = _why_no_window()
    if reason is None:
        from ideamap.app.launch import launch_demo

        return launch_demo()
    print(f"{reason}\nBuilding the demo map and printing its summary instead of opening the app.",
          file=sys.stderr)
    from ideamap.cli_progress import StageBars
    from ideamap.demo import ensure_demo_map

    with StageBars() as bars:
        path = ensure_demo_map(progress=bars.update)
    for args in (["info", str(path)], ["islands", str(path), "--levels", "2"]):
        try:
            cli.main(args, standalone_mode=False)
        except SystemExit:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
