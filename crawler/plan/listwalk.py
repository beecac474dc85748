"""Which list pages to fetch: all of them, or the newest until known ground plus a rolling slice."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from archive.runs import Cursor, ListWalkState


class ListWalk:
    """Tracks the walk over each column's numbered list pages and says which to fetch next.

    A full walk asks for every page once page 0 has told the total. An incremental walk goes one
    page at a time, newest first, and stops after `stop_after` consecutive pages that hold only
    archived articles; it also walks the next `share` of the column's pages from its cursor, so
    that over the crawls of one period every list page is seen (an article taken off the list
    can only be noticed that way) without a heavy crawl once a week.
    """

    def __init__(
        self,
        paths: Iterable[str],
        *,
        incremental: bool,
        stop_after: int = 1,
        share: float = 0.0,
        cursors: Mapping[str, Cursor] | None = None,
        started_at: datetime | None = None,
    ) -> None:
        self.paths = tuple(paths)
        self.incremental = incremental
        self.stop_after = max(1, stop_after)
        self.share = min(1.0, max(0.0, share))
        self.cursors = dict(cursors or {})
        self.started_at = started_at
        self.totals: dict[str, int] = {}
        self.fetched: dict[str, set[int]] = defaultdict(set)
        self.failed: dict[str, set[int]] = defaultdict(set)
        self.slices: dict[str, range] = {}
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
        wanted = self._rolling_slice(path, total) if number == 0 else []
        if self._continues(path, number, total, articles, known):
            wanted.append(number + 1)
        return sorted(set(wanted) - self.fetched[path] - {number})

    def page_failed(self, path: str, number: int) -> None:
        self.failed[path].add(number)

    @property
    def complete(self) -> bool:
        """Whether every page of every column was read in this crawl: a walk an increment can trust."""
        return all(
            path in self.totals and self.fetched[path] >= set(range(self.totals[path]))
            for path in self.paths
        )

    def covered_since(self) -> datetime | None:
        """Every list page has been read at or after this time (None: no such time is known).

        A full walk covers everything since it started; a rolling walk, once its cursor has
        reached the end of every column, since the start of the earliest of those rounds.
        """
        if self.complete:
            return self.started_at
        rounds = [self._finished_round(path) for path in self.paths]
        if any(start is None for start in rounds):
            return None
        return min(start for start in rounds if start is not None)

    def state(self) -> ListWalkState:
        """What the next crawl continues from: whether every list page was read, and the
        cursors, past what was read and never past a failure."""
        return ListWalkState(self.complete, {path: self._next_cursor(path) for path in self.paths})

    def _continues(
        self, path: str, number: int, total: int, articles: Collection[str], known: Collection[str]
    ) -> bool:
        if all(url in known for url in articles):
            self._known_streak[path] += 1
        else:
            self._known_streak[path] = 0
        return self._known_streak[path] < self.stop_after and number + 1 < total

    def _rolling_slice(self, path: str, total: int) -> list[int]:
        start = self.cursors.get(path, Cursor()).next_page
        start = start if 0 < start < total else 0
        count = math.ceil(total * self.share) if self.share > 0 else 0
        self.slices[path] = range(start, min(total, start + count))
        return list(self.slices[path])

    def _slice_read(self, path: str) -> range | None:
        """The part of this crawl's slice read without a failure, from its start."""
        pages = self.slices.get(path)
        if pages is None:
            return None
        end = min((p for p in self.failed[path] if p in pages), default=pages.stop)
        return range(pages.start, end)

    def _finished_round(self, path: str) -> datetime | None:
        read = self._slice_read(path)
        cursor = self.cursors.get(path, Cursor())
        if read is None or read.stop < self.totals.get(path, 0) or not read:
            return None
        # A round that began at page 0 in this very crawl covers everything since now.
        return cursor.round_started_at if read.start > 0 else self.started_at

    def _next_cursor(self, path: str) -> Cursor:
        cursor = self.cursors.get(path, Cursor(0, self.started_at))
        read = self._slice_read(path)
        if read is None or not read:
            return cursor
        begun = cursor.round_started_at if read.start > 0 else self.started_at
        if read.stop >= self.totals.get(path, 0):
            return Cursor(0, None)
        return Cursor(read.stop, begun)
