"""A run's summary from Scrapy's stats: the counts users see and the exit code they get."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archive.records import Outcome

STATS = "newsarchive"
# Documented exit codes (README): 0 done, 1 finished with errors, 2 usage or configuration error.
EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
ERROR_OUTCOMES = (Outcome.ERROR, Outcome.NOT_FOUND, Outcome.SOFT_404, Outcome.BLOCKED)


@dataclass(frozen=True)
class RunSummary:
    requested: int
    outcomes: dict[str, int]
    list_pages: int
    list_pages_failed: int
    list_unreadable: int
    list_walk_complete: bool
    skipped: int
    bytes_downloaded: int
    finish_reason: str

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any], finish_reason: str | None = None) -> RunSummary:
        outcomes = {
            o.value: int(stats.get(f"{STATS}/outcome/{o.value}", 0))
            for o in Outcome
            if o != Outcome.LISTING
        }
        return cls(
            requested=int(stats.get("downloader/request_count", 0)),
            outcomes=outcomes,
            list_pages=int(stats.get(f"{STATS}/list_pages", 0)),
            list_pages_failed=int(stats.get(f"{STATS}/list_pages_failed", 0)),
            list_unreadable=int(stats.get(f"{STATS}/list_template/none", 0)),
            list_walk_complete=bool(stats.get(f"{STATS}/list_walk_complete", False)),
            skipped=int(stats.get(f"{STATS}/skipped", 0)),
            bytes_downloaded=int(stats.get("downloader/response_bytes", 0)),
            finish_reason=finish_reason or str(stats.get("finish_reason", "unknown")),
        )

    @property
    def errors(self) -> int:
        failed_pages = sum(self.outcomes[o.value] for o in ERROR_OUTCOMES)
        return failed_pages + self.list_pages_failed + self.list_unreadable

    @property
    def status(self) -> str:
        """finished, or interrupted when Scrapy stopped early (a signal, a close_spider)."""
        return "finished" if self.finish_reason == "finished" else "interrupted"

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.status == "finished" and self.errors == 0 else EXIT_ERRORS

    def counts(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            **self.outcomes,
            "errors": self.errors,
            "list_pages": self.list_pages,
            "list_pages_failed": self.list_pages_failed,
            "list_walk_complete": self.list_walk_complete,
            "skipped": self.skipped,
            "bytes": self.bytes_downloaded,
            "finish_reason": self.finish_reason,
        }

    def line(self) -> str:
        """One line for people: what the run did."""
        o = self.outcomes
        return (
            f"{self.requested} pages requested: {o['new']} new, {o['changed']} changed, "
            f"{o['unchanged']} unchanged, {o['not-modified']} not modified, {self.errors} errors"
        )
