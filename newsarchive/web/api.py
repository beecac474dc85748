"""The JSON API, /api/v1: each page's data, as the page shows it, for scripts (OpenAPI at
/api/v1/openapi.json). Times in UTC, ISO 8601."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from archive.search import WHERE
from newsarchive.web import views
from newsarchive.web.pages import Page, lookup_id
from newsarchive.web.params import (
    ArchiveDep,
    BadRequest,
    article_id,
    change_filters,
    column_filters,
    moment,
    version_number,
    where,
)

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX)
Json = dict[str, Any]


@router.get("/", summary="The sites, their counts and last crawls, the latest changes")
def home(archive: ArchiveDep) -> Json:
    return views.home(archive).to_json()


@router.get("/sites/{site}", summary="A site's articles, newest first, paged")
def site_column(
    site: str,
    archive: ArchiveDep,
    filters: Annotated[views.ColumnFilters, Depends(column_filters)],
) -> Json:
    return views.column_view(archive, site, filters).to_json()


@router.get(
    "/articles/{pid}",
    summary="An article: its current record, versions, captures, events, copies; "
    "with `at`, the version current at that time",
)
def article(pid: str, archive: ArchiveDep, at: str | None = None) -> Json:
    number = article_id(pid)
    when = moment(at, "at", end_of_day=True)
    if when is not None:
        return views.version_view(
            archive, number, views.version_at(archive, number, when)
        ).to_json()
    return views.article(archive, number).to_json()


@router.get(
    "/articles/{pid}/versions/{n}", summary="One version's record and the captures that hold it"
)
def version(pid: str, n: str, archive: ArchiveDep) -> Json:
    return views.version_view(archive, article_id(pid), version_number(n)).to_json()


@router.get(
    "/articles/{pid}/diff", summary="Two versions compared, field by field, character by character"
)
def diff(
    pid: str,
    archive: ArchiveDep,
    old: Annotated[
        str | None, Query(alias="from", description="Older version (default: the one before `to`).")
    ] = None,
    new: Annotated[
        str | None, Query(alias="to", description="Newer version (default: the latest).")
    ] = None,
) -> Json:
    older = None if not old else version_number(old)
    newer = None if not new else version_number(new)
    return views.diff_view(archive, article_id(pid), older, newer).to_json()


@router.get("/changes", summary="The change report: new, changed, gone, moved … in a window")
def changes(
    archive: ArchiveDep, filters: Annotated[views.ChangeFilters, Depends(change_filters)]
) -> Json:
    return views.changes_view(archive, filters).to_json()


@router.get("/search", summary="Articles whose versions hold a text, ranked, with snippets")
def search(
    archive: ArchiveDep,
    q: Annotated[str, Query(description="The text to find (any length, Chinese, Latin, digits).")],
    within: Annotated[str, Query(alias="in", description=f"One of {', '.join(WHERE)}.")] = "any",
    site: str | None = None,
    published_from: Annotated[str | None, Query(alias="from")] = None,
    published_to: Annotated[str | None, Query(alias="to")] = None,
    page: Page = 1,
) -> Json:
    if not q.strip():
        raise BadRequest("Give something to search for (q=).")
    published = (
        moment(published_from, "from", end_of_day=False),
        moment(published_to, "to", end_of_day=True),
    )
    return views.search_view(archive, q, where(within), site or None, published, page).to_json()


@router.get(
    "/runs", summary="The latest crawl and fetch runs, with their counts and errors by kind"
)
def runs(
    archive: ArchiveDep,
    site: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Json:
    return views.runs_view(archive, site or None, limit).to_json()


@router.get("/lookup", summary="The id of the article archived at (or moved from) a URL")
def lookup(archive: ArchiveDep, url: str) -> Json:
    found = lookup_id(archive, url)
    return {"id": found, "url": url, "article": f"{PREFIX}/articles/{found}"}
