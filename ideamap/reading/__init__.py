"""Reading with the map (Qt-free): a document in reading order, neighbours without
near-copies, digests of a set's distinct paragraphs, annotations (tags, notes), and time.

Light to import: numpy and the map file only; nothing here imports torch, umap or Qt (a
search digest needs an encoder's query vector, which the caller makes).
"""

from ideamap.reading.annotations import Annotation, Removed, annotate, list_annotations, paragraph_ids_with_tag
from ideamap.reading.annotations import remove, remove_tag, restore, tag, tag_counts
from ideamap.reading.digest import DigestPick, digest, digest_markdown, digest_rows, document_members
from ideamap.reading.digest import island_members, query_members, select_diverse
from ideamap.reading.document import DocumentText, ReadingItem, document_of_paragraph, find_document, read_document
from ideamap.reading.neighbours import CopyRef, NeighborRow, Neighbourhood, boilerplate_ids
from ideamap.reading.neighbours import neighbours_without_repetition
from ideamap.reading.timeline import Period, date_range, document_dates, paragraph_ids_in, period

__all__ = [
    "Annotation", "Removed", "annotate", "list_annotations", "paragraph_ids_with_tag", "remove", "remove_tag",
    "restore", "tag", "tag_counts",
    "DigestPick", "digest", "digest_markdown", "digest_rows", "document_members", "island_members",
    "query_members", "select_diverse",
    "DocumentText", "ReadingItem", "document_of_paragraph", "find_document", "read_document",
    "CopyRef", "NeighborRow", "Neighbourhood", "boilerplate_ids", "neighbours_without_repetition",
    "Period", "date_range", "document_dates", "paragraph_ids_in", "period",
]
