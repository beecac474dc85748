"""`scrapy crawl SITE`: Scrapy's command, exiting as `newsarchive crawl` does (README, exit codes)."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.runner import CrawlNotStarted, CrawlResult


class Command(ScrapyCrawl):
    """Runs the spider like Scrapy's own crawl command; then, as newsarchive crawl does, says
    in one sentence why a crawl did not start and exits with the run's documented code."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("name one site, e.g. scrapy crawl chencang")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        try:
            summary = CrawlResult.of(crawler).summary
        except CrawlNotStarted as exc:
            print(f"Error: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        if summary.refusal is not None:
            print(f"Error: {summary.refusal.sentence}", file=sys.stderr)
        self.exitcode = summary.exit_code
