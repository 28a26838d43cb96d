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


def main() -> int:
    from ideamap.cli import main as cli

    if has_display():
        try:
            from ideamap.app.launch import launch_demo
        except ImportError:
            launch_demo = None
        if launch_demo is not None:
            return launch_demo()
    else:
        print("No display found (e.g. over SSH): building the demo map and printing its summary "
              "instead of opening the app.", file=sys.stderr)
    from ideamap.cli_progress import StageBars
    from ideamap.demo import ensure_demo_map

    with StageBars() as bars:
        path = ensure_demo_map(progress=bars.update)
    for args in (["info", str(path)], ["islands", str(path)]):
        try:
            cli.main(args, standalone_mode=False)
        except SystemExit:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
