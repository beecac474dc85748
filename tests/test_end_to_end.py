"""End to end on the replica: a day-1 backfill, then day 2 as an audit (--full) and as an increment."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli import RECORD_FIELDS, as_json, crawl, export

# What each edit class of the replica's truth does to the record's fields. A body edit changes the
# body block's markup too; the attachment block is outside it.
CHANGED_FIELDS = {
    "title": ["title"],
    "body": ["body", "body_html"],
    "source": ["source"],
}


@dataclass
class Crawled:
    truth_day1: dict[str, Any]
    truth_day2: dict[str, Any]
    run_day1: dict[str, Any]
    run_full: dict[str, Any]
    run_incremental: dict[str, Any]
    run_incremental_two_pages: dict[str, Any]
    day1: list[dict[str, Any]]
    day2_latest: list[dict[str, Any]]
    day2_all: list[dict[str, Any]]
    incremental_latest: list[dict[str, Any]]
    db: Path


@pytest.fixture(scope="module")
def crawled(replica_factory, tmp_path_factory) -> Crawled:
    site = replica_factory(day=1)
    folder = tmp_path_factory.mktemp("e2e")
    audit_db, incremental_db = folder / "audit.db", folder / "incremental.db"
    truth_day1 = site.truth()
    run_day1 = crawl(site.base_url, audit_db)
    day1 = export(audit_db)
    shutil.copy(audit_db, incremental_db)
    shutil.copy(audit_db, folder / "two-pages.db")
    site.set_day(2)
    run_full = crawl(site.base_url, audit_db, "--full")
    run_incremental = crawl(site.base_url, incremental_db)
    two_pages = ("-s", "NEWSARCHIVE_STOP_AFTER_KNOWN_PAGES=2")
    run_incremental_two_pages = crawl(site.base_url, folder / "two-pages.db", *two_pages)
    return Crawled(
        truth_day1=truth_day1,
        truth_day2=site.truth(),
        run_day1=run_day1,
        run_full=run_full,
        run_incremental=run_incremental,
        run_incremental_two_pages=run_incremental_two_pages,
        day1=day1,
        day2_latest=export(audit_db),
        day2_all=export(audit_db, "--all-versions"),
        incremental_latest=export(incremental_db),
        db=audit_db,
    )


def by_url(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["url"]: record for record in records}


def as_archived(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the version holds it: without the page's state now (state, listed)."""
    return {key: value for key, value in record.items() if key not in ("state", "listed")}


def changes_on(truth: dict[str, Any], day: int, kind: str) -> list[dict[str, Any]]:
    return [c for c in truth["changes"] if c["day"] == day and c["kind"] == kind]


def test_day1_backfill_archives_every_article_with_the_right_fields(crawled):
    articles = crawled.truth_day1["articles"]
    archived = by_url(crawled.day1)
    assert sorted(archived) == sorted(a["url"] for a in articles)
    mismatches = [
        (a["url"], name, a[name], archived[a["url"]][name])
        for a in articles
        for name in RECORD_FIELDS
        if archived[a["url"]][name] != a[name]
    ]
    assert mismatches == []
    assert crawled.run_day1["list_walk_complete"] is True
    assert crawled.run_day1["errors"] == 0


def test_day1_records_are_version_1_with_nothing_changed(crawled):
    assert {(r["version"], tuple(r["changed_fields"])) for r in crawled.day1} == {(1, ())}


def test_audit_on_day2_adds_exactly_the_new_articles(crawled):
    new_urls = {c["url"] for c in changes_on(crawled.truth_day2, 2, "published")}
    assert len(new_urls) == 3
    assert set(by_url(crawled.day2_latest)) - set(by_url(crawled.day1)) == new_urls
    assert crawled.run_full["new"] == 3


def test_audit_on_day2_versions_exactly_the_edited_articles(crawled):
    edits = changes_on(crawled.truth_day2, 2, "edited")
    expected = {
        e["url"]: sorted(f for cls in e["classes"] for f in CHANGED_FIELDS[cls]) for e in edits
    }
    versioned = {
        r["url"]: sorted(r["changed_fields"]) for r in crawled.day2_latest if r["version"] > 1
    }
    assert versioned == expected
    assert crawled.run_full["changed"] == len(edits) == 4


def test_edited_records_carry_the_new_content(crawled):
    truth = by_url(crawled.truth_day2["articles"])
    for url in {e["url"] for e in changes_on(crawled.truth_day2, 2, "edited")}:
        record = by_url(crawled.day2_latest)[url]
        assert {name: record[name] for name in RECORD_FIELDS} == {
            name: truth[url][name] for name in RECORD_FIELDS
        }


def test_unchanged_refetch_adds_a_capture_and_no_version(crawled):
    edited_or_new = {c["url"] for c in crawled.truth_day2["changes"] if c["day"] == 2}
    listed = [a["url"] for a in crawled.truth_day2["articles"] if a["listed"]]
    unchanged = [url for url in listed if url not in edited_or_new]
    assert crawled.run_full["unchanged"] == len(unchanged)
    history = as_json("history", unchanged[0], db=crawled.db)
    assert [v["version"] for v in history["versions"]] == [1]
    assert [c["outcome"] for c in history["captures"]] == ["new", "unchanged"]


def test_nothing_archived_on_day1_is_lost(crawled):
    day1 = by_url(crawled.day1)
    first_versions = {
        r["url"]: as_archived(r) for r in crawled.day2_all if r["version"] == 1 and r["url"] in day1
    }
    assert first_versions == {url: as_archived(record) for url, record in day1.items()}


def test_deleted_and_soft_404_articles_keep_their_day1_version(crawled):
    gone = [
        c["url"]
        for c in crawled.truth_day2["changes"]
        if c["day"] == 2 and c["kind"] in ("deleted", "soft_404")
    ]
    assert len(gone) == 2
    latest = by_url(crawled.day2_latest)
    for url in gone:
        assert as_archived(latest[url]) == as_archived(by_url(crawled.day1)[url])
        assert (by_url(crawled.day1)[url]["state"], latest[url]["state"]) == ("live", "unreachable")


def test_incremental_crawl_finds_the_new_articles_with_a_handful_of_requests(crawled):
    """Minutes after the first crawl nothing is due for a re-check, but list page 0 shows day 2's
    corrected title: that article is checked too, a change seen for free."""
    run = crawled.run_incremental
    assert (run["new"], run["changed"], run["errors"]) == (3, 1, 0)
    assert (run["revisits_checked"], run["revisits_listed"]) == (0, 1)
    (titled,) = [c for c in changes_on(crawled.truth_day2, 2, "edited") if "title" in c["classes"]]
    assert by_url(crawled.incremental_latest)[titled["url"]]["version"] == 2
    new_urls = {c["url"] for c in changes_on(crawled.truth_day2, 2, "published")}
    new = [a for a in crawled.truth_day2["articles"] if a["url"] in new_urls]
    files = {u for a in new for u in a["images"]} | {
        f["url"] for a in new for f in a["attachments"]
    }
    # two list pages (page 0 has the new articles, page 1 only known ones), 3 new articles and
    # their files, the retitled one (its files are known: asked for again only if changed)
    assert run["files"].get("new", 0) == len(files)
    assert run["requested"] <= 6 + sum(run["files"].values()) < crawled.run_full["requested"] / 5
    assert new_urls <= set(by_url(crawled.incremental_latest))


@pytest.mark.parametrize("template", ["B", "datastore"])
def test_both_list_templates_and_robots_rules_are_honoured(replica_factory, tmp_path, template):
    site = replica_factory(template=template, robots="strict")
    db = tmp_path / "archive.db"
    run = crawl(site.base_url, db)
    truth = site.truth()
    allowed = {a["url"] for a in truth["articles"] if not a["robots_disallowed"]}
    disallowed = {a["url"] for a in truth["articles"] if a["robots_disallowed"]}
    assert disallowed, "the strict robots.txt should keep at least one article out"
    assert {r["url"] for r in export(db)} == allowed
    assert run["list_walk_complete"] is True
    assert run["list_pages"] == truth["list_pages"]
    assert run["skipped"] == len(disallowed) and run["errors"] == 0


def test_how_many_known_pages_end_an_incremental_crawl_is_a_setting(crawled):
    one, two = crawled.run_incremental, crawled.run_incremental_two_pages
    assert (one["list_pages"], two["list_pages"]) == (2, 3)
    assert two["new"] == one["new"] == 3
