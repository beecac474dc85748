"""Tracking in the archive: moves keep one history, listing, re-parses, revisit plans."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from archive.database import open_archive
from archive.query import (
    change_report,
    known_article_urls,
    page_history,
    tracked_articles,
    version_record,
)
from archive.records import Outcome, PageKind
from archive.store import Store
from crawler.plan.revisits import RevisitPolicy, plan_revisits
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
