"""What a crawl prints and logs: quiet for cron, a log file, a progress display on a terminal."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

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

    def settings(self) -> dict[str, Any]:
        """Scrapy settings; -s overrides them. A log file gets the whole INFO log."""
        level = "INFO" if self.log_file else "ERROR" if self.quiet else "WARNING"
        settings: dict[str, Any] = {"LOG_LEVEL": level, "NEWSARCHIVE_PROGRESS": self.progress}
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
        elif not self.as_json and (not self.quiet or summary.exit_code or _news(summary.counts())):
            click.echo(f"{site}: {summary.line()}")


def _news(counts: dict[str, Any]) -> bool:
    return any(counts.get(kind, 0) for kind in NEWS)
