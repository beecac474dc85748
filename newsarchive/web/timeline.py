"""An article's life at a glance: a calendar of the days from its first capture to its last, each
day marked with what happened (captured, changed, missing, moved, back), tinted by the state
the page was in, and linked to the version current that day; and the same as a list."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from archive.query import PageHistory
from newsarchive.web.dates import local_day

# Marks in the order that decides a day's colour: the most telling first.
MARKS = (
    "gone",
    "new",
    "changed",
    "reparsed",
    "moved",
    "reappeared",
    "recovered",
    "unreachable",
    "unlisted",
    "relisted",
    "untracked",
    "tracked",
    "failed",
    "captured",
)
_FAILED = frozenset({"error", "blocked", "truncated"})
# What an event makes of the page's state (the tint of the days that follow).
_STATE_AFTER = {
    "unreachable": "unreachable",
    "recovered": "live",
    "gone": "gone",
    "reappeared": "live",
    "untracked": "untracked",
    "tracked": "live",
}


@dataclass(frozen=True)
class Entry:
    """One thing that happened: a version made, or a lifecycle event."""

    at: datetime
    kind: str
    version: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Day:
    day: date
    marks: tuple[str, ...]
    state: str
    version: int | None
    captures: int

    @property
    def mark(self) -> str:
        return self.marks[0] if self.marks else ""


@dataclass(frozen=True)
class Month:
    first: date
    days: tuple[
        Day | None, ...
    ]  # 31 cells: None before the first day, after the last, or past the month's end


@dataclass(frozen=True)
class Timeline:
    months: tuple[Month, ...]
    entries: tuple[Entry, ...]


def timeline(history: PageHistory) -> Timeline:
    entries = _entries(history)
    marks = _marks(history, entries)
    moments = [c.captured_at for c in history.captures] + [e.at for e in entries]
    first, last = local_day(min(moments)), local_day(max(moments))
    days = _days(first, last, marks, entries, history)
    return Timeline(_months(first, last, days), tuple(entries))


def _entries(history: PageHistory) -> list[Entry]:
    made = [
        Entry(v.captured_at, _version_kind(v.number, v.classes), v.number) for v in history.versions
    ]
    events = [Entry(e.at, e.kind, None, dict(e.detail)) for e in history.events]
    return sorted(made + events, key=lambda e: e.at)


def _version_kind(number: int, classes: tuple[str, ...]) -> str:
    if number == 1:
        return "new"
    return "reparsed" if classes == ("reparse",) else "changed"


def _marks(history: PageHistory, entries: list[Entry]) -> dict[date, set[str]]:
    marks: dict[date, set[str]] = defaultdict(set)
    for capture in history.captures:
        kind = "failed" if capture.outcome in _FAILED else "captured"
        marks[local_day(capture.captured_at)].add(kind)
    for entry in entries:
        marks[local_day(entry.at)].add(entry.kind)
    return marks


def _days(
    first: date,
    last: date,
    marks: dict[date, set[str]],
    entries: list[Entry],
    history: PageHistory,
) -> dict[date, Day]:
    captures: dict[date, int] = defaultdict(int)
    for capture in history.captures:
        captures[local_day(capture.captured_at)] += 1
    days, state, version, pending = {}, "live", None, list(entries)
    day = first
    while day <= last:
        while pending and local_day(pending[0].at) <= day:
            entry = pending.pop(0)
            state = _STATE_AFTER.get(entry.kind, state)
            version = entry.version or version
        ordered = tuple(m for m in MARKS if m in marks.get(day, ()))
        days[day] = Day(day, ordered, state, version, captures[day])
        day += timedelta(days=1)
    return days


def _months(first: date, last: date, days: dict[date, Day]) -> tuple[Month, ...]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        length = calendar.monthrange(month.year, month.month)[1]
        cells = tuple(days.get(month.replace(day=n)) if n <= length else None for n in range(1, 32))
        months.append(Month(month, cells))
        month = (month + timedelta(days=32)).replace(day=1)
    return tuple(months)
