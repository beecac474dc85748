"""A crawl's knobs, read from its settings and checked before anything is fetched or written."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from crawler.plan.durations import parse_duration
from crawler.plan.revisits import RevisitPolicy

PLANNERS = ("budget", "schedule")
AUTO = "auto"

T = TypeVar("T")


class Settings(Protocol):
    """What is read of Scrapy's settings (so planning needs no Scrapy)."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def getint(self, name: str, default: int = 0) -> int: ...


@dataclass(frozen=True)
class Options:
    """A crawl's knobs, from Scrapy settings (and the spider's max_revisits argument)."""

    policy: RevisitPolicy
    list_walk_every: timedelta
    gone_after: timedelta
    stop_after_known_pages: int
    max_revisits: int | None = None
    # Which planner chooses the re-checks within the daily budget: where changes are likely
    # (crawler.plan.budget) or by the age schedule of `policy` (crawler.plan.revisits).
    planner: str = "budget"
    # Re-checks a day (None: derived from `delay`, the seconds between two requests).
    daily_budget: int | None = None
    delay: float = 0.0
    # The longest an article goes unchecked (None: derived from the budget and the archive).
    floor: timedelta | None = None
    min_interval: timedelta = timedelta(hours=6)
    # A file the archive holds is asked for again only once its last capture is this old (0:
    # with every check of an article naming it).
    file_recheck_every: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        stop_after_default: int,
        max_revisits: Any = None,
        daily_budget: Any = None,
    ) -> Options:
        """Raises ValueError naming the setting when one is malformed."""
        limit = (
            max_revisits if max_revisits is not None else settings.get("NEWSARCHIVE_MAX_REVISITS")
        )
        budget = (
            daily_budget if daily_budget is not None else settings.get("NEWSARCHIVE_DAILY_BUDGET")
        )
        floor = settings.get("NEWSARCHIVE_REVISIT_FLOOR")
        return cls(
            policy=_setting(
                "NEWSARCHIVE_REVISIT_STEPS",
                lambda: RevisitPolicy.from_text(
                    settings.get("NEWSARCHIVE_REVISIT_STEPS"),
                    settings.get("NEWSARCHIVE_REVISIT_FLOOR"),
                ),
            ),
            list_walk_every=_setting(
                "NEWSARCHIVE_LIST_WALK_EVERY",
                lambda: parse_duration(settings.get("NEWSARCHIVE_LIST_WALK_EVERY", "7d")),
            ),
            gone_after=_setting(
                "NEWSARCHIVE_GONE_AFTER",
                lambda: parse_duration(settings.get("NEWSARCHIVE_GONE_AFTER", "24h")),
            ),
            stop_after_known_pages=_setting(
                "NEWSARCHIVE_STOP_AFTER_KNOWN_PAGES",
                lambda: settings.getint("NEWSARCHIVE_STOP_AFTER_KNOWN_PAGES", stop_after_default),
            ),
            max_revisits=_setting(
                "max_revisits", lambda: None if limit in (None, "") else _count(limit)
            ),
            planner=_setting(
                "NEWSARCHIVE_REVISIT_PLANNER",
                lambda: _choice(settings.get("NEWSARCHIVE_REVISIT_PLANNER", "budget"), PLANNERS),
            ),
            daily_budget=_setting(
                "NEWSARCHIVE_DAILY_BUDGET", lambda: None if _auto(budget) else _count(budget)
            ),
            delay=_setting(
                "DOWNLOAD_DELAY", lambda: _seconds(settings.get("DOWNLOAD_DELAY", 0) or 0)
            ),
            floor=_setting(
                "NEWSARCHIVE_REVISIT_FLOOR", lambda: None if _auto(floor) else parse_duration(floor)
            ),
            min_interval=_setting(
                "NEWSARCHIVE_REVISIT_MIN_INTERVAL",
                lambda: parse_duration(settings.get("NEWSARCHIVE_REVISIT_MIN_INTERVAL", "6h")),
            ),
            file_recheck_every=_setting(
                "NEWSARCHIVE_FILE_RECHECK_EVERY",
                lambda: parse_duration(settings.get("NEWSARCHIVE_FILE_RECHECK_EVERY", "7d")),
            ),
        )


def _count(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"{value!r} is not a count of zero or more")
    return number


def _auto(value: Any) -> bool:
    return value in (None, "", AUTO)


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return str(value)


def _seconds(value: Any) -> float:
    number = float(value)
    if number < 0 or math.isnan(number):
        raise ValueError(f"{value!r} is not a number of seconds of zero or more")
    return number


def _setting(name: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from None
