"""The one write path: an observed fetch, its payload and any new version, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from archive import blobs
from archive.database import Archive
from archive.models import Blob, Capture, CrawlRun, Page, Site, Version, VersionChange
from archive.records import (
    Extracted,
    Observation,
    Outcome,
    Recorded,
    Verdict,
    changed_fields,
    content_sha256,
)

RUNNING = "running"


class Store:
    """Writes into an archive. Nothing here updates or deletes history rows."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._site_ids: dict[str, int] = {}

    def begin_run(self, site: str, origin: str, command: str, arguments: Mapping[str, Any]) -> int:
        """Open a crawl_run row and return its id."""
        with self.archive.transaction() as session:
            run = CrawlRun(
                site_id=self._site_id(session, site, origin),
                command=command,
                arguments=dict(arguments),
                started_at=self.archive.clock(),
                status=RUNNING,
                counts={},
            )
            session.add(run)
            session.flush()
            return run.id

    def finish_run(
        self, run_id: int, status: str, counts: Mapping[str, Any], exit_code: int
    ) -> None:
        """Close a run with its final status, counts and exit code (a run row is set once, here)."""
        with self.archive.transaction() as session:
            run = session.get_one(CrawlRun, run_id)
            run.finished_at = self.archive.clock()
            run.status = status
            run.counts = dict(counts)
            run.exit_code = exit_code

    def record(self, observation: Observation, run_id: int | None = None) -> Recorded:
        """Record one fetch: payload, page state, capture and, if the content changed, a version."""
        with self.archive.transaction() as session:
            site_id = self._site_id(session, observation.site, observation.site_origin)
            payload_sha256 = self._put_blob(session, observation.payload)
            page = self._page(session, site_id, observation)
            latest = _latest_version(session, page.id)
            outcome, version, changed = self._version_for(session, page, latest, observation)
            session.add(_capture(observation, page, run_id, payload_sha256, outcome, version))
            _update_page(page, observation, outcome)
        return Recorded(
            url=observation.url,
            outcome=outcome,
            version=version.number if version else None,
            changed_fields=tuple(changed),
        )

    def _site_id(self, session: Session, name: str, origin: str) -> int:
        if name not in self._site_ids:
            site = session.scalar(select(Site).where(Site.name == name))
            if site is None:
                site = Site(name=name, origin=origin, created_at=self.archive.clock())
                session.add(site)
                session.flush()
            self._site_ids[name] = site.id
        return self._site_ids[name]

    def _put_blob(self, session: Session, payload: bytes | None) -> str | None:
        if payload is None:
            return None
        sha256 = blobs.sha256_hex(payload)
        compression, data = blobs.compress(payload)
        values = {
            "sha256": sha256,
            "size": len(payload),
            "compression": compression,
            "data": data,
            "created_at": self.archive.clock(),
        }
        _insert_blob(session, values)
        return sha256

    def _page(self, session: Session, site_id: int, observation: Observation) -> Page:
        page = session.scalar(select(Page).where(Page.url == observation.url))
        if page is None:
            page = Page(
                site_id=site_id,
                url=observation.url,
                kind=observation.kind.value,
                doc_id=observation.doc_id,
                first_seen_at=observation.fetched_at,
                last_captured_at=observation.fetched_at,
                last_outcome=observation.verdict.value,
            )
            session.add(page)
            session.flush()
        return page

    def _version_for(
        self, session: Session, page: Page, latest: Version | None, observation: Observation
    ) -> tuple[Outcome, Version | None, list[str]]:
        """The capture's outcome, the version it points at, and the fields that changed."""
        if observation.verdict is not Verdict.CONTENT:
            confirmed = latest if observation.verdict is Verdict.NOT_MODIFIED else None
            return Outcome(observation.verdict.value), confirmed, []
        assert observation.extracted is not None
        fields = observation.extracted.record.fields()
        digest = content_sha256(fields)
        if latest is not None and latest.content_sha256 == digest:
            return Outcome.UNCHANGED, latest, []
        changed = changed_fields(_version_fields(latest), fields) if latest else []
        version = _new_version(page, latest, observation.extracted, fields, digest, observation)
        session.add(version)
        session.flush()
        session.add_all(VersionChange(version_id=version.id, field=name) for name in changed)
        return (Outcome.CHANGED if latest else Outcome.NEW), version, changed


def _insert_blob(session: Session, values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: identical bytes are stored once, and never overwritten."""
    dialect = session.get_bind().dialect.name
    if dialect in _UPSERT_DIALECTS:
        session.execute(_UPSERT_DIALECTS[dialect](Blob).values(values).on_conflict_do_nothing())
    elif session.get(Blob, values["sha256"]) is None:
        session.add(Blob(**values))


_UPSERT_DIALECTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _latest_version(session: Session, page_id: int) -> Version | None:
    query = select(Version).where(Version.page_id == page_id).order_by(Version.number.desc())
    return session.scalars(query.limit(1)).first()


def _version_fields(version: Version) -> dict[str, Any]:
    return {
        "title": version.title,
        "published_at": version.published_at,
        "source": version.source,
        "column": version.column,
        "body": version.body,
        "body_html": version.body_html,
        "images": version.images,
        "attachments": version.attachments,
        "doc_id": version.doc_id,
    }


def _new_version(
    page: Page,
    parent: Version | None,
    extracted: Extracted,
    fields: dict[str, Any],
    digest: str,
    observation: Observation,
) -> Version:
    return Version(
        page_id=page.id,
        number=parent.number + 1 if parent else 1,
        parent_id=parent.id if parent else None,
        created_at=observation.fetched_at,
        content_sha256=digest,
        parser_version=extracted.parser_version,
        provenance=dict(extracted.provenance),
        **fields,
    )


def _capture(
    observation: Observation,
    page: Page,
    run_id: int | None,
    payload_sha256: str | None,
    outcome: Outcome,
    version: Version | None,
) -> Capture:
    return Capture(
        page_id=page.id,
        run_id=run_id,
        captured_at=observation.fetched_at,
        requested_url=observation.requested_url,
        final_url=observation.final_url,
        status=observation.status,
        headers=[list(pair) for pair in observation.headers],
        etag=observation.header("ETag"),
        last_modified=observation.header("Last-Modified"),
        payload_sha256=payload_sha256,
        payload_size=len(observation.payload) if observation.payload is not None else None,
        outcome=outcome.value,
        version_id=version.id if version else None,
        error=observation.error,
    )


def _update_page(page: Page, observation: Observation, outcome: Outcome) -> None:
    """The page row is current state, derived from captures; it is the one row updated in place."""
    page.last_captured_at = max(page.last_captured_at, observation.fetched_at)
    page.last_status = observation.status
    page.last_outcome = outcome.value
    if observation.doc_id and not page.doc_id:
        page.doc_id = observation.doc_id
