"""Crawl runs: what a run was asked to do, the list-walk state it leaves, and the runs on record.

A run's arguments and counts are JSON columns; the keys the crawler writes and the archive reads
back are defined here, as types, and nowhere else.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from archive.database import Archive
from archive.models import CrawlRun, Site

RUNNING = "running"
FINISHED = "finished"
# Finished, but the profile's rules missed on too many pages (counts["drift"] says which):
# the run walked and recorded what it meant to, so it counts as finished wherever that matters.
DEGRADED = "degraded"
COMPLETED = (FINISHED, DEGRADED)
INTERRUPTED = "interrupted"
CRAWL = "crawl"


@dataclass(frozen=True)
class RunProcess:
    """The process that ran a run, so a run left "running" by a killed process can be told."""

    pid: int
    host: str

    @classmethod
    def current(cls) -> RunProcess:
        return cls(os.getpid(), socket.gethostname())

    @classmethod
    def from_json(cls, value: Any) -> RunProcess | None:
        try:
            return cls(int(value["pid"]), str(value["host"]))
        except (KeyError, TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "host": self.host}

    def is_alive(self) -> bool:
        """Whether the process still runs (assumed so when it ran on another host)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class RunArguments:
    """What a run was asked to do, as recorded with it."""

    command: str
    site: str
    process: RunProcess = field(default_factory=RunProcess.current)
    base_url: str | None = None
    full: bool = False
    url: str | None = None
    recheck: tuple[str, ...] = ()
    max_revisits: int | None = None
    list_walk: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "process": self.process.to_json(),
            "site": self.site,
            "base_url": self.base_url,
            "full": self.full,
            "url": self.url,
            "recheck": list(self.recheck),
            "max_revisits": self.max_revisits,
            "list_walk": self.list_walk,
        }


@dataclass(frozen=True)
class Cursor:
    """Where a column's rolling list walk stands: the next page, and when this round began."""

    next_page: int = 0
    round_started_at: datetime | None = None

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> Cursor:
        if not value:
            return cls()
        started = value.get("round_started_at")
        return cls(
            int(value.get("next_page", 0)), datetime.fromisoformat(started) if started else None
        )

    def to_json(self) -> dict[str, Any]:
        started = self.round_started_at
        return {
            "next_page": self.next_page,
            "round_started_at": started.isoformat() if started else None,
        }


@dataclass(frozen=True)
class ListWalkState:
    """What a crawl's walk over the list pages left for the next one: whether it read every
    list page, and the rolling cursor of each column. Kept in the run's counts."""

    complete: bool = False
    cursors: Mapping[str, Cursor] = field(default_factory=dict)

    @classmethod
    def from_counts(cls, counts: Mapping[str, Any]) -> ListWalkState:
        saved = counts.get("list_cursors") or {}
        return cls(
            bool(counts.get("list_walk_complete", False)),
            {path: Cursor.from_json(cursor) for path, cursor in saved.items()},
        )

    def to_counts(self) -> dict[str, Any]:
        return {
            "list_walk_complete": self.complete,
            "list_cursors": {path: c.to_json() for path, c in self.cursors.items()},
        }


@dataclass(frozen=True)
class PreviousCrawl:
    """The latest finished crawl of a site: when it started and the list-walk state it left."""

    started_at: datetime
    walk: ListWalkState


@dataclass(frozen=True)
class RunSummary:
    id: int
    site: str
    command: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, Any]
    exit_code: int | None
    arguments: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "site": self.site,
            "command": self.command,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "status": self.status,
            "arguments": self.arguments,
            "counts": self.counts,
            "exit_code": self.exit_code,
        }


def runs(archive: Archive, *, limit: int = 20, site: str | None = None) -> list[RunSummary]:
    """The most recent runs (of `site`), newest first; a run whose process is gone shows as
    interrupted."""
    query = (
        select(CrawlRun, Site.name)
        .join(Site, Site.id == CrawlRun.site_id)
        .order_by(CrawlRun.id.desc())
        .limit(limit)
    )
    if site is not None:
        query = query.where(Site.name == site)
    with archive.reading() as session:
        return [_run_summary(run, name) for run, name in session.execute(query)]


def drifted_runs(
    archive: Archive, since: datetime | None, until: datetime | None, site: str | None
) -> list[tuple[RunSummary, str]]:
    """The degraded runs that ended in [since, until) (of `site`), with their site's origin."""
    query = (
        select(CrawlRun, Site.name, Site.origin)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(CrawlRun.status == DEGRADED)
        .order_by(CrawlRun.id)
    )
    if site is not None:
        query = query.where(Site.name == site)
    if since is not None:
        query = query.where(CrawlRun.finished_at >= since)
    if until is not None:
        query = query.where(CrawlRun.finished_at < until)
    with archive.reading() as session:
        return [(_run_summary(run, name), origin) for run, name, origin in session.execute(query)]


def previous_crawl(archive: Archive, site: str) -> PreviousCrawl | None:
    """The latest finished crawl of `site`, if any."""
    found = _finished_crawls(archive, site, limit=1)
    return found[0] if found else None


def last_complete_walk(archive: Archive, site: str) -> datetime | None:
    """When the latest finished crawl of `site` that walked its whole list started, if any."""
    return next((c.started_at for c in _finished_crawls(archive, site) if c.walk.complete), None)


def last_crawl_cut_short(archive: Archive, site: str) -> bool:
    """Whether the latest crawl of `site` stopped before its end (killed, interrupted, blocked):
    the next one then walks every list page, to find what that one did not get to."""
    query = (
        select(CrawlRun.status)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(Site.name == site, CrawlRun.command == CRAWL)
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    with archive.reading() as session:
        status = session.scalar(query)
        return status is not None and status not in COMPLETED


def _finished_crawls(
    archive: Archive, site: str, limit: int | None = None
) -> Sequence[PreviousCrawl]:
    query = (
        select(CrawlRun.started_at, CrawlRun.counts)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(Site.name == site, CrawlRun.command == CRAWL, CrawlRun.status.in_(COMPLETED))
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    )
    with archive.reading() as session:
        return [
            PreviousCrawl(started, ListWalkState.from_counts(counts))
            for started, counts in session.execute(query)
        ]


def _run_summary(run: CrawlRun, site: str) -> RunSummary:
    status = run.status
    process = RunProcess.from_json(run.arguments.get("process"))
    if status == RUNNING and process is not None and not process.is_alive():
        status = INTERRUPTED  # killed before it could say so; the next crawl records it
    return RunSummary(
        id=run.id,
        site=site,
        command=run.command,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=status,
        counts=dict(run.counts),
        exit_code=run.exit_code,
        arguments=dict(run.arguments),
    )
