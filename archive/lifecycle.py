"""A page's lifecycle: whether it is reachable, gone or back, decided from its captures."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from archive.records import Outcome


class State(StrEnum):
    LIVE = "live"
    UNREACHABLE = "unreachable"
    GONE = "gone"
    # Taken out of the crawl by an archivist (archived by mistake): history kept, never fetched.
    UNTRACKED = "untracked"


class Event(StrEnum):
    """Transitions, as they appear in history and in the change report."""

    UNREACHABLE = "unreachable"
    RECOVERED = "recovered"
    GONE = "gone"
    REAPPEARED = "reappeared"
    UNLISTED = "unlisted"
    RELISTED = "relisted"
    MOVED = "moved"
    UNTRACKED = "untracked"
    TRACKED = "tracked"


# A 404, a 410, a soft 404 and a redirect to a non-article page all say "not here any more";
# only a streak of them long enough makes a page gone. Other failures are transient.
MISSING = frozenset({Outcome.NOT_FOUND, Outcome.SOFT_404, Outcome.REDIRECTED})
# A redirect to the article's new URL is the article, reached at another address.
REACHED = frozenset({Outcome.CONTENT, Outcome.NOT_MODIFIED, Outcome.MOVED, Outcome.REJECTED})


@dataclass(frozen=True)
class Status:
    state: State
    missing_since: datetime | None = None
    missing_checks: int = 0


@dataclass(frozen=True)
class Rules:
    """When a page counts as gone: `checks` missing captures spanning at least `span`."""

    gone_after: timedelta = timedelta(hours=24)
    checks: int = 2


def after_capture(
    status: Status, verdict: Outcome, at: datetime, rules: Rules
) -> tuple[Status, Event | None]:
    """The page's status after a capture with `verdict` at `at`, and the transition it makes."""
    if verdict in REACHED:
        back = Status(State.LIVE)
        return back, _return_event(status.state)
    if verdict in MISSING:
        return _missing(status, at, rules)
    if status.state is State.LIVE:
        return replace(status, state=State.UNREACHABLE), Event.UNREACHABLE
    return status, None


def _return_event(state: State) -> Event | None:
    if state is State.GONE:
        return Event.REAPPEARED
    if state is State.UNREACHABLE:
        return Event.RECOVERED
    return None


def _missing(status: Status, at: datetime, rules: Rules) -> tuple[Status, Event | None]:
    since = status.missing_since or at
    checks = status.missing_checks + 1
    if status.state is State.GONE:
        return Status(State.GONE, since, checks), None
    # total_seconds, never .seconds: a span of days must count its days.
    confirmed = (
        checks >= rules.checks and (at - since).total_seconds() >= rules.gone_after.total_seconds()
    )
    if confirmed:
        return Status(State.GONE, since, checks), Event.GONE
    event = Event.UNREACHABLE if status.state is State.LIVE else None
    return Status(State.UNREACHABLE, since, checks), event
