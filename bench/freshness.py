"""Daily crawls simulated without HTTP: the real revisit planners fed by the replica's own model of
the site (tests/replica/timeline.py), for archives too big to crawl for weeks in a bench.

Each simulated day the planner chooses the articles to check at 23:00; a check sees the version
the replica serves that day and archives a version when it differs from the last one archived;
new articles are archived the day they are published. bench.daily_crawls counts recall over the
edits and versions as it does over a real archive (`python -m bench.daily_crawls --simulate`;
this module's main is the same).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, time

from archive.checks import ArticleHistory
from archive.query import TrackedPage
from crawler.plan.budget import Budget, plan_within_budget
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
        if day > 1:
            plan = _plan(planner, list(known.values()), now, per_day)
            result.checks += len(plan.pages)
            for due in plan.pages:
                if _check(known[due.page_id - 1], timeline, day, now):
                    result.versions.append((str(timeline.doc_ids[due.page_id - 1]), day))
        for key in range(timeline.day_start[day] if day > 1 else 0, timeline.day_start[day + 1]):
            version = timeline.state_on(key, day).version
            known[key] = Known(key, timeline.published_list[key], now, version)
            known[key].checks.append((now, False))
    for key, edits in timeline.edits_by_key.items():
        result.edits += [(str(timeline.doc_ids[key]), day) for day, _, _ in edits if day <= days]
    return result


def _plan(planner: str, pages: list[Known], now: datetime, per_day: int | None) -> RevisitPlan:
    if planner == "schedule":
        return plan_revisits([p.tracked() for p in pages], now, RevisitPolicy(), limit=per_day)
    return plan_within_budget([p.history() for p in pages], now, Budget(per_day))


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
