"""Errors the archive raises: each carries one sentence a person can act on."""


class ArchiveError(Exception):
    """Base class: the message is one complete sentence for the user."""


class SchemaError(ArchiveError):
    """The database is not at the schema this code expects, or is not an archive at all."""


class SchemaTooOld(SchemaError):
    """The archive was written by an older version and must be upgraded before use."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.location = location


class StorageError(ArchiveError):
    """The storage under the archive failed (full, over a size limit, failing): not the data's
    fault, and not the user's; another run may succeed once there is room."""


class NotArchived(ArchiveError):
    """A URL, version or capture that the archive does not hold (`url`, when one was asked for)."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class Untracked(NotArchived):
    """A page an archivist took out of the crawl: archived, but not to be fetched."""


# What database drivers say when the storage, not the data, is at fault.
_STORAGE_FAILURES = (
    ("database or disk is full", "disk full"),
    ("no space left on device", "disk full"),
    ("could not extend file", "disk full"),
    ("disk i/o error", "disk full, over a file size limit, or failing"),
    ("readonly database", "read-only"),
    ("read-only", "read-only"),
)


def storage_failure(message: str) -> str | None:
    """Why a write failed, if the storage failed it (else None: the error is about the data)."""
    lowered = message.lower()
    return next((why for text, why in _STORAGE_FAILURES if text in lowered), None)
