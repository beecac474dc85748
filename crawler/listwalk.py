"""Which list pages to fetch: all of them (backfill, audit) or until known ground (incremental)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable


class ListWalk:
    """Tracks the walk over each column's numbered list pages and says which to fetch next.

    A full walk asks for every page once page 0 has told the total; an incremental walk goes one
    page at a time, newest first, and stops after `stop_after` consecutive pages that hold only
    articles already archived.
    """

    def __init__(self, paths: Iterable[str], *, incremental: bool, stop_after: int = 1) -> None:
        self.paths = tuple(paths)
        self.incremental = incremental
        self.stop_after = max(1, stop_after)
        self.totals: dict[str, int] = {}
        self.fetched: dict[str, set[int]] = defaultdict(set)
        self._known_streak: dict[str, int] = defaultdict(int)

    def next_pages(
        self,
        path: str,
        number: int,
        total: int | None,
        articles: Collection[str],
        known: Collection[str],
    ) -> list[int]:
        """Record that page `number` of `path` was read; return the page numbers to request next."""
        self.fetched[path].add(number)
        total = self.totals.setdefault(path, max(total or 1, number + 1))
        if not self.incremental:
            return list(range(1, total)) if number == 0 else []
        if all(url in known for url in articles):
            self._known_streak[path] += 1
        else:
            self._known_streak[path] = 0
        if self._known_streak[path] >= self.stop_after or number + 1 >= total:
            return []
        return [number + 1]

    @property
    def complete(self) -> bool:
        """Whether every page of every column was read: a walk an incremental crawl can trust."""
        return all(
            path in self.totals and self.fetched[path] >= set(range(self.totals[path]))
            for path in self.paths
        )

    @property
    def pages_read(self) -> int:
        return sum(len(pages) for pages in self.fetched.values())
