"""Crawls of the replica within a re-check budget: a title changed on a list page is checked the
same day, a stealth edit of an old article is archived within the floor, the budget is never
exceeded (by either planner), and its settings are checked before anything starts."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from crawler.plan.crawl import same_title
from tests.cli import as_json, crawl, newsarchive

CST = timezone(timedelta(hours=8))
DAY = timedelta(days=1)
DAY1, DAY2 = "2025-12-01T23:00:00+08:00", "2025-12-02T23:00:00+08:00"


def evening(day: int) -> str:
    return (datetime(2025, 12, 1, 23, 0, tzinfo=CST) + (day - 1) * DAY).isoformat()


def article_paths(site) -> list[str]:
    """The article pages the replica was asked for since its log was emptied (robots.txt and
    list pages aside)."""
    paths = (r["path"] for r in site.requests()["requests"])
    return [p for p in paths if p.endswith(".html") and "/t2" in p]


def test_a_title_changed_on_the_list_is_checked_the_same_day_within_the_budget(
    replica_factory, tmp_path
):
    """Day 2 corrects a title (rank 2) and edits three bodies. With two checks a day, one goes to
    the newest article and one is kept for list titles: the corrected title on list page 0 is
    seen for free and its article checked that evening; the bodies wait."""
    site = replica_factory(day=1)
    db = tmp_path / "archive.db"
    crawl(site.base_url, db, "-s", f"NEWSARCHIVE_NOW={DAY1}")
    site.set_day(2)
    site.reset_requests()
    run = crawl(site.base_url, db, "--daily-budget", "2", "-s", f"NEWSARCHIVE_NOW={DAY2}")
    assert (run["revisits_budget"], run["revisits_checked"], run["revisits_listed"]) == (2, 1, 1)
    truth = site.truth()
    new = {c["url"] for c in truth["changes"] if c["day"] == 2 and c["kind"] == "published"}
    (titled,) = [c for c in truth["changes"] if c["day"] == 2 and c["edit"] == "title_corrected"]
    rechecked = [p for p in article_paths(site) if not any(u.endswith(p) for u in new)]
    assert len(rechecked) == 2 and any(titled["url"].endswith(p) for p in rechecked)
    report = as_json("changes", "--since", "2025-12-02", "--until", "2025-12-03", db=db)
    changed = [(e["url"], e["classes"]) for e in report if e["kind"] == "changed"]
    assert changed == [(titled["url"], ["title"])]


def test_the_age_schedule_checks_the_runs_budget_and_the_summary_says_what_is_left(
    replica_factory, tmp_path
):
    """The schedule planner with three checks a day: two of the due articles and one kept for
    the corrected title on the list; the rest are counted due and left for later."""
    site = replica_factory(day=1)
    db = tmp_path / "archive.db"
    crawl(site.base_url, db, "-s", f"NEWSARCHIVE_NOW={DAY1}")
    site.set_day(2)
    schedule = ("-s", "NEWSARCHIVE_REVISIT_PLANNER=schedule", "--daily-budget", "3")
    run = crawl(site.base_url, db, *schedule, "-s", f"NEWSARCHIVE_NOW={DAY2}")
    assert (run["revisits_budget"], run["revisits_checked"], run["revisits_listed"]) == (3, 2, 1)
    assert run["revisits_left"] == run["revisits_due"] - 2 > 0
    unlimited = crawl(site.base_url, db, *schedule[:2], "-s", f"NEWSARCHIVE_NOW={evening(3)}")
    assert unlimited["revisits_budget"] is None and unlimited["revisits_left"] == 0


def test_a_stealth_edit_of_an_old_article_is_caught_within_the_floor(replica_factory, tmp_path):
    """Edits on articles of every age, 30 re-checks a day for some 65 articles: the floor is
    ceil(N / 15) days, and every edit is archived within it, none falsely."""
    site = replica_factory(day=1, articles=60, days=12, edit_rate=0.03)
    db = tmp_path / "archive.db"
    budget = ("--daily-budget", "30")
    floors = []
    for day in range(1, 13):
        site.set_day(day)
        run = crawl(site.base_url, db, *budget, "-s", f"NEWSARCHIVE_NOW={evening(day)}")
        assert run["revisits_checked"] + run["revisits_listed"] <= 30
        floors.append(run["revisits_floor_days"] or 0)
    floor = max(floors)
    assert 4 <= floor <= 6
    truth = site.truth()
    published = {a["url"]: a["published_at"] for a in truth["articles"]}
    versions = archived_versions(db)
    edits = [c for c in truth["changes"] if c["kind"] == "edited" and c["day"] <= 12 - floor]
    old = [
        c
        for c in edits
        if datetime.fromisoformat(published[c["url"]]) < datetime(2025, 10, 1, tzinfo=CST)
    ]
    assert old, "the replica's seed edits no article older than two months: pick another"
    for edit in edits:
        found = min(d for d in versions[edit["url"]] if d >= edit["day"])
        assert found - edit["day"] < floor, edit
    explained = {(c["url"], d) for c in edits for d in versions[c["url"]] if d >= c["day"]}
    every_edit = {c["url"] for c in truth["changes"] if c["kind"] == "edited"}
    assert {url for url in versions} <= every_edit, "a version no edit explains"
    assert explained


def test_a_crawl_within_a_budget_ends_by_scheduling_its_articles_and_one_without_does_not(
    replica_factory, tmp_path
):
    """The budget planner's next checks (crawler.plan.nextcheck) are worked out at a crawl's
    end when it has a budget: none after a crawl without one (the replica's politeness lifted),
    every tracked article's after one with; later, a crawl checks them in that order."""
    site = replica_factory(day=1, articles=40, days=4)
    db = tmp_path / "archive.db"
    first = crawl(site.base_url, db, "-s", f"NEWSARCHIVE_NOW={evening(1)}")
    assert set(next_checks(db).values()) == {None} and first["revisits_scheduled"] == 0
    site.set_day(2)
    second = crawl(site.base_url, db, "--daily-budget", "10", "-s", f"NEWSARCHIVE_NOW={evening(2)}")
    scheduled = next_checks(db)
    assert None not in scheduled.values() and len(scheduled) >= 40
    assert second["revisits_scheduled"] == len(scheduled)
    site.set_day(3)
    site.reset_requests()
    run = crawl(site.base_url, db, "--daily-budget", "10", "-s", f"NEWSARCHIVE_NOW={evening(3)}")
    soonest = sorted(scheduled, key=lambda url: scheduled[url])[: run["revisits_checked"]]
    checked = {p for p in article_paths(site)}
    assert run["revisits_checked"] > 0
    assert all(any(url.endswith(p) for p in checked) for url in soonest)


def next_checks(db) -> dict[str, object]:
    """Each article's next check as the page row holds it (integer microseconds), by URL."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT current_url, next_check_at FROM page WHERE kind = 'article'"
        ).fetchall()
    return dict(rows)


def archived_versions(db) -> dict[str, list[int]]:
    """Each article's versions after its first, as the simulated days they were archived."""
    report = as_json("changes", "--since", "2025-11-01", "--until", "2026-02-01", db=db)
    found: dict[str, list[int]] = defaultdict(list)
    for event in report:
        if event["kind"] == "changed":
            moment = datetime.fromisoformat(event["at"]).astimezone(CST)
            found[event["url"]].append((moment.date() - datetime(2025, 12, 1).date()).days + 1)
    return found


def test_the_budget_and_the_planner_are_settings_checked_before_anything_starts(
    replica_factory, tmp_path
):
    site = replica_factory(day=1)
    db = tmp_path / "archive.db"
    for setting, sentence in (
        ("NEWSARCHIVE_DAILY_BUDGET=lots", "NEWSARCHIVE_DAILY_BUDGET: invalid literal"),
        ("NEWSARCHIVE_REVISIT_PLANNER=random", "'random' is not one of budget, schedule"),
        ("NEWSARCHIVE_REVISIT_FLOOR=monthly", "'monthly' is not a duration"),
    ):
        done = newsarchive("crawl", "--base-url", site.base_url, "-s", setting, db=db)
        assert done.returncode == 2, done.stderr
        assert sentence in done.stderr
    assert "--daily-budget N" in newsarchive("crawl", "--help").stdout


@pytest.mark.parametrize(
    ("listed", "archived", "same"),
    [
        ("我区召开全区工作会议", "我区召开全区工作会议", True),
        ("我区召开 全区工作会议", "我区召开  全区工作会议", True),
        ("我区召开全区…", "我区召开全区工作会议", True),
        ("我区召开全区...", "我区召开全区工作会议", True),
        ("我区召开全区工作会议", "我区召开全区工作会义", False),
        ("他区召开…", "我区召开全区工作会议", False),
    ],
)
def test_a_list_title_is_the_archived_one_when_alike_or_its_start(listed, archived, same):
    assert same_title(listed, archived) is same
