"""Change rates learned from checks: Cho & Garcia-Molina's estimator, pooled by column and age.

Levels, each shrunk toward the one above by empirical Bayes (a gamma prior on the relative
rate, its spread estimated from the data by moments, as for disease rates across regions:
Marshall 1991): the rate over all checks; per age bucket; per column within a bucket; and per
page, how much more or less often than its buckets it changed. Where the units differ (most edits
within days of publication) each keeps its own rate; where they differ by no more than chance
(edits on articles of every age alike) they share the pooled one, so noise does not send the
budget after a bucket that happened to show a few more changes.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TypeVar

K = TypeVar("K")
DAY = 86400.0
# Age buckets, in days since publication: [0, 1), [1, 2), [2, 4) … [2048, ∞). Doubling, so the
# weeks after publication, when most edits happen, are told apart, and the years are not.
BOUNDS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0)
# Before any check, every page is assumed to change PRIOR_RATE times a day, whatever its age (an
# unchecked bucket is then as worth a look as any); checks outweigh it once they cover
# PRIOR_DAYS days of pages.
PRIOR_RATE = 0.01
PRIOR_DAYS = 10.0
# The gamma prior's shape is kept within these: near the top, units share the pooled rate.
MIN_SHAPE, MAX_SHAPE = 0.1, 1e4
# A unit whose changes are this many Poisson standard deviations from the mean's prediction is
# told apart from the others when their spread is estimated.
DISTINCT = 3.0


def cho_rate(checks: int, changed: int, interval: float) -> float:
    """Changes a day from `checks` checks `interval` days apart of which `changed` found the page
    changed: Cho & Garcia-Molina's bias-reduced estimator for a Poisson process seen only as
    changed or not at each check, −log((n − X + 0.5) / (n + 0.5)) / I (0 with no checks)."""
    if checks <= 0 or interval <= 0:
        return 0.0
    return -math.log((checks - changed + 0.5) / (checks + 0.5)) / interval


def gamma_shape(units: Iterable[tuple[float, float]]) -> float:
    """The shape α of a gamma prior on units' relative rates, from (observed, expected) counts:
    α = m² / v, v the spread of observed/expected beyond what Poisson noise explains (Marshall's
    moment estimator); MAX_SHAPE when there is none (the units differ by chance alone)."""
    pairs = [(x, e) for x, e in units if e > 0]
    observed, expected = sum(x for x, _ in pairs), sum(e for _, e in pairs)
    if expected <= 0 or observed <= 0:
        return MAX_SHAPE
    mean = observed / expected
    spread = sum(e * (x / e - mean) ** 2 for x, e in pairs) / expected
    excess = spread - mean / (expected / len(pairs))
    return MAX_SHAPE if excess <= 0 else min(MAX_SHAPE, max(MIN_SHAPE, mean * mean / excess))


def shrunk(observed: float, expected: float, shape: float, mean: float = 1.0) -> float:
    """A unit's relative rate under a gamma(α, α/m) prior: (α + X) / (α/m + E)."""
    return (shape + observed) / (shape / mean + expected)


def bucket_of(age: float) -> int:
    """The age bucket of an age in days (negative ages, a page dated later than seen, are 0)."""
    return bisect.bisect_right(BOUNDS, age)


@dataclass(frozen=True)
class Interval:
    """The time between two checks of a page that compared its content: its age (days) at the
    start, its length (days), and whether the second check found it changed."""

    start: float
    length: float
    changed: bool

    @property
    def bucket(self) -> int:
        return bucket_of(self.start + self.length / 2)


@dataclass
class Tally:
    """Checks pooled: how many, how many found a change, the days they cover."""

    checks: int = 0
    changed: int = 0
    days: float = 0.0

    def add(self, interval: Interval) -> None:
        self.checks += 1
        self.changed += interval.changed
        self.days += interval.length

    def rate(self) -> float:
        """Cho's estimate, at the checks' mean interval."""
        return cho_rate(self.checks, self.changed, self.days / self.checks) if self.checks else 0.0

    def changes(self) -> float:
        """Changes over the days checked, the misses between checks counted back in."""
        return self.rate() * self.days


@dataclass(frozen=True)
class History:
    """One page's learning material: its column, its publication (or first sight) and the
    intervals between its content checks, oldest first."""

    column: str
    born: datetime
    intervals: tuple[Interval, ...]

    def age(self, now: datetime) -> float:
        return (now - self.born).total_seconds() / DAY

    def changes(self) -> int:
        return sum(interval.changed for interval in self.intervals)


@dataclass
class ChangeModel:
    """Rates per (column, age bucket), and each page's relative rate (`propensity`)."""

    overall: float = PRIOR_RATE
    ages: dict[int, float] = field(default_factory=dict)
    rates: dict[tuple[str, int], float] = field(default_factory=dict)

    @classmethod
    def fit(cls, histories: Iterable[History]) -> ChangeModel:
        cells: dict[tuple[str, int], Tally] = defaultdict(Tally)
        for history in histories:
            for interval in history.intervals:
                cells[history.column, interval.bucket].add(interval)
        ages: dict[int, Tally] = defaultdict(Tally)
        every = Tally()
        for (_, bucket), tally in cells.items():
            for pooled in (ages[bucket], every):
                pooled.checks += tally.checks
                pooled.changed += tally.changed
                pooled.days += tally.days
        overall = (PRIOR_RATE * PRIOR_DAYS + every.changes()) / (PRIOR_DAYS + every.days)
        return cls(overall, _level(ages, lambda _: overall), {}).with_cells(cells)

    def with_cells(self, cells: dict[tuple[str, int], Tally]) -> ChangeModel:
        self.rates = _level(cells, lambda key: self.ages[key[1]])
        return self

    def rate(self, column: str, bucket: int) -> float:
        found = self.rates.get((column, bucket))
        return found if found is not None else self.ages.get(bucket, self.overall)

    def hazard(self, column: str, start: float, end: float) -> float:
        """Expected changes between two ages (days): the bucket rates integrated piecewise."""
        total, age = 0.0, max(0.0, start)
        while age < end:
            bucket = bucket_of(age)
            edge = BOUNDS[bucket] if bucket < len(BOUNDS) else end
            step = min(edge, end) - age
            total += self.rate(column, bucket) * step
            age += step
        return total

    def age_after(self, column: str, start: float, hazard: float) -> float:
        """The age (days) by which `hazard` expected changes have accrued since age `start`: the
        inverse of hazard(column, start, ·)."""
        age, left = max(0.0, start), hazard
        while True:
            bucket = bucket_of(age)
            rate = self.rate(column, bucket)
            edge = BOUNDS[bucket] if bucket < len(BOUNDS) else math.inf
            if rate <= 0:
                if edge == math.inf:
                    return math.inf
                age = edge
                continue
            if rate * (edge - age) >= left:
                return age + left / rate
            left -= rate * (edge - age)
            age = edge

    def expected(self, history: History) -> float:
        """How many of the page's checks would have found a change at its buckets' rates."""
        return sum(
            -math.expm1(-self.hazard(history.column, i.start, i.start + i.length))
            for i in history.intervals
        )

    def propensities(self, histories: Sequence[History]) -> list[float]:
        """Each page's rate relative to its buckets': the changes its checks found against those
        its buckets predict, shrunk by the spread the pages show beyond chance."""
        counts = [(float(h.changes()), self.expected(h)) for h in histories]
        shape, mean = gamma_shape(counts), _mean(counts)
        return [shrunk(x, e, shape, mean) for x, e in counts]

    def propensity_prior(self, histories: Sequence[History]) -> tuple[float, float]:
        """The gamma prior propensities() shrinks each page toward, from these pages: its shape
        and mean, for pages weighed apart from them (propensity())."""
        counts = [(float(h.changes()), self.expected(h)) for h in histories]
        return gamma_shape(counts), _mean(counts)

    def propensity(self, history: History, prior: tuple[float, float]) -> float:
        """The page's rate relative to its buckets', shrunk toward `prior` (shape, mean)."""
        return shrunk(float(history.changes()), self.expected(history), *prior)

    def chance(self, history: History, propensity: float, since: float, now: float) -> float:
        """The chance the page changed between ages `since` and `now` (days): 1 − exp(−r · H)."""
        return -math.expm1(-propensity * self.hazard(history.column, since, now))


def _level(tallies: dict[K, Tally], parent: Callable[[K], float]) -> dict[K, float]:
    """Each unit's rate: its parent's times its relative rate, shrunk by the spread the units
    show. The units whose changes are beyond chance at the mean (_distinct: the newest articles,
    where most edits come) are shrunk by the spread of all; the others by their own spread
    toward their own mean, so a few hot units do not leave the rest's noise unpooled."""
    counts = {key: (t.changes(), parent(key) * t.days) for key, t in tallies.items()}
    every = (gamma_shape(counts.values()), _mean(counts.values()))
    rest = {key: c for key, c in counts.items() if not _distinct(*c, every[1])}
    others = (gamma_shape(rest.values()), _mean(rest.values()))
    return {
        key: parent(key) * shrunk(x, e, *(others if key in rest else every))
        for key, (x, e) in counts.items()
    }


def _distinct(observed: float, expected: float, mean: float) -> bool:
    """Whether a unit's changes differ from the mean's prediction by more than DISTINCT standard
    deviations of a Poisson count."""
    predicted = mean * expected
    return predicted > 0 and abs(observed - predicted) > DISTINCT * math.sqrt(predicted)


def _mean(counts: Iterable[tuple[float, float]]) -> float:
    pairs = list(counts)
    observed, expected = sum(x for x, _ in pairs), sum(e for _, e in pairs)
    return observed / expected if observed > 0 and expected > 0 else 1.0


def intervals(born: datetime, checks: Sequence[tuple[datetime, bool]]) -> tuple[Interval, ...]:
    """The intervals between successive content checks (the first one starts the count)."""
    result = []
    for (before, _), (after, changed) in pairwise(checks):
        length = (after - before).total_seconds() / DAY
        if length > 0:
            start = (before - born).total_seconds() / DAY
            result.append(Interval(start, length, changed))
    return tuple(result)
