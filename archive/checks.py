"""What the revisit planner learns from: each tracked article's content checks, and a day's load."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select, update

from archive.database import Archive
from archive.models import Capture, Page, Site, Version
from archive.query import (
    UNTRACKED,
    TrackedPage,
    chunked,
    tracked_articles,
)
from archive.records import Outcome, PageKind

# Captures that compared the page's content with its latest version: each one is a check that
# saw the page changed or not (a 404, an error or a refusal saw nothing of its content).
COMPARED = (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED, Outcome.NOT_MODIFIED)
SEEN = frozenset(outcome.value for outcome in COMPARED)


@dataclass(frozen=True)
class ArticleHistory:
    """A tracked article as the planner sees it: the page, its latest version's column and
    title, and its content checks in the window read, oldest first: (when, found it changed)."""

    page: TrackedPage
    column: str = ""
    title: str = ""
    checks: tuple[tuple[datetime, bool], ...] = ()

    @property
    def born(self) -> datetime:
        """Publication, or first sight for a page that never said when it was published."""
        return self.page.published_at or self.page.first_seen_at


def article_histories(
    archive: Archive, site: str, since: datetime, page_ids: Collection[int] | None = None
) -> list[ArticleHistory]:
    """Every tracked article of `site` (those of `page_ids` only, if given), with its content
    checks captured at or after `since`."""
    pages = tracked_articles(archive, site, page_ids)
    ids = None if page_ids is None else [page.page_id for page in pages]
    checks = _checks(archive, site, since, ids)
    latest = _latest_versions(archive, site, ids)
    return [
        ArticleHistory(page, *latest.get(page.page_id, ("", "")), tuple(checks[page.page_id]))
        for page in pages
    ]


def sample_articles(archive: Archive, site: str, size: int, born_after: datetime) -> list[int]:
    """The site's tracked articles published (or first seen) after `born_after`, and about
    `size` of the others spread over its history: every k-th by id (all of them when there are
    no more than `size`). The same pages while the archive stands and they age."""
    count = tracked_article_count(archive, site)
    step = max(1, math.ceil(count / max(1, size)))
    in_site = select(Site.id).where(Site.name == site).scalar_subquery()
    born = func.coalesce(Page.published_at, Page.first_seen_at)
    query = select(Page.id).where(
        Page.site_id == in_site, Page.kind == PageKind.ARTICLE.value, Page.state != UNTRACKED
    )
    if step > 1:
        query = query.where((Page.id % step == 0) | (born > born_after))
    with archive.engine.connect() as connection:
        return list(connection.scalars(query))


def articles_to_schedule(
    archive: Archive,
    site: str,
    *,
    captured_since: datetime,
    born_after: datetime,
    due_by: datetime,
    slice_of: tuple[int, int],
) -> list[int]:
    """The site's tracked articles whose next check is to be worked out again: those captured at
    or after `captured_since`, never scheduled, published (or first seen) after `born_after`,
    due by `due_by`, or in the slice (k, n): those whose id is k modulo n. Read through
    ix_page_last_captured, ix_page_next_check and (the young, the slice)
    ix_page_revisit_schedule."""
    part, parts = slice_of
    in_site = select(Site.id).where(Site.name == site).scalar_subquery()
    ours = (Page.site_id == in_site, Page.kind == PageKind.ARTICLE.value)
    born = func.coalesce(Page.published_at, Page.first_seen_at)
    wanted = (
        Page.last_captured_at >= captured_since,
        Page.next_check_at.is_(None),
        Page.next_check_at <= due_by,
        born > born_after,
        Page.id % parts == part,
    )
    with archive.engine.connect() as connection:
        found = {
            page_id
            for test in wanted
            for page_id, state in connection.execute(select(Page.id, Page.state).where(*ours, test))
            if state != UNTRACKED
        }
    return sorted(found)


def set_next_checks(archive: Archive, next_checks: Mapping[int, datetime]) -> None:
    """Each page's next check, in one transaction (planner state: no capture is touched)."""
    if not next_checks:
        return
    statement = (
        update(Page).where(Page.id == bindparam("page")).values(next_check_at=bindparam("at"))
    )
    rows = [{"page": page_id, "at": at} for page_id, at in next_checks.items()]
    with archive.engine.begin() as connection:
        connection.execute(statement, rows)


def scheduled_articles(
    archive: Archive,
    site: str,
    *,
    captured_after: datetime,
    rested_by: datetime,
    young_after: datetime,
    limit: int,
) -> list[BacklogPage]:
    """Up to `limit` of the site's tracked articles last captured after `captured_after` (not
    past the floor), in the order the budget planner takes them: those never scheduled (by id),
    then as their next checks fall, ties youngest first, then by id. An
    article last captured after `rested_by` is passed over unless published (or first seen)
    after `young_after`. Read through ix_page_next_check in its order, so only the rows
    returned (and those passed over) are read."""
    in_site = select(Site.id).where(Site.name == site).scalar_subquery()
    born = func.coalesce(Page.published_at, Page.first_seen_at)
    ready = (Page.last_captured_at <= rested_by) | (born > young_after)
    # In a CASE, so the time test is not taken for a range of ix_page_last_captured (SQLite
    # keeps no statistics: it would sort every article the range holds).
    not_past_floor = case((Page.last_captured_at > captured_after, 1), else_=0) == 1
    wanted = select(*_BACKLOG_COLUMNS).where(
        Page.site_id == in_site,
        Page.kind == PageKind.ARTICLE.value,
        Page.state != UNTRACKED,
        not_past_floor,
        ready,
    )
    queries = (
        wanted.where(Page.next_check_at.is_(None)).order_by(Page.id),
        wanted.where(Page.next_check_at.is_not(None)).order_by(
            Page.next_check_at, born.desc(), Page.id
        ),
    )
    found: list[BacklogPage] = []
    with archive.engine.connect() as connection:
        for query in queries:
            if len(found) >= limit:
                break
            rows = connection.execute(query.limit(limit - len(found)))
            found += [BacklogPage(*row) for row in rows]
    return found


@dataclass(frozen=True)
class SiteLoad:
    """What a crawl of the site costs besides re-checks: its list pages (one request each when
    walked) and the articles it published in the last week (one request each when new)."""

    list_pages: int
    published_last_week: int


def site_load(archive: Archive, site: str, now: datetime) -> SiteLoad:
    """The site's list pages on record and its articles published in the week before `now`."""
    week_ago = now - timedelta(days=7)
    in_site = (Site.id == Page.site_id) & (Site.name == site)
    lists = select(func.count(Page.id)).join(Site, in_site).where(Page.kind == PageKind.LIST.value)
    published = (
        select(func.count(Page.id))
        .join(Site, in_site)
        .where(Page.kind == PageKind.ARTICLE.value, Page.published_at > week_ago)
    )
    with archive.reading() as session:
        return SiteLoad(session.scalar(lists) or 0, session.scalar(published) or 0)


def listed_articles(
    archive: Archive, site: str, urls: Sequence[str]
) -> dict[str, tuple[str, TrackedPage]]:
    """The tracked articles of `site` at these URLs (as they are now), with their latest
    version's title: what a list page's titles are compared with."""
    latest = (
        select(Version.page_id, func.max(Version.number).label("number"))
        .join(Page, Page.id == Version.page_id)
        .join(Site, Site.id == Page.site_id)
        .where(Site.name == site, Page.current_url.in_(urls), Page.state != UNTRACKED)
        .group_by(Version.page_id)
        .subquery()
    )
    query = (
        select(Page, Version.title)
        .join(Version, Version.page_id == Page.id)
        .join(latest, (latest.c.page_id == Version.page_id) & (latest.c.number == Version.number))
        .where(Page.kind == PageKind.ARTICLE.value)
    )
    with archive.reading() as session:
        return {page.current_url: (title, _tracked(page)) for page, title in session.execute(query)}


def tracked_article_count(archive: Archive, site: str) -> int:
    """How many articles of `site` are tracked (what the budget planner's floor is derived from)."""
    with archive.engine.connect() as connection:
        return _count_tracked(connection, site, None)


@dataclass(frozen=True)
class BacklogPage:
    """An article past the floor: where to ask, its validators, and its last capture."""

    page_id: int
    url: str
    etag: str | None
    last_modified: str | None
    last_captured_at: datetime


_BACKLOG_COLUMNS = (Page.id, Page.current_url, Page.etag, Page.last_modified, Page.last_captured_at)


def floor_backlog(
    archive: Archive, site: str, *, overdue_before: datetime, due_by: datetime, limit: int
) -> tuple[list[BacklogPage], int]:
    """The site's tracked articles last captured at or before `due_by`, and how many there are:
    at most `limit` of them, those last captured before `overdue_before` first (oldest capture
    first, then by id), then the others by id. Read through ix_page_last_captured in its order,
    so only the pages returned are read (and the count walks the index alone)."""
    in_site = select(Site.id).where(Site.name == site).scalar_subquery()
    tracked = select(*_BACKLOG_COLUMNS).where(
        Page.site_id == in_site, Page.kind == PageKind.ARTICLE.value, Page.state != UNTRACKED
    )
    overdue = (
        tracked.where(Page.last_captured_at < overdue_before)
        .order_by(Page.last_captured_at, Page.id)
        .limit(max(0, limit))
    )
    with archive.engine.connect() as connection:
        count = _count_tracked(connection, site, due_by)
        found = [BacklogPage(*row) for row in connection.execute(overdue)]
        if len(found) < limit:
            on_time = (
                tracked.where(
                    Page.last_captured_at >= overdue_before, Page.last_captured_at <= due_by
                )
                .order_by(Page.id)
                .limit(limit - len(found))
            )
            found += [BacklogPage(*row) for row in connection.execute(on_time)]
    return found, count


def _count_tracked(connection: Connection, site: str, captured_by: datetime | None) -> int:
    """The site's articles (last captured at or before `captured_by`), less those untracked:
    two counts that each read one index alone (ix_page_last_captured, then the untracked few
    in ix_page_revisit_schedule), where `state != 'untracked'` in one would read every row.
    The untracked are counted by a CASE so the time test is not taken for an index range."""
    in_site = select(Site.id).where(Site.name == site).scalar_subquery()
    ours = (Page.site_id == in_site, Page.kind == PageKind.ARTICLE.value)
    articles = select(func.count()).where(*ours)
    untracked = select(func.count()).where(*ours, Page.state == UNTRACKED)
    if captured_by is not None:
        articles = articles.where(Page.last_captured_at <= captured_by)
        by_then = case((Page.last_captured_at <= captured_by, 1), else_=0)
        untracked = select(func.coalesce(func.sum(by_then), 0)).where(
            *ours, Page.state == UNTRACKED
        )
    return int(connection.scalar(articles) or 0) - int(connection.scalar(untracked) or 0)


def _tracked(page: Page) -> TrackedPage:
    return TrackedPage(
        page_id=page.id,
        url=page.current_url,
        etag=page.etag,
        last_modified=page.last_modified,
        first_seen_at=page.first_seen_at,
        published_at=page.published_at,
        last_changed_at=page.last_changed_at,
        last_captured_at=page.last_captured_at,
        rejected=page.last_outcome == Outcome.REJECTED.value,
    )


def _checks(
    archive: Archive, site: str, since: datetime, page_ids: Sequence[int] | None
) -> dict[int, list[tuple[datetime, bool]]]:
    query = (
        select(Capture.page_id, Capture.captured_at, Capture.outcome)
        .join(Page, Page.id == Capture.page_id)
        .join(Site, Site.id == Page.site_id)
        .where(Site.name == site, Page.kind == PageKind.ARTICLE.value, Page.state != UNTRACKED)
        .where(Capture.captured_at >= since, Capture.outcome.in_(SEEN))
        .order_by(Capture.page_id, Capture.captured_at, Capture.id)
    )
    found: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    with archive.reading() as session:
        for chunk in _among(query, Capture.page_id, page_ids):
            for page_id, at, outcome in session.execute(chunk):
                found[page_id].append((at, outcome == Outcome.CHANGED.value))
    return found


def _latest_versions(
    archive: Archive, site: str, page_ids: Sequence[int] | None
) -> dict[int, tuple[str, str]]:
    """Each article's latest version's column and title."""
    latest = (
        select(Version.page_id, func.max(Version.number).label("number"))
        .join(Page, Page.id == Version.page_id)
        .join(Site, Site.id == Page.site_id)
        .where(Site.name == site, Page.kind == PageKind.ARTICLE.value)
        .group_by(Version.page_id)
    )
    found: dict[int, tuple[str, str]] = {}
    with archive.reading() as session:
        for chosen in _among(latest, Version.page_id, page_ids):
            numbers = chosen.subquery()
            query = select(Version.page_id, Version.column, Version.title).join(
                numbers,
                (numbers.c.page_id == Version.page_id) & (numbers.c.number == Version.number),
            )
            found.update(
                (page_id, (column, title)) for page_id, column, title in session.execute(query)
            )
    return found


def _among(query: Any, column: Any, page_ids: Sequence[int] | None) -> Iterator[Any]:
    """The query, or, for these pages only, the query once per chunk of them."""
    if page_ids is None:
        yield query
        return
    for chunk in chunked(page_ids):
        yield query.where(column.in_(chunk))
