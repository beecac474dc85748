"""Append-only, versioned storage of captured pages and their history; knows nothing of Scrapy."""

from archive.database import Archive, open_archive, resolve_db_url, upgrade_archive
from archive.errors import ArchiveError, NotArchived, SchemaError
from archive.records import (
    ArticleRecord,
    Attachment,
    Extracted,
    Observation,
    Outcome,
    PageKind,
    Recorded,
    Verdict,
)
from archive.store import Store

__all__ = [
    "Archive",
    "ArchiveError",
    "ArticleRecord",
    "Attachment",
    "Extracted",
    "NotArchived",
    "Observation",
    "Outcome",
    "PageKind",
    "Recorded",
    "SchemaError",
    "Store",
    "Verdict",
    "open_archive",
    "resolve_db_url",
    "upgrade_archive",
]
