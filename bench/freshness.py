"""Daily crawls simulated without HTTP: the real revisit planners fed by the replica's own model of
the site (tests/replica/timeline.py), for archives too big to crawl for weeks in a bench.

Each simulated day the planner chooses the articles to check at 23:00; a check sees the version
the replica serves that day and archives a version when it differs from the last one archived;
new articles are archived the day they are published. bench.daily_crawls counts recall over the
edits and versions as it does over a real archive (`python -m bench.daily_crawls --simulate`;
this module's main is the same).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial

from archive.checks import ArticleHistory, BacklogPage
from archive.query import TrackedPage
from crawler.plan.budget import Budget, plan_from_backlog, plan_within_budget
from crawler.plan.nextcheck import RESCHEDULE_YOUNGER, SAMPLE, Scheduler, weekly_slice
from crawler.plan.revisits import RevisitPlan, RevisitPolicy, plan_revisits
from tests.replica.model import SHANGHAI, Options
from tests.replica.timeline import Timeline

CRAWL_TIME = time(23)
CONTENT_STATES = frozenset({"live", "unlisted", "moved"})


@dataclass
class Known:
    """An archived article in the simulation: what the archive would hold of it."""

    key: int
    published: datetime
    captured_at: datetime
    seen: int  # the version last archived
    changed_at: datetime | None = None
    checks: list[tuple[datetime, bool]] = field(default_factory=list)
    next_check: datetime | None = None

    def tracked(self) -> TrackedPage:
        url = f"sim:{self.key}"
        return TrackedPage(
            self.key + 1,
            url,
            None,
            None,
            self.published,
            self.published,
            self.changed_at,
            self.captured_at,
        )

    def backlog(self) -> BacklogPage:
        return BacklogPage(self.key + 1, f"sim:{self.key}", None, None, self.captured_at)

    def history(self) -> ArticleHistory:
        return ArticleHistory(self.tracked(), "陈仓要闻", "", tuple(self.checks))


@dataclass
class Simulated:
    """What the simulated archive ends with: the edits and the versions after each article's
    first, as (doc id, day), and how many re-checks the crawls made."""

    edits: list[tuple[str, int]] = field(default_factory=list)
    versions: list[tuple[str, int]] = field(default_factory=list)
    checks: int = 0


def evening(options: Options, day: int) -> datetime:
    return datetime.combine(options.date_of(day), CRAWL_TIME, SHANGHAI)


def simulate(options: Options, planner: str, per_day: int | None, days: int) -> Simulated:
    """Crawl days 1 … `days` of the replica `options` describe with `planner` ("schedule": the
    shipped schedule, at most `per_day` checks a run if given; "budget": `per_day` a day)."""
    timeline = Timeline(options)
    known: dict[int, Known] = {}
    result = Simulated()
    for day in range(1, days + 1):
        now = evening(options, day)
        checked: list[Known] = []
        if day > 1:
            plan = _plan(planner, list(known.values()), now, per_day)
            result.checks += len(plan.pages)
            for due in plan.pages:
                checked.append(known[due.page_id - 1])
                if _check(known[due.page_id - 1], timeline, day, now):
                    result.versions.append((str(timeline.doc_ids[due.page_id - 1]), day))
        for key in range(timeline.day_start[day] if day > 1 else 0, timeline.day_start[day + 1]):
            version = timeline.state_on(key, day).version
            known[key] = Known(key, timeline.published_list[key], now, version)
            known[key].checks.append((now, False))
            checked.append(known[key])
        if planner == "budget" and per_day is not None:
            _schedule(list(known.values()), checked, now, per_day)
    for key, edits in timeline.edits_by_key.items():
        result.edits += [(str(timeline.doc_ids[key]), day) for day, _, _ in edits if day <= days]
    return result


def _plan(planner: str, pages: list[Known], now: datetime, per_day: int | None) -> RevisitPlan:
    if planner == "schedule":
        return plan_revisits([p.tracked() for p in pages], now, RevisitPolicy(), limit=per_day)
    budget = Budget(per_day)
    found = plan_from_backlog(
        partial(_backlog, pages), len(pages), now, budget, scheduled=partial(_scheduled, pages)
    )
    return found or plan_within_budget([p.history() for p in pages], now, budget)


def _schedule(pages: list[Known], checked: list[Known], now: datetime, per_day: int) -> None:
    """A crawl's last step (crawler.plan.crawl.schedule_next_checks): the next check of the
    articles it captured and of those archive.checks.articles_to_schedule finds, the model
    fitted on the same sample a crawl would take."""
    part, parts = weekly_slice(now)
    again = [
        p
        for p in pages
        if now - p.published < RESCHEDULE_YOUNGER
        or (p.next_check is not None and p.next_check <= now + timedelta(days=1))
        or (p.key + 1) % parts == part
    ]
    checked = list({id(p): p for p in checked + again}.values())
    step = max(1, math.ceil(len(pages) / SAMPLE))
    sample = [
        p.history()
        for p in pages
        if (p.key + 1) % step == 0 or now - p.published < RESCHEDULE_YOUNGER
    ]
    scheduler = Scheduler.fit(sample, len(pages), now, Budget(per_day))
    for page in checked:
        page.next_check = scheduler.next_check(page.history())


def _backlog(
    pages: list[Known], *, overdue_before: datetime, due_by: datetime, limit: int
) -> tuple[list[BacklogPage], int]:
    """archive.checks.floor_backlog over the simulated archive."""
    due = [p for p in pages if p.captured_at <= due_by]
    overdue = sorted((p for p in due if p.captured_at < overdue_before), key=_oldest)
    on_time = sorted((p for p in due if p.captured_at >= overdue_before), key=_key)
    return [p.backlog() for p in (overdue + on_time)[:limit]], len(due)


def _scheduled(
    pages: list[Known],
    *,
    captured_after: datetime,
    rested_by: datetime,
    young_after: datetime,
    limit: int,
) -> list[BacklogPage]:
    """archive.checks.scheduled_articles over the simulated archive."""
    ready = [
        p
        for p in pages
        if p.captured_at > captured_after
        and (p.captured_at <= rested_by or p.published > young_after)
    ]
    ready.sort(key=_due_order)
    return [p.backlog() for p in ready[:limit]]


def _due_order(page: Known) -> tuple[bool, float, float, int]:
    """Never scheduled first (by id), then as the next checks fall; ties youngest first."""
    due = page.next_check
    if due is None:
        return False, 0.0, 0.0, page.key
    return True, due.timestamp(), -page.published.timestamp(), page.key


def _oldest(page: Known) -> tuple[datetime, int]:
    return page.captured_at, page.key


def _key(page: Known) -> int:
    return page.key


def _check(page: Known, timeline: Timeline, day: int, now: datetime) -> bool:
    """A check of the page on the day: whether it archived a new version."""
    state = timeline.state_on(page.key, day)
    page.captured_at = now
    if state.state not in CONTENT_STATES:
        return False
    changed = state.version > page.seen
    if changed:
        page.seen, page.changed_at = state.version, now
    page.checks.append((now, changed))
    return changed


def main() -> None:
    from bench.daily_crawls import main as bench_main

    sys.argv[1:1] = ["recall", "--simulate"]
    bench_main()


if __name__ == "__main__":
    main()
