"""Entry point of the PyInstaller bundle: `ideamap-app [MAP]` opens the app; `--demo` opens the
demo map (building it on first use)."""

import multiprocessing
import sys


def main() -> int:
    # In a frozen app the build worker is this same executable started again: freeze_support()
    # makes that copy run the worker instead of opening a second window.
    multiprocessing.freeze_support()
    from ideamap.app.launch import launch, launch_demo

    args = sys.argv[1:]
    if args[:1] == ["--demo"]:
        return launch_demo()
    return launch(args[0] if args else None)


if __name__ == "__main__":
    sys.exit(main())
