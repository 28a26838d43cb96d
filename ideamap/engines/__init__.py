"""Engines that read and embed the documents of a build.

``local`` (the default) reads in isolated reader processes and embeds in this process
(ideamap.pipeline). ``ray`` runs the same readers and encoder as a Ray Data pipeline, on a
laptop, a GPU workstation or a cluster (ideamap.engines.ray_engine; needs ``ideamap[cluster]``).
Both write into the same map file on the driver, one transaction per document, and leave
layout, islands, labels and the index to the driver.
"""

from __future__ import annotations

ENGINES = ("local", "ray")


def ingest_function(name: str):
    """The function that reads and embeds new documents into the map for engine ``name``;
    all share the signature of ``pipeline._ingest``."""
    if name == "local":
        from ideamap.pipeline import _ingest

        return _ingest
    if name == "ray":
        from ideamap.engines.ray_engine import ingest

        return ingest
    raise ValueError(f"Unknown engine '{name}' (choose from {', '.join(ENGINES)}).")
