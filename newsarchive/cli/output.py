"""What a crawl prints and logs: quiet for cron, a log file, a progress display on a terminal."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from crawler.run.exits import EXIT_ERRORS, worst_exit

if TYPE_CHECKING:  # Scrapy is imported by the commands that crawl, when they run
    from crawler.runner import CrawlResult

# Outcomes that mean the archive learned something: a quiet crawl reports them.
NEWS = ("new", "changed", "moved", "not-found", "soft-404", "redirected", "reparsed")


@dataclass(frozen=True)
class Output:
    """--quiet, --log-file and --json, and whether stderr is a terminal."""

    quiet: bool = False
    log_file: str | None = None
    as_json: bool = False

    @property
    def progress(self) -> bool:
        return not (self.quiet or self.as_json or self.log_file) and sys.stderr.isatty()

    def settings(self, *, sites: int = 1) -> dict[str, Any]:
        """Scrapy settings; -s overrides them. A log file gets the whole INFO log. The progress
        display shows one crawl: several sites side by side crawl without it."""
        level = "INFO" if self.log_file else "ERROR" if self.quiet else "WARNING"
        progress = self.progress and sites == 1
        settings: dict[str, Any] = {"LOG_LEVEL": level, "NEWSARCHIVE_PROGRESS": progress}
        if self.log_file:
            settings["LOG_FILE"] = self.log_file
            settings["LOG_FILE_APPEND"] = True
        return settings

    def summary(self, site: str, result: CrawlResult) -> None:
        """The run's summary: always, as JSON with --json; with --quiet only when it matters."""
        summary = result.summary
        if self.as_json:
            click.echo(json.dumps({"site": site, "run": result.run_id, **summary.counts()}))
        if summary.unreachable:
            click.echo(f"Error: {summary.unreachable}.", err=True)
        elif not self.as_json and self._worth_saying(result):
            click.echo(f"{site}: {summary.line()}")

    def summaries(self, outcomes: list[SiteOutcome]) -> int:
        """Several sites' crawls: one line per site, in order (why a site's crawl did not run
        or reach it on stderr, always); with --json, one document holding every site's summary
        and the exit code. Returns the worst of the sites' exit codes (crawler.run.exits)."""
        worst = worst_exit(outcome.exit_code for outcome in outcomes)
        if self.as_json:
            sites = [outcome.json() for outcome in outcomes]
            click.echo(json.dumps({"exit_code": worst, "sites": sites}))
        for outcome in outcomes:
            if outcome.error is not None:
                click.echo(f"{outcome.site}: Error: {outcome.error}", err=True)
            elif outcome.result and not self.as_json and self._worth_saying(outcome.result):
                click.echo(f"{outcome.site}: {outcome.result.summary.line()}")
        return worst

    def _worth_saying(self, result: CrawlResult) -> bool:
        summary = result.summary
        return not self.quiet or bool(summary.exit_code) or _news(summary.counts())


@dataclass(frozen=True)
class SiteOutcome:
    """How one site's crawl among several ended: its result if it ran, its exit code, and the
    sentence saying why it did not run (refused, could not start) or could not reach the site."""

    site: str
    result: CrawlResult | None
    exit_code: int
    error: str | None = None

    @classmethod
    def of(cls, site: str, result: CrawlResult | Exception) -> SiteOutcome:
        """From what crawler.runner.run_spiders gives: a result, or why the crawl never started."""
        if isinstance(result, Exception):
            return cls(site, None, EXIT_ERRORS, str(result))
        summary = result.summary
        if summary.refusal is not None:
            return cls(site, None, summary.refusal.exit_code, summary.refusal.sentence)
        error = f"{summary.unreachable}." if summary.unreachable else None
        return cls(site, result, summary.exit_code, error)

    def json(self) -> dict[str, Any]:
        """The single-site --json summary, with the site's exit code and error; a crawl that did
        not run has no counts and no run."""
        result = self.result
        counts = result.summary.counts() if result else {}
        run = result.run_id if result else None
        return {
            "site": self.site,
            "run": run,
            **counts,
            "exit_code": self.exit_code,
            "error": self.error,
        }


def _news(counts: dict[str, Any]) -> bool:
    return any(counts.get(kind, 0) for kind in NEWS)
