"""Revisit scheduling: by age and last change, most overdue first, bounded per run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crawler.plan.durations import parse_duration
from crawler.plan.revisits import RevisitPolicy

DAY = timedelta(days=1)
POLICY = RevisitPolicy()


@pytest.mark.parametrize(
    ("age", "interval"),
    [
        (timedelta(hours=5), timedelta(0)),
        (3 * DAY, timedelta(hours=6)),
        (20 * DAY, DAY),
        (200 * DAY, 7 * DAY),
        (800 * DAY, 30 * DAY),
    ],
)
def test_intervals_follow_age(age, interval):
    assert POLICY.interval(age) == interval


def test_a_check_is_due_a_little_early_for_cron_drift():
    assert POLICY.overdue(20 * DAY, DAY - timedelta(minutes=5)) == timedelta(0)
    assert POLICY.overdue(20 * DAY, timedelta(hours=20)) is None


def test_overdue_measures_whole_days():
    assert POLICY.overdue(800 * DAY, 45 * DAY) == 15 * DAY


def test_steps_and_floor_are_settings():
    policy = RevisitPolicy.from_text("2d=1h, 90d=2d", "14d")
    assert policy.interval(DAY) == timedelta(hours=1)
    assert policy.interval(30 * DAY) == 2 * DAY
    assert policy.interval(100 * DAY) == 14 * DAY


@pytest.mark.parametrize(
    ("text", "value"), [("90s", 90), ("45m", 2700), ("6h", 21600), ("2w", 1209600), ("0", 0)]
)
def test_durations(text, value):
    assert parse_duration(text).total_seconds() == value


@pytest.mark.parametrize("text", ["", "six hours", "6x", "-1d"])
def test_bad_durations_say_so(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_bad_steps_say_so():
    with pytest.raises(ValueError, match="AGE=INTERVAL"):
        RevisitPolicy.from_text("1d:6h")
