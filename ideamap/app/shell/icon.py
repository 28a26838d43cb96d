"""The application icon, read from the assets folder (the SVG when Qt can draw it, else the
PNG renders). Looked up beside the source tree, inside the package, or in a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QImage, QPainter

ICON_NAME = "ideamap"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)


def asset_dirs() -> list[Path]:
    here = Path(__file__).resolve()
    dirs = [here.parents[3] / "assets", Path(sys.prefix) / "share" / "ideamap" / "assets"]
    bundle = getattr(sys, "_MEIPASS", None)  # set inside a PyInstaller bundle
    if bundle:
        dirs.insert(0, Path(bundle) / "assets")
    return dirs


def find_asset(name: str) -> Path | None:
    for folder in asset_dirs():
        if (folder / name).is_file():
            return folder / name
    return None


def app_icon() -> QIcon:
    icon = QIcon()
    for size in PNG_SIZES:
        png = find_asset(f"{ICON_NAME}-{size}.png")
        if png:
            icon.addFile(str(png), QSize(size, size))
    svg = find_asset(f"{ICON_NAME}.svg")
    if icon.isNull() and svg:
        icon.addFile(str(svg))
    return icon


def render_pngs(svg: Path, out_dir: Path) -> list[Path]:
    """Render the SVG icon to PNGs of the usual icon sizes (packaging/make_icons.py runs it)."""
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    written = []
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"{ICON_NAME}-{size}.png"
        image.save(str(path))
        written.append(path)
    return written
