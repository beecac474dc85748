"""Query and path parameters as the pages and the API share them, each checked with one
sentence for a bad value (answered 400; an id that names nothing, 404)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request

from archive.browse import STATES, last_activity
from archive.changes import CLASSES
from archive.database import Archive
from archive.errors import NotArchived
from archive.query import EVENT_KINDS
from archive.search import WHERE, Where
from newsarchive.web.views import ChangeFilters, ColumnFilters

MAX_PAGE = 100_000
_MAX_ID_DIGITS = 18  # an id SQLite's 64-bit integers hold


class BadRequest(Exception):
    """A parameter the application cannot use; the message says why in one sentence."""


def archive(request: Request) -> Archive:
    return request.app.state.archive  # type: ignore[no-any-return]


ArchiveDep = Annotated[Archive, Depends(archive)]


def article_id(text: str) -> int:
    """An article id from a path; NotArchived for anything that cannot be one."""
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_ID_DIGITS:
        raise NotArchived(f"There is no article {text[:80]!r}: an article's id is a number.")
    return int(text)


def version_number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_ID_DIGITS:
        raise NotArchived(f"There is no version {text[:80]!r}: a version is a number.")
    return int(text)


def moment(text: str | None, name: str, *, end_of_day: bool) -> datetime | None:
    """An ISO 8601 date or time; a date alone is its day's start (or end); naive is UTC."""
    if text is None or not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(
            f"{name}={text[:80]!r} is not an ISO 8601 date or time, e.g. 2025-12-02 "
            "or 2025-12-02T08:00+08:00."
        ) from None
    if len(text.strip()) == 10:
        parsed = datetime.combine(parsed.date(), time.max if end_of_day else time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def column_filters(
    published_from: Annotated[
        str | None, Query(alias="from", description="Published on or after (ISO 8601 date).")
    ] = None,
    published_to: Annotated[
        str | None, Query(alias="to", description="Published on or before (ISO 8601 date).")
    ] = None,
    state: Annotated[str | None, Query(description=f"One of {', '.join(STATES)}.")] = None,
    changed: Annotated[
        bool, Query(description="Only articles with more than one version.")
    ] = False,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> ColumnFilters:
    if state is not None and state not in STATES:
        raise BadRequest(f"state={state[:40]!r} is not one of {', '.join(STATES)}.")
    start = moment(published_from, "from", end_of_day=False)
    end = moment(published_to, "to", end_of_day=True)
    return ColumnFilters(start, end, state or None, changed, page)


def change_filters(
    archive: ArchiveDep,
    since: Annotated[
        str | None,
        Query(description="From this time (ISO 8601; default: 7 days before the last capture)."),
    ] = None,
    until: Annotated[
        str | None, Query(description="Up to this time (default: the last capture).")
    ] = None,
    kind: Annotated[
        list[str], Query(description=f"Only these kinds: {', '.join(EVENT_KINDS)}.")
    ] = [],  # noqa: B006
    change_class: Annotated[
        list[str], Query(alias="class", description=f"Only these classes: {', '.join(CLASSES)}.")
    ] = [],  # noqa: B006
    site: Annotated[str | None, Query(description="Only this site's articles.")] = None,
    no_cosmetic: Annotated[
        bool, Query(description="Leave out changes that are only cosmetic.")
    ] = False,
) -> ChangeFilters:
    for value, allowed, name in ((kind, EVENT_KINDS, "kind"), (change_class, CLASSES, "class")):
        wrong = [v for v in value if v not in allowed]
        if wrong:
            raise BadRequest(f"{name}={wrong[0][:40]!r} is not one of {', '.join(allowed)}.")
    # By default the week up to the archive's last capture: an archive read long after its last
    # crawl (an evidence copy) still shows its latest changes.
    last = (last_activity(archive) or datetime.now(UTC)) + timedelta(seconds=1)
    end = moment(until, "until", end_of_day=True) or last
    start = moment(since, "since", end_of_day=False) or min(end, last) - timedelta(days=7)
    if start >= end:
        raise BadRequest(f"since ({start.isoformat()}) is not before until ({end.isoformat()}).")
    return ChangeFilters(start, end, tuple(kind), tuple(change_class), site or None, no_cosmetic)


def where(value: str) -> Where:
    if value not in WHERE:
        raise BadRequest(f"in={value[:40]!r} is not one of {', '.join(WHERE)}.")
    return value  # type: ignore[return-value]
