"""The application's pages, one route each, every one with a JSON twin under /api/v1 (api.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from archive.browse import page_id, page_ids, site_names
from archive.changes import CLASSES
from archive.diff import VersionDiff
from archive.query import EVENT_KINDS, ChangeEvent
from archive.search import WHERE
from crawler.sites.resolve import archive_key
from crawler.sites.urls import UrlError
from newsarchive.web import feeds, views
from newsarchive.web.params import (
    MAX_PAGE,
    ArchiveDep,
    BadRequest,
    article_id,
    change_filters,
    column_filters,
    moment,
    version_number,
    where,
)
from newsarchive.web.replay_origin import replay_origin
from newsarchive.web.templating import render

router = APIRouter(include_in_schema=False)
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/")
def home(request: Request, archive: ArchiveDep) -> Response:
    return render(request, "home.html", view=views.home(archive))


@router.get("/sites/{site}")
def site_column(
    request: Request,
    site: str,
    archive: ArchiveDep,
    filters: Annotated[views.ColumnFilters, Depends(column_filters)],
) -> Response:
    view = views.column_view(archive, site, filters)
    return render(request, "column.html", view=view)


@router.get("/articles/{pid}")
def article(request: Request, pid: str, archive: ArchiveDep, at: str | None = None) -> Response:
    number = article_id(pid)
    when = moment(at, "at", end_of_day=True)
    if when is not None:
        found = views.version_at(archive, number, when)
        return RedirectResponse(f"/articles/{number}/versions/{found}", status_code=302)
    return render(request, "article.html", view=views.article(archive, number))


@router.get("/articles/{pid}/versions/{n}")
def version(
    request: Request, pid: str, n: str, archive: ArchiveDep, q: str | None = None
) -> Response:
    view = views.version_view(archive, article_id(pid), version_number(n))
    return render(request, "version.html", view=view, replay=replay_origin(request), q=q)


@router.get("/articles/{pid}/diff")
def diff(
    request: Request,
    pid: str,
    archive: ArchiveDep,
    old: Annotated[str | None, Query(alias="from")] = None,
    new: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    view = views.diff_view(archive, article_id(pid), _number(old), _number(new))
    return render(request, "diff.html", view=view)


def _number(text: str | None) -> int | None:
    return None if text is None or text == "" else version_number(text)


@router.get("/changes")
def changes(
    request: Request,
    archive: ArchiveDep,
    filters: Annotated[views.ChangeFilters, Depends(change_filters)],
) -> Response:
    view = views.changes_view(archive, filters)
    return render(
        request,
        "changes.html",
        view=view,
        kinds=EVENT_KINDS,
        classes=CLASSES,
        sites=site_names(archive),
    )


@router.get("/search")
def search(
    request: Request,
    archive: ArchiveDep,
    q: str | None = None,
    within: Annotated[str, Query(alias="in")] = "any",
    site: str | None = None,
    published_from: Annotated[str | None, Query(alias="from")] = None,
    published_to: Annotated[str | None, Query(alias="to")] = None,
    page: Page = 1,
) -> Response:
    published = (
        moment(published_from, "from", end_of_day=False),
        moment(published_to, "to", end_of_day=True),
    )
    view = views.search_view(archive, q, where(within), site or None, published, page)
    return render(request, "search.html", view=view, q=q or "", wheres=WHERE)


@router.get("/runs")
def runs(
    request: Request,
    archive: ArchiveDep,
    site: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    return render(request, "runs.html", view=views.runs_view(archive, site or None, limit))


@router.get("/lookup")
def lookup(archive: ArchiveDep, url: str) -> Response:
    """The article archived at (or moved from) a URL of the site."""
    return RedirectResponse(f"/articles/{lookup_id(archive, url)}", status_code=302)


def lookup_id(archive: ArchiveDep, url: str) -> int:
    try:
        return page_id(archive, archive_key(url))
    except UrlError as exc:
        raise BadRequest(f"url={url[:200]!r} is not a web address: {exc}") from None


@router.get("/changes.atom")
def changes_feed(
    request: Request,
    archive: ArchiveDep,
    filters: Annotated[views.ChangeFilters, Depends(change_filters)],
) -> Response:
    return _feed(request, archive, filters, "newsarchive: changes", "/changes")


@router.get("/sites/{name}/changes.atom")
def site_feed(
    request: Request,
    name: str,
    archive: ArchiveDep,
    filters: Annotated[views.ChangeFilters, Depends(change_filters)],
) -> Response:
    narrowed = dataclasses.replace(filters, site=name)
    return _feed(request, archive, narrowed, f"newsarchive: {name}", f"/sites/{name}")


@router.get("/articles/{pid}/changes.atom")
def article_feed(request: Request, pid: str, archive: ArchiveDep) -> Response:
    number = article_id(pid)
    history = views.article(archive, number).history
    since = history.first_seen_at - timedelta(seconds=1)
    filters = views.ChangeFilters(
        since, datetime.now(UTC) + timedelta(seconds=1), site=history.site
    )
    events = [e for e in views.changes_view(archive, filters).events if e.url in history.urls]
    title = f"newsarchive: {history.versions[-1].title}"
    return _feed_of(request, archive, events, title, f"/articles/{number}")


def _feed(
    request: Request, archive: ArchiveDep, filters: views.ChangeFilters, title: str, page: str
) -> Response:
    events = views.changes_view(archive, filters, limit=FEED_ENTRIES).events
    return _feed_of(request, archive, events, title, page)


FEED_ENTRIES = 200


def _feed_of(
    request: Request, archive: ArchiveDep, events: list[ChangeEvent], title: str, page: str
) -> Response:
    base = str(request.base_url).rstrip("/")
    ids = page_ids(archive, (e.url for e in events))

    def link(event: ChangeEvent) -> str:
        if event.version is not None:
            return f"{base}/articles/{ids[event.url]}/versions/{event.version}"
        return f"{base}/articles/{ids[event.url]}"

    def diff(event: ChangeEvent) -> VersionDiff | None:
        if event.kind not in ("changed", "reparsed") or event.version is None:
            return None
        return views.diff_view(archive, ids[event.url], event.version - 1, event.version).diff

    body = feeds.atom(
        title=title,
        feed_url=str(request.url),
        page_url=base + page,
        events=events[:FEED_ENTRIES],
        link=link,
        diff=diff,
        updated=datetime.now(UTC),
    )
    return Response(body, media_type=feeds.MEDIA_TYPE)
