"""Errors the archive raises: each carries one sentence a person can act on."""


class ArchiveError(Exception):
    """Base class: the message is one complete sentence for the user."""


class SchemaError(ArchiveError):
    """The database is not at the schema this code expects, or is not an archive at all."""


class NotArchived(ArchiveError):
    """A URL, version or capture that the archive does not hold."""
