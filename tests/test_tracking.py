"""Tracking in the archive: moves keep one history, listing, re-parses, revisit plans."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from archive.database import open_archive
from archive.models import Page, Site
from archive.query import (
    change_report,
    known_article_urls,
    page_history,
    tracked_articles,
    version_record,
)
from archive.records import Outcome, PageKind
from archive.schedule import _horizon
from archive.store import Store
from crawler.plan.revisits import RevisitPolicy, due_revisits, plan_revisits
from tests.test_store import RECORD, URL, observe

NEW_URL = URL.replace("202402/t20240207_", "202512/t20251214_")
T0 = datetime(2025, 12, 1, 15, tzinfo=UTC)


@pytest.fixture
def archive(archive_url):
    opened = open_archive(archive_url)
    yield opened
    opened.close()


def at(days: float):
    return T0 + timedelta(days=days)


def test_the_same_doc_id_at_a_new_url_is_the_same_article_moved(archive):
    store = Store(archive)
    store.record(observe(at=at(0)))
    moved = dataclasses.replace(observe(at=at(1)), url=NEW_URL)
    assert store.record(moved).outcome is Outcome.UNCHANGED
    history = page_history(archive, URL)
    assert history == page_history(archive, NEW_URL)
    assert (history.url, history.urls) == (NEW_URL, (URL, NEW_URL))
    assert [(e.kind, e.detail) for e in history.events] == [("moved", {"from": URL, "to": NEW_URL})]
    assert known_article_urls(archive, "chencang") == {URL, NEW_URL}


def test_a_redirect_to_another_article_moves_the_page(archive):
    store = Store(archive)
    store.record(observe(at=at(0)))
    redirect = dataclasses.replace(
        observe(at=at(1), verdict=Outcome.MOVED, status=301, payload=b""), moved_to=NEW_URL
    )
    assert store.record(redirect).outcome is Outcome.MOVED
    assert page_history(archive, NEW_URL).state == "live"
    store.record(dataclasses.replace(observe(at=at(1)), url=NEW_URL))
    history = page_history(archive, URL)
    assert [e.kind for e in history.events] == ["moved"]
    assert [c.outcome for c in history.captures] == ["new", "moved", "unchanged"]


def test_listing_a_whole_walk_unlists_what_it_did_not_show(archive):
    store = Store(archive)
    store.record(observe(at=at(0)))
    assert store.record_listing("chencang", {URL}, at(0), None, covered_since=at(0)) == 0
    assert (
        store.record_listing("chencang", set(), at(1), None) == 0
    )  # a partial walk proves nothing
    assert store.record_listing("chencang", set(), at(2), None, covered_since=at(0)) == 0
    assert store.record_listing("chencang", set(), at(3), None, covered_since=at(2)) == 1
    assert store.record_listing("chencang", {URL}, at(4), None) == 0
    history = page_history(archive, URL)
    assert [e.kind for e in history.events] == ["unlisted", "relisted"]
    assert history.events[0].detail == {"last_listed_at": at(0).isoformat()}
    assert (history.is_listed, history.last_listed_at) == (True, at(4))


def test_a_page_never_listed_is_never_unlisted(archive):
    store = Store(archive)
    store.record(observe(at=at(0)))
    assert store.record_listing("chencang", set(), at(1), None, covered_since=at(1)) == 0


def reparser_that_reads(record):
    return lambda payload, content_type, url: record.fields()


def test_a_parser_upgrade_is_a_reparse_not_an_edit(archive):
    Store(archive).record(observe(at=at(0)))
    upgraded = dataclasses.replace(RECORD, source="区融媒体中心 ")  # the new parser reads it so
    newer = observe(upgraded, at=at(1), payload=b"same page again")
    newer = dataclasses.replace(
        newer, extracted=dataclasses.replace(newer.extracted, parser_version="chencang/2")
    )
    store = Store(archive, reparse=reparser_that_reads(upgraded))
    recorded = store.record(newer)
    assert (recorded.outcome, recorded.version) == (Outcome.REPARSED, 2)
    report = change_report(archive)
    assert [(e.kind, e.classes) for e in report if e.version == 2] == [("reparsed", ("reparse",))]


def test_an_edit_across_a_parser_upgrade_is_classed_against_the_reparsed_original(archive):
    Store(archive).record(observe(at=at(0)))
    reread = dataclasses.replace(RECORD, source="区融媒体中心 ")
    edited = dataclasses.replace(reread, title="我区召开全区工作大会")
    newer = observe(edited, at=at(1), payload=b"edited page")
    newer = dataclasses.replace(
        newer, extracted=dataclasses.replace(newer.extracted, parser_version="chencang/2")
    )
    recorded = Store(archive, reparse=reparser_that_reads(reread)).record(newer)
    assert recorded.outcome is Outcome.CHANGED
    assert recorded.changed_fields == ("title", "source")
    assert version_record(archive, URL).changed_fields == ("title", "source")
    (event,) = [e for e in change_report(archive) if e.kind == "changed"]
    assert event.classes == ("title", "reparse")  # the source differs only by the parser


def test_revisit_plan_by_age_most_overdue_first_and_bounded(archive):
    store = Store(archive)
    young = dataclasses.replace(RECORD, published_at=at(-2))
    old = dataclasses.replace(RECORD, published_at=at(-400))
    store.record(dataclasses.replace(observe(young, at=at(0)), url=URL + "?young", doc_id="1"))
    store.record(dataclasses.replace(observe(old, at=at(0)), url=URL + "?old", doc_id="2"))
    plan = plan_revisits(tracked_articles(archive, "chencang"), at(1), RevisitPolicy())
    assert [page.url for page in plan.pages] == [URL + "?young"]
    later = plan_revisits(tracked_articles(archive, "chencang"), at(31), RevisitPolicy(), limit=1)
    assert (later.due, len(later.pages), later.left) == (2, 1, 1)
    assert later.pages[0].url == URL + "?young"  # 30.75 days overdue against 1 day
    assert later.pages[0].etag == '"abc"'


def test_a_list_page_is_not_an_article(archive):
    store = Store(archive)
    listing = dataclasses.replace(
        observe(at=at(0), verdict=Outcome.LISTING),
        url="http://www.chencang.gov.cn/col8173/col8174/",
        kind=PageKind.LIST,
    )
    assert store.record(listing).outcome is Outcome.LISTING
    assert plan_revisits(tracked_articles(archive, "chencang"), at(40), RevisitPolicy()).due == 0


def test_the_due_query_plans_what_the_schedule_says_page_by_page_to_the_microsecond(archive):
    """due_revisits asks the archive in one query what plan_revisits decides over every
    tracked article: the same pages, order, overdue times and count, at band edges too."""
    now = datetime(2025, 12, 1, 14, 0, 0, 500_000, tzinfo=UTC)
    policy = RevisitPolicy()
    rows = _schedule_pages(now, policy)
    with archive.engine.begin() as connection:
        connection.execute(
            insert(Site), [{"id": 1, "name": "chencang", "origin": "o", "created_at": now}]
        )
        connection.execute(insert(Page), rows)
    moments = [now + timedelta(microseconds=m) for m in (-1, 0, 1, 999_999)]
    moments += [now + timedelta(hours=h) for h in (6, 25, 24 * 8, 24 * 40, 24 * 90, 24 * 400)]
    horizons = 0
    for moment in moments:
        bands, rejected = policy.bands(moment)
        with archive.engine.connect() as connection:
            horizons += _horizon(connection, "chencang", bands, rejected, moment, 3) is not None
        for limit, everything in ((None, False), (1, False), (3, False), (10, False), (None, True)):
            expected = plan_revisits(
                tracked_articles(archive, "chencang"),
                moment,
                policy,
                limit=limit,
                everything=everything,
            )
            found = due_revisits(
                archive, "chencang", moment, policy, limit=limit, everything=everything
            )
            assert found == expected, (moment, limit, everything)
    assert due_revisits(archive, "chencang", now, policy).due > 3
    assert horizons >= 2  # the capped query ordered only the pages captured by its horizon


def _schedule_pages(now, policy):
    """Pages at the edges of each band and of each due time, some edited, one published at no
    stated time, one refused by validation, one untracked, one list page."""
    rows = []
    under = [u for u, _ in policy.steps] + [timedelta(days=800)]
    for band, age in enumerate(under):
        for edge in (timedelta(microseconds=-1), timedelta(0), timedelta(microseconds=1)):
            start = now - age - edge
            every = policy.interval(now - start)
            due = policy.due_after(every)
            for lag in (timedelta(microseconds=-1), timedelta(0), timedelta(days=3)):
                rows.append({"published_at": start, "last_captured_at": now - due - lag})
        rows.append({"published_at": now - age, "last_changed_at": now - timedelta(hours=band)})
    rows.append({"published_at": None, "first_seen_at": now - timedelta(days=3)})
    rows.append({"last_outcome": Outcome.REJECTED.value})
    rows.append({"state": "untracked"})
    rows.append({"kind": PageKind.LIST.value})
    return [_page_row(number, now, **row) for number, row in enumerate(rows, start=1)]


def _page_row(number, now, **values):
    url = f"{URL}?{number}"
    row = {
        "id": number,
        "site_id": 1,
        "url": url,
        "current_url": url,
        "kind": PageKind.ARTICLE.value,
        "first_seen_at": now - timedelta(days=900),
        "last_captured_at": now - timedelta(days=40, microseconds=number),
        "last_outcome": Outcome.UNCHANGED.value,
        "state": "live",
        "published_at": now - timedelta(days=900),
        "last_changed_at": None,
        "etag": f'"{number}"',
    }
    return {**row, **values}
