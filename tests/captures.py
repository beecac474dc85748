"""Captures as the archive's readers see them, for tests that look into an archive file: a capture's
stored time, digest, URLs and headers are compact forms (revision 0014) the models decode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive.database import open_archive
from archive.models import Capture, Page


def captures(db: Path | str) -> list[dict[str, Any]]:
    """Every capture of the archive at `db` (a SQLite file or URL), in id order, its values as
    fetched (captured_at an aware UTC time), with its page's `url` and `kind`."""
    archive = open_archive(str(db), create=False, read_only=True)
    try:
        columns = [*Capture.__table__.c, Page.url, Page.kind]
        query = select(*columns).join(Page, Page.id == Capture.page_id).order_by(Capture.id)
        with archive.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]
    finally:
        archive.close()


def stored_time(moment: Any) -> str:
    """A capture's time as SQLite held it before revision 0014 (naive UTC with microseconds)."""
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
