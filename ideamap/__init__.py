"""ideamap: explore a collection of documents as a zoomable map of ideas, fully offline."""

__version__ = "0.1.0"
