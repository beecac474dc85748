"""A crawl's knobs, read from its settings and checked before anything is fetched or written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from crawler.plan.durations import parse_duration
from crawler.plan.revisits import RevisitPolicy

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

    @classmethod
    def from_settings(
        cls, settings: Settings, stop_after_default: int, max_revisits: Any = None
    ) -> Options:
        """Raises ValueError naming the setting when one is malformed."""
        limit = (
            max_revisits if max_revisits is not None else settings.get("NEWSARCHIVE_MAX_REVISITS")
        )
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
        )


def _count(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"{value!r} is not a count of zero or more")
    return number


def _setting(name: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from None
