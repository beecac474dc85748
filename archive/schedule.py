"""The articles due for a check, asked of the page table: the schedule's test in one query."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Connection, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from archive.database import Archive
from archive.lifecycle import State
from archive.models import Page, Site
from archive.records import Outcome, PageKind


@dataclass(frozen=True)
class Band:
    """Pages whose schedule started after `started_after` (None: whenever) are checked every
    `every`, and due once last captured at or before `due_by`. The caller works out `due_by`
    (its slack included); the first band a page fits is its own, as in a CASE."""

    started_after: datetime | None
    every: timedelta
    due_by: datetime


@dataclass(frozen=True)
class DueArticle:
    """A tracked article due for a check: where to ask, its validators, and how far past due."""

    page_id: int
    url: str
    etag: str | None
    last_modified: str | None
    overdue: timedelta


class epoch_us(FunctionElement[int]):
    """A stored time as microseconds since the epoch, exactly, on either engine."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # SQLite holds times as text, 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's format).
    # strftime reads the seconds alone: it would round a fraction to milliseconds, and
    # .9995 and over into the next second.
    column = compiler.process(next(iter(element.clauses)), **kw)
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


@compiles(epoch_us)
def _epoch_us_default(element: Any, compiler: Any, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"


class earliest(FunctionElement[int]):
    """The lesser of two numbers: SQLite's two-argument min(), LEAST elsewhere."""

    type = BigInteger()
    inherit_cache = True


@compiles(earliest, "sqlite")
def _earliest_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(earliest)
def _earliest_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def due_articles(
    archive: Archive,
    site: str,
    now: datetime,
    bands: Sequence[Band],
    rejected: Band,
    *,
    limit: int | None = None,
    everything: bool = False,
) -> tuple[list[DueArticle], int]:
    """The site's tracked articles due at `now` (every one with `everything`, those not due
    with no time overdue), most overdue first then by id, at most `limit`; and how many there
    are. A page's schedule starts at the later of its publication (its first sight when it
    never said) and its last change; one whose latest capture validation refused is in the
    `rejected` band, whenever it started."""
    now_us = (now - EPOCH) // timedelta(microseconds=1)
    every = _banded(bands, rejected, lambda b: literal(b.every // timedelta(microseconds=1)))
    # A page captured by the earliest band's due time is due in any band: tested first, so
    # most pages of a backlog are counted without their band being worked out.
    due_by_all = min(band.due_by for band in [*bands, rejected])
    is_due = or_(
        Page.last_captured_at <= literal(due_by_all, TIME),
        Page.last_captured_at <= _banded(bands, rejected, lambda b: literal(b.due_by, TIME)),
    )
    # Most overdue first is soonest due first: the time a page fell due, or now for one due
    # early (in its slack) or not due at all (with `everything`), which is none overdue.
    soonest = earliest(epoch_us(Page.last_captured_at) + every, literal(now_us))
    key = (case((is_due, soonest), else_=literal(now_us)) if everything else soonest).label("key")
    tracked = (
        select(Page.id)
        .join(Site, Site.id == Page.site_id)
        .where(
            Site.name == site,
            Page.kind == PageKind.ARTICLE.value,
            Page.state != State.UNTRACKED.value,
        )
    )
    if not everything:
        tracked = tracked.where(is_due)
    # The pages chosen first, from the schedule's columns alone (ix_page_revisit_schedule
    # holds them all), and counted apart; then the rows of those pages only. With a limit,
    # only the pages captured by the horizon are ordered.
    chosen = tracked.with_only_columns(Page.id.label("id"), key).order_by(key, Page.id)
    with archive.engine.connect() as connection:
        if limit is not None:
            chosen = chosen.limit(max(0, limit))
            horizon = (
                None if everything else _horizon(connection, site, bands, rejected, now, limit)
            )
            if horizon is not None:
                chosen = chosen.where(Page.last_captured_at <= horizon)
        picked = chosen.subquery("chosen")
        query = (
            select(Page.id, Page.current_url, Page.etag, Page.last_modified, picked.c.key)
            .join(picked, picked.c.id == Page.id)
            .order_by(picked.c.key, Page.id)
        )
        count = int(connection.scalar(tracked.with_only_columns(func.count())) or 0)
        found = [
            DueArticle(row[0], row[1], row[2], row[3], timedelta(microseconds=now_us - row[4]))
            for row in connection.execute(query)
        ]
    return found, count


TIME = Page.__table__.c.last_captured_at.type


def _horizon(
    connection: Connection,
    site: str,
    bands: Sequence[Band],
    rejected: Band,
    now: datetime,
    limit: int,
) -> datetime | None:
    """A last capture no page among the `limit` most overdue is later than, so the query orders
    only the pages captured by then: the `limit`-th oldest last capture among the pages due in
    every band (captured by the earliest band's due time), plus the longest interval. Those
    `limit` pages fell due by then, so the `limit` most overdue did too, and a page that fell
    due by a time before `now` was last captured by it. None when there are fewer such pages,
    or the horizon is not before `now` (then every due page is ordered). Read through
    ix_page_last_captured, oldest first."""
    every = [*bands, rejected]
    earliest, longest = min(b.due_by for b in every), max(b.every for b in every)
    if limit <= 0:
        return None
    in_site = select(Site.id).where(Site.name == site).scalar_subquery()
    query = (
        select(Page.last_captured_at)
        .where(
            Page.site_id == in_site,
            Page.kind == PageKind.ARTICLE.value,
            Page.last_captured_at <= earliest,
            Page.state != State.UNTRACKED.value,
        )
        .order_by(Page.last_captured_at, Page.id)
        .offset(limit - 1)
        .limit(1)
    )
    kth = connection.scalar(query)
    if kth is None or kth + longest >= now:
        return None
    return kth + longest


def _banded(bands: Sequence[Band], rejected: Band, value: Callable[[Band], Any]) -> Any:
    """`value` of each page's band: the rejected band, else the first band the page's schedule
    start fits (a band without `started_after` takes every page left)."""
    whens = [(Page.last_outcome == Outcome.REJECTED.value, value(rejected))]
    for band in bands:
        if band.started_after is None:
            return case(*whens, else_=value(band))
        whens.append((_started_after(literal(band.started_after, TIME)), value(band)))
    raise ValueError("the last band must take every page left (started_after None)")


def _started_after(moment: Any) -> Any:
    """Whether the page's schedule started after `moment`: its publication (or first sight)
    or its last change did (NULL, false in a CASE, for a page never changed and older)."""
    published = func.coalesce(Page.published_at, Page.first_seen_at)
    return or_(published > moment, Page.last_changed_at > moment)
