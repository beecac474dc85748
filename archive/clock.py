"""Where the archive's notion of "now" comes from, so tests and replays can fix it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def frozen_clock(at: datetime) -> Clock:
    """A clock that always answers `at` (which must be timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("a frozen clock needs a timezone-aware time")
    return lambda: at
