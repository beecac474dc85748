"""When each article is next worth a check: once its chance of a change since its last check
reaches what the daily budget affords (the budget planner's schedule, kept on the page row).

A crawl within a budget ends by working out the next check of every article it captured, of the
young, of those due by the next crawl, of any never scheduled, and of a seventh of the rest: the
change model (crawler.plan.rates) is fitted on every young article and a sample of the others, at
most SAMPLE of them (every one of a smaller archive), and one threshold is chosen for the whole
site, the chance at which checking each article would spend the day's budget. The next crawl
then reads the articles in the order their next checks fall (archive.checks.scheduled_articles),
after those past the round-robin floor, without weighing any of them again: what keeps its plan
to an index read however large the archive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from archive.checks import ArticleHistory
from crawler.plan.budget import YOUNG, Budget, history_of, list_reserve
from crawler.plan.rates import DAY, ChangeModel, History

# The model is fitted on at most this many articles' histories: enough for rates per column and
# age bucket, read in well under a second.
SAMPLE = 4000
# Articles younger than this are weighed again after every crawl, checked or not: their rates are
# the ones the model is still learning (most edits come within days of publication), and a
# next check worked out before it knew them could leave one unchecked for weeks.
RESCHEDULE_YOUNGER = timedelta(days=64)
# Every article is weighed again at least this often (a slice of them after each crawl, by id),
# whatever its schedule says: the rates move as the model learns, and a next check worked out
# under old ones would keep an article too long, or too little, out of the plans.
REWEIGH_EVERY = 7
# The threshold is sought between these expected changes since a check (chances of about 0.0001%
# and all but certain), halving the interval this many times.
LEAST, MOST, STEPS = 1e-6, 30.0, 40
# The latest a next check is set after the last: an article whose chance cannot grow.
FOREVER = timedelta(days=36500)


@dataclass(frozen=True)
class Scheduler:
    """A site's change model, the prior each article's own history is shrunk toward, and the
    expected changes since a check (`hazard`) at which an article falls due."""

    model: ChangeModel
    prior: tuple[float, float]
    hazard: float
    budget: Budget
    floor: timedelta
    # How often the site is crawled: no article is checked more often, whatever its chance.
    cadence: timedelta = timedelta(days=1)

    @classmethod
    def fit(
        cls,
        sample: Sequence[ArticleHistory],
        articles: int,
        now: datetime,
        budget: Budget,
        cadence: timedelta = timedelta(days=1),
    ) -> Scheduler:
        """Fitted on `sample` of the site's `articles` articles (every young one, younger than
        RESCHEDULE_YOUNGER, and a share of the others), the threshold chosen so that checking
        each article when it is reached would make the budget's checks a day (less the
        list-title reserve), those past the floor included."""
        histories = [history_of(article) for article in sample]
        model = ChangeModel.fit(histories)
        prior = model.propensity_prior(histories)
        floor = budget.floor_for(articles)
        scheduler = cls(model, prior, MOST, budget, floor, cadence)
        if budget.per_day is None or not sample:
            return scheduler
        per_day = budget.per_day - list_reserve(budget.per_day)
        rates = [
            (article.column, history.age(now), scheduler._propensity(article, history))
            for article, history in zip(sample, histories, strict=True)
        ]
        young = [now - article.born < RESCHEDULE_YOUNGER for article in sample]
        others = len(sample) - sum(young)
        scale = (articles - sum(young)) / others if others else 1.0
        weights = [1.0 if is_young else scale for is_young in young]

        def checks_a_day(hazard: float) -> float:
            return sum(w / scheduler._gap(r, hazard) for w, r in zip(weights, rates, strict=True))

        return cls(model, prior, _solve(checks_a_day, per_day), budget, floor, cadence)

    def next_check(self, article: ArticleHistory) -> datetime:
        """When the article's chance of a change since its last check reaches the threshold: no
        sooner than `min_interval` after it (unless still young then). Not held to the floor:
        the floor's own read finds an article past it, and beyond it the times still order the
        articles by their chances (FOREVER after the last check for one that cannot change)."""
        page = article.page
        last = page.last_captured_at
        if page.rejected:  # no article to watch: the floor alone checks it
            return last + FOREVER
        history = history_of(article)
        start = history.age(last)
        propensity = self._propensity(article, history)
        age = self.model.age_after(article.column, start, self.hazard / propensity)
        # Whole seconds after the last check: articles alike fall due together (a tie, broken
        # youngest first), not a float's rounding apart.
        wait = timedelta(seconds=round(min(age - start, FOREVER.days) * DAY))
        due = last + wait
        if wait < self.budget.min_interval and due - article.born >= YOUNG:
            due = last + self.budget.min_interval
        return due

    def _propensity(self, article: ArticleHistory, history: History) -> float:
        return 0.0 if article.page.rejected else self.model.propensity(history, self.prior)

    def _gap(self, rate: tuple[str, float, float], hazard: float) -> float:
        """Days between checks of an article of this column, age and propensity, checked when
        `hazard` expected changes accrue: within min_interval (or the crawls' cadence, if
        longer) and the floor."""
        column, age, propensity = rate
        least = max(self.budget.min_interval, self.cadence).total_seconds() / DAY
        most = self.floor.total_seconds() / DAY
        if propensity <= 0:
            return most
        gap = self.model.age_after(column, age, hazard / propensity) - age
        return min(most, max(least, gap))


def _solve(checks_a_day: Callable[[float], float], per_day: float) -> float:
    """The least threshold whose checks a day are within `per_day` (bisection on its log: the
    checks fall as the threshold rises)."""
    if checks_a_day(MOST) > per_day:
        return MOST
    if checks_a_day(LEAST) <= per_day:
        return LEAST
    low, high = math.log(LEAST), math.log(MOST)
    for _ in range(STEPS):
        middle = (low + high) / 2
        if checks_a_day(math.exp(middle)) > per_day:
            low = middle
        else:
            high = middle
    return math.exp(high)


def weekly_slice(now: datetime) -> tuple[int, int]:
    """The slice of the articles (k, n: ids k modulo n) weighed again on `now`'s day (UTC)."""
    return now.astimezone(UTC).toordinal() % REWEIGH_EVERY, REWEIGH_EVERY
