"""The reader: a document of the map in reading order, beside the map it is drawn on."""
