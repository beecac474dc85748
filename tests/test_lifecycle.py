"""The lifecycle rules: one 404 is not a deletion; two, a day apart, are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.lifecycle import Event, Rules, State, Status, after_capture
from archive.records import Outcome

T0 = datetime(2025, 12, 2, 15, 0, tzinfo=UTC)
RULES = Rules(gone_after=timedelta(hours=24))
LIVE = Status(State.LIVE)


def run(
    *steps: tuple[Outcome, timedelta], start: Status = LIVE
) -> list[tuple[State, Event | None]]:
    status, seen = start, []
    for verdict, offset in steps:
        status, event = after_capture(status, verdict, T0 + offset, RULES)
        seen.append((status.state, event))
    return seen


def test_a_single_404_is_unreachable_not_gone():
    assert run((Outcome.NOT_FOUND, timedelta(0))) == [(State.UNREACHABLE, Event.UNREACHABLE)]


def test_two_404s_a_day_apart_are_gone():
    assert run((Outcome.NOT_FOUND, timedelta(0)), (Outcome.NOT_FOUND, timedelta(hours=24)))[-1] == (
        State.GONE,
        Event.GONE,
    )


def test_two_404s_within_the_span_are_not_yet_gone():
    steps = [
        (Outcome.NOT_FOUND, timedelta(0)),
        (Outcome.NOT_FOUND, timedelta(hours=23, minutes=59)),
    ]
    assert run(*steps)[-1] == (State.UNREACHABLE, None)


def test_the_span_counts_whole_days():
    """timedelta.seconds drops the days (diffengine's bug); total_seconds must be used."""
    steps = [(Outcome.NOT_FOUND, timedelta(0)), (Outcome.NOT_FOUND, timedelta(days=3, seconds=5))]
    assert run(*steps)[-1] == (State.GONE, Event.GONE)


@pytest.mark.parametrize("verdict", [Outcome.SOFT_404, Outcome.REDIRECTED, Outcome.NOT_FOUND])
def test_soft_404s_and_redirects_home_count_as_missing(verdict):
    assert run((verdict, timedelta(0)), (verdict, timedelta(days=1)))[-1][0] is State.GONE


@pytest.mark.parametrize("verdict", [Outcome.ERROR, Outcome.BLOCKED, Outcome.TRUNCATED])
def test_passing_failures_never_make_a_page_gone(verdict):
    steps = [(verdict, timedelta(days=day)) for day in range(5)]
    assert run(*steps) == [(State.UNREACHABLE, Event.UNREACHABLE)] + [(State.UNREACHABLE, None)] * 4


def test_a_server_error_between_404s_neither_confirms_nor_resets():
    steps = [
        (Outcome.NOT_FOUND, timedelta(0)),
        (Outcome.ERROR, timedelta(hours=12)),
        (Outcome.NOT_FOUND, timedelta(hours=24)),
    ]
    assert run(*steps)[-1] == (State.GONE, Event.GONE)


def test_back_after_unreachable_is_recovered_and_after_gone_reappeared():
    assert run((Outcome.ERROR, timedelta(0)), (Outcome.NOT_MODIFIED, timedelta(days=1)))[-1] == (
        State.LIVE,
        Event.RECOVERED,
    )
    gone = Status(State.GONE, T0, 2)
    assert run((Outcome.CONTENT, timedelta(days=5)), start=gone) == [(State.LIVE, Event.REAPPEARED)]


def test_a_recovery_resets_the_404_streak():
    steps = [
        (Outcome.NOT_FOUND, timedelta(0)),
        (Outcome.CONTENT, timedelta(hours=12)),
        (Outcome.NOT_FOUND, timedelta(hours=24)),
    ]
    assert run(*steps)[-1] == (State.UNREACHABLE, Event.UNREACHABLE)


def test_a_gone_page_stays_gone_without_new_events():
    gone = Status(State.GONE, T0, 2)
    assert run(
        (Outcome.NOT_FOUND, timedelta(days=3)), (Outcome.ERROR, timedelta(days=4)), start=gone
    ) == [
        (State.GONE, None),
        (State.GONE, None),
    ]
