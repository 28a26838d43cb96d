"""Typed errors. Library code raises these; the CLI and the app turn them into plain messages."""


class IdeamapError(Exception):
    """Base class: the message is meant to be shown to a user as it is."""


class MapFileError(IdeamapError):
    """The map file is missing, not a map, damaged, or from an incompatible version."""


class NoDocumentsError(IdeamapError):
    """Nothing readable was found in the paths given."""


class EncoderUnavailableError(IdeamapError):
    """The encoder that made a map's vectors cannot be loaded here."""


class Cancelled(IdeamapError):
    """The user cancelled a long operation; finished work is kept."""


class NotFoundError(IdeamapError):
    """A paragraph, document or island id that the map does not hold."""
