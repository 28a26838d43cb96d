"""The map canvas: a Google-Maps-style view of an idea map.

Qt-free (importable and testable without a window): ``camera`` (view geometry and camera
animations), ``scene`` (one map's arrays and spatial queries), ``fields`` and
``island_fields`` (density and colour fields the tiles are cut from), ``tiles`` (numpy tile
rasteriser and LRU cache), ``labels`` (label placement), ``colors``, ``synthetic``.

Qt: ``widget`` (MapCanvas), ``events`` (its input handling), ``painting`` (one frame with
QPainter), ``tile_loader`` (worker threads), ``minimap``. This file imports nothing, so the Qt-free parts stay Qt-free.
"""
