"""Append-only, versioned storage of captured pages and their history; knows nothing of Scrapy."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.database import Archive, open_archive, resolve_db_url, upgrade_archive
    from archive.errors import ArchiveError, NotArchived, SchemaError, StorageError
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

# The package's names, each loaded from its module on first use (PEP 562): a process that only
# cleans text (an extraction worker) imports archive.changes without SQLAlchemy and Alembic,
# which would cost it most of a second of start-up.
_HOMES = {
    "Archive": "archive.database",
    "open_archive": "archive.database",
    "resolve_db_url": "archive.database",
    "upgrade_archive": "archive.database",
    "ArchiveError": "archive.errors",
    "NotArchived": "archive.errors",
    "SchemaError": "archive.errors",
    "StorageError": "archive.errors",
    "ArticleRecord": "archive.records",
    "Attachment": "archive.records",
    "Extracted": "archive.records",
    "Observation": "archive.records",
    "Outcome": "archive.records",
    "PageKind": "archive.records",
    "Recorded": "archive.records",
    "Verdict": "archive.records",
    "Store": "archive.store",
}
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
    "StorageError",
    "Store",
    "Verdict",
    "open_archive",
    "resolve_db_url",
    "upgrade_archive",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
