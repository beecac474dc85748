"""The one write path: an observed fetch, its payload and any new version, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from archive import blobs
from archive.database import Archive
from archive.models import Blob, Capture, CrawlRun, Page, Site, Version, VersionChange
from archive.records import (
    RECORD_FIELDS,
    Observation,
    Outcome,
    Recorded,
    Verdict,
    changed_fields,
    content_sha256,
)

RUNNING = "running"
# Core statements, not the ORM's unit of work: a page is a handful of statements in one
# transaction, and a crawl writes thousands of pages.
BLOB, PAGE, VERSION = (
    cast(Table, Blob.__table__),
    cast(Table, Page.__table__),
    cast(Table, Version.__table__),
)
CAPTURE, CHANGE = cast(Table, Capture.__table__), cast(Table, VersionChange.__table__)
SITE, RUN = cast(Table, Site.__table__), cast(Table, CrawlRun.__table__)
_UPSERT_DIALECTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Statements built once and executed with parameters: SQLAlchemy then compiles each only once.
_PAGE_BY_URL = select(PAGE.c.id, PAGE.c.last_captured_at).where(PAGE.c.url == bindparam("url"))
_LATEST_VERSION = (
    select(VERSION.c.id, VERSION.c.number, VERSION.c.content_sha256)
    .where(VERSION.c.page_id == bindparam("page_id"))
    .order_by(VERSION.c.number.desc())
    .limit(1)
)
_VERSION_FIELDS = select(*(VERSION.c[name] for name in RECORD_FIELDS)).where(
    VERSION.c.id == bindparam("version_id")
)
_BLOB_EXISTS = select(BLOB.c.sha256).where(BLOB.c.sha256 == bindparam("sha256"))
_UPDATE_PAGE = update(PAGE).where(PAGE.c.id == bindparam("page_id_"))


class Store:
    """Writes into an archive. Nothing here updates or deletes history rows."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._site_ids: dict[str, int] = {}

    def begin_run(self, site: str, origin: str, command: str, arguments: Mapping[str, Any]) -> int:
        """Open a crawl_run row and return its id."""
        with self.archive.engine.begin() as connection:
            values = {
                "site_id": self._site_id(connection, site, origin),
                "command": command,
                "arguments": dict(arguments),
                "started_at": self.archive.clock(),
                "status": RUNNING,
                "counts": {},
            }
            return _insert(connection, RUN, values)

    def finish_run(
        self, run_id: int, status: str, counts: Mapping[str, Any], exit_code: int
    ) -> None:
        """Close a run with its final status, counts and exit code (a run row is set once, here)."""
        values = {
            "finished_at": self.archive.clock(),
            "status": status,
            "counts": dict(counts),
            "exit_code": exit_code,
        }
        with self.archive.engine.begin() as connection:
            connection.execute(update(RUN).where(RUN.c.id == run_id).values(values))

    def record(self, observation: Observation, run_id: int | None = None) -> Recorded:
        """Record one fetch: payload, page state, capture and, if the content changed, a version."""
        with self.archive.engine.begin() as connection:
            site_id = self._site_id(connection, observation.site, observation.site_origin)
            payload_sha256 = _put_blob(connection, observation.payload, self.archive.clock())
            page_id, last_captured_at = _page(connection, site_id, observation)
            outcome, version_id, number, changed = _version_for(connection, page_id, observation)
            capture = _capture_values(
                observation, page_id, run_id, payload_sha256, outcome, version_id
            )
            connection.execute(insert(CAPTURE), capture)
            latest_capture = max(last_captured_at, observation.fetched_at)
            _update_page(connection, page_id, observation, outcome, latest_capture)
        return Recorded(observation.url, outcome, number, tuple(changed))

    def _site_id(self, connection: Connection, name: str, origin: str) -> int:
        if name not in self._site_ids:
            found = connection.scalar(select(SITE.c.id).where(SITE.c.name == name))
            if found is None:
                values = {"name": name, "origin": origin, "created_at": self.archive.clock()}
                found = _insert(connection, SITE, values)
            self._site_ids[name] = int(found)
        return self._site_ids[name]


def _put_blob(connection: Connection, payload: bytes | None, now: Any) -> str | None:
    """Stores `payload` once under its SHA-256; identical bytes are never stored or rewritten again."""
    if payload is None:
        return None
    sha256 = blobs.sha256_hex(payload)
    compression, data = blobs.compress(payload)
    values = {
        "sha256": sha256,
        "size": len(payload),
        "compression": compression,
        "data": data,
        "created_at": now,
    }
    dialect = connection.dialect.name
    if dialect in _UPSERT_DIALECTS:
        connection.execute(_UPSERT_DIALECTS[dialect](BLOB).on_conflict_do_nothing(), values)
    elif connection.scalar(_BLOB_EXISTS, {"sha256": sha256}) is None:
        connection.execute(insert(BLOB), values)
    return sha256


def _page(connection: Connection, site_id: int, observation: Observation) -> tuple[int, datetime]:
    """The page's id and last capture time, creating the page on its first capture."""
    found = connection.execute(_PAGE_BY_URL, {"url": observation.url}).first()
    if found is not None:
        return int(found.id), found.last_captured_at
    values = {
        "site_id": site_id,
        "url": observation.url,
        "kind": observation.kind.value,
        "doc_id": observation.doc_id,
        "first_seen_at": observation.fetched_at,
        "last_captured_at": observation.fetched_at,
        "last_outcome": observation.verdict.value,
    }
    return _insert(connection, PAGE, values), observation.fetched_at


def _version_for(
    connection: Connection, page_id: int, observation: Observation
) -> tuple[Outcome, int | None, int | None, list[str]]:
    """The capture's outcome, the version it points at (id, number), and the fields that changed."""
    latest = connection.execute(_LATEST_VERSION, {"page_id": page_id}).first()
    if observation.verdict is not Verdict.CONTENT:
        outcome = Outcome(observation.verdict.value)
        if observation.verdict is Verdict.NOT_MODIFIED and latest is not None:
            return outcome, latest.id, latest.number, []
        return outcome, None, None, []
    assert observation.extracted is not None
    fields = observation.extracted.record.fields()
    digest = content_sha256(fields)
    if latest is not None and latest.content_sha256 == digest:
        return Outcome.UNCHANGED, latest.id, latest.number, []
    changed = changed_fields(_fields_of(connection, latest.id), fields) if latest else []
    number = latest.number + 1 if latest else 1
    values = {
        "page_id": page_id,
        "number": number,
        "parent_id": latest.id if latest else None,
        "created_at": observation.fetched_at,
        "content_sha256": digest,
        "parser_version": observation.extracted.parser_version,
        "provenance": dict(observation.extracted.provenance),
        **fields,
    }
    version_id = _insert(connection, VERSION, values)
    if changed:
        connection.execute(
            insert(CHANGE), [{"version_id": version_id, "field": f} for f in changed]
        )
    return (Outcome.CHANGED if latest else Outcome.NEW), version_id, number, changed


def _insert(connection: Connection, table: Table, values: dict[str, Any]) -> int:
    key = connection.execute(insert(table), values).inserted_primary_key
    assert key is not None
    return int(key[0])


def _fields_of(connection: Connection, version_id: int) -> dict[str, Any]:
    row = connection.execute(_VERSION_FIELDS, {"version_id": version_id}).one()
    return dict(row._mapping)


def _capture_values(
    observation: Observation,
    page_id: int,
    run_id: int | None,
    payload_sha256: str | None,
    outcome: Outcome,
    version_id: int | None,
) -> dict[str, Any]:
    return {
        "page_id": page_id,
        "run_id": run_id,
        "captured_at": observation.fetched_at,
        "requested_url": observation.requested_url,
        "final_url": observation.final_url,
        "status": observation.status,
        "headers": [list(pair) for pair in observation.headers],
        "etag": observation.header("ETag"),
        "last_modified": observation.header("Last-Modified"),
        "payload_sha256": payload_sha256,
        "payload_size": len(observation.payload) if observation.payload is not None else None,
        "outcome": outcome.value,
        "version_id": version_id,
        "error": observation.error,
    }


def _update_page(
    connection: Connection,
    page_id: int,
    observation: Observation,
    outcome: Outcome,
    last_captured_at: datetime,
) -> None:
    """The page row is current state, derived from captures: the one row updated in place."""
    values: dict[str, Any] = {
        "last_captured_at": last_captured_at,
        "last_status": observation.status,
        "last_outcome": outcome.value,
    }
    connection.execute(_UPDATE_PAGE, {"page_id_": page_id, **values})


def recorder(db_url: str) -> Callable[[Observation, int | None], Recorded]:
    """Store.record on the archive at `db_url`: what a writer process serves."""
    from archive.database import open_archive

    return Store(open_archive(db_url)).record
