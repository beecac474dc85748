"""What each page shows, read from the archive once and given both to its template and, as
JSON, to the API: one function per page, each returning a view with `to_json()`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from archive.browse import (
    ColumnRow,
    Memento,
    column,
    last_activity,
    mementos,
    page_ids,
    page_url,
    site_names,
)
from archive.copies import CopySummary, copies
from archive.database import Archive
from archive.diff import VersionDiff, diff_records
from archive.errors import NotArchived
from archive.overview import Overview, overview
from archive.query import (
    ChangeEvent,
    PageHistory,
    VersionRecord,
    VersionSummary,
    change_report,
    page_history,
    version_record,
)
from archive.records import RECORD_FIELDS
from archive.runs import RunSummary, runs
from archive.search import Results, Where, search
from newsarchive.web.memento import timestamp
from newsarchive.web.timeline import Timeline, timeline

PAGE_SIZE = 50


@dataclass(frozen=True)
class Home:
    overview: Overview
    changes: ChangesView

    def to_json(self) -> dict[str, Any]:
        return {**self.overview.to_json(), "latest_changes": self.changes.to_json()}


def home(archive: Archive, limit: int = 20) -> Home:
    """The sites, their counts and last crawls, and the changes of the week up to the last
    capture (newest first)."""
    end = (last_activity(archive) or datetime.now(UTC)) + timedelta(seconds=1)
    week = ChangeFilters(end - timedelta(days=7), end)
    return Home(overview(archive), changes_view(archive, week, limit))


@dataclass(frozen=True)
class ColumnFilters:
    published_from: datetime | None = None
    published_to: datetime | None = None
    state: str | None = None
    changed: bool = False
    page: int = 1


@dataclass(frozen=True)
class ColumnView:
    site: str
    filters: ColumnFilters
    total: int
    rows: list[ColumnRow]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "total": self.total,
            "page": self.filters.page,
            "pages": self.pages,
            "page_size": PAGE_SIZE,
            "articles": [row.to_json() for row in self.rows],
        }


def column_view(archive: Archive, site: str, filters: ColumnFilters) -> ColumnView:
    """One page of the site's column; NotArchived if the archive holds nothing of the site."""
    total, rows = column(
        archive,
        site,
        published_from=filters.published_from,
        published_to=filters.published_to,
        state=filters.state,
        changed=filters.changed,
        offset=(filters.page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    if total == 0 and filters == ColumnFilters() and site not in site_names(archive):
        raise NotArchived(f"The archive holds no site named {site}.")
    return ColumnView(site, filters, total, rows)


@dataclass(frozen=True)
class ArticleView:
    page_id: int
    history: PageHistory
    current: VersionRecord
    copies: list[CopySummary]
    timeline: Timeline

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.page_id,
            "record": self.current.to_json(),
            "history": self.history.to_json(),
            "copies": [copy.to_json() for copy in self.copies],
        }


def article(archive: Archive, pid: int) -> ArticleView:
    url = page_url(archive, pid)
    history = page_history(archive, url)
    return ArticleView(
        pid,
        history,
        version_record(archive, url),
        copies(archive, url),
        timeline(history),
    )


@dataclass(frozen=True)
class VersionView:
    page_id: int
    history: PageHistory
    record: VersionRecord
    summary: VersionSummary
    captures: list[Memento]

    @property
    def latest(self) -> int:
        return self.history.versions[-1].number

    @property
    def original(self) -> Memento | None:
        """The capture whose bytes made this version (its first)."""
        return self.captures[0] if self.captures else None

    def replay_path(self, memento: Memento) -> str:
        return f"/web/{timestamp(memento.captured_at)}/{self.history.url}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.page_id,
            **self.record.to_json(),
            "latest_version": self.latest,
            "classes": list(self.summary.classes),
            "captures": [
                {
                    "captured_at": m.captured_at.isoformat(),
                    "status": m.status,
                    "payload_sha256": m.payload_sha256,
                    "replay": self.replay_path(m),
                }
                for m in self.captures
            ],
        }


def version_view(archive: Archive, pid: int, number: int) -> VersionView:
    url = page_url(archive, pid)
    history = page_history(archive, url)
    summary = next((v for v in history.versions if v.number == number), None)
    if summary is None:
        raise NotArchived(f"Article {pid} has no version {number}.")
    held = [m for m in mementos(archive, history.url) if m.version == number]
    return VersionView(pid, history, version_record(archive, url, number=number), summary, held)


def version_at(archive: Archive, pid: int, moment: datetime) -> int:
    """The number of the version current at `moment`."""
    return version_record(archive, page_url(archive, pid), at=moment).version


@dataclass(frozen=True)
class DiffView:
    page_id: int
    history: PageHistory
    old: VersionRecord
    new: VersionRecord
    diff: VersionDiff

    @property
    def unchanged(self) -> list[str]:
        changed = {f.field for f in self.diff.fields}
        return [name for name in RECORD_FIELDS if name not in changed]

    @property
    def previous(self) -> tuple[int, int] | None:
        """The change before this one (the versions either side of it)."""
        return (self.old.version - 1, self.old.version) if self.old.version > 1 else None

    @property
    def next(self) -> tuple[int, int] | None:
        latest = self.history.versions[-1].number
        return (self.new.version, self.new.version + 1) if self.new.version < latest else None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.page_id, **self.diff.to_json(), "unchanged_fields": self.unchanged}


def diff_view(archive: Archive, pid: int, old: int | None, new: int | None) -> DiffView:
    """Versions `old` and `new` compared (by default the latest and the one before it)."""
    url = page_url(archive, pid)
    history = page_history(archive, url)
    latest = history.versions[-1].number
    new = latest if new is None else new
    old = new - 1 if old is None else old
    if old < 1 and new == 1:
        raise NotArchived(f"Article {pid} has one version only: there is nothing to compare.")
    numbers = {v.number for v in history.versions}
    for number in (old, new):
        if number not in numbers:
            raise NotArchived(f"Article {pid} has no version {number}.")
    older = version_record(archive, url, number=old)
    newer = version_record(archive, url, number=new)
    return DiffView(pid, history, older, newer, diff_records(older, newer))


@dataclass(frozen=True)
class ChangeFilters:
    since: datetime
    until: datetime
    kinds: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    site: str | None = None
    no_cosmetic: bool = False


@dataclass(frozen=True)
class ChangesView:
    filters: ChangeFilters
    events: list[ChangeEvent]
    page_ids: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.filters.since.isoformat(),
            "until": self.filters.until.isoformat(),
            "events": [{"id": self.page_ids.get(e.url), **e.to_json()} for e in self.events],
        }


def changes_view(archive: Archive, filters: ChangeFilters, limit: int | None = None) -> ChangesView:
    """The change report, newest first (the CLI's, with its filters)."""
    found = change_report(
        archive,
        since=filters.since,
        until=filters.until,
        kinds=filters.kinds,
        classes=filters.classes,
        site=filters.site,
    )
    if filters.no_cosmetic:
        found = [e for e in found if tuple(e.classes) != ("cosmetic",)]
    found.reverse()
    if limit is not None:
        found = found[:limit]
    return ChangesView(filters, found, page_ids(archive, (e.url for e in found)))


@dataclass(frozen=True)
class SearchView:
    results: Results | None
    where: str
    site: str | None
    page: int

    def to_json(self) -> dict[str, Any]:
        if self.results is None:
            return {"query": "", "in": self.where, "total": 0, "results": []}
        shaped = self.results.to_json()
        for hit, shape in zip(self.results.hits, shaped["results"], strict=True):
            shape["id"] = hit.page_id
        return {**shaped, "page": self.page, "page_size": PAGE_SIZE}


def search_view(
    archive: Archive,
    query: str | None,
    where: Where,
    site: str | None,
    published: tuple[datetime | None, datetime | None],
    page: int,
) -> SearchView:
    if query is None or not query.strip():
        return SearchView(None, where, site, page)
    found = search(
        archive,
        query,
        where=where,
        site=site,
        published_from=published[0],
        published_to=published[1],
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return SearchView(found, where, site, page)


@dataclass(frozen=True)
class RunsView:
    runs: list[RunSummary]

    def to_json(self) -> dict[str, Any]:
        return {"runs": [run.to_json() for run in self.runs]}


def runs_view(archive: Archive, site: str | None, limit: int) -> RunsView:
    return RunsView(runs(archive, limit=limit, site=site))
