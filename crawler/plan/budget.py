"""Re-checks within a daily request budget: where changes are likely, above a round-robin floor."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from archive.checks import ArticleHistory, BacklogPage, SiteLoad
from crawler.plan.rates import DAY, ChangeModel, History, intervals
from crawler.plan.revisits import DuePage, RevisitPlan

# The round-robin floor may take this share of the daily budget: with N articles and B checks a
# day, every article is checked at least every N / (FLOOR_SHARE · B) days (rounded up).
FLOOR_SHARE = 0.5
# This share of a run's checks (rounded up, at most half of them) is kept for articles whose
# title on a list page differs from the archived one: a change seen for free, checked in the
# same crawl.
RESERVE_SHARE = 0.01
# Checks older than this are not read: a year of them is plenty, and a site's habits change.
HISTORY = timedelta(days=365)


@dataclass(frozen=True)
class Budget:
    """Re-checks a day (None: no limit), the longest an article may go unchecked (None: derived
    from the budget and the archive's size), and the shortest time between two checks of an
    article a day old or more (younger ones may be checked every run). A floor check is due a
    `slack` share of the floor early, so a daily cron job that starts a minute early keeps it."""

    per_day: int | None = None
    floor: timedelta | None = None
    min_interval: timedelta = timedelta(hours=6)
    slack: float = 0.1

    def floor_for(self, articles: int) -> timedelta:
        """The floor in force for an archive of `articles` articles (whole days, at least one)."""
        if self.floor is not None:
            return self.floor
        if not self.per_day:
            return timedelta(days=1)
        return timedelta(days=max(1, math.ceil(articles / (FLOOR_SHARE * self.per_day))))

    def for_run(self, share: float) -> int | None:
        """A run's checks: its share of the day (time since the last crawl, at most a day)."""
        if self.per_day is None:
            return None
        return math.ceil(self.per_day * min(1.0, max(0.0, share)))


def list_reserve(run: int) -> int:
    """Of a run's `run` checks, those kept for articles a list page shows under a changed title."""
    return min(run // 2, math.ceil(run * RESERVE_SHARE))


def auto_budget(
    delay: float, sites: int, load: SiteLoad, walk_every: timedelta, stop_after: int
) -> int | None:
    """Re-checks a day the politeness allows: a request every `delay` seconds (None when there is
    no delay), shared by the `sites` sites of the platform, less the list pages a day (every
    list page once per `walk_every`, and the newest `stop_after` + 1 every day) and a day's new
    articles (the last week's, a seventh of them)."""
    if delay <= 0:
        return None
    capacity = DAY / delay / max(1, sites)
    walk_days = walk_every.total_seconds() / DAY
    lists = load.list_pages / walk_days if walk_days >= 1 else load.list_pages
    spent = lists + stop_after + 1 + load.published_last_week / 7
    return max(0, math.floor(capacity - spent))


@dataclass(frozen=True)
class _Candidate:
    article: ArticleHistory
    value: float
    # How far past the floor it is; None while the floor does not ask for it yet.
    overdue: timedelta | None


class Backlog(Protocol):
    """The tracked articles last captured at or before `due_by`, at most `limit` (those last
    captured before `overdue_before` first, oldest capture first, then by id; then the others
    by id), and how many there are (archive.checks.floor_backlog)."""

    def __call__(
        self, *, overdue_before: datetime, due_by: datetime, limit: int
    ) -> tuple[list[BacklogPage], int]: ...


class Scheduled(Protocol):
    """Up to `limit` tracked articles last captured after `captured_after`, in the order the
    planner takes them (never scheduled, then as their next checks fall); one captured after
    `rested_by` only if published after `young_after` (archive.checks.scheduled_articles)."""

    def __call__(
        self,
        *,
        captured_after: datetime,
        rested_by: datetime,
        young_after: datetime,
        limit: int,
    ) -> list[BacklogPage]: ...


def plan_from_backlog(
    backlog: Backlog,
    articles: int,
    now: datetime,
    budget: Budget,
    *,
    share: float = 1.0,
    limit: int | None = None,
    scheduled: Scheduled | None = None,
) -> RevisitPlan | None:
    """The plan within the budget over `articles` tracked articles, read from the archive in
    index order: the articles past the floor first, most overdue first (plan_within_budget's
    choice too); when they do not fill the run's checks (less the reserve), the others in the
    order their next checks fall (crawler.plan.nextcheck), as far as the checks go. Nothing but
    the articles chosen is read. None when there is no budget or the min_interval rule could
    pass over an article past the floor, or, without `scheduled`, when the floor's articles do
    not fill the checks: then every article is weighed (plan_within_budget)."""
    run = budget.for_run(share)
    if run is None:
        return None
    reserve = list_reserve(run)
    room = run - reserve
    floor = budget.floor_for(articles)
    due_after = floor * (1 - budget.slack)
    if due_after < budget.min_interval:
        return None
    pages, due = backlog(overdue_before=now - floor, due_by=now - due_after, limit=room)
    if due < room and scheduled is None:
        return None
    chosen = [
        DuePage(
            p.page_id, p.url, p.etag, p.last_modified, max(now - p.last_captured_at - floor, ZERO)
        )
        for p in pages
    ]
    if due < room and scheduled is not None:
        more = scheduled(
            captured_after=now - due_after,
            rested_by=now - budget.min_interval,
            young_after=now - YOUNG,
            limit=room - len(chosen),
        )
        chosen += [DuePage(p.page_id, p.url, p.etag, p.last_modified) for p in more]
        due = len(chosen)
    if limit is not None:
        chosen = chosen[: max(0, limit)]
    return RevisitPlan(tuple(chosen), due, reserve=reserve, budget=run, floor=floor)


# An article this young may be checked every run, whatever min_interval says.
YOUNG = timedelta(days=1)


ZERO = timedelta(0)


def plan_within_budget(
    articles: Sequence[ArticleHistory],
    now: datetime,
    budget: Budget,
    *,
    share: float = 1.0,
    limit: int | None = None,
) -> RevisitPlan:
    """The articles to check now: those past the floor, most overdue first, then the likeliest
    to have changed since their last check (Cho & Garcia-Molina's rates by column and age, the
    page's own history weighed in), within the run's budget less the list-title reserve."""
    run = budget.for_run(share)
    reserve = None if run is None else list_reserve(run)
    room = None if run is None or reserve is None else run - reserve
    floor = budget.floor_for(len(articles))
    due_by_floor, others = _candidates(articles, now, budget, floor)
    chosen = due_by_floor if room is None else due_by_floor[:room]
    wanted = [c for c in others if c.value > 0]
    if room is not None:
        wanted = heapq.nsmallest(room - len(chosen), wanted, key=_rank)
    pages = [_due(c) for c in chosen] + [_due(c) for c in sorted(wanted, key=_rank)]
    due = len(pages) + len(due_by_floor) - len(chosen)
    if limit is not None:
        pages = pages[: max(0, limit)]
    return RevisitPlan(tuple(pages), due, reserve=reserve, budget=run, floor=floor)


def _candidates(
    articles: Sequence[ArticleHistory], now: datetime, budget: Budget, floor: timedelta
) -> tuple[list[_Candidate], list[_Candidate]]:
    """The articles that may be checked now: those the floor asks for, most overdue first, and
    the others, each with its chance of a change since its last check."""
    histories = [history_of(article) for article in articles]
    model = ChangeModel.fit(histories)
    due_by_floor: list[_Candidate] = []
    others: list[_Candidate] = []
    for article, history, propensity in zip(
        articles, histories, model.propensities(histories), strict=True
    ):
        candidate = _candidate(article, history, model, propensity, now, budget, floor)
        if candidate is not None:
            (others if candidate.overdue is None else due_by_floor).append(candidate)
    return sorted(due_by_floor, key=_most_overdue), others


def _candidate(
    article: ArticleHistory,
    history: History,
    model: ChangeModel,
    propensity: float,
    now: datetime,
    budget: Budget,
    floor: timedelta,
) -> _Candidate | None:
    """The article's chance of a change since its last check, and how far past the floor it is;
    None when it was checked too recently to be checked again."""
    page = article.page
    since, age = now - page.last_captured_at, history.age(now)
    if since < budget.min_interval and age >= YOUNG / timedelta(days=1):
        return None
    overdue = max(since - floor, timedelta(0)) if since >= floor * (1 - budget.slack) else None
    if page.rejected:  # no article to watch: the floor alone checks it
        return _Candidate(article, 0.0, overdue)
    value = model.chance(history, propensity, history.age(page.last_captured_at), age)
    return _Candidate(article, value, overdue)


def _most_overdue(candidate: _Candidate) -> tuple[float, int]:
    overdue = candidate.overdue or timedelta(0)
    return (-overdue.total_seconds(), candidate.article.page.page_id)


def _rank(candidate: _Candidate) -> tuple[float, datetime, float, int]:
    """Likeliest first; then the longest unchecked; then the youngest (before anything is
    learnt, the newest articles are the likeliest to be edited); then the page id. Chances are
    compared to 12 decimals: summing a rate over buckets must not tell equal chances apart."""
    page = candidate.article.page
    return (
        -round(candidate.value, 12),
        page.last_captured_at,
        -candidate.article.born.timestamp(),
        page.page_id,
    )


def history_of(article: ArticleHistory) -> History:
    """What the change model learns from an article: its column, birth and checks' intervals."""
    return History(article.column, article.born, intervals(article.born, article.checks))


def _due(candidate: _Candidate) -> DuePage:
    return DuePage.of(candidate.article.page, candidate.overdue or timedelta(0))
