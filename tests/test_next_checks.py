"""The budget planner's schedule: each article's next check worked out from its chance of a
change, kept on its page row, and the plans that read it in that order on both engines."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial
from itertools import pairwise

from archive.checks import (
    article_histories,
    articles_to_schedule,
    floor_backlog,
    sample_articles,
    scheduled_articles,
    set_next_checks,
    tracked_article_count,
)
from archive.database import open_archive
from archive.store import Store
from crawler.plan.budget import Budget, plan_from_backlog
from crawler.plan.nextcheck import RESCHEDULE_YOUNGER, Scheduler, weekly_slice
from tests.test_freshness import CST, DAY, T0, observation, url_of, write_history

HOUR = timedelta(hours=1)


def number_of(url: str) -> int:
    return int(url.rsplit("_", 1)[1].removesuffix(".html")) - 160000


def test_the_plan_reads_the_unscheduled_then_the_next_checks_in_order_on_both_engines(
    archive_url,
):
    """Ten articles: two never scheduled come first (by id), then the others as their next
    checks fall, the younger of two due together first; one checked an hour ago is passed over
    (unless it is a day old), one past the floor is the floor's, an untracked one is never read,
    and a limit cuts the order where it falls."""
    archive = open_archive(archive_url)
    try:
        store = Store(archive)
        now = T0 + 30 * DAY
        old = datetime(2024, 5, 1, 10, 0, tzinfo=CST)
        published = {n: old - n * DAY for n in range(10)}
        published[8] = now - 12 * HOUR  # young: may be checked again an hour later
        store.record(observation(9, T0 - 400 * DAY, "正文9-0", published[9]))  # past the floor
        for n in range(9):
            store.record(observation(n, T0 + DAY, f"正文{n}-0", published[n]))
        for n in (7, 8):  # checked an hour ago
            store.record(observation(n, now - HOUR, None, published[n]))
        ids = {
            number_of(h.page.url): h.page.page_id
            for h in article_histories(archive, "chencang", T0 - 999 * DAY)
        }
        set_next_checks(
            archive,
            {
                ids[1]: now + 5 * DAY,
                ids[2]: now - 3 * DAY,
                ids[3]: now - 3 * DAY,  # due with 2, which is a day younger
                ids[4]: now - 9 * DAY,
                ids[5]: now + DAY,
                ids[7]: now - 20 * DAY,
                ids[8]: now - 20 * DAY,
            },
        )
        store.set_tracked(url_of(5), False, "test")
        order = partial(
            scheduled_articles,
            archive,
            "chencang",
            captured_after=now - 300 * DAY,
            rested_by=now - 6 * HOUR,
            young_after=now - DAY,
        )
        found = [number_of(p.url) for p in order(limit=20)]
        assert found == [0, 6, 8, 4, 2, 3, 1]
        assert [number_of(p.url) for p in order(limit=4)] == [0, 6, 8, 4]
    finally:
        archive.close()


def test_a_crawls_end_weighs_again_what_it_checked_the_young_the_due_and_a_slice(archive_url):
    """articles_to_schedule: the articles captured since the crawl began, those never
    scheduled, the young, those due by the next crawl and the day's slice by id; not the
    others, nor an untracked one."""
    archive = open_archive(archive_url)
    try:
        now = T0 + 30 * DAY
        ids = _archived(archive, 12, young={3}, now=now)
        Store(archive).record(observation(1, now, None))  # checked by this crawl
        later = {ids[n]: now + 20 * DAY for n in range(12) if n != 2}  # 2: never scheduled
        later[ids[4]] = now + 12 * HOUR  # due by the next crawl
        set_next_checks(archive, later)
        Store(archive).set_tracked(url_of(5), False, "test")
        part = ids[6] % 7
        found = _to_schedule(archive, now, captured_since=now, slice_of=(part, 7))
        in_slice = {n for n, page_id in ids.items() if page_id % 7 == part and n != 5}
        assert set(found) == {ids[n] for n in {1, 2, 3, 4} | in_slice}
        assert weekly_slice(now) == (now.toordinal() % 7, 7)
    finally:
        archive.close()


def test_the_sample_is_every_article_of_a_small_archive_and_a_share_of_a_large_one_with_the_young(
    archive_url,
):
    """Twenty articles, two of them young: a sample of twenty takes them all; one of five takes
    the young and every fourth of the others by id."""
    archive = open_archive(archive_url)
    try:
        now = T0 + 30 * DAY
        every = {page_id: n for n, page_id in _archived(archive, 20, young={3, 4}, now=now).items()}
        assert set(sample_articles(archive, "chencang", 20, born_after=now - 7 * DAY)) == set(every)
        sampled = sample_articles(archive, "chencang", 5, born_after=now - 7 * DAY)
        assert {every[i] for i in sampled} >= {3, 4}
        others = {i for i in every if every[i] not in (3, 4)}
        assert set(sampled) & others == {i for i in others if i % 4 == 0}
    finally:
        archive.close()


def test_an_article_that_changed_often_falls_due_before_those_that_never_did(tmp_path):
    """Twelve articles checked daily for twenty days, one of them found changed five times: it
    falls due first (with a budget that affords every article every run, with the others);
    every next check is at least min_interval after the last; and a larger budget brings every
    one sooner (a lower threshold), never later."""
    archive = open_archive(str(tmp_path / "archive.db"))
    try:
        now = write_history(archive, 12, 20, {7: {3, 8, 12, 15, 19}}) + DAY
        histories = article_histories(archive, "chencang", now - 400 * DAY)
        schedules = []
        for per_day in (2, 6, 24):
            scheduler = Scheduler.fit(histories, len(histories), now, Budget(per_day=per_day))
            due = {number_of(h.page.url): scheduler.next_check(h) for h in histories}
            others = min(at for n, at in due.items() if n != 7)
            assert due[7] < others if per_day == 2 else due[7] <= others
            last = histories[0].page.last_captured_at
            assert all(at >= last + Budget().min_interval for at in due.values())
            schedules.append(due)
        for tighter, looser in pairwise(schedules):
            assert all(looser[n] <= tighter[n] for n in tighter)
        assert schedules[-1] != schedules[0]
    finally:
        archive.close()


def test_within_the_budget_the_floor_holds_and_the_checks_go_where_changes_are(tmp_path):
    """Thirty articles, four checks a day for sixty days, planned as a crawl plans them (the
    floor's articles, then the next checks) and each crawl's checked articles weighed again as
    a crawl's end does: never more than the budget, every article checked at least every
    ceil(30 / (4 / 2)) = 15 days, and the one that changes whenever it is checked checked more
    than twice as often as any other."""
    archive = open_archive(str(tmp_path / "archive.db"))
    try:
        store = Store(archive)
        budget, articles = Budget(per_day=4), 30
        for number in range(articles):
            store.record(observation(number, T0, f"正文{number}-0"))
        checked: dict[int, list[datetime]] = defaultdict(lambda: [T0])
        edits = 0
        for day in range(1, 61):
            now = T0 + day * DAY
            plan = plan_from_backlog(
                partial(floor_backlog, archive, "chencang"),
                tracked_article_count(archive, "chencang"),
                now,
                budget,
                scheduled=partial(scheduled_articles, archive, "chencang"),
            )
            assert plan is not None and len(plan.pages) + (plan.reserve or 0) <= 4
            for page in plan.pages:
                number = number_of(page.url)
                edits += number == 0  # it has changed whenever it is checked
                store.record(observation(number, now, f"正文0-{edits}" if number == 0 else None))
                checked[number].append(now)
            _schedule(archive, now, budget, captured_since=now)
        gaps = [b - a for times in checked.values() for a, b in pairwise(times)]
        assert max(gaps) <= 15 * DAY
        assert len(checked[0]) > 2 * max(len(t) for n, t in checked.items() if n)
    finally:
        archive.close()


def _archived(archive, count: int, *, young: set[int], now: datetime) -> dict[int, int]:
    """`count` articles first archived at T0, published in 2024 but the `young`, a day before
    `now`: each one's page id, by number."""
    store = Store(archive)
    old = datetime(2024, 5, 1, 10, 0, tzinfo=CST)
    for n in range(count):
        store.record(observation(n, T0, f"正文{n}-0", now - DAY if n in young else old))
    return {number_of(h.page.url): h.page.page_id for h in _histories(archive)}


def _to_schedule(
    archive, now: datetime, *, captured_since: datetime, slice_of: tuple[int, int]
) -> list[int]:
    """What a daily crawl's end at `now` weighs again (archive.checks.articles_to_schedule)."""
    return articles_to_schedule(
        archive,
        "chencang",
        captured_since=captured_since,
        born_after=now - RESCHEDULE_YOUNGER,
        due_by=now + DAY,
        slice_of=slice_of,
    )


def _histories(archive):
    return article_histories(archive, "chencang", T0 - 999 * DAY)


def _schedule(archive, now: datetime, budget: Budget, captured_since: datetime) -> None:
    """What crawler.plan.crawl.schedule_next_checks does at a crawl's end (no profile here)."""
    pages = _to_schedule(archive, now, captured_since=captured_since, slice_of=weekly_slice(now))
    histories = _histories(archive)
    scheduler = Scheduler.fit(histories, len(histories), now, budget)
    wanted = set(pages)
    set_next_checks(
        archive,
        {h.page.page_id: scheduler.next_check(h) for h in histories if h.page.page_id in wanted},
    )
