"""A run's summary from Scrapy's stats: the counts users see and the exit code they get."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archive.records import Outcome
from archive.runs import ListWalkState
from crawler.run.exits import (
    EXIT_DEGRADED,
    EXIT_ERRORS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_TEMPORARY,
    EXIT_UNREACHABLE,
    Refusal,
)

STATS = "newsarchive"
# Why a crawl stopped early (Scrapy's finish reason), its run status and its exit code.
BLOCKED = "blocked"
STORAGE_FAILED = "storage-failed"
# A crawl that did not start (its refusal says why).
NOT_STARTED = "not-started"
_STOPPED = {
    "finished": ("finished", None),
    "shutdown": ("interrupted", EXIT_INTERRUPTED),
    BLOCKED: ("blocked", EXIT_TEMPORARY),
    STORAGE_FAILED: ("failed", EXIT_STORAGE),
    NOT_STARTED: ("not-started", EXIT_ERRORS),
}
# Failures of the crawl itself. A 404, a soft 404 or a redirect is an observation about the site,
# recorded and reported, not an error of the run.
ERROR_OUTCOMES = (Outcome.ERROR, Outcome.BLOCKED, Outcome.TRUNCATED)
_COUNTERS = (
    "list_pages",
    "list_pages_failed",
    "copies_unreadable",
    "skipped",
    "unlisted",
    "revisits_due",
    "revisits_checked",
    "revisits_left",
    "revisits_listed",
    "write_errors",
)


@dataclass(frozen=True)
class RunSummary:
    requested: int
    outcomes: dict[str, int]
    counters: dict[str, int]
    list_unreadable: int
    walk: ListWalkState
    rejected: dict[str, int]
    duplicates: dict[str, int]
    bytes_downloaded: int
    finish_reason: str
    retries: int = 0
    retry_waited_seconds: float = 0.0
    # Why the crawl did not start, or a fetch kept nothing (the page is not one the archive takes).
    refusal: Refusal | None = None
    # `cannot reach HOST: why`, when no request of the run got any answer at all.
    unreachable: str | None = None
    # The files articles reference, by how their capture ended (new, unchanged, rejected …).
    files: dict[str, int] = field(default_factory=dict)
    # Article pages read, by what read them (profile, fallback, unreadable); and the profile's
    # rules that missed, by field (crawler.run.drift).
    extraction: dict[str, int] = field(default_factory=dict)
    rules_missed: dict[str, int] = field(default_factory=dict)
    # The sentence saying which rules drifted, when they did.
    drift: str | None = None
    # The run's re-check budget (None: no limit) and the longest an article goes unchecked.
    revisits_budget: int | None = None
    revisits_floor_days: float | None = None
    # Articles whose next check the run's end worked out (crawler.plan.nextcheck; 0 without a
    # budget).
    revisits_scheduled: int = 0

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any], finish_reason: str | None = None) -> RunSummary:
        return cls(
            requested=int(stats.get(f"{STATS}/requests", 0)),
            outcomes={
                o.value: int(stats.get(f"{STATS}/outcome/{o.value}", 0))
                for o in Outcome
                if o not in (Outcome.CONTENT, Outcome.LISTING, Outcome.FILE)
            },
            counters={name: int(stats.get(f"{STATS}/{name}", 0)) for name in _COUNTERS},
            list_unreadable=int(stats.get(f"{STATS}/list_template/none", 0)),
            walk=stats.get(f"{STATS}/list_walk_state") or ListWalkState(),
            rejected=_by_prefix(stats, f"{STATS}/dropped/"),
            duplicates=_by_prefix(stats, f"{STATS}/dedup/"),
            files=_by_prefix(stats, f"{STATS}/files/"),
            extraction=_by_prefix(stats, f"{STATS}/extraction/"),
            rules_missed=_by_prefix(stats, f"{STATS}/rule_missed/"),
            drift=stats.get(f"{STATS}/drift"),
            revisits_budget=stats.get(f"{STATS}/revisits_budget"),
            revisits_floor_days=stats.get(f"{STATS}/revisits_floor_days"),
            revisits_scheduled=int(stats.get(f"{STATS}/scheduled", 0)),
            bytes_downloaded=int(stats.get("downloader/response_bytes", 0)),
            finish_reason=finish_reason or str(stats.get("finish_reason", "unknown")),
            refusal=stats.get(f"{STATS}/refusal"),
            unreachable=stats.get(f"{STATS}/unreachable"),
            retries=int(stats.get("retry/count", 0)),
            retry_waited_seconds=float(stats.get(f"{STATS}/retry/waited_seconds", 0.0)),
        )

    @property
    def errors(self) -> int:
        return sum(self.errors_by_kind().values())

    def errors_by_kind(self) -> dict[str, int]:
        """The errors, by what failed (only the kinds that occurred)."""
        kinds = {
            **{o.value: self.outcomes[o.value] for o in ERROR_OUTCOMES},
            "list-page": self.counters["list_pages_failed"],
            "list-unreadable": self.list_unreadable,
            "copy-unreadable": self.counters["copies_unreadable"],
            "not-written": self.counters["write_errors"],
            "file": sum(self.files.get(o.value, 0) for o in ERROR_OUTCOMES),
        }
        return {kind: n for kind, n in kinds.items() if n}

    @property
    def status(self) -> str:
        """finished; interrupted (a signal); blocked (challenges); failed (the archive could not
        be written); anything else that stopped Scrapy early counts as interrupted."""
        if self.unreachable is not None:
            return "failed"
        status = _STOPPED.get(self.finish_reason, ("interrupted", None))[0]
        return "degraded" if status == "finished" and self.drift else status

    @property
    def exit_code(self) -> int:
        if self.refusal is not None:
            return self.refusal.exit_code
        if self.unreachable is not None:
            return EXIT_UNREACHABLE
        stopped = _STOPPED.get(self.finish_reason, ("interrupted", EXIT_ERRORS))[1]
        if stopped is not None:
            return stopped
        if self.drift:
            return EXIT_DEGRADED
        return EXIT_OK if self.errors == 0 else EXIT_ERRORS

    def counts(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            **self.outcomes,
            "errors": self.errors,
            "errors_by_kind": self.errors_by_kind(),
            **self.counters,
            "revisits_budget": self.revisits_budget,
            "revisits_floor_days": self.revisits_floor_days,
            "revisits_scheduled": self.revisits_scheduled,
            **self.walk.to_counts(),
            "rejected_by_reason": self.rejected,
            "duplicates_found": self.duplicates,
            "files": self.files,
            "extraction": self.extraction,
            "rules_missed": self.rules_missed,
            "drift": self.drift,
            "bytes": self.bytes_downloaded,
            "retries": self.retries,
            "retry_waited_seconds": round(self.retry_waited_seconds, 3),
            "finish_reason": self.finish_reason,
            "unreachable": self.unreachable,
        }

    def line(self) -> str:
        """One line for people: what the run did."""
        o, c = self.outcomes, self.counters
        gone = o["not-found"] + o["soft-404"] + o["redirected"]
        line = (
            f"{self.requested} pages requested: {o['new']} new, {o['changed']} changed, "
            f"{o['unchanged']} unchanged, {o['not-modified']} not modified, {gone} missing, "
            f"{o['rejected']} rejected, {self.errors} errors; re-checks: {c['revisits_due']} due, "
            f"{c['revisits_checked']} checked, {c['revisits_left']} left for later"
        )
        if c["revisits_listed"]:
            line += f", {c['revisits_listed']} for titles changed on the list"
        if self.status == "degraded":
            return f"{line}; degraded: {self.drift}"
        return line if self.status == "finished" else f"{line}; {self.status}"


def _by_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {
        key[len(prefix) :]: int(value) for key, value in stats.items() if key.startswith(prefix)
    }
