"""Re-checks within a daily budget: the planners' choices on histories written to a real archive,
the budget planner's where changes are, the age schedule's most overdue first, and no more."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from itertools import pairwise

import pytest

from archive.checks import article_histories, floor_backlog, site_load, tracked_article_count
from archive.database import open_archive
from archive.records import ArticleRecord, Extracted, Observation, Outcome, PageKind
from archive.runs import RunArguments
from archive.store import Store
from crawler.plan.budget import (
    Budget,
    auto_budget,
    list_reserve,
    plan_from_backlog,
    plan_within_budget,
)
from crawler.plan.crawl import ShippedSettings, due_summary, plan_crawl, planned_revisits
from crawler.plan.options import Options
from crawler.plan.rates import cho_rate, gamma_shape
from crawler.plan.revisits import DueSummary
from crawler.sites.profile import load_profile, platform_sites

CST = timezone(timedelta(hours=8))
ORIGIN = "http://www.chencang.gov.cn"
T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
DAY = timedelta(days=1)


def url_of(number: int) -> str:
    return f"{ORIGIN}/col8173/col8174/202405/t20240501_{160000 + number}.html"


def observation(
    number: int,
    at: datetime,
    text: str | None,
    published: datetime = datetime(2024, 5, 1, 10, 0, tzinfo=CST),
) -> Observation:
    """A check of article `number` (published on `published`) at `at`: its content (`text`), or
    a 304 when None."""
    url = url_of(number)
    record = (
        None
        if text is None
        else ArticleRecord(
            title=f"第{number}号文章",
            published_at=published,
            source="区融媒体中心",
            column="陈仓要闻",
            body=text,
            body_html=f"<p>{text}</p>",
            doc_id=str(160000 + number),
        )
    )
    return Observation(
        site="chencang",
        site_origin=ORIGIN,
        url=url,
        kind=PageKind.ARTICLE,
        requested_url=url,
        final_url=url,
        fetched_at=at,
        verdict=Outcome.NOT_MODIFIED if record is None else Outcome.CONTENT,
        status=304 if record is None else 200,
        headers=[("Content-Type", "text/html")],
        payload=None if record is None else f"<html>{text}</html>".encode(),
        extracted=None if record is None else Extracted(record, {}, "test/1"),
        doc_id=str(160000 + number),
    )


@pytest.fixture
def archive(tmp_path):
    opened = open_archive(str(tmp_path / "archive.db"))
    yield opened
    opened.close()


def write_history(archive, articles: int, days: int, changes: dict[int, set[int]]) -> datetime:
    """`articles` articles first archived at T0, then checked daily for `days` days; article n
    changes on the days in changes[n]. Returns the time of the last check."""
    store = Store(archive)
    versions = defaultdict(int)
    for number in range(articles):
        store.record(observation(number, T0, f"正文{number}-0"))
    for day in range(1, days + 1):
        for number in range(articles):
            changed = day in changes.get(number, set())
            versions[number] += changed
            text = f"正文{number}-{versions[number]}" if changed else None
            store.record(observation(number, T0 + day * DAY, text))
    return T0 + days * DAY


def plan(archive, now: datetime, budget: Budget, **options):
    return plan_within_budget(
        article_histories(archive, "chencang", now - 400 * DAY), now, budget, **options
    )


def test_cho_and_garcia_molinas_estimator():
    assert cho_rate(10, 0, 1.0) == 0.0
    assert cho_rate(10, 5, 1.0) == pytest.approx(-math.log(5.5 / 10.5))
    # A page that changed at every check: the estimate stays finite, and grows with the checks.
    assert 0 < cho_rate(10, 10, 1.0) < cho_rate(100, 100, 1.0) < math.inf
    assert cho_rate(0, 0, 1.0) == 0.0


def test_units_that_differ_by_chance_share_one_rate_and_others_keep_their_own():
    alike = [(x, 10.0) for x in (8, 12, 9, 11, 10, 10)]
    assert gamma_shape(alike) == pytest.approx(1e4)
    apart = [(0.0, 10.0)] * 5 + [(40.0, 10.0)]
    assert gamma_shape(apart) < 1


def test_an_article_that_changed_often_is_checked_before_those_that_never_did(archive):
    now = write_history(archive, 12, 20, {7: {3, 8, 12, 15, 19}}) + DAY
    chosen = plan(archive, now, Budget(per_day=2))  # one check, one kept for list titles
    assert [page.url for page in chosen.pages] == [url_of(7)]
    assert (chosen.budget, chosen.reserve) == (2, 1)


def test_the_budget_is_never_exceeded_and_the_round_robin_floor_holds(archive):
    """Thirty articles, four checks a day: every article is checked at least every
    ceil(30 / (4 / 2)) = 15 days, while the rest of the budget goes to the one that keeps
    changing."""
    store = Store(archive)
    articles, budget = 30, Budget(per_day=4)
    for number in range(articles):
        store.record(observation(number, T0, f"正文{number}-0"))
    checked: dict[int, list[datetime]] = {n: [T0] for n in range(articles)}
    edits = 0
    for day in range(1, 61):
        now = T0 + day * DAY
        chosen = plan(archive, now, budget)
        assert len(chosen.pages) + (chosen.reserve or 0) <= 4
        assert chosen.floor == 15 * DAY
        for page in chosen.pages:
            number = int(page.url.rsplit("_", 1)[1].removesuffix(".html")) - 160000
            changed = number == 0  # it has changed whenever it is checked
            edits += changed
            store.record(observation(number, now, f"正文0-{edits}" if changed else None))
            checked[number].append(now)
    gaps = [later - earlier for times in checked.values() for earlier, later in pairwise(times)]
    assert max(gaps) <= 15 * DAY
    assert len(checked[0]) > 2 * max(len(times) for n, times in checked.items() if n)


def test_the_backlog_plan_equals_the_budget_planners_plan_on_both_engines(archive_url):
    """Forty articles first archived over eight days (five to a capture time: ties), some
    checked again, two untracked and one refused by validation: wherever the articles past the
    floor fill a run's checks, the plan made from them alone (archive.checks.floor_backlog, in
    SQL) is the budget planner's plan over every article's history; elsewhere it declines. At
    the floor's edges too: the articles last captured exactly `floor` ago (none overdue) and
    exactly the floor less its slack ago (just due)."""
    archive = open_archive(archive_url)
    try:
        store = Store(archive)
        for number in range(40):
            store.record(observation(number, T0 + (number % 8) * DAY, f"正文{number}-0"))
        for number in range(0, 40, 3):
            store.record(observation(number, T0 + (8 + number % 5) * DAY, None))
        store.set_tracked(url_of(5), False, "test")
        store.set_tracked(url_of(13), False, "test")
        rejected = observation(22, T0 + 9 * DAY, "正文22-0")
        store.record(replace(rejected, verdict=Outcome.REJECTED, extracted=None, error="test"))
        backlog = partial(floor_backlog, archive, "chencang")
        articles = tracked_article_count(archive, "chencang")
        assert articles == 38
        quick = slow = 0
        for per_day in (4, 10, 40):
            budget = Budget(per_day=per_day)
            floor = budget.floor_for(articles)
            nows = [T0 + hours * timedelta(hours=7) for hours in range(10, 80, 3)]
            nows += [T0 + day * DAY + edge for day in range(8) for edge in (floor, floor * 0.9)]
            for now in nows:
                for share, limit in ((1.0, None), (0.5, 3)):
                    options = {"share": share, "limit": limit}
                    found = plan_from_backlog(backlog, articles, now, budget, **options)
                    if found is None:
                        slow += 1
                        continue
                    quick += 1
                    assert found == plan(archive, now, budget, **options), (per_day, now)
        assert quick > 20 and slow > 20
    finally:
        archive.close()


def write_schedule_backlog(archive) -> datetime:
    """Thirty articles of 2024 (checked every 30 days by the age schedule) last captured an hour
    apart from T0, all due 40 days on, article 0 the most overdue; and four captured the day
    before, not due. Returns the time the plans are made at."""
    now = T0 + 40 * DAY
    store = Store(archive)
    for number in range(30):
        store.record(observation(number, T0 + number * timedelta(hours=1), f"正文{number}-0"))
    for number in range(30, 34):
        store.record(observation(number, now - DAY, f"正文{number}-0"))
    return now


def schedule_plan(archive, now: datetime, max_revisits: int | None = None, **settings):
    """What a crawl of chencang at `now` plans with the age schedule, its profile's settings
    under `settings`."""
    profile = load_profile("chencang")
    shipped = ShippedSettings(
        {**profile.settings, "NEWSARCHIVE_REVISIT_PLANNER": "schedule", **settings}
    )
    options = Options.from_settings(
        shipped, profile.listing.stop_after_known_pages, max_revisits=max_revisits
    )
    return planned_revisits(archive, profile, options, now), profile, options


def numbers(plan) -> list[int]:
    return [int(page.url.rsplit("_", 1)[1].removesuffix(".html")) - 160000 for page in plan.pages]


def test_the_schedule_planner_checks_the_most_overdue_within_the_runs_share_of_the_budget(
    archive,
):
    """Ten checks a day: a daily crawl plans the nine most overdue (one kept for list titles), a
    crawl six hours after the last one ceil(10 / 4) less one; `due` counts all thirty."""
    now = write_schedule_backlog(archive)
    daily, _, _ = schedule_plan(archive, now, NEWSARCHIVE_DAILY_BUDGET=10)
    assert numbers(daily) == list(range(9))
    assert (daily.due, daily.left, daily.budget, daily.reserve) == (30, 21, 10, 1)
    started = now - timedelta(hours=6)
    store = Store(replace(archive, clock=lambda: started))
    run = store.begin_run(ORIGIN, RunArguments(command="crawl", site="chencang"))
    store.finish_run(run, "finished", {}, 0)
    hourly, _, _ = schedule_plan(archive, now, NEWSARCHIVE_DAILY_BUDGET=10)
    assert numbers(hourly) == [0, 1]
    assert (hourly.due, hourly.budget, hourly.reserve) == (30, 3, 1)


def test_the_schedule_planners_budget_is_what_the_delay_allows_without_one_set(archive):
    now = write_schedule_backlog(archive)
    profile = load_profile("chencang")
    sites, stop_after = platform_sites(profile), profile.listing.stop_after_known_pages
    # Twelve and a half requests a day left for checks (no list page nor new article on record).
    delay = 86_400 / sites / (12.5 + stop_after + 1)
    found, _, options = schedule_plan(archive, now, DOWNLOAD_DELAY=delay)
    per_day = auto_budget(
        delay, sites, site_load(archive, "chencang", now), options.list_walk_every, stop_after
    )
    assert per_day == 12 and found.budget == 12
    assert numbers(found) == list(range(12 - list_reserve(12)))
    assert found.due == 30


def test_max_revisits_below_the_schedule_planners_budget_wins_and_above_it_does_not(archive):
    now = write_schedule_backlog(archive)
    fewer, _, _ = schedule_plan(archive, now, max_revisits=4, NEWSARCHIVE_DAILY_BUDGET=10)
    assert numbers(fewer) == [0, 1, 2, 3]
    assert (fewer.due, fewer.budget) == (30, 10)
    more, _, _ = schedule_plan(archive, now, max_revisits=20, NEWSARCHIVE_DAILY_BUDGET=10)
    assert numbers(more) == list(range(9))


def test_the_schedule_planner_without_a_budget_plans_every_due_page_and_an_audit_all(archive):
    now = write_schedule_backlog(archive)
    found, _, _ = schedule_plan(archive, now, DOWNLOAD_DELAY=0)
    assert numbers(found) == list(range(30))
    assert (found.due, found.left, found.budget, found.reserve) == (30, 0, None, None)
    _, profile, options = schedule_plan(archive, now, NEWSARCHIVE_DAILY_BUDGET=10)
    audit = plan_crawl(archive, profile, options, now, full=True).revisits
    assert sorted(numbers(audit)) == list(range(34))
    assert audit.budget is None


def test_status_counts_every_due_article_and_names_the_oldest_whatever_the_schedules_budget(
    archive,
):
    now = write_schedule_backlog(archive)
    for budget in (0, 10):
        planned, profile, options = schedule_plan(archive, now, NEWSARCHIVE_DAILY_BUDGET=budget)
        assert len(planned.pages) == max(0, budget - 1)
        found = due_summary(archive, profile, options, now)
        assert found == DueSummary(30, url_of(0), T0 + 30 * DAY)
