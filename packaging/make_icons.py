"""Render assets/ideamap.svg to the PNG sizes the app, the .desktop entry and PyInstaller use.

Run from the repository root:  .venv/bin/python packaging/make_icons.py
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtGui import QGuiApplication  # noqa: E402

from ideamap.app.shell.icon import render_pngs  # noqa: E402


def main() -> None:
    app = QGuiApplication([])  # noqa: F841 - QImage/QPainter need an application object
    for path in render_pngs(ROOT / "assets" / "ideamap.svg", ROOT / "assets"):
        print(path.relative_to(ROOT))
    ico = ROOT / "assets" / "ideamap.ico"
    from PySide6.QtGui import QImage

    # Windows wants an .ico; Qt writes one when its image plugin for it is present.
    if QImage(str(ROOT / "assets" / "ideamap-256.png")).save(str(ico)):
        print(ico.relative_to(ROOT))


if __name__ == "__main__":
    main()
