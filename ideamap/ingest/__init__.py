"""Files → documents → paragraphs. One reader per format behind a registry (see base.py)."""
